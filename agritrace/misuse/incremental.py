"""The incremental checks: after a capture commits (`trace.signals.events_captured`), the
subjects and seasons its events touch are found and the same rule functions as the full scan
run restricted to them (`scan.scan(..., subjects=...)`), their findings upserted as cases.
So an incremental run equals a full scan of the same data by construction.

Touched subjects: the planting areas behind the events' lots (backward over the lot graph)
and those the events happen at; the packing houses the events happen at; the firms that
ship (for the exporter rule). A rule that compares an area with its peers (volume anomaly)
looks at the whole commune itself.

Detection never fails a capture: an error is logged and the capture stands (the next full
scan catches up). `AGRITRACE_MISUSE_INCREMENTAL = False` turns the checks off."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings

from agritrace.registry.models import PackingHouse, PlantingArea
from agritrace.trace.models import CaptureRefusal, Event, EventEPC

from .detect.base import _chunks, areas_of_lots
from .detect.capacity import PACKING_STEPS, house_uses, packed_by_day, packed_rows
from .detect.patterns import firm_shipments
from .detect.volume import refresh_volumes
from .findings import Finding, season_of
from .parties import parties_and_markets
from .shipments import SHIPPING_STEPS
from .totals import add_house_uses, add_packed, add_shipments

log = logging.getLogger(__name__)


def _province_of(commune_parent: int | None, grand: int | None, level: str | None) -> int:
    return commune_parent if level == "province" else grand


def touched(event_ids: Iterable[int]) -> dict[tuple[int, str], dict[str, set[int]]]:
    """{(province id, season): {"area": ids, "packing_house": ids, "organisation": ids}} for
    the events."""
    event_ids = list(event_ids)
    seasons: set[str] = set()
    areas: set[int] = set()
    houses: set[int] = set()
    shipping: list[int] = []
    lots: set[int] = set()
    for chunk in _chunks(event_ids):
        for pk, area, house, when, step in Event.objects.filter(pk__in=chunk).values_list(
            "pk", "area_id", "packing_house_id", "event_time", "biz_step"
        ):
            seasons.add(season_of(when))
            if area:
                areas.add(area)
            if house:
                houses.add(house)
            if step in SHIPPING_STEPS:
                shipping.append(pk)
        lots |= set(EventEPC.objects.filter(event__in=chunk).values_list("lot_id", flat=True))
    areas |= areas_of_lots(lots)
    parties: set[int] = set()
    for chunk in _chunks(shipping):
        parties |= {
            p for p, _m in parties_and_markets(Event.objects.filter(pk__in=chunk)).values() if p
        }
    return _by_province(areas, houses, parties, seasons)


def touched_by_refusals(job) -> dict[tuple[int, str], dict[str, set[int]]]:
    """The same for a refused capture: the areas and houses its refused events name."""
    seasons: set[str] = set()
    areas: set[int] = set()
    houses: set[int] = set()
    for area, house, when in CaptureRefusal.objects.filter(
        job=job, event_time__isnull=False
    ).values_list("area_id", "packing_house_id", "event_time"):
        if area or house:
            seasons.add(season_of(when))
            areas |= {area} if area else set()
            houses |= {house} if house else set()
    return _by_province(areas, houses, set(), seasons)


def _by_province(
    areas: set[int], houses: set[int], parties: set[int], seasons: set[str]
) -> dict[tuple[int, str], dict[str, set[int]]]:
    by_province: dict[int, dict[str, set[int]]] = defaultdict(
        lambda: {"area": set(), "packing_house": set(), "organisation": set(parties)}
    )
    for model, kind, ids in (
        (PlantingArea, "area", areas),
        (PackingHouse, "packing_house", houses),
    ):
        for pk, parent, grand, level in model.objects.filter(pk__in=ids).values_list(
            "pk", "commune__parent_id", "commune__parent__parent_id", "commune__parent__level"
        ):
            province = _province_of(parent, grand, level)
            if province:
                by_province[province][kind].add(pk)
    return {
        (province, season): subjects
        for province, subjects in by_province.items()
        for season in sorted(seasons)
    }


def incremental_skip() -> set[str]:
    """Rules left to the full scan (`AGRITRACE_MISUSE_INCREMENTAL_SKIP`, comma-separated
    codes; default none, so the incremental checks equal the full scan)."""
    value = getattr(settings, "AGRITRACE_MISUSE_INCREMENTAL_SKIP", "") or ""
    return {code.strip() for code in value.split(",") if code.strip()}


def record_totals(event_ids: Iterable[int]) -> None:
    """Add a captured document's shipments, packings and receivings to the firms' and the
    houses' running totals (once per capture, one upsert each; the area totals are recomputed for
    the touched areas by `_check`)."""
    steps = dict(Event.objects.filter(pk__in=list(event_ids)).values_list("pk", "biz_step"))
    shipping = sorted(pk for pk, step in steps.items() if step in SHIPPING_STEPS)
    packing = sorted(pk for pk, step in steps.items() if step in PACKING_STEPS)
    using = sorted(pk for pk, step in steps.items() if step in (*PACKING_STEPS, "receiving"))
    for chunk in _chunks(shipping):
        add_shipments(firm_shipments(EventEPC.objects.filter(event__in=chunk), None))
    for chunk in _chunks(packing):
        add_packed(packed_by_day(packed_rows(EventEPC.objects.filter(event__in=chunk))))
    for chunk in _chunks(using):
        add_house_uses(house_uses(EventEPC.objects.filter(event__in=chunk)))


def record_facts(event_ids: Iterable[int]) -> None:
    """What a captured document adds to the materialised facts the rules join: the lot
    origins (`origins.record_capture`) and the shipment facts (`shipments.record`)."""
    from . import shipments
    from .origins import record_capture

    event_ids = list(event_ids)
    record_capture(event_ids)
    shipments.record(event_ids)


def check_events(event_ids: Iterable[int], *, write: bool = True) -> list[Finding]:
    """Run the rules over what the events touch; upsert the findings unless `write` is
    False. Returns the findings."""
    return _check(touched(event_ids), write=write)


def _check(scopes: dict[tuple[int, str], dict[str, set[int]]], *, write: bool) -> list[Finding]:
    from agritrace.places.models import AdminUnit

    from .cases import upsert
    from .scan import scan

    skip = incremental_skip()
    findings: list[Finding] = []
    for (province_id, season), subjects in scopes.items():
        refresh_volumes(subjects.get("area") or (), season)  # the running totals first
        province = AdminUnit.objects.get(pk=province_id)
        findings += scan(province, season, subjects=subjects, skip=skip)
    if write and findings:
        upsert(findings)
    return findings


def on_events_captured(sender, job=None, event_ids=(), **kwargs) -> None:
    """Receiver of `trace.signals.events_captured` (connected in the app config): the
    document's facts (lot origins) first, always (the full scan reads them), then the
    checks unless `AGRITRACE_MISUSE_INCREMENTAL` is False."""
    if not event_ids:
        return
    if getattr(settings, "AGRITRACE_MISUSE_RECORD", True):  # False: bench/misuse.py only
        try:
            record_facts(event_ids)
        except Exception:  # detection must never fail a capture
            log.exception("misuse: recording facts failed for capture %s", getattr(job, "pk", "?"))
    if not getattr(settings, "AGRITRACE_MISUSE_INCREMENTAL", True):
        return
    try:
        record_totals(event_ids)
        check_events(event_ids)
    except Exception:  # detection must never fail a capture
        log.exception("misuse: incremental checks failed for capture %s", getattr(job, "pk", "?"))


def on_capture_refused(sender, job=None, **kwargs) -> None:
    """Receiver of `trace.signals.capture_refused`: an attempt under an unusable code is
    evidence (rule code_not_usable), found as the full scan finds it."""
    if job is None or not getattr(settings, "AGRITRACE_MISUSE_INCREMENTAL", True):
        return
    try:
        _check(touched_by_refusals(job), write=True)
    except Exception:  # detection must never fail a capture
        log.exception("misuse: incremental checks failed for refused capture %s", job.pk)
