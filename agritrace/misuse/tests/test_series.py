"""A case's chart series: kilograms week by week (cumulative) against what the code can
carry."""

import pytest

from agritrace.misuse.series import case_series

from .conftest import capture, harvest, make_area, make_house, packing
from .officer import make_case

pytestmark = pytest.mark.django_db


def line(series: dict, key: str) -> list[float]:
    return next(d["data"] for d in series["datasets"] if d["key"] == key)


def test_area_series_is_cumulative_per_week_against_what_it_can_grow(world):
    area = make_area(world, ha=1)
    house = make_house(world)
    first, uri = harvest(area, "H1", 30_000, day="2026-06-01")  # a Monday
    second, uri2 = harvest(area, "H2", 20_000, day="2026-06-10")  # the next week
    packed, _out = packing(house, [(uri, 30_000)], "P1", 29_000, day="2026-06-16")
    capture(world, "coop", first, second)
    capture(world, "packing", packed)
    series = case_series(make_case(area))
    # From the season's first week (the Monday before 1 January 2026) …
    assert series["labels"][0] == "2025-12-29"
    june = series["labels"].index("2026-06-01")
    assert series["labels"][june : june + 3] == ["2026-06-01", "2026-06-08", "2026-06-15"]
    harvested = line(series, "harvested")
    assert harvested[0] == 0 and harvested[june - 1] == 0
    assert harvested[june : june + 3] == [30_000, 50_000, 50_000]
    assert harvested[-1] == 50_000
    assert line(series, "packed")[june : june + 3] == [0, 0, 30_000]
    assert set(line(series, "can_grow")) == {22_700}  # 1 ha × 22.7 t/ha
    assert set(line(series, "can_grow_tolerance")) == {22_700 * 1.2}
    assert len(harvested) == len(series["labels"])


def test_house_series_against_capacity_times_days(world):
    area = make_area(world, ha=1)
    house = make_house(world, capacity=1)  # 1 t/day
    h, uri = harvest(area, "H1", 9_000, day="2026-01-05")
    p, _out = packing(house, [(uri, 9_000)], "P1", 8_800, day="2026-01-06")
    capture(world, "coop", h)
    capture(world, "packing", p)
    series = case_series(make_case(house, rule="house_over_capacity"))
    assert series["labels"][:2] == ["2025-12-29", "2026-01-05"]
    assert line(series, "packed")[:2] == [0, 9_000]
    # The week of 5 January ends on the 11th: 11 days of the season × 1,000 kg.
    assert line(series, "capacity")[:3] == [4_000, 11_000, 18_000]


def test_no_volume_no_lines(world):
    series = case_series(make_case(make_area(world, ha=1)))
    assert series["labels"] == [] and series["datasets"] == []
