"""Writing a captured document's rows in bulk (issue 11, goal 2).

`services._store` decides every row of a document in memory first (its events as `NewEvent`s,
their identifier links, lot links and flags); this module writes them, inside the document's
transaction:

* on PostgreSQL with `COPY … FROM STDIN` (psycopg's `cursor.copy`, rows written by its C
  adapter), the events' ids reserved first from the table's sequence in one query, so the
  identifier links, lot links and flags can name them without reading anything back;
* elsewhere (SQLite) with `bulk_create` in batches, which returns the events' ids.

`NewEvent` is what the domain checks (checks.py, timing.py, parties.py) and the refusal rows
(refusals.py) read of an event not yet written: the columns of `Event` as plain attributes,
without the cost of a model instance per event.

JSON goes through orjson where nothing depends on its exact text (a stored event's jsonb);
the event hash builds its own pre-hash string (hashing.py) and never serialises JSON.
"""

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

import orjson
from django.db import connection

from .models import Event, EventEPC, EventFlag, LotLink


def dumps(value: object) -> str:
    """JSON text of a parsed document or event (orjson; the standard library for what orjson
    refuses, such as an integer beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, default=str)


#: A number of 19 digits or more: orjson reads an integer beyond 64 bits as a float.
_LONG_NUMBER = re.compile(rb"(?:^|[:\[,])\s*-?\d{19}")
_LONG_NUMBER_TEXT = re.compile(r"(?:^|[:\[,])\s*-?\d{19}")


def loads(raw: bytes | str) -> object:
    """Parse JSON text with orjson; ValueError when orjson cannot, or might not read it as the
    standard library does (a number of 19 digits or more): parse it with `json` then."""
    pattern = _LONG_NUMBER if isinstance(raw, bytes) else _LONG_NUMBER_TEXT
    if pattern.search(raw):
        raise ValueError("a long number: left to the standard library")
    return orjson.loads(raw)


class NewEvent:
    """An event of the document being captured, before it is written (see the module
    docstring); `pk` is set when it is written."""

    __slots__ = (
        "pk",
        "event_id",
        "event_hash",
        "event_hash_v21",
        "hash_version",
        "event_type",
        "action",
        "event_time",
        "event_time_zone_offset",
        "record_time",
        "biz_step",
        "disposition",
        "read_point",
        "biz_location",
        "error_declaration",
        "document",
        "capture_job_id",
        "capture_org_id",
        "province_id",
        "area",
        "packing_house",
        "owning_party_id",
        "destination_party_id",
        "destination_market",
    )

    def __init__(self, **values: object) -> None:
        self.pk = None
        for name, value in values.items():
            setattr(self, name, value)

    @property
    def area_id(self) -> int | None:
        return self.area.pk if self.area is not None else None

    @property
    def packing_house_id(self) -> int | None:
        return self.packing_house.pk if self.packing_house is not None else None

    def row(self) -> tuple:
        """The values of `EVENT_COLUMNS`, for COPY."""
        return (
            self.pk,
            self.event_id,
            self.event_hash,
            self.event_hash_v21,
            self.hash_version,
            "",
            self.event_type,
            self.action,
            self.event_time,
            self.event_time_zone_offset,
            self.record_time,
            self.biz_step,
            self.disposition,
            self.read_point,
            self.biz_location,
            None if self.error_declaration is None else dumps(self.error_declaration),
            dumps(self.document),
            self.capture_job_id,
            self.capture_org_id,
            self.province_id,
            self.area_id,
            self.packing_house_id,
            self.owning_party_id,
            self.destination_party_id,
            self.destination_market,
        )

    def model(self) -> Event:
        return Event(
            event_id=self.event_id,
            event_hash=self.event_hash,
            event_hash_v21=self.event_hash_v21,
            hash_version=self.hash_version,
            event_type=self.event_type,
            action=self.action,
            event_time=self.event_time,
            event_time_zone_offset=self.event_time_zone_offset,
            record_time=self.record_time,
            biz_step=self.biz_step,
            disposition=self.disposition,
            read_point=self.read_point,
            biz_location=self.biz_location,
            error_declaration=self.error_declaration,
            document=self.document,
            capture_job_id=self.capture_job_id,
            capture_org_id=self.capture_org_id,
            province_id=self.province_id,
            area=self.area,
            packing_house=self.packing_house,
            owning_party_id=self.owning_party_id,
            destination_party_id=self.destination_party_id,
            destination_market=self.destination_market,
        )


EVENT_COLUMNS = (
    "id",
    "event_id",
    "event_hash",
    "event_hash_v21",
    "hash_version",
    "former_hash",
    "event_type",
    "action",
    "event_time",
    "event_time_zone_offset",
    "record_time",
    "biz_step",
    "disposition",
    "read_point",
    "biz_location",
    "error_declaration",
    "document",
    "capture_job_id",
    "capture_org_id",
    "province_id",
    "area_id",
    "packing_house_id",
    "owning_party_id",
    "destination_party_id",
    "destination_market",
)
EPC_COLUMNS = ("event_id", "lot_id", "role", "quantity", "uom")
LINK_COLUMNS = ("source_id", "target_id", "event_id", "kind")
FLAG_COLUMNS = ("event_id", "rule", "severity", "message", "path", "lot_id", "created_at")
#: Rows per bulk_create statement (SQLite allows 32,766 parameters per statement).
BATCH = 1000


def uses_copy() -> bool:
    """Are rows written with COPY (PostgreSQL), else with bulk_create?"""
    return connection.vendor == "postgresql"


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """COPY rows into a table (PostgreSQL); how many were written."""
    ops = connection.ops
    names = ", ".join(ops.quote_name(c) for c in columns)
    count = 0
    connection.ensure_connection()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {ops.quote_name(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def reserve_ids(model, n: int) -> list[int]:
    """`n` new ids from the sequence of a table's id (PostgreSQL), in one query."""
    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, n],
        )
        return [row[0] for row in cursor.fetchall()]


