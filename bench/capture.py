"""EPCIS capture throughput next to its floors, measured in one run (issue 11, goal 2).

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agritrace_capture_bench \\
        AGRITRACE_MISUSE_INCREMENTAL=0 \\
        .venv/bin/python bench/capture.py [--events 100000] [--batch 1000] [--profile FILE]

Without DATABASE_URL a fresh SQLite database in a temporary folder is used (the raw COPY
floor is then a plain executemany). The same synthetic chain as bench/trace.py (harvests at
500 issued planting areas, purchases, packings, shipments onto SSCC pallets, receipts: 11
events per four harvest lots) is written as EPCIS documents of --batch events, serialised to
JSON bytes first (a document stream, as a client sends it), then each document goes through
`trace.services.capture` as the capture endpoint calls it: parsing, the JSON Schema, the
semantic rules, both event hash IDs, dedup, the domain checks of checks.py and timing.py,
parties, lots, identifier links, lot links, flags, the capture job.

Printed, in one run:
  1. capture: events/s over the whole stream;
  2. raw COPY: the same rows (the events, their EventEPC rows and their LotLink rows, read back
     from the tables just written) copied with COPY into empty copies of the three tables made
     with LIKE … INCLUDING ALL (the same columns, indexes and unique constraints, no foreign
     keys), the rows already in memory as COPY text, committed: what the database alone
     costs; and the ratio;
  3. the trivial-endpoint floor: requests/s of GET /healthz through the same Django stack
     (test client, no server), and of a capture of a one-event document through
     POST /epcis/capture.

Run with AGRITRACE_MISUSE_INCREMENTAL=0 for the capture figure (the misuse app's receiver of
`events_captured` is measured by its own bench); --profile FILE writes a pyinstrument HTML
profile of the capture loop.
"""

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.trace import AREAS, EVENTS_PER_UNIT, HOUSES, unit_events  # noqa: E402

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]


