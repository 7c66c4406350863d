"""Rule group 1: volume beyond what the area can grow (and its pattern cousin, a volume that
jumps against the area's own history and its peers).

An area's volume in a season is the largest of three channels, each summed in SQL:

* harvested: what harvest events at the area commissioned (`Event.area`, bizStep
  commissioning/harvesting);
* received: what receiving events (purchases, deliveries) took in of the area's harvest lots;
* packed: what packing transformations drew from the area's harvest lots.

One kilogram passes through all three on an honest chain, so they are not added: a code that
is borrowed shows in whichever channel carries the borrowed produce (a house packing 5 t "of"
an area that registered 1 t of harvests)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Sum
from django.db.models.fields.json import KT
from django.utils.translation import gettext as _

from agritrace.diary.models import CropYield
from agritrace.misuse import totals
from agritrace.misuse.findings import EVIDENCE_CAP, Finding, season_bounds
from agritrace.registry.models import PlantingArea, Plot
from agritrace.trace import builders
from agritrace.trace.models import Event, EventEPC, Lot

from .base import (
    HANDLED_ROLES,
    HARVEST_STEPS,
    INPUT_ROLES,
    Context,
    kg_expression,
    named_lots,
)
from .robust import Group, median_and_mad, robust_z
from .sums import sum_kg

CHANNELS = ("harvested", "received", "packed")


def _channel_rows(channel: str, area_ids: list[int], start: datetime, end: datetime):
    base = EventEPC.objects.filter(
        event__event_time__gte=start,
        event__event_time__lt=end,
        event__error_declaration__isnull=True,
    )
    if channel == "harvested":
        return base.filter(
            event__area__in=area_ids, event__biz_step__in=HARVEST_STEPS, role__in=HANDLED_ROLES
        ), "event__area"
    if channel == "received":
        return base.filter(
            lot__origin_area__in=area_ids, event__biz_step="receiving", role__in=HANDLED_ROLES
        ), "lot__origin_area"
    return base.filter(lot__origin_area__in=area_ids, role__in=INPUT_ROLES), "lot__origin_area"


def _named_rows(channel: str, lot_ids: list[int], start: datetime, end: datetime):
    base = EventEPC.objects.filter(
        lot__in=lot_ids,
        event__event_time__gte=start,
        event__event_time__lt=end,
        event__error_declaration__isnull=True,
    )
    if channel == "received":
        return base.filter(event__biz_step="receiving", role__in=HANDLED_ROLES), "lot"
    return base.filter(role__in=INPUT_ROLES), "lot"


def area_volumes(
    area_ids: list[int], start: datetime, end: datetime, named: dict[int, int] | None = None
) -> dict[int, dict]:
    """{area id: {"harvested": kg, "received": kg, "packed": kg, "kg": the largest,
    "channel": its name}} for the areas with any volume in [start, end)."""
    out: dict[int, dict] = defaultdict(lambda: dict.fromkeys(CHANNELS, 0.0))
    if not Event.objects.filter(event_time__gte=start, event_time__lt=end).exists():
        return {}  # no event at all in the period (an earlier season): nothing to sum
    for channel in CHANNELS:
        rows, key = _channel_rows(channel, area_ids, start, end)
        for (area,), kg in sum_kg(rows, key).items():
            if area is not None and kg:
                out[area][channel] = float(kg)
    if named is None:
        named = named_lots(area_ids)
    else:
        wanted = set(area_ids)
        named = {lot: area for lot, area in named.items() if area in wanted}
    if named:
        for channel in ("received", "packed"):
            rows, _key = _named_rows(channel, list(named), start, end)
            for (lot_id,), kg in sum_kg(rows, "lot_id").items():
                if kg:
                    out[named[lot_id]][channel] += float(kg)
    for figures in out.values():
        channel = max(CHANNELS, key=lambda c: figures[c])
        figures["channel"], figures["kg"] = channel, figures[channel]
    return dict(out)


def season_volumes(
    ctx: Context, area_ids: Iterable[int], season: str, communes: Iterable[int] | None = None
) -> dict[int, dict]:
    """The areas' volumes in a season (as `area_volumes`). The full scan sums them from the
    lot graph for every area of the province, once per season, and stores them as the
    running totals; an incremental run reads the totals (`incremental` refreshed those of
    the areas the document touched before the rules run)."""
    wanted = set(area_ids)
    if ctx.subjects is not None:
        return totals.read_area_volumes(wanted, season, communes)
    key = ("volumes", season)
    if key not in ctx._cache:
        every = ctx.area_ids()
        if "named" not in ctx._cache:
            ctx._cache["named"] = named_lots(every)
        start, end = season_bounds(season)
        volumes = area_volumes(every, start, end, ctx._cache["named"])
        totals.store_area_volumes(every, season, volumes)
        ctx._cache[key] = volumes
    return {area: figures for area, figures in ctx._cache[key].items() if area in wanted}


def refresh_volumes(area_ids: Iterable[int], season: str) -> None:
    """Recompute the areas' running totals of the season from the lot graph (after a
    captured document touched them)."""
    area_ids = sorted(set(area_ids))
    if area_ids:
        start, end = season_bounds(season)
        totals.store_area_volumes(area_ids, season, area_volumes(area_ids, start, end))


def _evidence(
    wanted: dict[int, str], ctx: Context
) -> dict[int, tuple[list[int], int, list[str], int]]:
    """{area: (first event ids, how many, first lot URIs, how many)} of the areas' channel
    (`wanted`: {area: channel}), in a few queries for all of them: per channel the distinct
    (area, event) and (area, lot URI) pairs, ordered by the database as before."""
    events: dict[int, list[int]] = defaultdict(list)
    lots: dict[int, list[str]] = defaultdict(list)
    named = {
        lot: area
        for lot, area in (
            ctx._cache["named"] if "named" in ctx._cache else named_lots(list(wanted))
        ).items()
        if area in wanted and wanted[area] != "harvested"
    }
    for channel in sorted(set(wanted.values())):
        ids = sorted(a for a, c in wanted.items() if c == channel)
        rows, key = _channel_rows(channel, ids, ctx.start, ctx.end)
        queries = [(rows, key)]
        mine = [lot for lot, area in named.items() if wanted[area] == channel]
        if mine:
            queries.append((_named_rows(channel, mine, ctx.start, ctx.end)[0], "lot"))
        seen_events: dict[int, set[int]] = defaultdict(set)
        seen_lots: dict[int, set[str]] = defaultdict(set)
        for qs, area_key in queries:
            for holder, event in (
                qs.values_list(area_key, "event_id").distinct().order_by(area_key, "event_id")
            ):
                area = named[holder] if area_key == "lot" else holder
                seen_events[area].add(event)
            for holder, uri in (
                qs.values_list(area_key, "lot__uri").distinct().order_by(area_key, "lot__uri")
            ):
                area = named[holder] if area_key == "lot" else holder
                if uri not in seen_lots[area]:
                    seen_lots[area].add(uri)
                    lots[area].append(uri)
        for area, found in seen_events.items():
            events[area] = sorted(found)
    out = {}
    with_named = set(named.values())
    for area in wanted:
        uris = lots.get(area, [])
        if area in with_named:
            # lots of two queries: ordered as one (the database's collation) by one query
            uris = list(
                Lot.objects.filter(uri__in=uris).order_by("uri").values_list("uri", flat=True)
            )
        out[area] = (
            events.get(area, [])[:EVIDENCE_CAP],
            len(events.get(area, [])),
            uris[:EVIDENCE_CAP],
            len(uris),
        )
    return out


def _yields() -> dict[int, float]:
    return {c: float(t) for c, t in CropYield.objects.values_list("crop_id", "tonnes_per_ha")}


def area_ha(measured, declared) -> float:
    """The area's hectares: measured from its plots, else declared."""
    return float(measured or 0) or float(declared or 0)


