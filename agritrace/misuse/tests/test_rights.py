"""Rule groups 3 and 4: a code used by a firm with no right to it, shipped to a market it is
not approved for, or used while suspended."""

from datetime import date

import pytest

from agritrace.misuse.scan import scan
from agritrace.registry import history
from agritrace.registry.models import CodeAuthorisation, Market, MarketApproval

from .conftest import at, capture, harvest, lot, make_area, make_house, packing, shipping

pytestmark = pytest.mark.django_db


def findings(world, rule):
    return scan(world.province, "2026", rules=[rule])


@pytest.fixture
def chain(world):
    """An area's harvest packed at a contracted-or-not house: (area, house, packed lot)."""
    area = make_area(world, ha=2)
    house = make_house(world)
    event, uri = harvest(area, "H1", 10_000)
    capture(world, "coop", event)
    packed, out = packing(house, [(uri, 10_000)], "P1", 9_500)
    capture(world, "packing", packed)
    return area, house, out


def authorise(area, org, market="CN", valid_from="2026-01-01", valid_to="2026-12-31"):
    return CodeAuthorisation.objects.create(
        area=area,
        grantee=org,
        market=Market.objects.get(code=market),
        valid_from=date.fromisoformat(valid_from),
        valid_to=date.fromisoformat(valid_to),
    )


def test_rented_code_an_exporter_without_authorisation_ships_its_lots(world, chain):
    area, house, out = chain
    ship = shipping(house, [(out, 9_500)], shipper=world.orgs["exporter"])
    job = capture(world, "exporter", ship)
    [finding] = findings(world, "party_without_authorisation")
    assert finding.subject_id == area.pk and finding.party_id == world.orgs["exporter"].pk
    assert finding.events == list(job.events.values_list("pk", flat=True))
    assert finding.lots == [out]
    [party] = finding.figures["parties"]
    assert party["markets"] == ["CN"] and party["authorised_markets"] == []
    assert world.orgs["exporter"].name in finding.summary


def test_an_authorised_exporter_is_lawful(world, chain):
    area, house, out = chain
    authorise(area, world.orgs["exporter"])
    capture(world, "exporter", shipping(house, [(out, 9_500)], shipper=world.orgs["exporter"]))
    assert findings(world, "party_without_authorisation") == []


def test_an_authorisation_for_another_market_or_ended_does_not_cover(world, chain):
    area, house, out = chain
    authorise(area, world.orgs["exporter"], market="US")
    authorise(area, world.orgs["exporter"], valid_to="2026-05-31")
    capture(world, "exporter", shipping(house, [(out, 9_500)], shipper=world.orgs["exporter"]))
    [finding] = findings(world, "party_without_authorisation")
    assert finding.figures["parties"][0]["authorised_markets"] == ["CN", "US"]


def test_the_shipper_is_the_owning_party_not_the_capturer(world, chain):
    """An authority capturing on the exporter's behalf: the sourceList owning party ships."""
    area, house, out = chain
    capture(world, "ppo", shipping(house, [(out, 9_500)], shipper=world.orgs["exporter"]))
    [finding] = findings(world, "party_without_authorisation")
    assert finding.party_id == world.orgs["exporter"].pk


def test_market_not_approved_fires_and_an_approval_makes_it_lawful(world, chain):
    area, house, out = chain
    authorise(area, world.orgs["exporter"], market="US")
    capture(
        world,
        "exporter",
        shipping(house, [(out, 9_500)], shipper=world.orgs["exporter"], country="US"),
    )
    [finding] = findings(world, "market_not_approved")
    assert finding.figures["markets"] == ["US"] and finding.lots == [out]
    assert finding.party_id == world.orgs["exporter"].pk
    MarketApproval.objects.create(
        area=area, market=Market.objects.get(code="US"), status="approved"
    )
    assert findings(world, "market_not_approved") == []
    assert findings(world, "party_without_authorisation") == []


def test_domestic_shipments_need_no_approval(world, chain):
    area, house, out = chain
    capture(
        world, "coop", shipping(house, [(out, 9_500)], shipper=world.orgs["coop"], country="VN")
    )
    assert findings(world, "market_not_approved") == []
    assert findings(world, "party_without_authorisation") == []  # the representative itself


def suspend(holder, day: str):
    history.record_change(holder, "issued", effective_at=at("2026-01-01", 0))
    history.record_change(holder, "suspended", effective_at=at(day, 0), reason="residue")
    type(holder).objects.filter(pk=holder.pk).update(code_status="suspended")


def test_a_suspended_code_still_used(world, chain):
    area, house, out = chain
    suspend(area, "2026-07-01")
    # Lots "of" the area that no harvest made, packed after the suspension.
    packed, _ = packing(house, [(lot(area.code, "X1"), 5_000)], "P2", 4_800, day="2026-07-05")
    job = capture(world, "packing", packed)
    [finding] = findings(world, "code_not_usable")
    assert finding.subject_kind == "area" and finding.subject_id == area.pk
    assert finding.events == list(job.events.values_list("pk", flat=True))
    assert finding.figures["statuses"] == ["suspended"]
    assert finding.figures["periods"][0]["from"].startswith("2026-07-01")
    assert lot(area.code, "X1") in finding.lots


def test_events_before_a_suspension_and_old_lots_after_it_are_lawful(world, chain):
    area, house, out = chain  # harvested and packed in June
    suspend(area, "2026-07-01")
    capture(
        world,
        "exporter",
        shipping(house, [(out, 9_500)], shipper=world.orgs["coop"], day="2026-07-03"),
    )
    assert findings(world, "code_not_usable") == []


def test_a_suspended_packing_house_still_packing(world):
    area = make_area(world)
    house = make_house(world)
    suspend(house, "2026-05-01")
    event, uri = harvest(area, "H1", 5_000)
    capture(world, "coop", event)
    packed, _ = packing(house, [(uri, 5_000)], "P1", 4_800)
    capture(world, "packing", packed)
    [finding] = findings(world, "code_not_usable")
    assert finding.subject_kind == "packing_house" and finding.subject_id == house.pk
    assert finding.party_id == world.orgs["packing"].pk


def test_a_shipment_of_lots_no_harvest_made_names_the_area_of_their_code(world):
    """Lots of an area's namespace that no harvest made (bought "of" the area) lead back to
    the area through the packing, like harvest lots."""
    area = make_area(world)
    house = make_house(world)
    packed, out = packing(house, [(lot(area.code, "X1"), 2_000)], "P9", 1_900, day="2026-08-02")
    capture(world, "packing", packed)
    capture(
        world,
        "exporter",
        shipping(house, [(out, 1_900)], shipper=world.orgs["exporter"], day="2026-08-03"),
    )
    [finding] = findings(world, "party_without_authorisation")
    assert finding.subject_id == area.pk and finding.lots == [out]
