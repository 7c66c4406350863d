"""The harvest rules' edges, now that each is one SQL statement (detect/harvests.py): the
calendar margin's first and last lawful day, the diary's look-back window counted in days on
both engines, the spray's interval per crop, and a run over a few areas equal to the full
scan's."""

from datetime import date, timedelta

import pytest

from agritrace.diary.models import DiaryEntry, PesticidePHI
from agritrace.misuse.scan import scan

from .conftest import capture, harvest, make_area

pytestmark = pytest.mark.django_db


def findings(world, rule, areas=None):
    subjects = None if areas is None else {"area": {a.pk for a in areas}}
    return scan(world.province, "2026", rules=[rule], subjects=subjects)


def test_season_margin_edges(world):
    """Durian in Đắk Lắk: August–September ± 15 days, so 17 July and 15 October are lawful,
    16 July and 16 October are not; days are local days (a harvest at 07:00 local is on
    the day before in UTC)."""
    area, lawful = make_area(world), make_area(world)
    days = ["2026-07-16", "2026-07-17", "2026-10-15", "2026-10-16"]
    events = [harvest(area, f"H{i}", 100, day=d)[0] for i, d in enumerate(days)]
    events += [harvest(lawful, "H1", 100, day="2026-07-17")[0]]
    job = capture(world, "coop", *events)
    [finding] = findings(world, "harvest_out_of_season")
    assert finding.subject_id == area.pk
    assert finding.figures["days"] == ["2026-07-16", "2026-10-16"]
    by_day = {e.event_time.date(): e.pk for e in job.events.filter(area=area)}
    # 07:00 local is 00:00 UTC: the same date in both
    assert finding.events == sorted([by_day[date(2026, 7, 16)], by_day[date(2026, 10, 16)]])
    assert findings(world, "harvest_out_of_season", [area, lawful]) == [finding]
    assert findings(world, "harvest_out_of_season", [lawful]) == []


def test_diary_lookback_edges(world):
    """An entry on the harvest day or exactly `lookback_days` before covers it; one day
    earlier, or after the harvest, does not; a harvest entry never counts."""
    harvest_day = date(2026, 8, 20)
    covered_today, covered_edge, too_early, after, only_harvest = (
        make_area(world) for _ in range(5)
    )
    DiaryEntry.objects.create(area=covered_today, kind="fertilising", date=harvest_day)
    DiaryEntry.objects.create(area=covered_edge, kind="pruning", date=harvest_day - timedelta(180))
    DiaryEntry.objects.create(area=too_early, kind="fertilising", date=harvest_day - timedelta(181))
    DiaryEntry.objects.create(area=after, kind="fertilising", date=harvest_day + timedelta(1))
    DiaryEntry.objects.create(area=only_harvest, kind="harvest", date=harvest_day)
    areas = [covered_today, covered_edge, too_early, after, only_harvest]
    capture(world, "coop", *(harvest(a, "H1", 100, day=harvest_day.isoformat())[0] for a in areas))
    found = findings(world, "harvest_without_diary")
    assert {f.subject_id for f in found} == {too_early.pk, after.pk, only_harvest.pk}
    by_area = {f.subject_id: f for f in found}
    assert by_area[after.pk].figures == {"days": ["2026-08-20"], "diary_entries": 1}
    assert by_area[too_early.pk].figures["diary_entries"] == 1  # within the season's look-back
    assert by_area[only_harvest.pk].figures["diary_entries"] == 0
    assert findings(world, "harvest_without_diary", areas) == found


def test_spray_interval_per_crop_and_day(world):
    """A spray on the harvest day is within its interval; a spray after the harvest, or of
    a pesticide whose interval is for another crop only, is not."""
    phi = PesticidePHI.objects.filter(crop__code="durian").select_related("pesticide").first()
    other = PesticidePHI.objects.exclude(pesticide=phi.pesticide).exclude(
        pesticide__phis__crop__code="durian"
    )
    harvest_day = date(2026, 8, 20)
    same_day, later = make_area(world), make_area(world)
    DiaryEntry.objects.create(
        area=same_day, kind="spraying", pesticide=phi.pesticide, date=harvest_day
    )
    DiaryEntry.objects.create(
        area=later, kind="spraying", pesticide=phi.pesticide, date=harvest_day + timedelta(1)
    )
    areas = [same_day, later]
    if other.exists():
        wrong_crop = make_area(world)
        DiaryEntry.objects.create(
            area=wrong_crop,
            kind="spraying",
            pesticide=other.first().pesticide,
            date=harvest_day - timedelta(1),
        )
        areas.append(wrong_crop)
    capture(world, "coop", *(harvest(a, "H1", 100, day=harvest_day.isoformat())[0] for a in areas))
    [finding] = findings(world, "harvest_within_phi")
    assert finding.subject_id == same_day.pk
    [row] = finding.figures["harvests"]
    assert row["days_after"] == 0 and row["phi_days"] == phi.phi_days
    assert finding.ratio == phi.phi_days  # the interval over max(1, days after)
    assert findings(world, "harvest_within_phi", areas) == [finding]
