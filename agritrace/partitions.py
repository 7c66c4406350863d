"""Partitioned tables for the big append-only data (PostgreSQL only; SQLite keeps plain
tables): PostgreSQL's declarative range partitioning by month on a time column, a DEFAULT
partition for rows outside the months made so far (a row is never refused for its date), and
`maintain()` (`agritrace partitions maintain`, idempotent, run daily) keeping the months
ahead made.

Which tables: `PARTITIONED` below. The stamp scan log (`stamps_scan` by `at`) is the first:
no foreign key points at it, so only its primary key changes, to (id, at), as PostgreSQL
requires the partition key in every unique constraint; the Django model is unchanged (`id`
stays its primary key for the ORM, unique through its sequence). Why events are not
partitioned (their unique event hash IDs and the foreign keys pointing at them):
docs/deployment.md.

Partitions are named `<table>_pYYYYMM` (the month, UTC) and `<table>_default`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings


@dataclass(frozen=True)
class Spec:
    table: str
    column: str


PARTITIONED = [Spec("stamps_scan", "at")]


def months_ahead() -> int:
    """How many months after the current one `maintain()` keeps made."""
    return int(getattr(settings, "AGRITRACE_PARTITION_MONTHS_AHEAD", 3))


def _month(day: date, add: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + add
    return date(index // 12, index % 12 + 1, 1)


def _bound(day: date) -> str:
    return f"{day.isoformat()} 00:00:00+00"


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y%m}"


def is_partitioned(cursor, table: str) -> bool:
    cursor.execute(
        "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace",
        [table],
    )
    return cursor.fetchone() is not None


def partitions(cursor, table: str) -> list[tuple[str, str]]:
    """(name, bounds) of the table's partitions, in name order."""
    cursor.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = %s ORDER BY c.relname",
        [table],
    )
    return list(cursor.fetchall())


def _create_month(cursor, spec: Spec, month: date) -> str | None:
    """The month's partition, unless it exists. Rows of that month already in the default
    partition are moved into it (PostgreSQL refuses to attach a range that the default
    partition holds rows of)."""
    name = partition_name(spec.table, month)
    cursor.execute("SELECT to_regclass(%s)", [name])
    if cursor.fetchone()[0] is not None:
        return None
    low, high = _bound(month), _bound(_month(month, 1))
    default = f"{spec.table}_default"
    col = spec.column
    cursor.execute("SELECT to_regclass(%s)", [default])
    has_default = cursor.fetchone()[0] is not None
    moved = False
    if has_default:
        cursor.execute(
            f'SELECT 1 FROM "{default}" WHERE "{col}" >= %s AND "{col}" < %s LIMIT 1', [low, high]
        )
        moved = cursor.fetchone() is not None
    if not moved:
        cursor.execute(
            f'CREATE TABLE "{name}" PARTITION OF "{spec.table}" FOR VALUES FROM (%s) TO (%s)',
            [low, high],
        )
        return name
    cursor.execute(
        f'CREATE TABLE "{name}" (LIKE "{spec.table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
    )
    cursor.execute(
        f'WITH moved AS (DELETE FROM "{default}" WHERE "{col}" >= %s AND "{col}" < %s '
        f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved',
        [low, high],
    )
    cursor.execute(
        f'ALTER TABLE "{spec.table}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
        [low, high],
    )
    return name


def maintain(connection, today: date | None = None, ahead: int | None = None) -> list[str]:
    """Make the partitions of the current month and `ahead` months after it where missing
    (and the default partition); returns the names made. Idempotent; nothing on SQLite or
    for a table that is not partitioned."""
    if connection.vendor != "postgresql":
        return []
    today = today or datetime.now(UTC).date()
    ahead = months_ahead() if ahead is None else ahead
    made: list[str] = []
    with connection.cursor() as cursor:
        for spec in PARTITIONED:
            if not is_partitioned(cursor, spec.table):
                continue
            default = f"{spec.table}_default"
            cursor.execute("SELECT to_regclass(%s)", [default])
            if cursor.fetchone()[0] is None:
                cursor.execute(f'CREATE TABLE "{default}" PARTITION OF "{spec.table}" DEFAULT')
                made.append(default)
            for add in range(ahead + 1):
                name = _create_month(cursor, spec, _month(today, add))
                if name:
                    made.append(name)
    return made


# ------------------------------------------------------------------ migrations


def _definitions(cursor, table: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The table's constraints (name, definition) but its primary key, and its indexes'
    CREATE statements but those of constraints."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype <> 'p' ORDER BY conname",
        [table],
    )
    constraints = list(cursor.fetchall())
    cursor.execute(
        "SELECT i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
        "AND i.schemaname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname AND c.conrelid = %s::regclass) ORDER BY i.indexname",
        [table, table],
    )
    indexes = [row[0] for row in cursor.fetchall()]
    return constraints, indexes


def _rebuild(cursor, spec: Spec, partitioned: bool) -> None:
    table, old = spec.table, f"{spec.table}__old"
    constraints, indexes = _definitions(cursor, table)
    cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    clause = f' PARTITION BY RANGE ("{spec.column}")' if partitioned else ""
    cursor.execute(
        f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING IDENTITY '
        f"INCLUDING STORAGE INCLUDING COMMENTS){clause}"
    )
    if partitioned:
        cursor.execute(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', \"{spec.column}\" AT TIME ZONE 'UTC')::date "
            f'FROM "{old}"'
        )
        for (month,) in cursor.fetchall():
            _create_month(cursor, spec, month)
        today = datetime.now(UTC).date()
        for add in range(months_ahead() + 1):
            _create_month(cursor, spec, _month(today, add))
    cursor.execute(f'INSERT INTO "{table}" OVERRIDING SYSTEM VALUE SELECT * FROM "{old}"')
    cursor.execute(f'DROP TABLE "{old}" CASCADE')
    key = f'id, "{spec.column}"' if partitioned else "id"
    cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY ({key})')
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    for statement in indexes:
        cursor.execute(statement)
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
        f'coalesce((SELECT max(id) FROM "{table}"), 0) + 1, false)',
        [table],
    )


def partition_table(table: str):
    """A migration's RunPython forward function: `table` (of PARTITIONED) becomes
    partitioned by month, its rows kept (PostgreSQL; nothing elsewhere)."""
    spec = next(s for s in PARTITIONED if s.table == table)

    def forward(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            if not is_partitioned(cursor, table):
                _rebuild(cursor, spec, partitioned=True)

    return forward


def unpartition_table(table: str):
    """The reverse: a plain table again, its rows kept."""
    spec = next(s for s in PARTITIONED if s.table == table)

    def backward(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            if is_partitioned(cursor, table):
                _rebuild(cursor, spec, partitioned=False)

    return backward
