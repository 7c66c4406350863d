"""Traceability at scale: the latency of a lot's backward + forward trace and the time of an
FSMA 204 range export, at two database sizes (by default 100,000 and 1,000,000 events), each
figure printed next to its floor measured in the same run.

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agritrace_trace_bench \\
        .venv/bin/python bench/trace.py [--sizes 100000,1000000] [--samples 300] \\
        [--export-rows 100000]

Needs PostgreSQL (a database of its own: created when missing, migrated and filled; a rerun
on the same database keeps what is there and only adds up to the next size).

What it builds. A synthetic chain, per unit: 4 harvests (commissioning at a planting area),
4 purchases (receiving at a packing house), 1 packing (a transformation: the 4 lots in, 1
packed lot out), 1 shipping (the packed lot aggregated onto an SSCC pallet) and 1 receiving
of the pallet at the importer: 11 events, units one minute apart. The first SEED_UNITS units
(at SEED_UNITS different planting areas and packing houses, registered with issued codes and
supply contracts) are captured through the capture service (JSON Schema, event hash, domain
checks, lot and link tables), so every row shape is the service's own. The rest are copies
of those rows written with COPY: each unit takes a seed unit's events, identifier links, lots
and lot links, with its own lot and pallet identifiers, its own event hash IDs and times
shifted by its minute: the same rows the capture writes, a thousand times faster, so 1 M
events take minutes (the capture's own throughput is bench/capture's subject).

What it measures, at each size:
- the trace: `chain.backward` + `chain.forward` of a random packed lot (what the trace page
  and GET /api/trace/lots/{uri}/trace compute: the lot graph walk, every event naming the
  chain's lots, places, harvests, diary, inspections, residue results), median and p99;
  the EPCIS-style `services.trace` from a random pallet; the HTTP trace API through Django's
  in-process test client next to /healthz through the same client (the trivial endpoint);
  the floor: one event read by primary key (ORM, and raw SQL);
- the FSMA 204 range export (CSV) of the first --export-rows rows of the range, next to its
  floor: a raw `COPY (SELECT … ) TO STDOUT` of the same events' rows;
- the build: COPY rows/s.
"""

import argparse
import hashlib
import io
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EVENTS_PER_UNIT = 11
SEED_UNITS = 20
#: Unit numbers start here, so a unit's markers (H<n>-, :P<n>, the SSCC) never match
#: another number by accident.
FIRST_UNIT = 1_000_000
BASE = datetime(2025, 1, 1, tzinfo=UTC)


def _event(kind: str, when: datetime, **fields) -> dict:
    return {
        "type": kind,
        "eventTime": when.isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+07:00",
        **fields,
    }


def markers(n: int) -> dict[str, str]:
    """The strings that make unit n's identifiers unique: in the documents as captured and in
    the lots' canonical identifiers (the pallet's SSCC as a Digital Link, with its check
    digit)."""
    from agritrace.trace.identifiers import canonical_epc

    sscc = f"urn:epc:id:sscc:8930000.{1_000_000_000 + n}"
    return {
        "harvest": f":H{n}-",
        "packed": f":P{n}",
        "sscc": sscc,
        "sscc_canonical": canonical_epc(sscc),
    }


