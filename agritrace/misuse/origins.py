"""Materialised lot origins (`models.LotOrigin`): for every lot, the planting areas behind it.

The origins of a lot are
* its harvest's area (`Lot.origin_area`),
* the area of a harvest event naming it (`detect.base.HARVEST_STEPS` at an area),
* the area whose URI namespace it is of when no harvest made it (`…lot:<code>:…` with
  `origin_area` empty: produce bought or packed "of" an area that recorded no harvest of it),
* and the origins of every lot it was made or packed from (`trace.LotLink`, forward, up to
  `detect.base.MAX_DEPTH` generations).

Kept three ways, all set-based (INSERT … SELECT, one statement per generation):
* `record_capture(event_ids)`: after each captured document (misuse's receiver), the seeds of
  the document's lots and one INSERT … SELECT per generation from the document's new links
  (and on to older lots made from the document's lots, if any);
* `catch_up()`: at the start of every full scan, the events after `OriginMark` (stored with
  the receiver off, or COPYed in) are recorded as a capture would;
* `refresh_codes()`: at the start of every full scan, the areas whose code changed since their
  namespace lots were last put in (a registry import after the events: a code issued later for
  a namespace already used; a code withdrawn) have their origins recomputed;
* `rebuild()`: everything from the lot graph (`agritrace misuse origins --rebuild`).

Works on SQLite and PostgreSQL (the SELECTs are the ORM's, compiled)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import StrIndex, Substr

from agritrace.registry.models import PlantingArea
from agritrace.trace.models import Event, EventEPC, Lot, LotLink

from .detect.base import HANDLED_ROLES, HARVEST_STEPS, MAX_DEPTH, _chunks, lot_prefix
from .models import LotOrigin, OriginCode, OriginMark

#: Above this many changed codes a refresh rebuilds everything instead.
REBUILD_ABOVE = 2000


def _table() -> str:
    return LotOrigin._meta.db_table


def _select(qs: QuerySet, lot: str, area: str, depth) -> tuple[str, tuple]:
    """The SQL of `qs` as (lot, area, depth) rows."""
    depth_expr = depth if not isinstance(depth, int) else Value(depth, IntegerField())
    qs = (
        qs.order_by()
        .annotate(o_lot=F(lot), o_area=F(area), o_depth=depth_expr)
        .values_list("o_lot", "o_area", "o_depth")
    )
    return qs.query.sql_with_params()


def _insert(qs: QuerySet, lot: str, area: str, depth, *, returning: bool = False):
    """INSERT the rows of `qs` into LotOrigin, skipping pairs already there. Returns the number
    inserted, or with `returning` the set of lots that gained an origin."""
    try:
        sql, params = _select(qs, lot, area, depth)
    except EmptyResultSet:  # an empty IN list: nothing to insert
        return set() if returning else 0
    statement = (
        f"INSERT INTO {_table()} (lot_id, area_id, depth) SELECT DISTINCT * FROM ({sql}) s "
        "WHERE true ON CONFLICT (lot_id, area_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(statement + " RETURNING lot_id", params)
            return {row[0] for row in cursor.fetchall()}
        cursor.execute(statement, params)
        return cursor.rowcount


def _named(lots: QuerySet, areas: QuerySet | None = None) -> QuerySet:
    """`lots` with no harvest behind them whose URI is of an area's namespace, annotated with
    that area (`_area`)."""
    start = len(lot_prefix()) + 1
    holders = PlantingArea.objects.exclude(code__isnull=True)
    if areas is not None:
        holders = holders.filter(pk__in=areas)
    return (
        lots.filter(origin_area__isnull=True, uri__startswith=lot_prefix())
        .annotate(_colon=StrIndex(Substr(F("uri"), start), Value(":")))
        .filter(_colon__gt=0)
        .annotate(_code=Substr(Substr(F("uri"), start), 1, F("_colon") - 1))
        .annotate(_area=Subquery(holders.filter(code=OuterRef("_code")).values("pk")[:1]))
        .filter(_area__isnull=False)
    )


def _seed(
    *, lots: Iterable[int] | None = None, events: Iterable[int] | None = None, areas=None
) -> set[int] | int:
    """Insert the generation-0 origins of `lots` (or of the lots `events` name, or of every
    lot of `areas`, or of every lot). Returns the lots that gained one (None: a count)."""
    harvested = Lot.objects.filter(origin_area__isnull=False)
    named_lots = Lot.objects.all()
    at_harvest = EventEPC.objects.filter(
        event__area__isnull=False, event__biz_step__in=HARVEST_STEPS, role__in=HANDLED_ROLES
    )
    few = lots is not None or events is not None or areas is not None
    if lots is not None:
        lots = sorted(set(lots))
        harvested, named_lots = harvested.filter(pk__in=lots), named_lots.filter(pk__in=lots)
        at_harvest = at_harvest.filter(lot__in=lots)
    if events is not None:
        events = sorted(set(events))
        named = EventEPC.objects.filter(event__in=events).values("lot_id")
        harvested = harvested.filter(pk__in=named)
        named_lots = named_lots.filter(pk__in=named)
        at_harvest = at_harvest.filter(event__in=events)
    named_query = _named(named_lots, areas)
    if areas is not None:
        harvested = harvested.filter(origin_area__in=areas)
        at_harvest = at_harvest.filter(event__area__in=areas)
        codes = list(
            PlantingArea.objects.filter(pk__in=areas)
            .exclude(code__isnull=True)
            .values_list("code", flat=True)
        )
        if len(codes) <= 500:  # a few codes: prefix ranges of the URI index
            from django.db.models import Q

            q = Q(pk__in=[])
            for code in codes:
                q |= Q(uri__startswith=f"{lot_prefix()}{code}:")
            named_query = named_query.filter(q)
    parts = (
        (harvested, "pk", "origin_area_id"),
        (at_harvest, "lot_id", "event__area_id"),
        (named_query, "pk", "_area"),
    )
    if few:
        gained: set[int] = set()
        for qs, lot, area in parts:
            gained |= _insert(qs, lot, area, 0, returning=True)
        return gained
    return sum(_insert(qs, lot, area, 0) for qs, lot, area in parts)


def _spread(frontier: set[int], depth: int = 1) -> int:
    """Carry the origins of the `frontier` lots forward over `LotLink`, one INSERT … SELECT
    per generation (the frontier is the lots that gained an origin). Returns rows added."""
    added = 0
    while frontier and depth <= MAX_DEPTH:
        gained: set[int] = set()
        for chunk in _chunks(sorted(frontier)):
            links = LotLink.objects.filter(
                source__in=chunk, source__misuse_origins__depth__lt=MAX_DEPTH
            )
            gained |= _insert(
                links,
                "target_id",
                "source__misuse_origins__area_id",
                F("source__misuse_origins__depth") + 1,
                returning=True,
            )
        added += len(gained)
        frontier = gained
        depth += 1
    return added


@transaction.atomic
def record_capture(event_ids: Iterable[int]) -> int:
    """Put a captured document's lots into LotOrigin: the seeds of the lots its events name,
    then one INSERT … SELECT per generation over the document's new links (and on from there).
    Returns the rows added."""
    event_ids = sorted(set(event_ids))
    if not event_ids:
        return 0
    gained = set()
    for chunk in _chunks(event_ids):
        gained |= _seed(events=chunk)
    # the document's new links: their targets gain their sources' origins (old or new)
    targets: set[int] = set()
    for chunk in _chunks(event_ids):
        links = LotLink.objects.filter(event__in=chunk, source__misuse_origins__depth__lt=MAX_DEPTH)
        targets |= _insert(
            links,
            "target_id",
            "source__misuse_origins__area_id",
            F("source__misuse_origins__depth") + 1,
            returning=True,
        )
    return len(gained) + len(targets) + _spread(gained | targets)


def _snapshot(area_ids: Iterable[int] | None = None) -> None:
    """Record the areas' current codes as those their origins were computed with."""
    areas = PlantingArea.objects.all()
    if area_ids is not None:
        area_ids = sorted(set(area_ids))
        OriginCode.objects.filter(area__in=area_ids).delete()
        areas = areas.filter(pk__in=area_ids)
    else:
        OriginCode.objects.all().delete()
    table = OriginCode._meta.db_table
    try:
        sql, params = areas.order_by().values_list("pk", "code").query.sql_with_params()
    except EmptyResultSet:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (area_id, code) SELECT * FROM ({sql}) s", params)


