"""Rule group 2: a packing house beyond its capacity, or packing produce of areas it has no
supply contract with."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.misuse import totals
from agritrace.misuse.findings import EVIDENCE_CAP, Finding
from agritrace.registry.models import CodeAuthorisation, PlantingArea, SupplyContract
from agritrace.trace.models import EventEPC

from .base import HANDLED_ROLES, INPUT_ROLES, Context, code_of_lot, kg_expression

PACKING_STEPS = ("packing",)


def packed_rows(epcs):
    """The `EventEPC` rows among `epcs` that a packing house packed (what its packings took
    in)."""
    return epcs.filter(
        event__packing_house__isnull=False,
        event__biz_step__in=PACKING_STEPS,
        event__error_declaration__isnull=True,
        role__in=(*INPUT_ROLES, *HANDLED_ROLES),
    )


def _packed(ctx: Context, house_ids: list[int]):
    return packed_rows(
        EventEPC.objects.filter(
            event__packing_house__in=house_ids,
            event__event_time__gte=ctx.start,
            event__event_time__lt=ctx.end,
        )
    )


def packed_by_day(rows) -> list[tuple[int, date, object]]:
    """(house, local day, kg) of packed rows, summed in SQL."""
    zone = timezone.get_current_timezone()
    return list(
        rows.annotate(day=TruncDate("event__event_time", tzinfo=zone))
        .values("event__packing_house", "day")
        .annotate(kg=Sum(kg_expression()))
        .values_list("event__packing_house", "day", "kg")
    )


def house_over_capacity(ctx: Context) -> list[Finding]:
    """Kilograms packed (what packings took in) per day, summed over every window of
    `window_days` consecutive days, against capacity (t/day) × days × tolerance."""
    rule = "house_over_capacity"
    window = int(ctx.threshold(rule, "window_days", 7))
    tolerance = float(ctx.threshold(rule, "tolerance", 1.1))
    houses = {
        h["pk"]: h for h in ctx.houses().values("pk", "code", "capacity_t_per_day", "operator_id")
    }
    zone = timezone.get_current_timezone()
    first_day, end_day = (timezone.localtime(t).date() for t in (ctx.start, ctx.end))
    if ctx.subjects is None:  # the full scan sums in SQL and rebuilds the running totals
        rows = packed_by_day(_packed(ctx, list(houses)))
        totals.store_packed(houses, first_day, end_day, rows)
        per_day: dict[int, dict[date, float]] = defaultdict(dict)
        for house, day, kg in rows:
            if kg:
                per_day[house][day] = float(kg)
    else:  # a capture added its packings to the totals (`incremental.record_totals`)
        per_day = totals.read_packed(houses, first_day, end_day)
    findings = []
    for house, days in per_day.items():
        h = houses[house]
        capacity = float(h["capacity_t_per_day"] or 0) * 1000
        limit = capacity * window * tolerance
        worst = (0.0, None)
        for first in sorted(days):
            total = sum(days.get(first + timedelta(d), 0.0) for d in range(window))
            if total > worst[0]:
                worst = (total, first)
        kg, first = worst
        if first is None or kg <= limit:
            continue
        last = first + timedelta(window - 1)
        start = datetime.combine(first, time(0), tzinfo=zone)
        end = start + timedelta(days=window)
        rows = _packed(ctx, [house]).filter(event__event_time__gte=start, event__event_time__lt=end)
        events = rows.values_list("event_id", flat=True).distinct().order_by("event_id")
        lots = rows.values_list("lot__uri", flat=True).distinct().order_by("lot__uri")
        findings.append(
            Finding(
                rule=rule,
                season=ctx.season,
                subject_kind="packing_house",
                subject_id=house,
                code=h["code"] or "",
                figures={
                    "kg": round(kg, 3),
                    "window_from": first.isoformat(),
                    "window_to": last.isoformat(),
                    "capacity_t_per_day": float(h["capacity_t_per_day"] or 0),
                    "capacity_kg": round(capacity * window, 3),
                    "busiest_day_kg": round(max(days.values()), 3),
                    "days_packing": len(days),
                },
                threshold={"window_days": window, "tolerance": tolerance, "limit_kg": limit},
                events=list(events[:EVIDENCE_CAP]),
                event_count=events.count(),
                lots=list(lots[:EVIDENCE_CAP]),
                lot_count=lots.count(),
                party_id=h["operator_id"],
                ratio=kg / limit if limit else kg,
                summary=_(
                    "Packing house %(code)s packed %(kg)s kg from %(first)s to %(last)s against "
                    "a capacity of %(cap)s kg in %(days)d days."
                )
                % {
                    "code": h["code"],
                    "kg": f"{kg:,.0f}",
                    "first": first.isoformat(),
                    "last": last.isoformat(),
                    "cap": f"{capacity * window:,.0f}",
                    "days": window,
                },
            )
        )
    return findings


def house_uses(epcs) -> list[tuple[int, date, int, str, int]]:
    """(house, local day, event, lot URI, area) of the packings and receivings among `epcs`
    (EventEPC rows) of lots of an area: its harvest lots, or lots of its namespace with no
    harvest."""
    zone = timezone.get_current_timezone()
    rows = (
        epcs.filter(
            event__packing_house__isnull=False,
            event__biz_step__in=(*PACKING_STEPS, "receiving"),
            event__error_declaration__isnull=True,
            role__in=(*INPUT_ROLES, *HANDLED_ROLES),
        )
        .annotate(day=TruncDate("event__event_time", tzinfo=zone))
        .values_list("event__packing_house", "day", "event_id", "lot__uri", "lot__origin_area")
    )
    uses: list[tuple[int, date, int, str, int]] = []
    pending: list[tuple[int, date, int, str, str]] = []
    for house, day, event, uri, origin in rows.iterator(chunk_size=5000):
        if origin is not None:
            uses.append((house, day, event, uri, origin))
        else:
            code = code_of_lot(uri)
            if code:
                pending.append((house, day, event, uri, code))
    if pending:
        codes = dict(
            PlantingArea.objects.filter(code__in={p[4] for p in pending}).values_list("code", "pk")
        )
        uses += [(h, d, e, u, codes[c]) for h, d, e, u, c in pending if c in codes]
    return uses


def _uncovered(houses: dict[int, dict], ranges: list[tuple[int, int, date, date]]) -> set[int]:
    """The houses having a (house, area) pair whose days of use [first, last] are not all
    within one supply contract (house, area) and whose area's representative is not the
    house's operator: only those can have a use without a contract."""
    if not ranges:
        return set()
    areas = {a for _h, a, _f, _l in ranges}
    representative = dict(
        PlantingArea.objects.filter(pk__in=areas).values_list("pk", "representative_id")
    )
    contracts = defaultdict(list)
    for house, area, start, end in SupplyContract.objects.filter(
        area__in=areas, packing_house__in=list(houses)
    ).values_list("packing_house_id", "area_id", "valid_from", "valid_to"):
        contracts[(house, area)].append((start, end))
    out: set[int] = set()
    for house, area, first, last in ranges:
        if representative.get(area) == houses[house]["operator_id"]:
            continue
        if any(s <= first and last <= e for s, e in contracts[(house, area)]):
            continue
        out.add(house)
    return out


