"""Traceability at scale: capture throughput of EPCIS events and the latency of a backward
trace over the lot graph.

Usage: .venv/bin/python bench/trace.py [--events 100000] [--batch 1000] [--samples 200]
Builds a fresh SQLite database in a temporary folder, or uses DATABASE_URL (PostgreSQL: give a
database of its own, it is migrated and filled). Generates a synthetic chain, per four harvest
lots: 4 harvests (commissioning at a planting area), 4 purchases (receiving at a packing
house), 1 packing (a transformation: the 4 lots in, 1 packed lot out), 1 shipping (the packed
lot aggregated onto an SSCC pallet), 1 receiving of the pallet at the importer: 11 events. All go
through the capture service (JSON Schema validation, event hash, dedup, the domain checks of
checks.py, lot and link tables) in documents of --batch events; the 500 planting areas and 40
packing houses the chain names are registered first (issued codes, supply contracts), so every
check runs and passes. Prints events/s, then the median and p99 of a backward trace
(pallet → packed lot → harvest lots, and every event naming them) over --samples random
pallets.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EVENTS_PER_UNIT = 11
AREAS = 500
HOUSES = 40


def _event(kind: str, when: datetime, **fields) -> dict:
    return {
        "type": kind,
        "eventTime": when.isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+07:00",
        **fields,
    }


def unit_events(n: int, base: datetime, ns: str) -> tuple[list[dict], str]:
    """The 11 events of chain unit n, and its pallet's SSCC."""
    area = f"{ns}loc:VN-BNOR-{n % AREAS:04d}"
    house = f"{ns}loc:VN-BNPH-{n % HOUSES:04d}"
    lots = [f"{ns}lot:VN-BNOR-{n % AREAS:04d}:H{n}-{i}" for i in range(4)]
    packed = f"{ns}lot:VN-BNPH-{n % HOUSES:04d}:P{n}"
    sscc = f"urn:epc:id:sscc:8930000.{1_000_000_000 + n}"
    t = base + timedelta(minutes=n)
    events = []
    for i, lot in enumerate(lots):
        qty = [{"epcClass": lot, "quantity": 500 + i, "uom": "KGM"}]
        events.append(
            _event(
                "ObjectEvent",
                t,
                action="ADD",
                bizStep="commissioning",
                disposition="active",
                quantityList=qty,
                readPoint={"id": area},
                bizLocation={"id": area},
            )
        )
        events.append(
            _event(
                "ObjectEvent",
                t + timedelta(hours=3),
                action="OBSERVE",
                bizStep="receiving",
                quantityList=qty,
                readPoint={"id": house},
                bizLocation={"id": house},
            )
        )
    events.append(
        _event(
            "TransformationEvent",
            t + timedelta(hours=6),
            bizStep="packing",
            inputQuantityList=[{"epcClass": lot, "quantity": 500, "uom": "KGM"} for lot in lots],
            outputQuantityList=[{"epcClass": packed, "quantity": 1600, "uom": "KGM"}],
            readPoint={"id": house},
            bizLocation={"id": house},
        )
    )
    events.append(
        _event(
            "AggregationEvent",
            t + timedelta(hours=8),
            action="ADD",
            parentID=sscc,
            childQuantityList=[{"epcClass": packed, "quantity": 1600, "uom": "KGM"}],
            bizStep="shipping",
            disposition="in_transit",
            readPoint={"id": house},
        )
    )
    events.append(
        _event(
            "ObjectEvent",
            t + timedelta(days=3),
            action="OBSERVE",
            bizStep="receiving",
            epcList=[sscc],
            readPoint={"id": "urn:epc:id:sgln:6901234.00001.0"},
        )
    )
    return events, sscc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000, help="events per captured document")
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="agritrace-bench-")
    os.environ.setdefault("AGRITRACE_VAR_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agritrace.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from agritrace.accounts.models import OrgKind
    from agritrace.trace import services
    from agritrace.trace.models import Event
    from bench.fixtures import bench_actor, issued_registry

    org, actor = bench_actor(OrgKind.MINISTRY, "Thành phố Hà Nội", "bench ministry")
    ns = services.ID_BASE
    issued_registry(
        org,
        area_prefix="VN-BNOR-",
        house_prefix="VN-BNPH-",
        areas=AREAS,
        houses=HOUSES,
        pairs={(n % AREAS, n % HOUSES) for n in range(AREAS * HOUSES)},
    )
    run = time.time_ns()  # fresh identifiers, so a rerun on the same database adds new events
    base = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=run % 10_000_000)
    units = max(1, args.events // EVENTS_PER_UNIT)
    already = Event.objects.count()
    print(f"database: {connection.vendor}, events already there: {already}")
    print(f"capturing {units * EVENTS_PER_UNIT} events in documents of ~{args.batch}…")

    palettes: list[str] = []
    batch: list[dict] = []
    captured = 0
    started = time.perf_counter()
    last_report = started

    def flush() -> None:
        nonlocal batch, captured
        if not batch:
            return
        doc = {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2025-01-01T00:00:00Z",
            "epcisBody": {"eventList": batch},
        }
        job = services.capture(actor, doc)
        assert job.stored_count == len(batch), (job.stored_count, len(batch))
        captured += len(batch)
        batch = []

    for n in range(units):
        events, sscc = unit_events(run % 1_000_000_000 + n, base, ns)
        palettes.append(sscc)
        batch.extend(events)
        if len(batch) >= args.batch:
            flush()
            now = time.perf_counter()
            if now - last_report > 30:
                rate = captured / (now - started)
                print(f"  {captured} events, {rate:,.0f} events/s", flush=True)
                last_report = now
    flush()
    elapsed = time.perf_counter() - started
    print(
        f"capture: {captured} events in {elapsed:.1f} s = {captured / elapsed:,.0f} events/s "
        f"(validation, hash, dedup, domain checks, lots, links; documents of {args.batch})"
    )
    print(f"events in the database now: {Event.objects.count()}")

    rng = random.Random(2026)
    sample = rng.sample(palettes, min(args.samples, len(palettes)))
    timings = []
    for sscc in sample:
        t0 = time.perf_counter()
        result = services.trace(actor, sscc)
        timings.append((time.perf_counter() - t0) * 1000)
        assert len(result["lots"]) == 6, result["lots"]  # pallet, packed lot, 4 harvests
        assert len(result["events"]) == 11, len(result["events"])
    timings.sort()
    p99 = timings[min(len(timings) - 1, round(0.99 * len(timings)) - 1)]
    print(
        f"backward trace (pallet → packed lot → 4 harvest lots, with their 11 events) over "
        f"{len(timings)} random pallets: median {statistics.median(timings):.2f} ms, "
        f"p99 {p99:.2f} ms"
    )


if __name__ == "__main__":
    main()