def area_volume_over_yield(ctx: Context) -> list[Finding]:
    rule = "area_volume_over_yield"
    tolerance = float(ctx.threshold(rule, "tolerance", 1.2))
    areas = {
        a["pk"]: a
        for a in ctx.areas().values(
            "pk", "code", "crop_id", "measured_area_ha", "declared_area_ha", "representative_id"
        )
    }
    volumes = season_volumes(ctx, areas, ctx.season)
    yields = _yields()
    findings = []
    over = []
    for area_id, figures in volumes.items():
        area = areas.get(area_id)
        if area is None or area["crop_id"] not in yields:
            continue  # no yield known for the crop: not judged
        hectares = area_ha(area["measured_area_ha"], area["declared_area_ha"])
        can_grow = hectares * yields[area["crop_id"]] * 1000
        limit = can_grow * tolerance
        if figures["kg"] <= limit:
            continue
        over.append((area_id, figures, hectares, can_grow, limit))
    evidence = _evidence({a: f["channel"] for a, f, *_rest in over}, ctx)
    for area_id, figures, hectares, can_grow, limit in over:
        area = areas[area_id]
        events, event_count, lots, lot_count = evidence[area_id]
        ratio = figures["kg"] / limit if limit else float(figures["kg"])
        findings.append(
            Finding(
                rule=rule,
                season=ctx.season,
                subject_kind="area",
                subject_id=area_id,
                code=area["code"] or "",
                figures={
                    "kg": round(figures["kg"], 3),
                    "harvested_kg": round(figures["harvested"], 3),
                    "received_kg": round(figures["received"], 3),
                    "packed_kg": round(figures["packed"], 3),
                    "channel": figures["channel"],
                    "area_ha": round(hectares, 4),
                    "yield_t_ha": yields[area["crop_id"]],
                    "can_grow_kg": round(can_grow, 3),
                    "times_can_grow": round(figures["kg"] / can_grow, 3) if can_grow else None,
                },
                threshold={"tolerance": tolerance, "limit_kg": round(limit, 3)},
                events=events,
                event_count=event_count,
                lots=lots,
                lot_count=lot_count,
                party_id=None,
                ratio=ratio,
                summary=_(
                    "Code %(code)s carries %(kg)s kg in %(season)s against %(can)s kg its "
                    "%(ha)s ha can grow (%(times)s×; limit with tolerance %(limit)s kg)."
                )
                % {
                    "code": area["code"],
                    "kg": f"{figures['kg']:,.0f}",
                    "season": ctx.season,
                    "can": f"{can_grow:,.0f}",
                    "ha": f"{hectares:g}",
                    "times": f"{figures['kg'] / can_grow:.1f}" if can_grow else "∞",
                    "limit": f"{limit:,.0f}",
                },
            )
        )
    return findings


