"""Rule group 5: one code's produce at packing houses too far apart on one local day.

The full scan groups the province's packings and receivings in SQL by (area, day) and keeps
only the groups at more than one house (and the few lots of an area's namespace with no
harvest, whose area is read from their URI); only those groups' events are read."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Case, Count, F, Q, When
from django.utils.translation import gettext as _

from agritrace.misuse.findings import Finding
from agritrace.registry.models import PackingHouse, PlantingArea
from agritrace.trace.models import EventEPC, Lot

from . import scope
from .base import Context, code_of_lot, lot_prefix
from .capacity import _use_rows
from .harvests import _area_info, _finding
from .patterns import _distance_km


def _groups(ctx: Context) -> dict[tuple[int, date], dict[int, set[int]]]:
    """{(area, day): {house: event ids}} of the run's areas' lots received or packed at more
    than one house on a local day."""
    rows = _use_rows(
        EventEPC.objects.filter(event__event_time__gte=ctx.start, event__event_time__lt=ctx.end)
    )
    areas = scope.areas(ctx)
    named_lot = Case(
        When(lot__origin_area__isnull=True, lot__uri__startswith=lot_prefix(), then=F("lot_id")),
        default=None,
    )
    grouped = list(
        rows.annotate(named_lot=named_lot)
        .filter(Q(lot__origin_area__in=areas) | Q(named_lot__isnull=False))
        .values("lot__origin_area", "named_lot", "day")
        .annotate(houses=Count("event__packing_house", distinct=True))
        .filter(Q(houses__gt=1) | Q(named_lot__isnull=False))
        .values_list("lot__origin_area", "named_lot", "day")
    )
    named: dict[int, int] = {}
    lots = {lot for area, lot, _d in grouped if area is None}
    if lots:
        codes = {
            pk: code_of_lot(uri)
            for pk, uri in Lot.objects.filter(pk__in=lots).values_list("pk", "uri")
        }
        holders = dict(
            PlantingArea.objects.filter(
                pk__in=areas, code__in={c for c in codes.values() if c}
            ).values_list("code", "pk")
        )
        named = {pk: holders[c] for pk, c in codes.items() if c in holders}
    wanted = {(area, day) for area, _lot, day in grouped if area is not None}
    wanted |= {(named[lot], day) for area, lot, day in grouped if area is None and lot in named}
    if not wanted:
        return {}
    seen: dict[tuple[int, date], dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    days = {day for _a, day in wanted}
    for area, day, house, event in rows.filter(
        lot__origin_area__in={a for a, _d in wanted}
    ).values_list("lot__origin_area", "day", "event__packing_house", "event_id"):
        if (area, day) in wanted:
            seen[(area, day)][house].add(event)
    if named:
        for lot, day, house, event in rows.filter(lot__in=sorted(named)).values_list(
            "lot_id", "day", "event__packing_house", "event_id"
        ):
            if day in days:
                seen[(named[lot], day)][house].add(event)
    return {k: v for k, v in seen.items() if len(v) > 1}


def houses_far_apart(ctx: Context) -> list[Finding]:
    """An area's lots received or packed on one local day at packing houses farther apart
    than `distance_km` (houses without coordinates are not judged)."""
    rule = "houses_far_apart"
    limit = float(ctx.threshold(rule, "distance_km", 150))
    multi = _groups(ctx)
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
        placed = sorted(h for h in houses if h in where)
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