def unit_events(n: int, ns: str, area: int, house: int) -> tuple[list[dict], str, str]:
    """The 11 events of chain unit n, its packed lot and its pallet's SSCC."""
    area_uri = f"{ns}loc:VN-BNOR-{area:04d}"
    house_uri = f"{ns}loc:VN-BNPH-{house:04d}"
    lots = [f"{ns}lot:VN-BNOR-{area:04d}:H{n}-{i}" for i in range(4)]
    packed = f"{ns}lot:VN-BNPH-{house:04d}:P{n}"
    sscc = f"urn:epc:id:sscc:8930000.{1_000_000_000 + n}"
    t = BASE + timedelta(minutes=n - FIRST_UNIT)
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
                readPoint={"id": area_uri},
                bizLocation={"id": area_uri},
            )
        )
        events.append(
            _event(
                "ObjectEvent",
                t + timedelta(hours=3),
                action="OBSERVE",
                bizStep="receiving",
                quantityList=qty,
                readPoint={"id": house_uri},
                bizLocation={"id": house_uri},
            )
        )
    events.append(
        _event(
            "TransformationEvent",
            t + timedelta(hours=6),
            bizStep="packing",
            inputQuantityList=[{"epcClass": lot, "quantity": 500, "uom": "KGM"} for lot in lots],
            outputQuantityList=[{"epcClass": packed, "quantity": 1600, "uom": "KGM"}],
            readPoint={"id": house_uri},
            bizLocation={"id": house_uri},
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
            readPoint={"id": house_uri},
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
    return events, packed, sscc


# ------------------------------------------------------------------ set-up


def _create_database(url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/trace.py needs DATABASE_URL pointing at a PostgreSQL database of its own.")
    _create_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agritrace.settings")
    os.environ.setdefault("AGRITRACE_ALLOWED_HOSTS", "testserver,127.0.0.1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_ministry():
    """The bench's ministry organisation and its officer (the same on a rerun)."""
    from django.contrib.auth import get_user_model

    from agritrace.accounts.access import Actor
    from agritrace.accounts.models import Membership, Organisation, OrgKind, Role
    from agritrace.places.models import AdminUnit

    unit = AdminUnit.objects.get(tree="2025", level="province", name="Thành phố Hà Nội")
    org, _ = Organisation.objects.get_or_create(
        name="bench trace ministry", kind=OrgKind.MINISTRY, defaults={"unit": unit}
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-trace-ministry")
    Membership.objects.get_or_create(user=user, organisation=org, defaults={"role": Role.OFFICER})
    return org, user, Actor.of(user)


def seed(actor, org) -> None:
    """SEED_UNITS units through the capture service (once per database)."""
    from agritrace.trace import services
    from agritrace.trace.models import Lot
    from bench.fixtures import issued_registry

    ns = services.ID_BASE
    issued_registry(
        org,
        area_prefix="VN-BNOR-",
        house_prefix="VN-BNPH-",
        areas=SEED_UNITS,
        houses=SEED_UNITS,
        pairs={(j, j) for j in range(SEED_UNITS)},
    )
    if Lot.objects.filter(uri__endswith=f":P{FIRST_UNIT}").exists():
        return
    events = []
    for j in range(SEED_UNITS):
        events += unit_events(FIRST_UNIT + j, ns, j, j)[0]
    started = time.perf_counter()
    job = services.capture(
        actor,
        {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2025-01-01T00:00:00Z",
            "epcisBody": {"eventList": events},
        },
    )
    assert job.stored_count == len(events), (job.stored_count, job.errors)
    print(
        f"seed: {len(events)} events of {SEED_UNITS} units through the capture service in "
        f"{time.perf_counter() - started:.1f} s"
    )


# ------------------------------------------------------------------ templates and COPY


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "ORDER BY ordinal_position",
        [table],
    )
    return [r[0] for r in cursor.fetchall()]


def _rows(cursor, table: str, where: str, params) -> list[dict]:
    cols = _columns(cursor, table)
    cursor.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE {where} ORDER BY id", params)
    out = []
    for row in cursor.fetchall():
        out.append(
            {
                c: json.dumps(v) if isinstance(v, dict | list) else v
                for c, v in zip(cols, row, strict=True)
            }
        )
    return out


class Template:
    """Seed unit j's rows: events, identifier links, lots, lot links."""

    def __init__(self, cursor, ns: str, j: int):
        from agritrace.trace.models import Lot

        n = FIRST_UNIT + j
        self.n = n
        self.marks = markers(n)
        lot_ids = list(
            Lot.objects.filter(uri__contains=self.marks["harvest"]).values_list("pk", flat=True)
        )
        lot_ids += list(
            Lot.objects.filter(
                uri__endswith=self.marks["packed"], uri__startswith=f"{ns}lot:VN-BNPH-"
            ).values_list("pk", flat=True)
        )
        lot_ids += list(
            Lot.objects.filter(uri=self.marks["sscc_canonical"]).values_list("pk", flat=True)
        )
        assert len(lot_ids) == 6, lot_ids
        self.lots = _rows(cursor, "trace_lot", "id = ANY(%s)", [lot_ids])
        cursor.execute(
            "SELECT DISTINCT event_id FROM trace_eventepc WHERE lot_id = ANY(%s)", [lot_ids]
        )
        event_ids = [r[0] for r in cursor.fetchall()]
        assert len(event_ids) == EVENTS_PER_UNIT, event_ids
        self.events = _rows(cursor, "trace_event", "id = ANY(%s)", [event_ids])
        self.epcs = _rows(cursor, "trace_eventepc", "event_id = ANY(%s)", [event_ids])
        self.links = _rows(cursor, "trace_lotlink", "event_id = ANY(%s)", [event_ids])
        self.event_index = {e["id"]: i for i, e in enumerate(self.events)}
        self.lot_index = {lot["id"]: i for i, lot in enumerate(self.lots)}
        self.hash_columns = [
            c
            for c in ("event_id", "event_hash", "event_hash_v21", "former_hash")
            if c in self.events[0]
        ]

    def replace(self, text, mine: dict[str, str], swaps: list[tuple[str, str]]):
        if not isinstance(text, str):
            return text
        for key, old in self.marks.items():
            text = text.replace(old, mine[key])
        for old, new in swaps:
            text = text.replace(old, new)
        return text


def _hash_id(n: int, i: int, version: str) -> str:
    digest = hashlib.sha256(f"bench/{n}/{i}/{version}".encode()).hexdigest()
    return f"ni:///sha-256;{digest}?ver={version}"


def _reserve(cursor, table: str, count: int) -> int:
    """The first of `count` fresh ids of the table (taken from its sequence at once)."""
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
        "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
        [table, table, count],
    )
    return cursor.fetchone()[0] - count + 1


def copy_units(first: int, count: int, templates: list["Template"]) -> tuple[int, float]:
    """Units first … first+count-1 by COPY; returns (rows written, seconds)."""
    from django.db import connection, transaction

    rows = 0
    started = time.perf_counter()
    chunk = 4000  # units per transaction
    for start in range(first, first + count, chunk):
        units = range(start, min(start + chunk, first + count))
        with transaction.atomic(), connection.cursor() as cursor:
            event_base = _reserve(cursor, "trace_event", len(units) * EVENTS_PER_UNIT)
            lot_base = _reserve(cursor, "trace_lot", len(units) * 6)
            events, lots, epcs, links = [], [], [], []
            for k, n in enumerate(units):
                t = templates[n % len(templates)]
                mine = markers(n)
                shift = timedelta(minutes=n - t.n)
                ids = {
                    e["id"]: event_base + k * EVENTS_PER_UNIT + i
                    for e, i in ((e, t.event_index[e["id"]]) for e in t.events)
                }
                lot_ids = {lot["id"]: lot_base + k * 6 + t.lot_index[lot["id"]] for lot in t.lots}
                for i, e in enumerate(t.events):
                    swaps = []
                    new = dict(e)
                    for column in t.hash_columns:
                        old = e[column]
                        if old and old.startswith("ni:///"):
                            version = "CBV2.1" if "2.1" in old else "CBV2.0"
                            new[column] = _hash_id(n, i, version)
                            swaps.append((old, new[column]))
                    when = e["event_time"] + shift
                    old_text = e["event_time"].isoformat().replace("+00:00", "Z")
                    swaps.append((old_text, when.isoformat().replace("+00:00", "Z")))
                    for column, value in e.items():
                        if column in t.hash_columns or column == "id":
                            continue
                        if isinstance(value, datetime):
                            new[column] = value + shift
                        elif isinstance(value, str):
                            new[column] = t.replace(value, mine, swaps)
                    new["id"] = ids[e["id"]]
                    events.append(new)
                for lot in t.lots:
                    new = {
                        c: (v + shift if isinstance(v, datetime) else t.replace(v, mine, []))
                        for c, v in lot.items()
                    }
                    new["id"] = lot_ids[lot["id"]]
                    lots.append(new)
                for row in t.epcs:
                    new = dict(row, event_id=ids[row["event_id"]], lot_id=lot_ids[row["lot_id"]])
                    new.pop("id")
                    epcs.append(new)
                for row in t.links:
                    new = dict(
                        row,
                        event_id=ids[row["event_id"]],
                        source_id=lot_ids[row["source_id"]],
                        target_id=lot_ids[row["target_id"]],
                    )
                    new.pop("id")
                    links.append(new)
            for table, batch in (
                ("trace_lot", lots),
                ("trace_event", events),
                ("trace_eventepc", epcs),
                ("trace_lotlink", links),
            ):
                cols = list(batch[0])
                with cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row([row[c] for c in cols])
                rows += len(batch)
        done = units.stop - first
        if done % 20_000 < chunk:
            print(f"  {done * EVENTS_PER_UNIT:,} events copied…", flush=True)
    with connection.cursor() as cursor:
        for table in ("trace_lot", "trace_event", "trace_eventepc", "trace_lotlink"):
            cursor.execute(f"ANALYZE {table}")
    return rows, time.perf_counter() - started


# ------------------------------------------------------------------ measuring


def percentiles(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    p99 = timings[min(len(timings) - 1, max(0, round(0.99 * len(timings)) - 1))]
    return statistics.median(timings), p99


def line(label: str, timings: list[float], floor: tuple[str, list[float]] | None = None) -> str:
    median, p99 = percentiles(timings)
    text = f"  {label}: median {median:.2f} ms, p99 {p99:.2f} ms"
    if floor:
        f_median, f_p99 = percentiles(floor[1])
        text += (
            f"   | floor {floor[0]}: median {f_median:.3f} ms, p99 {f_p99:.3f} ms "
            f"(×{median / f_median:,.0f} the floor)"
        )
    return text


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def measure(actor, user, units: int, samples: int, export_rows: int) -> None:
    from django.db import connection
    from django.test import Client

    from agritrace.trace import chain, export, services
    from agritrace.trace.models import Event

    ns = services.ID_BASE
    rng = random.Random(2026 + units)
    picks = [FIRST_UNIT + rng.randrange(units) for _ in range(samples)]
    packed = []
    for n in picks:
        t_area = (n - FIRST_UNIT) % SEED_UNITS
        packed.append(f"{ns}lot:VN-BNPH-{t_area:04d}:P{n}")
    palettes = [f"urn:epc:id:sscc:8930000.{1_000_000_000 + n}" for n in picks]

    def both(uri: str) -> None:
        back = chain.backward(actor, uri)
        ahead = chain.forward(actor, uri)
        # behind: 4 harvests, 4 purchases, the packing; ahead: the shipping, the receiving
        assert (len(back.lots), len(back.steps), len(back.harvests)) == (5, 9, 4), uri
        assert (len(ahead.lots), len(ahead.steps)) == (2, 2), uri

    def epcis(sscc: str) -> None:
        result = services.trace(actor, sscc)
        assert len(result["lots"]) == 6 and len(result["events"]) == 11

    top = Event.objects.order_by("-pk").values_list("pk", flat=True).first()
    low = Event.objects.order_by("pk").values_list("pk", flat=True).first()
    keys = [rng.randint(low, top) for _ in range(samples)]

    def pk_orm(pk: int) -> None:
        Event.objects.filter(pk=pk).first()

    def pk_sql(pk: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM trace_event WHERE id = %s", [pk])
            cursor.fetchone()

    for warm in (packed[:20], palettes[:20]):  # first queries plan and fill caches
        for uri in warm:
            both(uri) if uri in packed else epcis(uri)
    floor_orm = timed(pk_orm, keys)
    floor_sql = timed(pk_sql, keys)
    print(
        line(
            "backward + forward trace of a packed lot (chain)",
            timed(both, packed),
            ("event by primary key, ORM", floor_orm),
        )
    )
    print(
        line(
            "EPCIS trace of a pallet (services.trace)",
            timed(epcis, palettes),
            ("event by primary key, raw SQL", floor_sql),
        )
    )

    client = Client()
    client.force_login(user)
    health = timed(lambda _i: client.get("/healthz"), range(samples))

    def api(uri: str) -> None:
        response = client.get(f"/api/trace/lots/{uri}/trace", {"direction": "backward"})
        assert response.status_code == 200, response.status_code

    print(
        line(
            "GET /api/trace/lots/{packed lot}/trace (backward, in-process client)",
            timed(api, packed),
            ("GET /healthz, same client", health),
        )
    )

    # FSMA 204 range export: the first export_rows rows of a range starting at the base
    days = max(1, -(-export_rows // (EVENTS_PER_UNIT * 24 * 60)) + 3)
    start = BASE.date()
    end = start + timedelta(days=days)
    out = io.BytesIO()
    t0 = time.perf_counter()
    written = 0

    def limited():
        nonlocal written
        for row in export.rows_for(export.range_events(actor, start, end)):
            written += 1
            yield row
            if written >= export_rows:
                return

    size = export.write(limited(), "csv", out)
    seconds = time.perf_counter() - t0
    first_day = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_time FROM trace_event WHERE event_time >= %s AND biz_step = ANY(%s) "
            "ORDER BY event_time, id OFFSET %s LIMIT 1",
            [first_day, export.CTE_STEPS, max(0, written - 1)],
        )
        last = cursor.fetchone()[0]
        t1 = time.perf_counter()
        copied = io.BytesIO()
        with cursor.copy(
            "COPY (SELECT * FROM trace_event e JOIN trace_eventepc x ON x.event_id = e.id "
            "WHERE e.event_time >= %s AND e.event_time <= %s AND e.biz_step = ANY(%s) "
            "ORDER BY e.event_time, e.id) TO STDOUT",
            [first_day, last, export.CTE_STEPS],
        ) as copy:
            for data in copy:
                copied.write(data)
        raw = time.perf_counter() - t1
    print(
        f"  FSMA 204 range export (CSV): {written:,} rows, {size / 1e6:.1f} MB in {seconds:.2f} s"
        f" = {written / seconds:,.0f} rows/s   | floor raw COPY TO of the same events and links: "
        f"{copied.tell() / 1e6:.1f} MB in {raw:.2f} s (×{seconds / raw:.1f} the floor)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000", help="database sizes in events")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--export-rows", type=int, default=100_000)
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from agritrace.trace import services
    from agritrace.trace.models import Event

    org, user, actor = bench_ministry()
    seed(actor, org)
    with connection.cursor() as cursor:
        templates = [Template(cursor, services.ID_BASE, j) for j in range(SEED_UNITS)]
    for size in [int(s) for s in args.sizes.split(",")]:
        have = _units_in_database()
        want = max(SEED_UNITS, size // EVENTS_PER_UNIT)
        if want > have:
            rows, seconds = copy_units(FIRST_UNIT + have, want - have, templates)
            print(
                f"build: {want - have:,} units ({(want - have) * EVENTS_PER_UNIT:,} events, "
                f"{rows:,} rows with lots and links) by COPY in {seconds:.0f} s = "
                f"{rows / seconds:,.0f} rows/s"
            )
        total = Event.objects.count()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"== {total:,} events in the database ({connection.vendor}, {date.today()}; "
            f"load average {load} on {os.cpu_count()} cores)"
        )
        measure(actor, user, want, args.samples, args.export_rows)


def _units_in_database() -> int:
    """How many bench units the database holds (their packed lots)."""
    from agritrace.trace.models import LotLink

    return LotLink.objects.filter(kind="aggregate").count()


if __name__ == "__main__":
    main()