def _plot_key() -> str:
    return f"document__ilmd__{builders.PREFIX}:plots"


def plot_volume_over_yield(ctx: Context) -> list[Finding]:
    """Harvests that name plots (ILMD `plots`): each event's kilograms shared equally among
    the plots it names, per plot against its measured area × yield × tolerance."""
    rule = "plot_volume_over_yield"
    tolerance = float(ctx.threshold(rule, "tolerance", 1.2))
    area_ids = ctx.area_ids()
    rows = (
        ctx.season_events()
        .filter(area__in=area_ids, biz_step__in=HARVEST_STEPS)
        .annotate(plots=KT(_plot_key()))
        .exclude(plots__isnull=True)
        .filter(epcs__role__in=HANDLED_ROLES)
        .annotate(kg=Sum(kg_expression("epcs__")))
        .values_list("pk", "area_id", "plots", "kg")
    )
    per_plot: dict[int, float] = defaultdict(float)
    plot_events: dict[int, set[int]] = defaultdict(set)
    for event_id, _area, plots, kg in rows:
        try:
            uris = json.loads(plots) if isinstance(plots, str) else plots
        except ValueError:
            continue
        ids = [builders.id_of(u, "plot") for u in uris or [] if isinstance(u, str)]
        ids = [i for i in ids if i]
        if not ids or not kg:
            continue
        for plot_id in ids:
            per_plot[plot_id] += float(kg) / len(ids)
            plot_events[plot_id].add(event_id)
    if not per_plot:
        return []
    yields = _yields()
    over: dict[int, list[dict]] = defaultdict(list)
    events_of_area: dict[int, set[int]] = defaultdict(set)
    codes = {}
    for plot in Plot.objects.filter(pk__in=per_plot, area__in=area_ids).values(
        "pk", "label", "area_id", "area__code", "area_m2", "crop_id"
    ):
        t_ha = yields.get(plot["crop_id"])
        if t_ha is None:
            continue
        ha = plot["area_m2"] / 10_000
        can_grow = ha * t_ha * 1000
        kg = per_plot[plot["pk"]]
        if kg > can_grow * tolerance:
            over[plot["area_id"]].append(
                {
                    "plot": plot["pk"],
                    "label": plot["label"],
                    "kg": round(kg, 3),
                    "area_ha": round(ha, 4),
                    "can_grow_kg": round(can_grow, 3),
                    "yield_t_ha": t_ha,
                    "ratio": round(kg / (can_grow * tolerance), 4) if can_grow else None,
                }
            )
            events_of_area[plot["area_id"]] |= plot_events[plot["pk"]]
            codes[plot["area_id"]] = plot["area__code"] or ""
    findings = []
    for area_id, plots in over.items():
        plots.sort(key=lambda p: p["plot"])
        worst = max(plots, key=lambda p: p["ratio"] or 0)
        findings.append(
            Finding(
                rule=rule,
                season=ctx.season,
                subject_kind="area",
                subject_id=area_id,
                code=codes[area_id],
                figures={
                    "plots": plots,
                    "kg": worst["kg"],
                    "can_grow_kg": worst["can_grow_kg"],
                    "yield_t_ha": worst["yield_t_ha"],
                },
                threshold={"tolerance": tolerance},
                events=sorted(events_of_area[area_id]),
                ratio=worst["ratio"] or 1.0,
                summary=_(
                    "%(n)d plot(s) of code %(code)s carry more than they can grow in %(season)s; "
                    "plot %(label)s: %(kg)s kg against %(can)s kg."
                )
                % {
                    "n": len(plots),
                    "code": codes[area_id],
                    "season": ctx.season,
                    "label": worst["label"],
                    "kg": f"{worst['kg']:,.0f}",
                    "can": f"{worst['can_grow_kg']:,.0f}",
                },
            )
        )
    return findings


