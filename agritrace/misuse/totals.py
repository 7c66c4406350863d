"""Running totals (`AreaSeasonVolume`, `FirmCodeDay`, `FirmDay`): what the costly rules
aggregate, kept per captured document by the incremental checks and rebuilt by the full
scan from the lot graph, so that a rule judging an area against its whole commune
(`volume_anomaly`) or a firm over all its shipments (`exporter_code_surge`) reads a few rows
per subject instead of summing every event again.

This module only reads and writes the tables (one INSERT … ON CONFLICT per call, in
batches); the figures come from the rules' own SQL (`detect.volume.area_volumes`,
`detect.patterns.firm_shipments`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import connection, transaction

from .models import AreaSeasonVolume, FirmCodeDay, FirmDay, HouseAreaUse, HouseDayVolume

CHANNELS = ("harvested", "received", "packed")
_BATCH = 5000


def store_area_volumes(area_ids: Iterable[int], season: str, volumes: dict[int, dict]) -> None:
    """Set the areas' totals for the season to `volumes` ({area: {channel: kg}}; an area
    missing has none, its row is deleted): one upsert per batch of areas."""
    ids = set(area_ids)
    rows = [
        AreaSeasonVolume(
            area_id=area, season=season, **{c: float(volumes[area].get(c, 0.0)) for c in CHANNELS}
        )
        for area in sorted(ids & set(volumes))
    ]
    missing = sorted(ids - set(volumes))
    with transaction.atomic():
        for start in range(0, len(missing), _BATCH):
            AreaSeasonVolume.objects.filter(
                season=season, area__in=missing[start : start + _BATCH]
            ).delete()
        for start in range(0, len(rows), _BATCH):
            AreaSeasonVolume.objects.bulk_create(
                rows[start : start + _BATCH],
                update_conflicts=True,
                unique_fields=["area", "season"],
                update_fields=[*CHANNELS, "updated_at"],
            )


def read_area_volumes(
    area_ids: Iterable[int], season: str, communes: Iterable[int] | None = None
) -> dict[int, dict]:
    """{area: {"harvested", "received", "packed": kg, "kg": the largest, "channel": its
    name}} for the areas with any volume in the season (as `area_volumes` returns).
    `communes`: the areas are those communes' (one query instead of id lists)."""
    out: dict[int, dict] = {}
    wanted = set(area_ids)
    if communes is not None:
        queries = [
            AreaSeasonVolume.objects.filter(season=season, area__commune__in=sorted(communes))
        ]
    else:
        ids = sorted(wanted)
        queries = [
            AreaSeasonVolume.objects.filter(season=season, area__in=ids[start : start + _BATCH])
            for start in range(0, len(ids), _BATCH)
        ]
    for query in queries:
        for area, *kgs in query.values_list("area_id", *CHANNELS).iterator(chunk_size=_BATCH):
            if not any(kgs) or area not in wanted:
                continue
            figures = dict(zip(CHANNELS, kgs, strict=True))
            channel = max(CHANNELS, key=lambda c: figures[c])
            figures["channel"], figures["kg"] = channel, figures[channel]
            out[area] = figures
    return out


def _sql_type(value) -> str:
    if isinstance(value, bool | int):
        return "bigint"
    if isinstance(value, date):
        return "date"
    if isinstance(value, float | Decimal):
        return "numeric"
    return "text"


def _insert(table: str, columns: list[str], rows: list[tuple], conflict: str) -> None:
    """INSERT the rows … `conflict` (an ON CONFLICT clause). On PostgreSQL one array per
    column (`unnest`: one parameter each, several times faster than a VALUES list of
    thousands of rows), else VALUES in batches."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [list(column) for column in zip(*rows, strict=True)]
            types = [_sql_type(next((v for v in a if v is not None), "")) for a in arrays]
            unnest = ", ".join(f"%s::{t}[]" for t in types)
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({unnest}) "
                + conflict,
                arrays,
            )
            return
        for start in range(0, len(rows), _BATCH):
            chunk = rows[start : start + _BATCH]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} " + conflict,
                [v for row in chunk for v in row],
            )


def _upsert_counts(
    table: str, keys: list[str], rows: list[tuple], *, add: bool, column: str = "shipments"
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE the `column` figure (added to or replaced)."""
    if not rows:
        return
    value = f"{table}.{column} + EXCLUDED.{column}" if add else f"EXCLUDED.{column}"
    _insert(
        table,
        [*keys, column],
        rows,
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {column} = {value}",
    )


def _count(uses: Iterable[tuple[int, date, int, int]]) -> tuple[list[tuple], list[tuple]]:
    """(party, area, day, distinct events) and (party, day, distinct events) rows of
    (event, day, area, party) uses."""
    by_code: dict[tuple, set[int]] = defaultdict(set)
    by_day: dict[tuple, set[int]] = defaultdict(set)
    for event, day, area, party in uses:
        by_code[(party, area, day)].add(event)
        by_day[(party, day)].add(event)
    return (
        [(*key, len(events)) for key, events in sorted(by_code.items())],
        [(*key, len(events)) for key, events in sorted(by_day.items())],
    )