def _mark() -> OriginMark:
    mark, _created = OriginMark.objects.get_or_create(pk=1)
    return mark


def _set_mark(last_event: int) -> None:
    OriginMark.objects.update_or_create(pk=1, defaults={"last_event": last_event})


def catch_up() -> int:
    """Record the events stored after the mark (one `record_capture` per chunk of them) and
    move the mark to the last event. Returns the events recorded."""
    last = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    mark = _mark().last_event
    if last <= mark:
        return 0
    pending = list(
        Event.objects.filter(pk__gt=mark, pk__lte=last).order_by("pk").values_list("pk", flat=True)
    )
    from . import shipments

    for chunk in _chunks(pending):
        record_capture(chunk)
        shipments.record(chunk)
    _set_mark(last)
    return len(pending)


@transaction.atomic
def rebuild() -> int:
    """Recompute LotOrigin from the lot graph, generation by generation in SQL, and the
    shipment facts (`shipments.rebuild`). Returns the number of LotOrigin rows."""
    from . import shipments

    last = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    shipments.rebuild()
    LotOrigin.objects.all().delete()
    total = _seed()
    for depth in range(1, MAX_DEPTH + 1):
        links = LotLink.objects.filter(source__misuse_origins__depth=depth - 1)
        added = _insert(
            links, "target_id", "source__misuse_origins__area_id", Value(depth, IntegerField())
        )
        total += added
        if not added:
            break
    _snapshot()
    _set_mark(last)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {_table()}")
            cursor.execute(f"ANALYZE {shipments.ShipmentParty._meta.db_table}")
    return total