def write_events(events: list[NewEvent]) -> None:
    """Insert the events; each gets its `pk`."""
    if not events:
        return
    if uses_copy():
        for event, pk in zip(events, reserve_ids(Event, len(events)), strict=True):
            event.pk = pk
        copy_rows(Event._meta.db_table, EVENT_COLUMNS, (e.row() for e in events))
        return
    models = [e.model() for e in events]
    Event.objects.bulk_create(models, batch_size=BATCH)
    for event, model in zip(events, models, strict=True):
        event.pk = model.pk


def write_links(epc_rows: list[tuple], link_rows: list[tuple]) -> None:
    """Insert the identifier links (EPC_COLUMNS) and the lot links (LINK_COLUMNS)."""
    if uses_copy():
        if epc_rows:
            copy_rows(EventEPC._meta.db_table, EPC_COLUMNS, epc_rows)
        if link_rows:
            copy_rows(LotLink._meta.db_table, LINK_COLUMNS, link_rows)
        return
    EventEPC.objects.bulk_create(
        [EventEPC(**dict(zip(EPC_COLUMNS, row, strict=True))) for row in epc_rows],
        batch_size=BATCH,
    )
    LotLink.objects.bulk_create(
        [LotLink(**dict(zip(LINK_COLUMNS, row, strict=True))) for row in link_rows],
        batch_size=BATCH,
    )


def write_flags(rows: list[tuple], now: datetime) -> int:
    """Insert the flags: (event_id, rule, severity, message, path, lot_id) rows."""
    if not rows:
        return 0
    if uses_copy():
        return copy_rows(EventFlag._meta.db_table, FLAG_COLUMNS, (r + (now,) for r in rows))
    EventFlag.objects.bulk_create(
        [EventFlag(**dict(zip(FLAG_COLUMNS, r + (now,), strict=True))) for r in rows],
        batch_size=BATCH,
    )
    return len(rows)