def _robust_z(value: float, sample: list[float]) -> float | None:
    """How many robust standard deviations (1.4826 × MAD) `value` is above the median."""
    if not sample:
        return None
    return robust_z(value, *median_and_mad(sample))


def volume_anomaly(ctx: Context) -> list[Finding]:
    """Kilograms per hectare of an area against its own three earlier seasons and against the
    areas of the same crop in its commune this season (robust z-scores). The score is the
    mean of the features known; both must point up. An area is judged with all its commune's
    peers, so a run restricted to some areas looks at their communes."""
    rule = "volume_anomaly"
    limit = float(ctx.threshold(rule, "score", 3.5))
    min_peers = int(ctx.threshold(rule, "min_peers", 3))
    targets = ctx.areas()
    communes = set(targets.values_list("commune_id", flat=True))
    pool = {
        a["pk"]: a
        for a in PlantingArea.objects.filter(commune__in=communes)
        .exclude(code__isnull=True)
        .values("pk", "code", "commune_id", "crop_id", "measured_area_ha", "declared_area_ha")
    }
    target_ids = set(pool)  # every peer is judged again: its peers' volumes changed too
    now = season_volumes(ctx, pool, ctx.season, communes)
    year = int(ctx.season)
    history: dict[int, list[float]] = defaultdict(list)
    for back in (1, 2, 3):
        past = season_volumes(ctx, target_ids, str(year - back), communes)
        for area_id, figures in past.items():
            ha = area_ha(pool[area_id]["measured_area_ha"], pool[area_id]["declared_area_ha"])
            if ha:
                history[area_id].append(figures["kg"] / ha)
    per_ha = {}
    for area_id, figures in now.items():
        a = pool.get(area_id)
        ha = area_ha(a["measured_area_ha"], a["declared_area_ha"]) if a else 0
        if ha:
            per_ha[area_id] = figures["kg"] / ha
    # each area against the others of its commune and crop: one sorted group per (commune,
    # crop), the median and MAD without the area in O(log n) (robust.Group)
    members: dict[tuple, list[float]] = defaultdict(list)
    for p, value in per_ha.items():
        members[(pool[p]["commune_id"], pool[p]["crop_id"])].append(value)
    groups = {key: Group(values) for key, values in members.items()}
    findings = []
    for area_id in sorted(target_ids & set(per_ha)):
        a = pool[area_id]
        value = per_ha[area_id]
        group = groups[(a["commune_id"], a["crop_id"])]
        peer_count = group.size - 1
        peer_median = None
        features = []
        z_hist = _robust_z(value, history.get(area_id, [])) if history.get(area_id) else None
        z_peer = None
        if peer_count and peer_count >= min_peers:
            peer_median, peer_mad = group.without(value)
            z_peer = robust_z(value, peer_median, peer_mad)
        elif peer_count:
            peer_median = group.without(value)[0]
        if z_hist is not None:
            features.append(("against_own_history", z_hist, len(history[area_id])))
        if z_peer is not None:
            features.append(("against_peers", z_peer, peer_count))
        if not features or any(z <= 0 for _n, z, _c in features):
            continue
        score = sum(z for _n, z, _c in features) / len(features)
        if score < limit:
            continue
        explanation = [{"feature": "kg_per_ha", "value": round(value, 3), "contribution": 0.0}]
        explanation += [
            {
                "feature": name,
                "value": round(z, 3),
                "contribution": round(z / len(features), 3),
                "sample": count,
            }
            for name, z, count in features
        ]
        findings.append(
            Finding(
                rule=rule,
                season=ctx.season,
                subject_kind="area",
                subject_id=area_id,
                code=a["code"] or "",
                figures={
                    "kg": round(now[area_id]["kg"], 3),
                    "kg_per_ha": round(value, 3),
                    "history_kg_per_ha": [round(x, 3) for x in history.get(area_id, [])],
                    "peer_median_kg_per_ha": (
                        round(peer_median, 3) if peer_median is not None else None
                    ),
                    "peers": peer_count,
                    "score": round(score, 3),
                },
                threshold={"score": limit, "min_peers": min_peers},
                ratio=score / limit,
                explanation=explanation,
                summary=_(
                    "Code %(code)s: %(v)s kg/ha in %(season)s, an anomaly score of %(s)s "
                    "(limit %(l)s) against its history and its commune's peers."
                )
                % {
                    "code": a["code"],
                    "v": f"{value:,.0f}",
                    "season": ctx.season,
                    "s": f"{score:.1f}",
                    "l": f"{limit:g}",
                },
            )
        )
    return findings