def add_shipments(uses: list[tuple[int, date, int, int]]) -> None:
    """Count newly captured shipments (event, local day, area, party) into the firms'
    totals (each event is counted once, when its document is captured)."""
    codes, days = _count(uses)
    with transaction.atomic():
        _upsert_counts(FirmCodeDay._meta.db_table, ["party_id", "area_id", "day"], codes, add=True)
        _upsert_counts(FirmDay._meta.db_table, ["party_id", "day"], days, add=True)


def store_shipments(
    parties: Iterable[int], first: date, end: date, uses: list[tuple[int, date, int, int]]
) -> None:
    """Replace the firms' totals on the days [first, end) by those of `uses` (the full
    scan's rebuild)."""
    parties = sorted(set(parties))
    codes, days = _count(uses)
    with transaction.atomic():
        for model in (FirmCodeDay, FirmDay):
            model.objects.filter(party__in=parties, day__gte=first, day__lt=end).delete()
        _upsert_counts(FirmCodeDay._meta.db_table, ["party_id", "area_id", "day"], codes, add=False)
        _upsert_counts(FirmDay._meta.db_table, ["party_id", "day"], days, add=False)


def read_shipments(
    parties: Iterable[int], first: date, end: date
) -> tuple[dict[int, dict[date, set[int]]], dict[int, dict[date, int]]]:
    """({party: {day: areas shipped}}, {party: {day: shipment events}}) on [first, end)."""
    parties = sorted(set(parties))
    codes: dict[int, dict[date, set[int]]] = defaultdict(lambda: defaultdict(set))
    events: dict[int, dict[date, int]] = defaultdict(dict)
    for party, day, area in FirmCodeDay.objects.filter(
        party__in=parties, day__gte=first, day__lt=end
    ).values_list("party_id", "day", "area_id"):
        codes[party][day].add(area)
    for party, day, count in FirmDay.objects.filter(
        party__in=parties, day__gte=first, day__lt=end
    ).values_list("party_id", "day", "shipments"):
        events[party][day] = count
    return codes, events


def add_packed(rows: Iterable[tuple[int, date, object]]) -> None:
    """Add newly captured packings (house, local day, kg) to the houses' daily totals."""
    _upsert_counts(
        HouseDayVolume._meta.db_table,
        ["house_id", "day"],
        [(house, day, kg) for house, day, kg in rows if kg],
        add=True,
        column="kg",
    )


def store_packed(houses: Iterable[int], first: date, end: date, rows: list[tuple]) -> None:
    """Replace the houses' daily totals on [first, end) by `rows` (house, day, kg)."""
    with transaction.atomic():
        HouseDayVolume.objects.filter(
            house__in=sorted(set(houses)), day__gte=first, day__lt=end
        ).delete()
        add_packed(rows)


def read_packed(houses: Iterable[int], first: date, end: date) -> dict[int, dict[date, float]]:
    """{house: {day: kg}} on [first, end)."""
    out: dict[int, dict[date, float]] = defaultdict(dict)
    for house, day, kg in HouseDayVolume.objects.filter(
        house__in=sorted(set(houses)), day__gte=first, day__lt=end
    ).values_list("house_id", "day", "kg"):
        if kg:
            out[house][day] = float(kg)
    return out


def _ranges(uses: Iterable[tuple]) -> dict[tuple[int, str, int], list[date]]:
    """{(house, season, area): [first day, last day]} of (house, day, event, uri, area)."""
    out: dict[tuple[int, str, int], list[date]] = {}
    for house, day, _event, _uri, area in uses:
        key = (house, str(day.year), area)
        if key not in out:
            out[key] = [day, day]
        else:
            span = out[key]
            span[0], span[1] = min(span[0], day), max(span[1], day)
    return out


def _upsert_ranges(ranges: dict[tuple[int, str, int], list[date]]) -> None:
    table = HouseAreaUse._meta.db_table
    rows = [(h, s, a, f, last) for (h, s, a), (f, last) in sorted(ranges.items())]
    _insert(
        table,
        ["house_id", "season", "area_id", "first_day", "last_day"],
        rows,
        "ON CONFLICT (house_id, season, area_id) DO UPDATE SET "
        f"first_day = CASE WHEN EXCLUDED.first_day < {table}.first_day "
        f"THEN EXCLUDED.first_day ELSE {table}.first_day END, "
        f"last_day = CASE WHEN EXCLUDED.last_day > {table}.last_day "
        f"THEN EXCLUDED.last_day ELSE {table}.last_day END",
    )


def add_house_uses(uses: Iterable[tuple]) -> None:
    """Widen the (house, area) day ranges by newly captured uses (house, day, event, uri,
    area)."""
    _upsert_ranges(_ranges(uses))


def store_house_spans(
    houses: Iterable[int], season: str, spans: Iterable[tuple[int, int, date, date]]
) -> None:
    """Replace the houses' (house, area) day ranges of the season by `spans` (house, area,
    first day, last day; grouped in SQL by the full scan)."""
    ranges = {(house, season, area): [first, last] for house, area, first, last in spans}
    with transaction.atomic():
        HouseAreaUse.objects.filter(house__in=sorted(set(houses)), season=season).delete()
        _upsert_ranges(ranges)


def read_house_areas(houses: Iterable[int], season: str) -> list[tuple[int, int, date, date]]:
    """(house, area, first day, last day) of the houses' uses in the season."""
    return list(
        HouseAreaUse.objects.filter(house__in=sorted(set(houses)), season=season).values_list(
            "house_id", "area_id", "first_day", "last_day"
        )
    )
