"""Rule group 2: a packing house beyond its capacity, or packing produce of areas it has no
supply contract with."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Exists, F, Max, Min, OuterRef, Q, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.misuse import totals
from agritrace.misuse.findings import EVIDENCE_CAP, Finding
from agritrace.registry.models import CodeAuthorisation, PlantingArea, SupplyContract
from agritrace.trace.models import EventEPC, Lot

from .base import HANDLED_ROLES, INPUT_ROLES, Context, code_of_lot, lot_prefix
from .sums import sum_kg

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
    """(house, local day, kg) of packed rows, summed in SQL (`sums.sum_kg`)."""
    zone = timezone.get_current_timezone()
    sums = sum_kg(
        rows.annotate(day=TruncDate("event__event_time", tzinfo=zone)),
        "event__packing_house",
        "day",
    )
    return [(house, day, kg) for (house, day), kg in sorted(sums.items())]


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


def _use_rows(epcs):
    """The packings and receivings among `epcs` (EventEPC rows) at a packing house, with
    their local `day`."""
    zone = timezone.get_current_timezone()
    return (
        epcs.filter(
            event__packing_house__isnull=False,
            event__biz_step__in=(*PACKING_STEPS, "receiving"),
            event__error_declaration__isnull=True,
            role__in=(*INPUT_ROLES, *HANDLED_ROLES),
        )
        .annotate(day=TruncDate("event__event_time", tzinfo=zone))
        .order_by()
    )


def _named_uses(rows) -> list[tuple[int, date, int, str, int]]:
    """(house, day, event, lot URI, area) of use rows of lots with no harvest behind them
    whose URI is of an area's namespace (a few: read and matched in Python)."""
    pending = [
        (house, day, event, uri, code_of_lot(uri))
        for house, day, event, uri in rows.filter(
            lot__origin_area__isnull=True, lot__uri__startswith=lot_prefix()
        ).values_list("event__packing_house", "day", "event_id", "lot__uri")
    ]
    pending = [p for p in pending if p[4]]
    if not pending:
        return []
    codes = dict(
        PlantingArea.objects.filter(code__in={p[4] for p in pending}).values_list("code", "pk")
    )
    return [(h, d, e, u, codes[c]) for h, d, e, u, c in pending if c in codes]


def house_uses(epcs) -> list[tuple[int, date, int, str, int]]:
    """(house, local day, event, lot URI, area) of the packings and receivings among `epcs`
    (EventEPC rows) of lots of an area: its harvest lots, or lots of its namespace with no
    harvest."""
    rows = _use_rows(epcs)
    uses = list(
        rows.filter(lot__origin_area__isnull=False).values_list(
            "event__packing_house", "day", "event_id", "lot__uri", "lot__origin_area"
        )
    )
    return uses + _named_uses(rows)


def _unlinked(rows, area: str):
    """The use rows whose `area` (a path to the area's id) had, on the day, no supply
    contract with the house, no authorisation of the house's operator and another
    representative than the house's operator (what `packing_unlinked` accepts)."""
    house, operator = "event__packing_house", "event__packing_house__operator"
    contracts = SupplyContract.objects.filter(
        packing_house=OuterRef(house),
        area=OuterRef(area),
        valid_from__lte=OuterRef("day"),
        valid_to__gte=OuterRef("day"),
    )
    grants = CodeAuthorisation.objects.filter(
        Q(withdrawn_from__isnull=True) | Q(withdrawn_from__gt=OuterRef("day")),
        grantee=OuterRef(operator),
        area=OuterRef(area),
        valid_from__lte=OuterRef("day"),
        valid_to__gte=OuterRef("day"),
    )
    representative = PlantingArea.objects.filter(
        pk=OuterRef(area), representative=OuterRef(operator)
    )
    return rows.filter(~Exists(contracts), ~Exists(grants), ~Exists(representative))


def _uncovered_pairs(
    houses: dict[int, dict], ranges: list[tuple[int, int, date, date]]
) -> set[tuple[int, int]]:
    """The (house, area) pairs whose days of use [first, last] are not all within one
    supply contract (house, area) and whose area's representative is not the house's
    operator: only those can have a use without a contract."""
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
    out: set[tuple[int, int]] = set()
    for house, area, first, last in ranges:
        if representative.get(area) == houses[house]["operator_id"]:
            continue
        if any(s <= first and last <= e for s, e in contracts[(house, area)]):
            continue
        out.add((house, area))
    return out


def _uncovered(houses: dict[int, dict], ranges: list[tuple[int, int, date, date]]) -> set[int]:
    """The houses having an uncovered pair (`_uncovered_pairs`)."""
    return {house for house, _area in _uncovered_pairs(houses, ranges)}