def documents(total: int, batch: int, ns: str) -> list[bytes]:
    """The stream: EPCIS documents of about `batch` events, as JSON bytes."""
    import orjson

    run = time.time_ns() % 1_000_000_000  # fresh identifiers: a rerun adds new events
    # A live stream: one chain unit every 10 seconds, the last ones a few hours ago (nothing
    # in the future, no own event older than the late_capture threshold of 72 hours).
    units = max(1, total // EVENTS_PER_UNIT)
    start = datetime.now(UTC) - timedelta(hours=24) - timedelta(seconds=10 * units)
    docs: list[bytes] = []
    events: list[dict] = []

    def flush() -> None:
        if events:
            docs.append(
                orjson.dumps(
                    {
                        "@context": CONTEXT,
                        "type": "EPCISDocument",
                        "schemaVersion": "2.0",
                        "creationDate": "2025-01-01T00:00:00Z",
                        "epcisBody": {"eventList": list(events)},
                    }
                )
            )
            events.clear()

    for n in range(units):
        # Identifiers from run + n; unit_events dates unit k at base + k minutes.
        when = start + timedelta(seconds=10 * n)
        unit, _sscc = unit_events(run + n, when - timedelta(minutes=run + n), ns)
        # The importer's receipt 12 hours after the harvest (bench/trace.py: 3 days).
        unit[-1]["eventTime"] = (when + timedelta(hours=12)).isoformat().replace("+00:00", "Z")
        events.extend(unit)
        if len(events) >= batch:
            flush()
    flush()
    return docs


def capture_all(actor, docs: list[bytes]) -> list[int]:
    """Capture the documents one after the other, as the capture endpoint does; job ids."""
    from agritrace.trace import services

    job_ids = []
    for raw in docs:
        try:
            job = services.capture(actor, raw)
        except services.CaptureRejected as exc:
            raise SystemExit(f"refused: {str(exc.message_dict)[:2000]}") from None
        assert job.stored_count + job.duplicate_count == job.event_count, job
        job_ids.append(job.pk)
    return job_ids


def capture_in_processes(actor, docs: list[bytes], workers: int) -> tuple[list[int], float]:
    """The stream shared by `workers` processes (as capture jobs on as many Celery worker
    processes would take it), document i to process i mod workers; (job ids, their CPU s)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each process opens its own connection
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        parts = pool.starmap(_capture_part, [(actor, docs[w::workers]) for w in range(workers)])
    return [pk for ids, _cpu in parts for pk in ids], sum(cpu for _ids, cpu in parts)


def _capture_part(actor, docs: list[bytes]) -> tuple[list[int], float]:
    started = time.process_time()
    ids = capture_all(actor, docs)
    return ids, time.process_time() - started


def raw_copy(job_ids: list[int]) -> tuple[int, float]:
    """(rows, seconds) of COPYing the rows the capture wrote into empty LIKE copies."""
    from django.db import connection, transaction

    from agritrace.trace.models import Event, EventEPC, LotLink

    tables = [Event._meta.db_table, EventEPC._meta.db_table, LotLink._meta.db_table]
    buffers: dict[str, tuple[list[str], bytes]] = {}
    with connection.cursor() as cursor:
        ids = ",".join(str(i) for i in job_ids)
        where = {
            tables[0]: f"capture_job_id IN ({ids})",
            tables[1]: f"event_id IN (SELECT id FROM {tables[0]} WHERE capture_job_id IN ({ids}))",
            tables[2]: f"event_id IN (SELECT id FROM {tables[0]} WHERE capture_job_id IN ({ids}))",
        }
        for table in tables:
            out = io.BytesIO()
            query = f"COPY (SELECT * FROM {table} WHERE {where[table]}) TO STDOUT"
            with cursor.cursor.copy(query) as cp:
                for chunk in cp:
                    out.write(chunk)
            cursor.execute(f"SELECT * FROM {table} LIMIT 0")
            columns = [c.name for c in cursor.description]
            buffers[table] = (columns, out.getvalue())
    rows = sum(b.count(b"\n") for _c, b in buffers.values())
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS bench_{table}")
            cursor.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
    try:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for table in tables:
                columns, data = buffers[table]
                query = f"COPY bench_{table} ({', '.join(columns)}) FROM STDIN"
                with cursor.cursor.copy(query) as cp:
                    for start in range(0, len(data), 1 << 20):
                        cp.write(data[start : start + (1 << 20)])
        elapsed = time.perf_counter() - started  # committed, like a capture
    finally:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"DROP TABLE IF EXISTS bench_{table}")
    return rows, elapsed


def floors(actor) -> tuple[float, float]:
    """(requests/s of /healthz, requests/s of a one-event capture) through the Django stack."""
    import orjson
    from django.test import Client

    client = Client()
    n = 300
    started = time.perf_counter()
    for _ in range(n):
        assert client.get("/healthz").status_code == 200
    healthz = n / (time.perf_counter() - started)
    client.force_login(actor.user)
    if True:
        started = time.perf_counter()
        for k in range(100):
            doc = {
                "@context": CONTEXT,
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": "2025-01-01T00:00:00Z",
                "epcisBody": {
                    "eventList": [
                        {
                            "type": "ObjectEvent",
                            "eventTime": f"2025-01-01T00:{k // 60:02d}:{k % 60:02d}Z",
                            "eventTimeZoneOffset": "+07:00",
                            "action": "OBSERVE",
                            "bizStep": "receiving",
                            "epcList": [f"urn:epc:id:sscc:8930000.{time.time_ns() % 10**10:010d}"],
                        }
                    ]
                },
            }
            response = client.post(
                "/epcis/capture", orjson.dumps(doc), content_type="application/json"
            )
            assert response.status_code in (201, 202), response.content[:300]
        one = 100 / (time.perf_counter() - started)
    return healthz, one


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000, help="events per captured document")
    parser.add_argument("--profile", help="write a pyinstrument HTML profile of the capture")
    parser.add_argument(
        "--workers", type=int, default=1, help="capture processes sharing the stream (default 1)"
    )
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="agritrace-bench-")
    os.environ.setdefault("AGRITRACE_VAR_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agritrace.settings")
    os.environ.setdefault("AGRITRACE_ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from agritrace.accounts.models import OrgKind
    from agritrace.trace import services
    from agritrace.trace.models import Event
    from bench.fixtures import bench_actor, issued_registry

    org, actor = bench_actor(OrgKind.MINISTRY, "Thành phố Hà Nội", "bench ministry")
    issued_registry(
        org,
        area_prefix="VN-BNOR-",
        house_prefix="VN-BNPH-",
        areas=AREAS,
        houses=HOUSES,
        pairs={(n % AREAS, n % HOUSES) for n in range(AREAS * HOUSES)},
    )
    docs = documents(args.events, args.batch, services.ID_BASE)
    total = sum(d.count(b'"eventTime"') for d in docs)
    print(
        f"database: {connection.vendor}, events already there: {Event.objects.count()}; "
        f"misuse incremental checks: {'on' if settings.AGRITRACE_MISUSE_INCREMENTAL else 'off'}"
    )
    print(
        f"stream: {total} events in {len(docs)} documents of ~{args.batch} "
        f"({sum(map(len, docs)) / 1e6:.1f} MB of JSON)"
    )
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    cpu = 0.0
    load = os.getloadavg()[0]
    cpu_started = time.process_time()
    started = time.perf_counter()
    if args.workers > 1:
        job_ids, cpu = capture_in_processes(actor, docs, args.workers)
    else:
        job_ids = capture_all(actor, docs)
    elapsed = time.perf_counter() - started
    cpu += time.process_time() - cpu_started
    if profiler is not None:
        profiler.stop()
        Path(args.profile).write_text(profiler.output_html())
        print(profiler.output_text(unicode=True, color=False, show_all=False)[:12000])
    rate = total / elapsed
    print(
        f"capture: {total} events in {elapsed:.1f} s = {rate:,.0f} events/s with "
        f"{args.workers} process(es) (parse, schema, rules, both hash IDs, dedup, domain "
        f"checks, lots, links, flags)"
    )
    print(
        f"  the capturing processes' CPU: {cpu:.1f} s = {total / cpu:,.0f} events per CPU-second "
        f"(load average {load:.1f} on {os.cpu_count()} cores when it started)"
    )
    if connection.vendor == "postgresql":
        rows, copy_s = raw_copy(job_ids)
        copy_rate = total / copy_s
        print(
            f"raw COPY of the same rows (events + EventEPC + LotLink, {rows} rows, into LIKE "
            f"copies with their indexes): {copy_s:.1f} s = {copy_rate:,.0f} events/s"
        )
        print(f"ratio capture / raw COPY: {rate / copy_rate:.2f}")
    healthz, one = floors(actor)
    print(
        f"trivial endpoint floor (Django test client): GET /healthz {healthz:,.0f} req/s; "
        f"POST /epcis/capture of a 1-event document {one:,.0f} req/s"
    )


if __name__ == "__main__":
    main()
