"""Rule group 5: implausible patterns: one code at packing houses too far apart on one day,
harvests outside the crop's season calendar, with no diary or within a spray's pre-harvest
interval, and an exporter suddenly using many codes."""

from __future__ import annotations

import bisect
import calendar
import math
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.models import AUTHORITY_KINDS, Organisation
from agritrace.diary.models import DiaryEntry, EntryKind, PesticidePHI
from agritrace.misuse import totals
from agritrace.misuse.findings import EVIDENCE_CAP, Finding, season_bounds
from agritrace.misuse.parties import rows_with_parties
from agritrace.misuse.shipments import SHIPPING_STEPS
from agritrace.registry.models import PackingHouse, PlantingArea
from agritrace.supervision.models import SeasonCalendar
from agritrace.trace.models import Event, EventEPC

from .base import (
    HANDLED_ROLES,
    HARVEST_STEPS,
    INPUT_ROLES,
    Context,
    _chunks,
    named_lots,
    rows_by_area,
)


def _zone():
    return timezone.get_current_timezone()


def harvest_days(ctx: Context) -> dict[int, dict[date, set[int]]]:
    """{area: {local day: harvest event ids}} of the run's areas in the season."""
    out: dict[int, dict[date, set[int]]] = defaultdict(lambda: defaultdict(set))
    for area, day, event in (
        ctx.season_events()
        .filter(area__in=ctx.area_ids(), biz_step__in=HARVEST_STEPS)
        .annotate(day=TruncDate("event_time", tzinfo=_zone()))
        .values_list("area_id", "day", "pk")
    ):
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


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def houses_far_apart(ctx: Context) -> list[Finding]:
    """An area's lots received or packed on one local day at packing houses farther apart
    than `distance_km` (houses without coordinates are not judged)."""
    rule = "houses_far_apart"
    limit = float(ctx.threshold(rule, "distance_km", 150))
    area_ids = ctx.area_ids()
    named = named_lots(area_ids)
    base = EventEPC.objects.filter(
        event__packing_house__isnull=False,
        event__biz_step__in=("receiving", "packing"),
        event__event_time__gte=ctx.start,
        event__event_time__lt=ctx.end,
        event__error_declaration__isnull=True,
        role__in=(*INPUT_ROLES, *HANDLED_ROLES),
    ).annotate(day=TruncDate("event__event_time", tzinfo=_zone()))
    seen: dict[tuple[int, date], dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    fields = ("lot__origin_area", "day", "event__packing_house", "event_id")
    for area, day, house, event in base.filter(lot__origin_area__in=area_ids).values_list(*fields):
        seen[(area, day)][house].add(event)
    for chunk in _chunks(sorted(named)):
        for lot, day, house, event in base.filter(lot__in=chunk).values_list(
            "lot_id", "day", "event__packing_house", "event_id"
        ):
            seen[(named[lot], day)][house].add(event)
    multi = {k: v for k, v in seen.items() if len(v) > 1}
    if not multi:
        return []
    where = {
        h["pk"]: h
        for h in PackingHouse.objects.filter(
            pk__in={h for v in multi.values() for h in v}, lon__isnull=False, lat__isnull=False
        ).values("pk", "code", "lon", "lat")
    }
    worst: dict[int, tuple] = {}
    for (area, day), houses in multi.items():
        placed = [h for h in houses if h in where]
        for i, a in enumerate(placed):
            for b in placed[i + 1 :]:
                km = _distance_km(
                    (where[a]["lon"], where[a]["lat"]), (where[b]["lon"], where[b]["lat"])
                )
                if km > limit and (area not in worst or km > worst[area][0]):
                    worst[area] = (km, day, a, b, houses[a] | houses[b])
    info = _area_info(worst)
    return [
        _finding(
            ctx,
            rule,
            area,
            info[area],
            events,
            {
                "day": day.isoformat(),
                "distance_km": round(km, 1),
                "houses": [where[a]["code"], where[b]["code"]],
            },
            {"distance_km": limit},
            _(
                "Produce of code %(code)s was at packing houses %(a)s and %(b)s, %(km)s km "
                "apart, on %(day)s."
            )
            % {
                "code": info[area]["code"],
                "a": where[a]["code"],
                "b": where[b]["code"],
                "km": f"{km:.0f}",
                "day": day.isoformat(),
            },
            ratio=km / limit,
        )
        for area, (km, day, a, b, events) in sorted(worst.items())
    ]


def _in_calendar(day: date, cal: SeasonCalendar, margin: int) -> bool:
    for year in (day.year - 1, day.year, day.year + 1):
        start = date(year, cal.harvest_start_month, 1)
        end_year = year if cal.harvest_end_month >= cal.harvest_start_month else year + 1
        last = calendar.monthrange(end_year, cal.harvest_end_month)[1]
        end = date(end_year, cal.harvest_end_month, last)
        if start - timedelta(margin) <= day <= end + timedelta(margin):
            return True
    return False


def harvest_out_of_season(ctx: Context) -> list[Finding]:
    rule = "harvest_out_of_season"
    margin = int(ctx.threshold(rule, "margin_days", 15))
    days = harvest_days(ctx)
    info = _area_info(days)
    calendars = defaultdict(list)
    for cal in SeasonCalendar.objects.filter(crop__in={a["crop_id"] for a in info.values()}):
        calendars[cal.crop_id].append(cal)
    findings = []
    for area, by_day in sorted(days.items()):
        a = info[area]
        province = a["commune__parent__parent__name"] or a["commune__parent__name"]
        cals = [c for c in calendars[a["crop_id"]] if not c.provinces or province in c.provinces]
        if not cals:
            continue  # no calendar for the crop here: not judged
        out = sorted(d for d in by_day if not any(_in_calendar(d, c, margin) for c in cals))
        if not out:
            continue
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
    `lookback_days` before it."""
    rule = "harvest_without_diary"
    lookback = int(ctx.threshold(rule, "lookback_days", 180))
    days = harvest_days(ctx)
    if not days:
        return []
    entries = _diary_days(days, ctx, lookback)
    info = _area_info(days)
    findings = []
    for area, by_day in sorted(days.items()):
        dates = entries.get(area, [])
        bare = []
        for day in sorted(by_day):
            i = bisect.bisect_right(dates, day)
            if not (i and dates[i - 1] >= day - timedelta(lookback)):
                bare.append(day)
        if not bare:
            continue
        findings.append(
            _finding(
                ctx,
                rule,
                area,
                info[area],
                {e for d in bare for e in by_day[d]},
                {"days": [d.isoformat() for d in bare], "diary_entries": len(dates)},
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


def _diary_days(days, ctx, lookback) -> dict[int, list[date]]:
    """{area: sorted days of its diary entries other than harvests} around the season."""
    out: dict[int, list] = defaultdict(list)
    for area, day in (
        DiaryEntry.objects.filter(
            area__in=list(days),
            date__gte=ctx.start.date() - timedelta(lookback),
            date__lt=ctx.end.date(),
        )
        .exclude(kind=EntryKind.HARVEST)
        .values_list("area_id", "date")
        .order_by("area_id", "date")
    ):
        out[area].append(day)
    return out


def harvest_within_phi(ctx: Context) -> list[Finding]:
    """A harvest day on which a spray of the area (a pesticide with a PHI for the area's
    crop) had not yet passed its pre-harvest interval."""
    rule = "harvest_within_phi"
    days = harvest_days(ctx)
    if not days:
        return []
    info = _area_info(days)
    phi = {
        (p, c): d
        for p, c, d in PesticidePHI.objects.values_list("pesticide_id", "crop_id", "phi_days")
    }
    if not phi:
        return []
    longest = max(phi.values())
    sprays: dict[int, list] = defaultdict(list)
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
        sprays[area].append((day, pesticide, name))
    findings = []
    for area, by_day in sorted(days.items()):
        crop = info[area]["crop_id"]
        hits = []
        for day in sorted(by_day):
            for sprayed, pesticide, name in sprays.get(area, []):
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


def _parties_of_shipments(ctx: Context, start, end, parties: set[int] | None) -> dict:
    """{event id: (party, time)} for shipping events in [start, end) whose party is one of
    `parties` (None: those shipping from the province, captured there or at its areas);
    authorities are left out."""
    events = Event.objects.filter(
        biz_step__in=SHIPPING_STEPS,
        event_time__gte=start,
        event_time__lt=end,
        error_declaration__isnull=True,
    )
    if parties is None:
        events = events.filter(Q(province=ctx.province) | Q(area__in=ctx.area_ids()))
    authorities = set(
        Organisation.objects.filter(kind__in=AUTHORITY_KINDS).values_list("pk", flat=True)
    )
    return {
        pk: (party, when)
        for pk, when, party, _market in rows_with_parties(
            events, "pk", "event_time", parties=parties
        )
        if party and party not in authorities
    }


def firm_shipments(epcs, parties: set[int] | None) -> list[tuple[int, date, int, int]]:
    """(event, local day, area, party) of the shipments among `epcs` (EventEPC rows) by
    firms (`parties`, None: any), each joined to the areas behind its lots; authorities are
    left out."""
    epcs = epcs.filter(
        role__in=HANDLED_ROLES,
        event__biz_step__in=SHIPPING_STEPS,
        event__error_declaration__isnull=True,
    )
    authorities = set(
        Organisation.objects.filter(kind__in=AUTHORITY_KINDS).values_list("pk", flat=True)
    )
    return [
        (event, timezone.localtime(when).date(), area, party)
        for event, when, area, party, _market in rows_by_area(
            epcs, "event_id", "event__event_time", parties=parties
        )
        if party and party not in authorities
    ]


def _window_events(
    party: int, first: date, last: date, counts: dict[date, int]
) -> tuple[set[int], int]:
    """The first EVIDENCE_CAP shipment events of a firm on the days [first, last) that ship
    lots of a code, and how many there are (from the running totals)."""
    zone = _zone()
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last, datetime.min.time(), tzinfo=zone)
    count = sum(n for d, n in counts.items() if first <= d < last)
    candidates = (
        Event.objects.filter(
            Q(owning_party=party) | Q(owning_party__isnull=True, capture_org=party),
            biz_step__in=SHIPPING_STEPS,
            event_time__gte=start,
            event_time__lt=end,
            error_declaration__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    found: set[int] = set()
    after = 0
    while len(found) < EVIDENCE_CAP:
        chunk = list(candidates.filter(pk__gt=after)[:1000])
        if not chunk:
            break
        after = chunk[-1]
        found |= {
            event
            for event, _d, _a, _p in firm_shipments(
                EventEPC.objects.filter(event__in=chunk), {party}
            )
        }
    return set(sorted(found)[:EVIDENCE_CAP]), count


def _codes_in(by_day: dict[date, set[int]], start: date, days: int) -> set[int]:
    """The codes shipped on the `days` days from `start`."""
    out: set[int] = set()
    for k in range(days):
        out |= by_day.get(start + timedelta(k), set())
    return out


def exporter_code_surge(ctx: Context) -> list[Finding]:
    """A firm shipping lots of more distinct area codes within `window_days` than
    `min_codes`, and more than `factor` × the codes of its previous windows (the mean of
    the three windows before). The firm's shipments anywhere count (a surge is of the firm);
    a run over a province looks at the firms that shipped from it (captured there or of
    its areas' lots)."""
    rule = "exporter_code_surge"
    window = int(ctx.threshold(rule, "window_days", 30))
    min_codes = int(ctx.threshold(rule, "min_codes", 10))
    factor = float(ctx.threshold(rule, "factor", 3))
    limited = ctx.limited("organisation")
    if limited is not None and not limited:
        return []
    lookback = timedelta(days=3 * window)
    first_day = timezone.localtime(ctx.start - lookback).date()
    end_day = timezone.localtime(ctx.end).date()
    full = limited is None
    if full:
        found = _parties_of_shipments(ctx, ctx.start, ctx.end, None)
        limited = {party for party, _t in found.values()}
        if not limited:
            return []
        # every shipment of these firms, summed again from the lot graph and kept as the
        # running totals the incremental checks read
        uses_found = firm_shipments(
            EventEPC.objects.filter(
                event__event_time__gte=ctx.start - lookback, event__event_time__lt=ctx.end
            ),
            limited,
        )
        totals.store_shipments(limited, first_day, end_day, uses_found)
        codes_by_day: dict[int, dict[date, set[int]]] = defaultdict(lambda: defaultdict(set))
        events_of: dict[int, list[tuple[date, int, int]]] = defaultdict(list)
        for event, d, area, party in uses_found:
            codes_by_day[party][d].add(area)
            events_of[party].append((d, area, event))
    else:
        codes_by_day, counts = totals.read_shipments(limited, first_day, end_day)
    season_start, season_end = (d.date() for d in season_bounds(ctx.season))
    findings = []
    for party, by_day in sorted(codes_by_day.items()):
        best = None
        for first in sorted(d for d in by_day if season_start <= d < season_end):
            inside = _codes_in(by_day, first, window)
            before = [
                len(_codes_in(by_day, first - timedelta(window * (k + 1)), window))
                for k in range(3)
            ]
            earlier = sum(before) / 3
            if len(inside) > min_codes and len(inside) > earlier * factor:
                score = len(inside) / max(min_codes, earlier * factor)
                if best is None or score > best[0]:
                    best = (score, first, inside, earlier)
        if best is None:
            continue
        score, first, inside, earlier = best
        last = first + timedelta(window)
        if full:
            events = {e for d, a, e in events_of[party] if first <= d < last and a in inside}
            event_count = len(events)
        else:
            events, event_count = _window_events(party, first, last, counts[party])
        codes = dict(PlantingArea.objects.filter(pk__in=inside).values_list("pk", "code"))
        name = Organisation.objects.filter(pk=party).values_list("name", flat=True).first()
        findings.append(
            Finding(
                rule=rule,
                season=ctx.season,
                subject_kind="organisation",
                subject_id=party,
                figures={
                    "codes": len(inside),
                    "code_list": sorted(codes.get(a) or str(a) for a in inside),
                    "window_from": first.isoformat(),
                    "earlier_codes_per_window": round(earlier, 3),
                },
                threshold={"window_days": window, "min_codes": min_codes, "factor": factor},
                events=sorted(events),
                event_count=event_count,
                party_id=party,
                ratio=score,
                summary=_(
                    "%(name)s shipped lots of %(n)d codes in %(days)d days from %(first)s, "
                    "against %(earlier)s per window before."
                )
                % {
                    "name": name,
                    "n": len(inside),
                    "days": window,
                    "first": first.isoformat(),
                    "earlier": f"{earlier:.1f}",
                },
            )
        )
    return findings
