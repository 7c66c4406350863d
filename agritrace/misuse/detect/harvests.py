"""Rule group 5, the harvest patterns: harvests outside the crop's season calendar, with no
diary entry before them, or within a spray's pre-harvest interval.

Each rule's full scan is one SQL statement returning only the harvests that break the rule
(the calendar as ranges of event times, the diary as an anti-join, the sprays as a
semi-join with the pesticides' intervals); Python then groups those few rows into findings
with the same figures and evidence as before."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import DateField, Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.diary.models import DiaryEntry, EntryKind, PesticidePHI
from agritrace.misuse.findings import Finding
from agritrace.registry.models import PlantingArea
from agritrace.supervision.models import SeasonCalendar

from . import scope
from .base import HARVEST_STEPS, Context


class AddDays(Func):
    """A date plus a number of days (an integer expression or value), on both engines:
    `date + n` on PostgreSQL, `date(d, 'n days')` on SQLite."""

    output_field = DateField()

    def __init__(self, expression, days) -> None:
        if isinstance(days, int):
            days = Value(days)
        super().__init__(expression, days)

    def as_sql(self, compiler, connection, **extra):
        (date_sql, date_params), (days_sql, days_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        return f"(({date_sql}) + ({days_sql}))", [*date_params, *days_params]

    def as_sqlite(self, compiler, connection, **extra):
        (date_sql, date_params), (days_sql, days_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        return f"date({date_sql}, ({days_sql}) || ' days')", [*date_params, *days_params]


def _zone():
    return timezone.get_current_timezone()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=_zone())


def harvests(ctx: Context, areas=None) -> QuerySet:
    """Harvest events of the run's areas (or of `areas`) in the season, with their local
    `day` (read from the index `trace_event_area_harvests`)."""
    return (
        ctx.season_events()
        .filter(area__in=scope.areas(ctx) if areas is None else areas, biz_step__in=HARVEST_STEPS)
        .annotate(day=TruncDate("event_time", tzinfo=_zone()))
        .order_by()
    )


def _by_area(rows) -> dict[int, dict[date, set[int]]]:
    """{area: {local day: event ids}} of (area, day, event) rows."""
    out: dict[int, dict[date, set[int]]] = defaultdict(lambda: defaultdict(set))
    for area, day, event in rows:
        out[area][day].add(event)
    return out


def _area_info(ids) -> dict[int, dict]:
    return {
        a["pk"]: a
        for a in PlantingArea.objects.filter(pk__in=list(ids)).values(
            "pk", "code", "crop_id", "commune__parent__name", "commune__parent__parent__name"
        )
    }


def _finding(ctx, rule, area, info, events, figures, threshold, summary, ratio=1.0, party=None):
    return Finding(
        rule=rule,
        season=ctx.season,
        subject_kind="area",
        subject_id=area,
        code=info["code"] or "",
        figures=figures,
        threshold=threshold,
        events=sorted(events),
        party_id=party,
        ratio=ratio,
        summary=summary,
    )


def _in_calendar(day: date, cal: SeasonCalendar, margin: int) -> bool:
    for year in (day.year - 1, day.year, day.year + 1):
        start = date(year, cal.harvest_start_month, 1)
        end_year = year if cal.harvest_end_month >= cal.harvest_start_month else year + 1
        last = calendar.monthrange(end_year, cal.harvest_end_month)[1]
        end = date(end_year, cal.harvest_end_month, last)
        if start - timedelta(margin) <= day <= end + timedelta(margin):
            return True
    return False


def _off_season(ctx: Context, cals: list[SeasonCalendar], margin: int) -> Q | None:
    """The event times of the season's local days outside every calendar (± margin), as
    ranges of `event_time` (an index range each), or None when there are none."""
    first, end = (timezone.localtime(t).date() for t in (ctx.start, ctx.end))
    ranges: list[list[date]] = []
    day = first
    while day < end:
        if not any(_in_calendar(day, c, margin) for c in cals):
            if ranges and ranges[-1][1] == day:
                ranges[-1][1] = day + timedelta(1)
            else:
                ranges.append([day, day + timedelta(1)])
        day += timedelta(1)
    if not ranges:
        return None
    q = Q()
    for start, stop in ranges:
        q |= Q(event_time__gte=_midnight(start), event_time__lt=_midnight(stop))
    return q


def harvest_out_of_season(ctx: Context) -> list[Finding]:
    """A harvest day outside every season calendar of the area's crop covering its province
    (± `margin_days`); no calendar: not judged. One query: the areas grouped by crop and
    province, each group's days outside its calendars as event-time ranges."""
    rule = "harvest_out_of_season"
    margin = int(ctx.threshold(rule, "margin_days", 15))
    areas = PlantingArea.objects.filter(pk__in=scope.areas(ctx))
    groups = list(
        areas.order_by()
        .values_list("crop_id", "commune__parent__name", "commune__parent__parent__name")
        .distinct()
    )
    calendars = defaultdict(list)
    for cal in SeasonCalendar.objects.filter(crop__in={g[0] for g in groups}):
        calendars[cal.crop_id].append(cal)
    where = Q(pk__in=[])
    cals_of: dict[tuple, list[SeasonCalendar]] = {}
    for crop, parent, grand in groups:
        province = grand or parent
        cals = [c for c in calendars[crop] if not c.provinces or province in c.provinces]
        if not cals:
            continue  # no calendar for the crop here: not judged
        times = _off_season(ctx, cals, margin)
        if times is None:
            continue
        cals_of[(crop, province)] = cals
        members = areas.filter(
            crop_id=crop, commune__parent__name=parent, commune__parent__parent__name=grand
        ).values("pk")
        where |= Q(area__in=members) & times
    days = _by_area(harvests(ctx).filter(where).values_list("area_id", "day", "pk"))
    info = _area_info(days)
    findings = []
    for area, by_day in sorted(days.items()):
        a = info[area]
        province = a["commune__parent__parent__name"] or a["commune__parent__name"]
        cals = cals_of[(a["crop_id"], province)]
        out = sorted(by_day)
        findings.append(
            _finding(
                ctx,
                rule,
                area,
                a,
                {e for d in out for e in by_day[d]},
                {
                    "days": [d.isoformat() for d in out],
                    "calendars": [
                        {
                            "label": c.label,
                            "from_month": c.harvest_start_month,
                            "to_month": c.harvest_end_month,
                            "region": c.region,
                        }
                        for c in cals
                    ],
                },
                {"margin_days": margin},
                _("Code %(code)s harvested on %(n)d day(s) outside the crop's season (%(first)s).")
                % {"code": a["code"], "n": len(out), "first": out[0].isoformat()},
            )
        )
    return findings


