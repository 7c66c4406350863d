"""Partitioned append-only tables (agritrace/partitions.py): the scan log by month on
PostgreSQL, a default partition for any other date, `agritrace partitions maintain` making the
months ahead; SQLite keeps a plain table."""

from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from agritrace import partitions
from agritrace.stamps.models import Scan, Stamp, StampBatch
from agritrace.trace.models import Lot

postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="declarative partitioning is PostgreSQL's"
)


@pytest.fixture
def stamp(world):
    lot = Lot.objects.create(uri="urn:agritrace:lot:TEST:P-1")
    batch = StampBatch.objects.create(
        lot=lot,
        primary="p",
        key="TEST",
        lot_code="P-1",
        requested_by=world.orgs["packing"],
        count=1,
    )
    return Stamp.objects.create(serial="a" * 16, batch=batch, key_id="1")


def _partition_of(scan: Scan) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM stamps_scan WHERE id = %s", [scan.pk])
        return cursor.fetchone()[0]


@postgres
@pytest.mark.django_db
def test_the_scan_log_is_partitioned_by_month_and_any_date_lands(stamp):
    with connection.cursor() as cursor:
        assert partitions.is_partitioned(cursor, "stamps_scan")
        names = [name for name, _bounds in partitions.partitions(cursor, "stamps_scan")]
    this_month = partitions.partition_name("stamps_scan", date.today().replace(day=1))
    assert "stamps_scan_default" in names and this_month in names
    now = Scan.objects.create(stamp=stamp, client="c1")
    future = Scan.objects.create(stamp=stamp, client="c2", at=datetime(2099, 5, 17, tzinfo=UTC))
    past = Scan.objects.create(stamp=stamp, client="c3", at=datetime(1999, 1, 2, tzinfo=UTC))
    assert _partition_of(now) == this_month
    assert _partition_of(future) == _partition_of(past) == "stamps_scan_default"
    # the model reads and writes as before
    assert list(Scan.objects.filter(stamp=stamp).order_by("at")) == [past, now, future]
    assert Scan.objects.filter(pk=future.pk).update(client="c4") == 1
    assert len({now.pk, future.pk, past.pk}) == 3


@postgres
@pytest.mark.django_db
def test_maintain_makes_the_missing_months_and_moves_their_rows_out_of_default(stamp):
    future = Scan.objects.create(stamp=stamp, client="c2", at=datetime(2099, 5, 17, tzinfo=UTC))
    made = partitions.maintain(connection, today=date(2099, 4, 3), ahead=2)
    assert made == ["stamps_scan_p209904", "stamps_scan_p209905", "stamps_scan_p209906"]
    assert _partition_of(future) == "stamps_scan_p209905"
    assert Scan.objects.get(pk=future.pk).client == "c2"
    # idempotent
    assert partitions.maintain(connection, today=date(2099, 4, 3), ahead=2) == []
    out = StringIO()
    call_command("partitions", "list", stdout=out)
    assert "stamps_scan_p209905" in out.getvalue()


@pytest.mark.django_db
def test_the_command_runs_on_every_database(stamp):
    out = StringIO()
    call_command("partitions", "maintain", stdout=out)
    if connection.vendor == "postgresql":
        assert "up to date" in out.getvalue() or "made" in out.getvalue()
    else:
        assert "SQLite" in out.getvalue()
        assert partitions.maintain(connection) == []
    Scan.objects.create(stamp=stamp, client="c1")
    assert Scan.objects.count() == 1
