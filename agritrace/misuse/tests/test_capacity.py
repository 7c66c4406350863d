"""Rule group 2: a packing house beyond its capacity or with no supply contract."""

from datetime import date

import pytest

from agritrace.misuse.scan import scan
from agritrace.registry.models import SupplyContract

from .conftest import capture, harvest, make_area, make_house, packing

pytestmark = pytest.mark.django_db


def findings(world, rule):
    return scan(world.province, "2026", rules=[rule])


def contract(house, area):
    return SupplyContract.objects.create(
        packing_house=house,
        area=area,
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
    )


def pack_days(world, house, area, kg_per_day, days):
    for day in range(1, days + 1):
        event, uri = harvest(area, f"H{day}", kg_per_day, day=f"2026-06-{day:02d}")
        capture(world, "coop", event)
        packed, _ = packing(
            house, [(uri, kg_per_day)], f"P{day}", kg_per_day * 0.95, day=f"2026-06-{day:02d}"
        )
        capture(world, "packing", packed)


def test_house_over_capacity_fires_with_its_window(world):
    area = make_area(world, ha=50)
    house = make_house(world, capacity=1)  # 1 t/day: 7,700 kg a week with the tolerance
    contract(house, area)
    pack_days(world, house, area, 2_000, 7)
    [finding] = findings(world, "house_over_capacity")
    assert finding.subject_kind == "packing_house" and finding.subject_id == house.pk
    assert finding.figures["kg"] == 14_000
    assert finding.figures["window_from"] == "2026-06-01"
    assert finding.threshold["limit_kg"] == pytest.approx(7_700)
    assert finding.ratio == pytest.approx(14_000 / 7_700)
    assert finding.event_count == 7 and finding.party_id == world.orgs["packing"].pk
    assert findings(world, "house_without_contract") == []


def test_packing_within_capacity_is_lawful(world):
    area = make_area(world, ha=50)
    house = make_house(world, capacity=5)
    contract(house, area)
    pack_days(world, house, area, 4_000, 7)
    assert findings(world, "house_over_capacity") == []


def test_house_without_contract(world):
    area = make_area(world, ha=5)
    house = make_house(world, capacity=30)
    pack_days(world, house, area, 1_000, 2)
    [finding] = findings(world, "house_without_contract")
    assert finding.figures["areas"] == [{"area": area.pk, "code": area.code, "events": 2}]
    assert finding.event_count == 2 and len(finding.lots) == 2
    assert area.code in finding.summary
    contract(house, area)
    assert findings(world, "house_without_contract") == []


def test_a_contract_that_ended_does_not_cover(world):
    area = make_area(world, ha=5)
    house = make_house(world, capacity=30)
    SupplyContract.objects.create(
        packing_house=house, area=area, valid_from=date(2026, 1, 1), valid_to=date(2026, 5, 31)
    )
    pack_days(world, house, area, 1_000, 1)
    assert len(findings(world, "house_without_contract")) == 1
