"""The shipment facts and the SQL judgement of who may ship an area's lots: it must equal
the Python one (`detect.rights.Rights.may_ship`, over `registry.history`'s periods)."""

from datetime import date

import pytest

from agritrace.misuse import origins
from agritrace.misuse.detect.base import HANDLED_ROLES
from agritrace.misuse.detect.rights import Rights, day_of
from agritrace.misuse.models import ShipmentParty
from agritrace.misuse.shipments import season_rows, without_right
from agritrace.registry.models import CodeAuthorisation, Market, SupplyContract

from .conftest import capture, harvest, make_area, make_house, packing, shipping

pytestmark = pytest.mark.django_db

DAYS = ("2026-05-30", "2026-06-05", "2026-06-12", "2026-06-20", "2026-06-25")
COUNTRIES = ("CN", "DE", "")


def test_sql_rights_equal_the_python_rights(world):
    area = make_area(world, ha=2)
    house = make_house(world)
    event, uri = harvest(area, "H1", 10_000, day="2026-05-20")
    capture(world, "coop", event)
    packed, out = packing(house, [(uri, 10_000)], "P1", 9_500, day="2026-05-21")
    capture(world, "packing", packed)
    CodeAuthorisation.objects.create(
        area=area,
        grantee=world.orgs["exporter"],
        market=Market.objects.get(code="CN"),
        valid_from=date(2026, 6, 1),
        valid_to=date(2026, 6, 30),
        withdrawn_from=date(2026, 6, 20),
    )
    SupplyContract.objects.create(
        area=area,
        packing_house=house,
        valid_from=date(2026, 6, 10),
        valid_to=date(2026, 6, 15),
    )
    for key in ("exporter", "packing", "coop", "ppo"):
        capture(
            world,
            key,
            *[
                shipping(house, [(out, 10)], shipper=world.orgs[key], country=c, day=d)
                for d in DAYS
                for c in COUNTRIES
            ],
        )
    origins.rebuild()  # the facts of the captures above (no receiver in this test)
    assert ShipmentParty.objects.count() == 4 * len(DAYS) * len(COUNTRIES)
    assert set(ShipmentParty.objects.values_list("country", flat=True)) == {"CN", "DE", ""}
    start, end = date(2026, 1, 1), date(2027, 1, 1)
    rows = season_rows(start, end, [area.pk], roles=HANDLED_ROLES)
    every = list(rows.values_list("event_id", "o_area", "party_id", "time", "o_market"))
    assert len(every) == 4 * len(DAYS) * len(COUNTRIES)
    assert {m for *_r, m in every} == {"CN", "EU", ""} or {m for *_r, m in every} == {
        "CN",
        "DE",
        "",
    }
    bad = set(without_right(rows).values_list("event_id", flat=True))
    rights = Rights({area.pk})
    expected = {
        event
        for event, a, party, when, market in every
        if not rights.may_ship(a, party, day_of(when), market)
    }
    assert bad == expected
    # what it means: the exporter only from 1 to 19 June to CN or an unknown market, the
    # packing house's operator only under its contract, the representative and the
    # authority always
    assert 0 < len(bad) < len(every)
    days = {e: d for e, d in ShipmentParty.objects.values_list("event_id", "day")}
    exporter_ok = {
        (days[e].isoformat(), m)
        for e, _a, p, _t, m in every
        if p == world.orgs["exporter"].pk and e not in bad
    }
    assert exporter_ok == {
        ("2026-06-05", "CN"),
        ("2026-06-05", ""),
        ("2026-06-12", "CN"),
        ("2026-06-12", ""),
    }