def _spans(rows) -> tuple[list[tuple[int, int, date, date]], dict[int, int]]:
    """([(house, area, first day, last day)], {lot: area}) of use rows, grouped in SQL in one
    pass: by the harvest lot's area, or by the lot for lots with no harvest behind them of
    an area's namespace (matched to their area in Python, by the code in the URI)."""
    named_lot = Case(
        When(
            lot__origin_area__isnull=True,
            lot__uri__startswith=lot_prefix(),
            then=F("lot_id"),
        ),
        default=None,
    )
    grouped = list(
        rows.annotate(named_lot=named_lot)
        .filter(Q(lot__origin_area__isnull=False) | Q(named_lot__isnull=False))
        .values("event__packing_house", "lot__origin_area", "named_lot")
        .annotate(first=Min("day"), last=Max("day"))
        .values_list("event__packing_house", "lot__origin_area", "named_lot", "first", "last")
    )
    lots = {lot for _h, area, lot, _f, _l in grouped if area is None}
    named: dict[int, int] = {}
    if lots:
        codes = {
            pk: code_of_lot(uri)
            for pk, uri in Lot.objects.filter(pk__in=lots).values_list("pk", "uri")
        }
        areas = dict(
            PlantingArea.objects.filter(code__in={c for c in codes.values() if c}).values_list(
                "code", "pk"
            )
        )
        named = {pk: areas[c] for pk, c in codes.items() if c in areas}
    merged: dict[tuple[int, int], list[date]] = {}
    for house, area, lot, first, last in grouped:
        area = area if area is not None else named.get(lot)
        if area is None:
            continue
        span = merged.setdefault((house, area), [first, last])
        span[0], span[1] = min(span[0], first), max(span[1], last)
    return [(h, a, f, last) for (h, a), (f, last) in sorted(merged.items())], named


def _judge_named(
    uses: list[tuple[int, date, int, str, int]], houses: dict[int, dict]
) -> list[tuple[int, date, int, str, int]]:
    """The uses (house, day, event, uri, area) with no link on the day (as `_unlinked`),
    judged in Python: the few uses of lots of an area's namespace."""
    area_ids = {u[4] for u in uses}
    contracts = defaultdict(list)
    for c in SupplyContract.objects.filter(area__in=area_ids, packing_house__in=list(houses)):
        contracts[(c.packing_house_id, c.area_id)].append(c)
    grants = defaultdict(list)
    for g in CodeAuthorisation.objects.filter(area__in=area_ids):
        grants[(g.grantee_id, g.area_id)].append(g)
    representative = dict(
        PlantingArea.objects.filter(pk__in=area_ids).values_list("pk", "representative_id")
    )
    out = []
    for house, day, event, uri, area in uses:
        operator = houses[house]["operator_id"]
        if representative[area] == operator:
            continue
        if any(c.valid_from <= day <= c.valid_to for c in contracts[(house, area)]):
            continue
        if any(g.is_active_on(day) for g in grants[(operator, area)]):
            continue
        out.append((house, day, event, uri, area))
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
    rows = _use_rows(
        EventEPC.objects.filter(
            event__packing_house__in=judged,
            event__event_time__gte=ctx.start,
            event__event_time__lt=ctx.end,
        )
    )
    spans, named = _spans(rows)
    if ctx.subjects is None:  # the running totals: each (house, area)'s first and last day
        totals.store_house_spans(houses, ctx.season, spans)
    pairs = _uncovered_pairs(houses, spans)
    if not pairs:
        return []
    # the uses of the uncovered pairs, judged one by one
    pair_houses, pair_areas = {h for h, _a in pairs}, {a for _h, a in pairs}
    fields = ("event__packing_house", "day", "event_id", "lot__uri", "lot__origin_area")
    candidates = rows.filter(event__packing_house__in=pair_houses)
    uses = [
        use
        for use in _unlinked(candidates.filter(lot__origin_area__in=pair_areas), "lot__origin_area")
        .values_list(*fields)
        .order_by(*fields)
        if (use[0], use[4]) in pairs
    ]
    lots = sorted(lot for lot, area in named.items() if area in pair_areas)
    if lots:
        named_uses = [
            (house, day, event, uri, named[lot])
            for house, day, event, uri, lot in candidates.filter(lot__in=lots)
            .values_list(*fields[:4], "lot_id")
            .order_by(*fields[:4])
            if (house, named[lot]) in pairs
        ]
        uses += _judge_named(named_uses, houses)
    if not uses:
        return []
    area_ids = {u[4] for u in uses}
    areas = {
        a["pk"]: a
        for a in PlantingArea.objects.filter(pk__in=area_ids).values(
            "pk", "code", "representative_id"
        )
    }
    bad: dict[int, list[tuple]] = defaultdict(list)
    for house, day, event, uri, area in uses:
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