def harvest_without_diary(ctx: Context) -> list[Finding]:
    """A harvest day with no diary entry (other than a harvest) for the area in the
    `lookback_days` before it (the day itself included). One query: the harvests with no
    such entry (an anti-join on the diary's (area, kind, date) index)."""
    rule = "harvest_without_diary"
    lookback = int(ctx.threshold(rule, "lookback_days", 180))
    entries = DiaryEntry.objects.filter(
        area=OuterRef("area"),
        date__lte=OuterRef("day"),
        date__gte=AddDays(OuterRef("day"), -lookback),
    ).exclude(kind=EntryKind.HARVEST)
    days = _by_area(harvests(ctx).filter(~Exists(entries)).values_list("area_id", "day", "pk"))
    if not days:
        return []
    counts = defaultdict(int)
    for area in (
        DiaryEntry.objects.filter(
            area__in=list(days),
            date__gte=ctx.start.date() - timedelta(lookback),
            date__lt=ctx.end.date(),
        )
        .exclude(kind=EntryKind.HARVEST)
        .values_list("area_id", flat=True)
    ):
        counts[area] += 1
    info = _area_info(days)
    findings = []
    for area, by_day in sorted(days.items()):
        bare = sorted(by_day)
        findings.append(
            _finding(
                ctx,
                rule,
                area,
                info[area],
                {e for d in bare for e in by_day[d]},
                {"days": [d.isoformat() for d in bare], "diary_entries": counts[area]},
                {"lookback_days": lookback},
                _(
                    "Code %(code)s harvested on %(n)d day(s) with no farm diary entry in the "
                    "%(days)d days before (first: %(first)s)."
                )
                % {
                    "code": info[area]["code"],
                    "n": len(bare),
                    "days": lookback,
                    "first": bare[0].isoformat(),
                },
            )
        )
    return findings


