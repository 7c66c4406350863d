"""Organisations' public identifiers and the party URIs of EPCIS events."""

import pytest

from agritrace.accounts import identifiers
from agritrace.accounts.models import Organisation, OrgKind

pytestmark = pytest.mark.django_db


def test_each_organisation_gets_a_stable_identifier_from_its_unit_and_kind(world):
    exporter = world.orgs["exporter"]
    assert exporter.identifier == f"{exporter.unit.code}-EXP-0001"
    second = Organisation.objects.create(name="XNK 2", kind=OrgKind.EXPORTER, unit=exporter.unit)
    assert second.identifier == f"{exporter.unit.code}-EXP-0002"
    second.name = "renamed"
    second.save()
    second.refresh_from_db()
    assert second.identifier == f"{exporter.unit.code}-EXP-0002"


def test_party_uri_is_the_gln_when_given_else_the_urn(world):
    exporter = world.orgs["exporter"]
    assert identifiers.party_uri(exporter) == f"urn:agritrace:org:{exporter.identifier}"
    assert identifiers.find_party(identifiers.party_uri(exporter)) == exporter
    exporter.gln = "8930000000019"
    assert identifiers.valid_gln(exporter.gln)
    exporter.save()
    assert identifiers.party_uri(exporter) == "https://id.gs1.org/417/8930000000019"
    assert identifiers.find_party("https://id.gs1.org/417/8930000000019") == exporter
    assert identifiers.find_party("urn:epc:id:pgln:893000.000001") == exporter


def test_unknown_or_malformed_parties_are_none(world):
    assert identifiers.find_party("urn:agritrace:org:") is None
    assert identifiers.find_party("urn:agritrace:org:99-EXP-9999") is None
    assert identifiers.find_party("https://id.gs1.org/417/123") is None
    assert not identifiers.valid_gln("8930000000018")