@transaction.atomic
def recompute_areas(area_ids: Iterable[int]) -> int:
    """Recompute the origins of some areas (their rows deleted, seeded again and carried
    forward). Returns the rows they have now."""
    area_ids = sorted(set(area_ids))
    total = 0
    for chunk in _chunks(area_ids, 500):
        LotOrigin.objects.filter(area__in=chunk).delete()
        seeded = _seed(areas=chunk)
        _spread(seeded)
        total += LotOrigin.objects.filter(area__in=chunk).count()
    _snapshot(area_ids)
    return total


def changed_codes() -> list[int]:
    """Areas whose code differs from the one their origins were computed with."""
    known = dict(OriginCode.objects.values_list("area_id", "code"))
    return [
        pk
        for pk, code in PlantingArea.objects.values_list("pk", "code").iterator(chunk_size=20000)
        if pk not in known or known[pk] != code
    ]


def refresh() -> tuple[int, int, int]:
    """What a full scan does first: `catch_up`, then `refresh_codes`. Returns (events
    recorded, areas whose code changed, rows now theirs)."""
    if not OriginMark.objects.exists():  # never built (a database migrated with events)
        rows = rebuild()
        return 0, OriginCode.objects.count(), rows
    events = catch_up()
    return (events, *refresh_codes())


def refresh_codes() -> tuple[int, int]:
    """Bring the namespace part of LotOrigin up to the registry: the areas whose code was
    issued, changed or withdrawn since their origins were computed are recomputed (all of it
    when there are many, or on the first run). Returns (areas changed, rows now theirs)."""
    changed = changed_codes()
    if not changed:
        return 0, 0
    if len(changed) > REBUILD_ABOVE:
        return len(changed), rebuild()
    return len(changed), recompute_areas(changed)