def harvest_within_phi(ctx: Context) -> list[Finding]:
    """A harvest day on which a spray of the area (a pesticide with a PHI for the area's
    crop) had not yet passed its pre-harvest interval. One query finds the harvests with
    such a spray (a semi-join of the diary's sprays and the pesticides' intervals); the
    sprays of those areas alone are then read for the figures."""
    rule = "harvest_within_phi"
    phi = {
        (p, c): d
        for p, c, d in PesticidePHI.objects.values_list("pesticide_id", "crop_id", "phi_days")
    }
    if not phi:
        return []
    longest = max(phi.values())
    sprays = DiaryEntry.objects.filter(
        area=OuterRef("area"),
        kind=EntryKind.SPRAYING,
        date__lte=OuterRef("day"),
        date__gte=ctx.start.date() - timedelta(longest),
        pesticide__phis__crop=OuterRef("area__crop"),
        # within the interval: day < sprayed + PHI
        date__gt=AddDays(OuterRef("day"), -F("pesticide__phis__phi_days")),
    )
    days = _by_area(harvests(ctx).filter(Exists(sprays)).values_list("area_id", "day", "pk"))
    if not days:
        return []
    info = _area_info(days)
    # the hit areas' every harvest day and spray: a few rows, judged as before
    days = _by_area(harvests(ctx, areas=list(days)).values_list("area_id", "day", "pk"))
    found: dict[int, list] = defaultdict(list)
    for area, day, pesticide, name in (
        DiaryEntry.objects.filter(
            area__in=list(days),
            kind=EntryKind.SPRAYING,
            pesticide__isnull=False,
            date__gte=ctx.start.date() - timedelta(longest),
            date__lt=ctx.end.date(),
        )
        .values_list("area_id", "date", "pesticide_id", "pesticide__trade_name")
        .order_by("area_id", "date")
    ):
        found[area].append((day, pesticide, name))
    findings = []
    for area, by_day in sorted(days.items()):
        crop = info[area]["crop_id"]
        hits = []
        for day in sorted(by_day):
            for sprayed, pesticide, name in found.get(area, []):
                interval = phi.get((pesticide, crop))
                if interval is not None and sprayed <= day < sprayed + timedelta(interval):
                    hits.append((day, sprayed, name, interval))
        if not hits:
            continue
        worst = max(hits, key=lambda h: h[3] - (h[0] - h[1]).days)
        after = (worst[0] - worst[1]).days
        findings.append(
            _finding(
                ctx,
                rule,
                area,
                info[area],
                {e for h in hits for e in by_day[h[0]]},
                {
                    "harvests": [
                        {
                            "harvest": d.isoformat(),
                            "sprayed": s.isoformat(),
                            "pesticide": n,
                            "phi_days": i,
                            "days_after": (d - s).days,
                        }
                        for d, s, n, i in hits
                    ],
                },
                {"phi_days": worst[3]},
                _(
                    "Code %(code)s harvested on %(day)s, %(after)d day(s) after spraying "
                    "%(product)s whose pre-harvest interval is %(phi)d days."
                )
                % {
                    "code": info[area]["code"],
                    "day": worst[0].isoformat(),
                    "after": after,
                    "product": worst[2],
                    "phi": worst[3],
                },
                ratio=worst[3] / max(1, after),
            )
        )
    return findings
