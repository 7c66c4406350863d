"""The public stamp lookup at scale: throughput and latency of opening a stamp's URI (what a
scan does) and of the JSON lookup, next to the same deployment's trivial endpoint and the
database's floors, with millions of stamps in PostgreSQL, all in one run.

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agritrace_lookup10m \\
        .venv/bin/python bench/lookup.py [--stamps 10000000] [--lots 1000] [--duration 30] \\
        [--connections 16] [--workers N] [--threads 4] [--sample 50000] [--no-redis]

Needs PostgreSQL (a database of its own: it is migrated and filled; a second run on the same
database reuses the stamps already there), wrk (Debian: apt-get install wrk) as the load
generator on loopback, and Debian's redis-server (a private one is started on a free port for
the run, unless --no-redis).

What it builds: the demo province (issued planting areas and packing houses, through the
services), a harvest and a packing event per lot captured through the EPCIS capture service as
the packing house's manager, one batch of stamps requested through `request_stamps` (the real
path, signing included), then the rest of the stamps written with COPY into a batch per lot:
the same rows `request_stamps` writes (random 64-bit serials, the active key), only faster.

What it measures: the server is `agritrace serve --workers N` (gunicorn, N worker processes ×
--threads threads, default N = the cores; DEBUG off) on 127.0.0.1 with the shared Redis cache
(AGRITRACE_REDIS_URL). wrk (one thread) opens --connections connections for --duration seconds
against (1) /healthz, which answers "ok" without touching the database, (2) the public page of
stamps picked at random among --sample stamps spread over the whole table, and (3) the JSON
lookup (/api/stamps/lookup?uri=) of the same stamps, after one stamp of every lot was opened
(the lots' summaries and rendered lot parts are cached, as on a busy day: the figure for those
first, cold scans is printed too). Each lookup parses and checks the Digital Link signature,
reads the stamp by its unique serial, takes the lot from the shared cache, logs the scan (into
the worker's buffer, written in multi-row inserts) and updates the stamp's scan state and the
suspected-copy rule in the shared cache, then renders. The rate limit stays on the path but is
raised for the load generator (it is one client). The floors, measured in the same run: a raw
COPY of scan rows into a scratch table (rows/s) and the primary-key read of a stamp by its
serial over one connection (reads/s, median). Prints requests/s, median and p99 latency of
each, their ratios to the trivial endpoint, and checks that every scan of the run reached the
table once the server stopped.
"""

import argparse
import io
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WRK_SCRIPT = """
paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""

SETTINGS = """
from agritrace.settings import *  # noqa: F403