def house_without_contract(ctx: Context) -> list[Finding]:
    """Packings and receivings at a house of lots of an area (harvest lots, or lots of the
    area's namespace with no harvest) when on the day no supply contract (house, area) was
    in force, the house's operator held no authorisation for the area and is not its
    representative (the links the capture check `packing_unlinked` accepts).

    The full scan judges every use and rebuilds the running totals of the days each house
    used each area (`HouseAreaUse`); a run over a few houses judges only the houses with a
    pair of those days not within one contract (the others can have no use without one)."""
    rule = "house_without_contract"
    houses = {h["pk"]: h for h in ctx.houses().values("pk", "code", "operator_id")}
    judged = list(houses)
    if ctx.subjects is not None:
        judged = sorted(_uncovered(houses, totals.read_house_areas(houses, ctx.season)))
        if not judged:
            return []
    uses = house_uses(
        EventEPC.objects.filter(
            event__packing_house__in=judged,
            event__event_time__gte=ctx.start,
            event__event_time__lt=ctx.end,
        )
    )
    if ctx.subjects is None:
        totals.store_house_areas(houses, ctx.season, uses)
    if not uses:
        return []
    area_ids = {u[4] for u in uses}
    contracts = defaultdict(list)
    for c in SupplyContract.objects.filter(area__in=area_ids, packing_house__in=list(houses)):
        contracts[(c.packing_house_id, c.area_id)].append(c)
    grants = defaultdict(list)
    for g in CodeAuthorisation.objects.filter(area__in=area_ids):
        grants[(g.grantee_id, g.area_id)].append(g)
    areas = {
        a["pk"]: a
        for a in PlantingArea.objects.filter(pk__in=area_ids).values(
            "pk", "code", "representative_id"
        )
    }
    bad: dict[int, list[tuple]] = defaultdict(list)
    for house, day, event, uri, area in uses:
        operator = houses[house]["operator_id"]
        if areas[area]["representative_id"] == operator:
            continue
        if any(c.valid_from <= day <= c.valid_to for c in contracts[(house, area)]):
            continue
        if any(g.is_active_on(day) for g in grants[(operator, area)]):
            continue
        bad[house].append((day, event, uri, area))
    findings = []
    for house, found in bad.items():
        by_area: dict[int, set[int]] = defaultdict(set)
        for _day, event, _uri, area in found:
            by_area[area].add(event)
        listed = sorted(areas[a]["code"] or str(a) for a in by_area)
        findings.append(
            Finding(
                rule=rule,
                season=ctx.season,
                subject_kind="packing_house",
                subject_id=house,
                code=houses[house]["code"] or "",
                figures={
                    "areas": [
                        {"area": a, "code": areas[a]["code"], "events": len(es)}
                        for a, es in sorted(by_area.items())
                    ],
                    "first": min(f[0] for f in found).isoformat(),
                    "last": max(f[0] for f in found).isoformat(),
                },
                threshold={"supply_contract": "in force on the event's day"},
                events=[f[1] for f in found],
                lots=[f[2] for f in found],
                party_id=houses[house]["operator_id"],
                summary=_(
                    "Packing house %(code)s packed or received produce of %(areas)s in "
                    "%(season)s with no supply contract in force."
                )
                % {
                    "code": houses[house]["code"],
                    "areas": ", ".join(listed),
                    "season": ctx.season,
                },
            )
        )
    return findings
