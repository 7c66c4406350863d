"""Rule groups 5 and 6: implausible patterns, registration overlaps and copied stamps."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from agritrace.diary.models import DiaryEntry, PesticidePHI
from agritrace.misuse.scan import scan
from agritrace.registry.models import CodeAuthorisation, Household, Market, Plot, PlotOverlap

from .conftest import at, capture, harvest, lot, make_area, make_house, shipping

pytestmark = pytest.mark.django_db


def findings(world, rule):
    return scan(world.province, "2026", rules=[rule])


def receiving(house, uri, kg, day):
    from decimal import Decimal

    from agritrace.trace import builders, services

    return builders.receiving(
        lots=[(uri, Decimal(kg), "KGM", "")],
        location=services.location_uri(house.code),
        moment=at(day, 11),
    ).event


def test_one_code_at_houses_far_apart_on_one_day(world):
    area = make_area(world, ha=5)
    near = make_house(world, lon=108.06, lat=12.68)
    far = make_house(world, lon=106.70, lat=10.78)  # about 260 km away
    one, a = harvest(area, "H1", 1_000, day="2026-08-10")
    two, b = harvest(area, "H2", 1_000, day="2026-08-10")
    capture(world, "coop", one, two)
    capture(world, "packing", receiving(near, a, 1_000, "2026-08-11"))
    job = capture(world, "packing", receiving(far, b, 1_000, "2026-08-11"))
    [finding] = findings(world, "houses_far_apart")
    assert finding.figures["day"] == "2026-08-11"
    assert sorted(finding.figures["houses"]) == sorted([near.code, far.code])
    assert finding.figures["distance_km"] > 150 and job.events.get().pk in finding.events


def test_houses_close_together_are_lawful(world):
    area = make_area(world, ha=5)
    one_house, other = make_house(world), make_house(world, lon=108.10, lat=12.70)
    one, a = harvest(area, "H1", 1_000, day="2026-08-10")
    two, b = harvest(area, "H2", 1_000, day="2026-08-10")
    capture(world, "coop", one, two)
    capture(world, "packing", receiving(one_house, a, 1_000, "2026-08-11"))
    capture(world, "packing", receiving(other, b, 1_000, "2026-08-11"))
    assert findings(world, "houses_far_apart") == []


def test_harvest_outside_the_season_calendar(world):
    """Durian in Đắk Lắk: August–September (supervision.SeasonCalendar), ± 15 days."""
    area = make_area(world)
    early, _ = harvest(area, "H1", 1_000, day="2026-05-01")
    lawful, _ = harvest(area, "H2", 1_000, day="2026-08-05")
    margin, _ = harvest(area, "H3", 1_000, day="2026-07-20")
    job = capture(world, "coop", early, lawful, margin)
    [finding] = findings(world, "harvest_out_of_season")
    assert finding.figures["days"] == ["2026-05-01"]
    assert finding.events == [job.events.order_by("event_time").first().pk]


def test_harvest_without_diary_and_with_one(world):
    bare, kept = make_area(world), make_area(world)
    DiaryEntry.objects.create(area=kept, kind="fertilising", date=date(2026, 7, 1))
    DiaryEntry.objects.create(area=bare, kind="harvest", date=date(2026, 8, 9))
    one, _ = harvest(bare, "H1", 1_000, day="2026-08-10")
    two, _ = harvest(kept, "H1", 1_000, day="2026-08-10")
    capture(world, "coop", one, two)
    [finding] = findings(world, "harvest_without_diary")
    assert finding.subject_id == bare.pk and finding.figures["days"] == ["2026-08-10"]


def test_harvest_within_the_pre_harvest_interval(world):
    phi = PesticidePHI.objects.filter(crop__code="durian").select_related("pesticide").first()
    area, lawful = make_area(world), make_area(world)
    harvest_day = date(2026, 8, 20)
    DiaryEntry.objects.create(
        area=area, kind="spraying", pesticide=phi.pesticide, date=harvest_day - timedelta(3)
    )
    DiaryEntry.objects.create(
        area=lawful,
        kind="spraying",
        pesticide=phi.pesticide,
        date=harvest_day - timedelta(phi.phi_days),
    )
    one, _ = harvest(area, "H1", 1_000, day=harvest_day.isoformat())
    two, _ = harvest(lawful, "H1", 1_000, day=harvest_day.isoformat())
    capture(world, "coop", one, two)
    [finding] = findings(world, "harvest_within_phi")
    assert finding.subject_id == area.pk
    [row] = finding.figures["harvests"]
    assert row["days_after"] == 3 and row["phi_days"] == phi.phi_days
    assert finding.ratio == pytest.approx(phi.phi_days / 3)


def _ship_codes(world, house, n, day, tag):
    exporter = world.orgs["exporter"]
    events = []
    for i in range(n):
        area = make_area(world)
        CodeAuthorisation.objects.create(
            area=area,
            grantee=exporter,
            market=Market.objects.get(code="CN"),
            valid_from=date(2025, 1, 1),
            valid_to=date(2026, 12, 31),
        )
        event, uri = harvest(area, f"H{tag}{i}", 500, day=day)
        capture(world, "coop", event)
        events.append(shipping(house, [(uri, 500)], shipper=exporter, day=day))
    capture(world, "exporter", *events)


def test_exporter_suddenly_using_many_codes(world):
    house = make_house(world)
    _ship_codes(world, house, 2, "2026-07-01", "a")
    _ship_codes(world, house, 12, "2026-08-15", "b")
    [finding] = findings(world, "exporter_code_surge")
    assert finding.subject_kind == "organisation"
    assert finding.subject_id == world.orgs["exporter"].pk
    assert finding.figures["codes"] == 12 and finding.figures["window_from"] == "2026-08-15"


def test_an_exporter_with_a_steady_few_codes_is_lawful(world):
    house = make_house(world)
    _ship_codes(world, house, 4, "2026-08-15", "a")
    assert findings(world, "exporter_code_surge") == []


def _plot(area, household, label):
    return Plot.objects.create(
        household=household,
        area=area,
        label=label,
        crop=area.crop,
        geometry={},
        area_m2=10_000,
        min_lon=0,
        min_lat=0,
        max_lon=0,
        max_lat=0,
        centroid_lon=0,
        centroid_lat=0,
    )


def test_plot_in_two_codes_and_overlapping_households(world):
    a, b = make_area(world), make_area(world)
    pa, pb = a.plots.get(), b.plots.get()
    PlotOverlap.objects.create(plot=pa, other=pb, overlap_m2=8_000)
    PlotOverlap.objects.create(plot=pb, other=pa, overlap_m2=8_000)
    neighbour = Household.objects.create(
        name="Hộ bên", commune=a.commune, representative=a.representative
    )
    pn = _plot(a, neighbour, "N")
    PlotOverlap.objects.create(plot=pn, other=pa, overlap_m2=500)  # 5%: below the share
    [one, two] = findings(world, "plot_in_two_codes")
    assert {one.subject_id, two.subject_id} == {a.pk, b.pk}
    assert one.figures["other_codes"] in ([a.code], [b.code])
    assert one.figures["largest_share"] == 0.8
    assert findings(world, "plot_overlaps_household") == []
    PlotOverlap.objects.filter(plot=pn).update(overlap_m2=4_000)
    [finding] = findings(world, "plot_overlaps_household")
    assert finding.subject_id == a.pk and finding.figures["overlaps"][0]["other"] == pa.pk


def test_copied_stamp(world):
    from agritrace.stamps.models import Stamp, StampBatch
    from agritrace.trace.models import Lot

    area = make_area(world)
    event, uri = harvest(area, "H1", 1_000, day="2026-08-10")
    capture(world, "coop", event)
    batch = StampBatch.objects.create(
        lot=Lot.objects.get(uri=uri),
        primary="x",
        key=area.code,
        lot_code="H1",
        requested_by=world.orgs["packing"],
        count=2,
    )
    Stamp.objects.create(serial="AAAA", batch=batch, key_id="k")
    Stamp.objects.create(serial="BBBB", batch=batch, key_id="k", suspected_copy_at=timezone.now())
    [finding] = findings(world, "stamp_copied")
    assert finding.figures["serials"] == ["BBBB"] and finding.lots == [uri]
    assert finding.party_id == world.orgs["packing"].pk
    assert lot(area.code, "H1") == uri
