"""Rule group 1: an area code carrying more than its area can grow (and a plot; and a volume
that jumps against the area's history and its peers)."""

import pytest

from agritrace.misuse.scan import scan

from .conftest import capture, harvest, lot, make_area, make_house, packing

pytestmark = pytest.mark.django_db

# Durian: 22.7 t/ha (diary.CropYield); tolerance 1.2 → a 1 ha area may carry 27,240 kg.


def findings(world, rule):
    return [f for f in scan(world.province, "2026", rules=[rule])]


def test_borrowed_code_five_times_what_it_can_grow_fires_with_its_evidence(world):
    area = make_area(world, ha=1)
    events = []
    for i in range(5):
        event, _uri = harvest(area, f"H{i}", 22_700, day=f"2026-06-0{i + 1}")
        events.append(event)
    capture(world, "coop", *events)
    [finding] = findings(world, "area_volume_over_yield")
    assert finding.subject_kind == "area" and finding.subject_id == area.pk
    assert finding.code == area.code and finding.season == "2026"
    assert finding.figures["kg"] == 113_500
    assert finding.figures["can_grow_kg"] == 22_700
    assert finding.figures["times_can_grow"] == 5.0
    assert finding.figures["channel"] == "harvested"
    assert finding.threshold == {"tolerance": 1.2, "limit_kg": 27_240}
    assert finding.ratio == pytest.approx(113_500 / 27_240)
    assert finding.event_count == 5 and len(finding.events) == 5
    assert finding.lot_count == 5 and finding.lots[0].endswith(f"{area.code}:H0")
    assert area.code in finding.summary and "113,500" in finding.summary


def test_volume_within_yield_is_lawful(world):
    area = make_area(world, ha=2)
    event, uri = harvest(area, "H1", 40_000)
    capture(world, "coop", event)
    house = make_house(world)
    out, _ = packing(house, [(uri, 40_000)], "P1", 38_000)
    capture(world, "packing", out)
    assert findings(world, "area_volume_over_yield") == []


def test_packing_more_of_an_area_than_it_harvested_counts(world):
    """Borrowed produce shows in the channel that carries it: a house packing 'lots of the
    area' far beyond what the area can grow."""
    area = make_area(world, ha=1)
    event, uri = harvest(area, "H1", 20_000)
    capture(world, "coop", event)
    house = make_house(world)
    docs = []
    for i in range(4):  # lots "of" the area that no harvest made
        out, _ = packing(
            house, [(lot(area.code, f"B{i}"), 20_000)], f"P{i}", 19_000, day=f"2026-06-0{i + 2}"
        )
        docs.append(out)
    capture(world, "packing", *docs)
    [finding] = findings(world, "area_volume_over_yield")
    assert finding.figures["channel"] == "packed"
    assert finding.figures["packed_kg"] == 80_000 and finding.figures["harvested_kg"] == 20_000
    assert finding.event_count == 4 and lot(area.code, "B0") in finding.lots


def test_plot_over_its_yield(world):
    area = make_area(world, ha=3)
    plot = area.plots.get()
    small = area.plots.model.objects.create(
        household=plot.household,
        area=area,
        label="small",
        crop=area.crop,
        geometry=plot.geometry,
        area_m2=1000,
        min_lon=0,
        min_lat=0,
        max_lon=0,
        max_lat=0,
        centroid_lon=0,
        centroid_lat=0,
    )
    event, _ = harvest(area, "H1", 10_000, plots=[small])  # 0.1 ha can grow 2,270 kg
    lawful, _ = harvest(area, "H2", 20_000, plots=[plot])
    capture(world, "coop", event, lawful)
    [finding] = findings(world, "plot_volume_over_yield")
    assert [p["label"] for p in finding.figures["plots"]] == ["small"]
    assert finding.figures["plots"][0]["can_grow_kg"] == pytest.approx(2_270)
    assert finding.ratio == pytest.approx(10_000 / (2_270 * 1.2), rel=1e-3)
    assert findings(world, "area_volume_over_yield") == []


def test_volume_anomaly_against_peers_is_explained(world):
    areas = [make_area(world, ha=1) for _ in range(5)]
    events = []
    for i, area in enumerate(areas[:4]):
        event, _ = harvest(area, "H", 10_000 + i * 200)
        events.append(event)
    jump, _ = harvest(areas[4], "H", 26_000)
    capture(world, "coop", *events, jump)
    [finding] = findings(world, "volume_anomaly")
    assert finding.subject_id == areas[4].pk
    features = {e["feature"]: e for e in finding.explanation}
    assert features["against_peers"]["value"] > 3.5
    assert features["kg_per_ha"]["value"] == 26_000
    assert finding.figures["peers"] == 4