# one load generator on loopback is one client: lift its limit, keep the check on the path
AGRITRACE_STAMP_RATE_LIMIT = 10**9
# a stamp opened by the load generator again and again is not a copy to alert about
AGRITRACE_STAMP_COPY_RULES = {"max_clients": 10**9, "max_places": 10**9}
# keep the lots' summaries for the whole run once warmed (the service's default is 60 s)
AGRITRACE_STAMP_SUMMARY_TTL = 3600
"""

JSON_PATH = "/api/stamps/lookup?uri="


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stamps", type=int, default=10_000_000)
    parser.add_argument("--lots", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=30, help="seconds of load per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=0, help="server processes (0: the cores)")
    parser.add_argument("--threads", type=int, default=4, help="threads per server process")
    parser.add_argument("--no-redis", action="store_true", help="local memory cache, 1 worker")
    parser.add_argument("--sample", type=int, default=50_000, help="stamps the load picks from")
    parser.add_argument("--port", type=int, default=8765)
    return parser.parse_args()


def _create_database(url: str) -> None:
    """Create the bench's database when it does not exist yet (needs CREATEDB)."""
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
        sys.exit("bench/lookup.py needs DATABASE_URL pointing at a PostgreSQL database of its own.")
    if not shutil.which("wrk"):
        sys.exit("bench/lookup.py needs wrk (apt-get install wrk).")
    _create_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agritrace.settings")
    os.environ.setdefault("AGRITRACE_STAMP_DOMAIN", "http://127.0.0.1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _event(kind: str, when: datetime, location: str, **fields) -> dict:
    return {
        "type": kind,
        "eventTime": when.isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+07:00",
        "readPoint": {"id": location},
        "bizLocation": {"id": location},
        **fields,
    }


def build_lots(n_lots: int) -> tuple[object, list[str]]:
    """Harvest and packing events for n_lots packed lots of one demo packing house, captured
    through the service; returns the packing house's manager (an Actor) and the lot URIs."""
    from agritrace.accounts.access import Actor
    from agritrace.accounts.models import Membership, Role
    from agritrace.demo import build_demo
    from agritrace.registry.models import CodeStatus, PackingHouse, SupplyContract
    from agritrace.trace import services as trace

    if not PackingHouse.objects.filter(code_status=CodeStatus.ISSUED).exists():
        started = time.perf_counter()
        build_demo()
        print(f"demo province built in {time.perf_counter() - started:.0f} s")
    contract = (
        SupplyContract.objects.filter(
            packing_house__code_status=CodeStatus.ISSUED, area__code_status=CodeStatus.ISSUED
        )
        .select_related("packing_house", "area")
        .first()
    )
    if contract is None:
        sys.exit("The demo has no issued packing house with an issued supplying area.")
    house, area = contract.packing_house, contract.area
    # The demo issues its codes today; the bench's events are dated June 2026 and codes are
    # judged at the event's time: date the two codes' issuance before it (as a code issued
    # before AgriTrace is loaded with its date).
    for holder in (house, area):
        type(holder).objects.filter(pk=holder.pk).update(issued_at=datetime(2026, 1, 1, tzinfo=UTC))
        holder.status_changes.update(effective_at=datetime(2026, 1, 1, tzinfo=UTC))
    membership = Membership.objects.filter(organisation=house.operator, role=Role.MANAGER).first()
    actor = Actor.of(membership.user)
    lots = [trace.lot_uri(house.code, f"BENCH-{i:05d}") for i in range(n_lots)]
    if trace.lot_ids_for(lots[-1:]):
        return actor, lots
    base = datetime(2026, 6, 1, tzinfo=UTC)
    events = []
    for i, packed in enumerate(lots):
        harvest = trace.lot_uri(area.code, f"BENCH-H{i:05d}")
        when = base + timedelta(minutes=i)
        events.append(
            _event(
                "ObjectEvent",
                when,
                trace.location_uri(area.code),
                action="ADD",
                bizStep="commissioning",
                disposition="active",
                quantityList=[{"epcClass": harvest, "quantity": 1000, "uom": "KGM"}],
            )
        )
        events.append(
            _event(
                "TransformationEvent",
                when + timedelta(hours=5),
                trace.location_uri(house.code),
                bizStep="packing",
                inputQuantityList=[{"epcClass": harvest, "quantity": 1000, "uom": "KGM"}],
                outputQuantityList=[{"epcClass": packed, "quantity": 600, "uom": "KGM"}],
            )
        )
    for start in range(0, len(events), 1000):
        trace.capture(
            actor,
            {
                "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": "2026-06-01T00:00:00Z",
                "epcisBody": {"eventList": events[start : start + 1000]},
            },
        )
    return actor, lots


def build_stamps(actor, lots: list[str], total: int) -> None:
    """Stamps up to `total`: the first batch through request_stamps, the rest by COPY."""
    from django.db import connection, transaction

    from agritrace.stamps import services as stamps
    from agritrace.stamps import signing
    from agritrace.stamps.models import Stamp, StampBatch
    from agritrace.trace import services as trace

    have = Stamp.objects.count()
    if have >= total:
        print(f"{have:,} stamps already in the database")
        return
    started = time.perf_counter()
    if not have:
        stamps.request_stamps(actor, lots[0], min(10_000, total))
    have = Stamp.objects.count()
    template = StampBatch.objects.order_by("id").first()
    key_id = signing.active_key_id()
    per_lot = -(-(total - have) // len(lots))
    written = 0
    for lot_uri in lots:
        count = min(per_lot, total - have - written)
        if count <= 0:
            break
        key = stamps.lot_key(lot_uri)
        with transaction.atomic():
            batch = StampBatch.objects.create(
                lot_id=next(iter(trace.lot_ids_for([lot_uri]))),
                primary=key.primary,
                key=key.key,
                lot_code=key.lot,
                requested_by=template.requested_by,
                packing_house=template.packing_house,
                province=template.province,
                count=count,
            )
            buffer = io.StringIO()
            for _ in range(count):
                buffer.write(f"{signing.new_serial()}\t{batch.pk}\t{key_id}\tactive\n")
            buffer.seek(0)
            with connection.cursor() as cursor:
                with cursor.copy(
                    "COPY stamps_stamp (serial, batch_id, key_id, status) FROM STDIN"
                ) as copy:
                    copy.write(buffer.read())
        written += count
        if written % 1_000_000 < count:
            print(f"  {have + written:,} stamps…", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stamps_stamp")
    print(
        f"{have + written:,} stamps in the database "
        f"({written:,} written in {time.perf_counter() - started:.0f} s)"
    )


def sample_paths(n: int, path_file: Path, json_file: Path) -> tuple[list[str], list[str]]:
    """Paths (and queries) of n stamps spread over the whole table, one per line in
    path_file, and their JSON lookups in json_file; returns one path per lot (to warm the
    lots' summaries) and the sampled serials."""
    from urllib.parse import quote

    from django.db import connection

    from agritrace.stamps import services as stamps
    from agritrace.stamps.models import Stamp

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM stamps_stamp")
        (top,) = cursor.fetchone()
    rng = random.Random(2026)
    ids = rng.sample(range(1, top + 1), min(n, top))
    lines, json_lines, serials = [], [], []
    per_lot: dict[int, str] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for stamp in Stamp.objects.filter(id__in=chunk).select_related("batch"):
            uri = stamps.stamp_uri(stamp)
            path = re.sub(r"^https?://[^/]+", "", uri)
            lines.append(path)
            json_lines.append(JSON_PATH + quote(uri, safe=""))
            serials.append(stamp.serial)
            per_lot.setdefault(stamp.batch.lot_id, path)
    path_file.write_text("\n".join(lines) + "\n")
    json_file.write_text("\n".join(json_lines) + "\n")
    return list(per_lot.values()), serials


def copy_floor(rows: int = 1_000_000) -> float:
    """Rows per second of a raw COPY of scan-shaped rows into a scratch table (the floor of
    any write path), in this process, rolled back."""
    from django.db import connection, transaction

    buffer = io.StringIO()
    for i in range(rows):
        buffer.write(f"{1 + i % 1000}\t2026-12-01 00:00:00+00\t{i:032x}\t\\N\t\\N\n")
    data = buffer.getvalue()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_scan_copy (LIKE stamps_scan INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        cursor.execute("ALTER TABLE bench_scan_copy ALTER COLUMN id DROP NOT NULL")
        started = time.perf_counter()
        with cursor.copy(
            "COPY bench_scan_copy (stamp_id, at, client, lat, lon) FROM STDIN"
        ) as copy:
            copy.write(data)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return rows / elapsed


def pk_read_floor(serials: list[str], n: int = 20_000) -> tuple[float, float]:
    """Reads per second and median ms of `SELECT ... WHERE serial = %s` (the unique index: the
    stamp and its batch, as the lookup reads it) over one connection, prepared."""
    from django.db import connection

    picked = [serials[i % len(serials)] for i in range(n)]
    latencies = []
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: the driver, not the ORM
        sql = (
            "SELECT s.id, s.status, b.lot_id FROM stamps_stamp s JOIN stamps_stampbatch b"
            " ON b.id = s.batch_id WHERE s.serial = %s"
        )
        started = time.perf_counter()
        for serial in picked:
            t = time.perf_counter()
            raw.execute(sql, [serial], prepare=True)
            raw.fetchone()
            latencies.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - started
    latencies.sort()
    return n / elapsed, latencies[len(latencies) // 2] * 1000


def warm(base: str, paths: list[str], workers: int) -> tuple[float, float]:
    """Open one stamp of every lot (each builds and caches its lot's summary): returns the
    requests per second and the median latency in ms of these first scans."""
    from concurrent.futures import ThreadPoolExecutor

    def fetch(path: str) -> float:
        started = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=60) as response:
            response.read()
        return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        latencies = sorted(pool.map(fetch, paths))
    elapsed = time.perf_counter() - started
    return len(paths) / elapsed, latencies[len(latencies) // 2]


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    """A private redis-server on a free loopback port, no persistence."""
    import socket

    binary = shutil.which("redis-server")
    if not binary:
        sys.exit("bench/lookup.py needs redis-server (apt-get install redis-server) or --no-redis")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "redis.log", "w"),  # noqa: SIM115
    )
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def serve(port: int, workers: int, threads: int, workdir: Path, redis_url: str) -> subprocess.Popen:
    (workdir / "bench_settings.py").write_text(SETTINGS)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{workdir}{os.pathsep}{ROOT}",
        # persistent connections, as a production deployment runs (one per worker thread)
        "AGRITRACE_DB_CONN_MAX_AGE": os.environ.get("AGRITRACE_DB_CONN_MAX_AGE", "60"),
        "AGRITRACE_DEBUG": "false",
        "AGRITRACE_REDIS_URL": redis_url,
    }
    command = [sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(port)]
    command += ["--threads", str(threads)]
    if workers:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(
        command,
        env=env,
        stdout=open(workdir / "server.out", "w"),  # noqa: SIM115
        stderr=open(workdir / "server.log", "w"),  # noqa: SIM115
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit(f"The server did not start; see {workdir / 'server.log'}")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * _UNITS[unit]


def run_wrk(url: str, duration: int, connections: int, script: Path | None) -> dict:
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _ms(re.search(r"\s50%\s+(\S+)", output).group(1)),
        "p99": _ms(re.search(r"\s99%\s+(\S+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def main() -> None:
    args = parse_args()
    setup_django()
    actor, lots = build_lots(args.lots)
    build_stamps(actor, lots, args.stamps)
    workdir = Path(tempfile.mkdtemp(prefix="agritrace-lookup-"))
    paths, json_paths = workdir / "paths.txt", workdir / "json.txt"
    lot_paths, serials = sample_paths(args.sample, paths, json_paths)
    sampled = len(serials)
    page_script, json_script = workdir / "page.lua", workdir / "json.lua"
    page_script.write_text(WRK_SCRIPT % {"paths": paths})
    json_script.write_text(WRK_SCRIPT % {"paths": json_paths})
    from agritrace.server import cpu_count
    from agritrace.stamps.models import Scan, Stamp

    print(f"{Stamp.objects.count():,} stamps; the load picks among {sampled:,} of them")
    copy_rate = copy_floor()
    pk_rate, pk_median = pk_read_floor(serials)
    redis, redis_url = (None, "") if args.no_redis else start_redis(workdir)
    workers = 1 if args.no_redis else (args.workers or cpu_count())
    server = serve(args.port, workers, args.threads, workdir, redis_url)
    base = f"http://127.0.0.1:{args.port}"
    try:
        # warm up: imports, templates, connections, then every lot's summary (first scans)
        run_wrk(f"{base}/healthz", 3, args.connections, None)
        cold_rps, cold_median = warm(base, lot_paths, args.connections)
        scans_before = Scan.objects.count()
        trivial = run_wrk(f"{base}/healthz", args.duration, args.connections, None)
        page = run_wrk(base, args.duration, args.connections, page_script)
        api = run_wrk(base, args.duration, args.connections, json_script)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        if redis is not None:
            redis.terminate()
            redis.wait(10)
    # every scan answered during the measured runs (2xx pages and lookups) is in the table
    scans = Scan.objects.count() - scans_before
    answered = page["requests"] - page["non_2xx"] + api["requests"] - api["non_2xx"]
    cache = "Redis (shared)" if redis_url else "local memory"
    print(
        f"server: agritrace serve (gunicorn), {workers} processes × {args.threads} threads, "
        f"cache {cache}; wrk: 1 thread, {args.connections} connections, "
        f"{args.duration} s per endpoint; {cpu_count()} cores shared by server, wrk and "
        "PostgreSQL"
    )
    rows = (("/healthz (trivial)", trivial), ("stamp page", page), ("JSON lookup", api))
    for name, r in rows:
        print(
            f"{name:20s} {r['rps']:9.1f} req/s   median {r['p50']:7.2f} ms   "
            f"p99 {r['p99']:7.2f} ms   ({r['requests']:,} requests, {r['non_2xx']} not 2xx)"
        )
    print(
        f"{'first scan of a lot':20s} {cold_rps:9.1f} req/s   median {cold_median:7.2f} ms"
        f"   ({len(lot_paths):,} lots, each building its summary: the cold path)"
    )
    for name, r in rows[1:]:
        print(
            f"{name} / trivial: throughput {r['rps'] / trivial['rps']:.2f}×, "
            f"median latency {r['p50'] / trivial['p50']:.1f}×, p99 {r['p99']:.1f} ms"
        )
    print(
        f"floors: raw COPY of scan rows {copy_rate:,.0f} rows/s; primary-key read of a stamp "
        f"by serial {pk_rate:,.0f} reads/s on one connection (median {pk_median:.3f} ms)"
    )
    print(
        f"scans logged during the measured runs: {scans:,} for {answered:,} answered lookups "
        f"(all in the table after the server's stop: {'yes' if scans >= answered else 'NO'})"
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
