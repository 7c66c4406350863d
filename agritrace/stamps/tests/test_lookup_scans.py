"""Stamp checks through /api/stamps/lookup (importers' systems) are counted as scans, with the
calling organisation as the client, so copy detection sees them (issue 19)."""

import pytest
from django.test import Client

from agritrace.accounts.models import ApiToken, Organisation, OrgKind
from agritrace.stamps import services
from agritrace.stamps.models import Scan, Stamp
from conftest import make_user

from .conftest import GTIN_LOT_URN

pytestmark = pytest.mark.django_db


@pytest.fixture
def stamps(world, chain):
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 2)
    return [services.stamp_uri(s) for s in batch.stamps.order_by("pk")]


def importer(world, n: int) -> Client:
    """A foreign buyer's system with its own API token."""
    org = Organisation.objects.create(
        name=f"Importer {n}", kind=OrgKind.EXPORTER, unit=world.province
    )
    user = make_user(f"importer{n}", org)
    _token, raw = ApiToken.issue(user, "lookup")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_lookup_is_a_scan_with_the_calling_organisation_as_client(world, stamps):
    client = importer(world, 1)
    org = Organisation.objects.get(name="Importer 1")
    response = client.get("/api/stamps/lookup", {"uri": stamps[0]})
    assert response.status_code == 200 and response.json()["status"] == "genuine"
    assert response["Cache-Control"] == "no-store"
    [scan] = Scan.objects.all()
    assert scan.client == f"org:{org.identifier}"
    assert scan.stamp.serial == response.json()["serial"]
    # the same organisation checking again is the same client
    client.get("/api/stamps/lookup", {"serial": response.json()["serial"]})
    assert set(Scan.objects.values_list("client", flat=True)) == {f"org:{org.identifier}"}


def test_an_anonymous_lookup_counts_as_its_hashed_client(stamps):
    Client(REMOTE_ADDR="192.0.2.7").get("/api/stamps/lookup", {"uri": stamps[0]})
    [scan] = Scan.objects.all()
    assert not scan.client.startswith("org:") and "192.0.2.7" not in scan.client
    # a revoked token makes the lookup anonymous, not refused
    bad = Client(HTTP_AUTHORIZATION="Bearer not-a-token", REMOTE_ADDR="192.0.2.8")
    assert bad.get("/api/stamps/lookup", {"uri": stamps[0]}).status_code == 200
    assert Scan.objects.count() == 2


def test_lookups_that_find_no_stamp_are_not_scans(stamps):
    Client().get("/api/stamps/lookup", {"serial": "aaaaaaaaaaaaa"})
    assert not Scan.objects.exists()


def test_lookups_by_many_organisations_feed_copy_detection(world, stamps, settings):
    settings.AGRITRACE_STAMP_COPY_RULES = {
        **services.copy_rules(),
        "max_clients": 2,
        "window_hours": 24,
    }
    stamp = Stamp.objects.order_by("pk").first()
    scans = list(Scan.objects.filter(stamp=stamp))
    assert services.copy_reason(scans, stamp.batch.created_at) is None
    for n in range(3):
        body = importer(world, n).get("/api/stamps/lookup", {"uri": stamps[0]}).json()
    # the three organisations' lookups are the copy rule's input
    scans = list(Scan.objects.filter(stamp=stamp).order_by("at", "pk"))
    assert {s.client for s in scans} == {
        f"org:{o.identifier}" for o in Organisation.objects.filter(name__startswith="Importer")
    }
    stamp.refresh_from_db()
    assert stamp.suspected_copy_at is not None
    assert body["suspected_copy"] is True and body["status"] == "copy"
