"""Misuse detection at scale: the full scan of a province's season over millions of events
and the cost of the incremental checks on capture.

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/agritrace_misuse_bench \\
        .venv/bin/python bench/misuse.py [--events 10000000] [--codes 100000] [--docs 40]

Needs PostgreSQL (a database of its own: it is migrated and filled; a rerun on the same
database reuses what is there when the sizes match).

What it builds (COPY, like bench/lookup.py): --codes planting areas (durian, 10 ha, issued,
one diary entry each, China approval, authorised to exporter A) in one commune of Đắk Lắk,
one packing house per 100 codes (a supply contract with each of its areas), and chain
units of three events in August–September 2026: a harvest at the area, the packing of the
harvest lot at its house (a transformation), the shipping of the packed lot by exporter A to
China (sourceList owning party, destinationCountry), until --events. The rows are those the
capture service writes (events with their documents, lots with their origin, EventEPC,
LotLink). 1% of the codes are borrowed (five times what they can grow) and 1% rented (their
lots shipped by exporter B, who has no authorisation).

What it measures: capture through the service (documents of --batch events, new chain
units on the same registry) with the incremental checks off and on, in the same run, and
their ratio; the full scan (every rule) of the season and its findings per rule; beside
floors: a trivial request through Django's test client, the raw COPY rate and a
primary-key read.
"""

import argparse
import io
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROVINCE = "Đắk Lắk"
CODES_PER_HOUSE = 100
BASE = datetime(2026, 8, 1, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam, inside the durian season


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=300, help="events per captured document")
    parser.add_argument("--docs", type=int, default=40, help="documents captured per mode")
    parser.add_argument("--skip-scan", action="store_true", help="measure capture only")
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="build the registry and COPY the events, then stop",
    )
    return parser.parse_args()


def setup_django() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/misuse.py needs DATABASE_URL pointing at a PostgreSQL database of its own.")
    from bench.lookup import _create_database

    _create_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agritrace.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _copy(table: str, columns: list[str], rows) -> int:
    from django.db import connection

    buffer = io.StringIO()
    n = 0
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        n += 1
    buffer.seek(0)
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(buffer.read())
    return n


BULK_TABLES = ("trace_event", "trace_lot", "trace_eventepc", "trace_lotlink")


def _drop_indexes(tables: tuple[str, ...]) -> list[str]:
    """Drop the secondary indexes and unique constraints of `tables` (not the primary keys)
    for a bulk load; returns the statements that recreate them. They are also written to
    `_index_file()` so that an interrupted build can put them back (`_restore_indexes`)."""
    from django.db import connection

    statements: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), "
            "c.conindid FROM pg_constraint c WHERE c.contype = 'u' "
            "AND c.conrelid::regclass::text = ANY(%s)",
            [list(tables)],
        )
        constraints = cursor.fetchall()
        backing = {row[3] for row in constraints}
        cursor.execute(
            "SELECT i.indexrelid, t.relname, x.relname, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_class x ON x.oid = i.indexrelid "
            "WHERE t.relname = ANY(%s) AND NOT i.indisprimary",
            [list(tables)],
        )
        indexes = [row for row in cursor.fetchall() if row[0] not in backing]
        for table, name, definition, _oid in constraints:
            statements.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        statements += [row[3] for row in indexes]
        _index_file().write_text(json.dumps(statements))
        for table, name, _definition, _oid in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for _oid, _table, name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    return statements


def _index_file() -> Path:
    from django.db import connection

    return Path("/tmp") / f"bench-misuse-indexes-{connection.settings_dict['NAME']}.json"


def _restore_indexes(statements: list[str] | None = None) -> None:
    """Recreate the indexes `_drop_indexes` dropped (from the file when not given)."""
    from django.db import connection

    path = _index_file()
    if statements is None:
        if not path.exists():
            return
        statements = json.loads(path.read_text())
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for statement in statements:
            t0 = time.perf_counter()
            cursor.execute(statement)
            print(f"  {statement[:90]} ({time.perf_counter() - t0:.0f} s)", flush=True)
    path.unlink(missing_ok=True)


def _next_id(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        return cursor.fetchone()[0]


def _reset_sequences(tables: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )


class World:
    """The bench registry: areas, houses, the two exporters and the capturing actor."""

    def __init__(self, codes: int):
        from django.contrib.auth import get_user_model

        from agritrace.accounts.access import Actor
        from agritrace.accounts.models import Membership, Organisation, OrgKind, Role
        from agritrace.places.models import AdminUnit

        self.codes = codes
        self.houses = max(1, codes // CODES_PER_HOUSE)
        self.province = AdminUnit.objects.get(tree="2025", level="province", name=PROVINCE)
        commune = AdminUnit.objects.filter(parent=self.province).order_by("code").first()

        def org(kind, name):
            found = Organisation.objects.filter(name=name).first()
            return found or Organisation.objects.create(name=name, kind=kind, unit=commune)

        self.coop = org(OrgKind.REPRESENTATIVE, "bench cooperative")
        self.packer = org(OrgKind.PACKING_HOUSE, "bench packing firm")
        self.exporter_a = org(OrgKind.EXPORTER, "bench exporter A")
        self.exporter_b = org(OrgKind.EXPORTER, "bench exporter B (no authorisation)")
        user = get_user_model().objects.filter(username="bench-misuse").first()
        if user is None:
            user = get_user_model().objects.create_user("bench-misuse")
            Membership.objects.create(user=user, organisation=self.coop, role=Role.OFFICER)
        self.actor = Actor.of(user)
        self.commune = commune

    def build(self) -> None:
        from datetime import date

        from agritrace.diary.models import DiaryEntry
        from agritrace.registry.models import (
            CodeAuthorisation,
            CodeStatus,
            Crop,
            Market,
            MarketApproval,
            PackingHouse,
            PlantingArea,
            SupplyContract,
        )

        if PlantingArea.objects.filter(code__startswith="VN-DLBM-").count() >= self.codes:
            return
        crop = Crop.objects.get(code="durian")
        cn = Market.objects.get(code="CN")
        PlantingArea.objects.bulk_create(
            [
                PlantingArea(
                    code=area_code(a),
                    code_status=CodeStatus.ISSUED,
                    name=f"bench area {a}",
                    representative=self.coop,
                    crop=crop,
                    commune=self.commune,
                    declared_area_ha=10,
                    measured_area_ha=10,
                )
                for a in range(self.codes)
            ],
            batch_size=5000,
            ignore_conflicts=True,
        )
        PackingHouse.objects.bulk_create(
            [
                PackingHouse(
                    code=house_code(h),
                    code_status=CodeStatus.ISSUED,
                    name=f"bench house {h}",
                    operator=self.packer,
                    address="bench",
                    capacity_t_per_day=5000,
                    commune=self.commune,
                )
                for h in range(self.houses)
            ],
            ignore_conflicts=True,
        )
        areas = dict(
            PlantingArea.objects.filter(code__startswith="VN-DLBM-").values_list("code", "pk")
        )
        houses = dict(
            PackingHouse.objects.filter(code__startswith="VN-DLBP-").values_list("code", "pk")
        )
        ids = [areas[area_code(a)] for a in range(self.codes)]
        SupplyContract.objects.bulk_create(
            [
                SupplyContract(
                    packing_house_id=houses[house_code(a % self.houses)],
                    area_id=pk,
                    valid_from=date(2026, 1, 1),
                    valid_to=date(2026, 12, 31),
                )
                for a, pk in enumerate(ids)
            ],
            batch_size=5000,
        )
        CodeAuthorisation.objects.bulk_create(
            [
                CodeAuthorisation(
                    area_id=pk,
                    grantee=self.exporter_a,
                    market=cn,
                    valid_from=date(2026, 1, 1),
                    valid_to=date(2026, 12, 31),
                )
                for pk in ids
            ],
            batch_size=5000,
        )
        MarketApproval.objects.bulk_create(
            [MarketApproval(area_id=pk, market=cn, status="approved") for pk in ids],
            batch_size=5000,
            ignore_conflicts=True,
        )
        DiaryEntry.objects.bulk_create(
            [DiaryEntry(area_id=pk, kind="fertilising", date=date(2026, 7, 1)) for pk in ids],
            batch_size=5000,
        )

    def ids(self) -> tuple[dict, dict]:
        from agritrace.registry.models import PackingHouse, PlantingArea

        return (
            dict(
                PlantingArea.objects.filter(code__startswith="VN-DLBM-").values_list("code", "pk")
            ),
            dict(
                PackingHouse.objects.filter(code__startswith="VN-DLBP-").values_list("code", "pk")
            ),
        )


def area_code(a: int) -> str:
    return f"VN-DLBM-{a:06d}"


def house_code(h: int) -> str:
    return f"VN-DLBP-{h:04d}"


def is_borrowed(a: int) -> bool:
    return a % 100 == 7


def is_rented(a: int) -> bool:
    return a % 100 == 42


def unit_kg(world: World, units_per_area: int, a: int) -> int:
    """Harvest kilograms of one unit: half of what the area can grow over the season (five
    times for a borrowed code)."""
    can_grow = 10 * 22.7 * 1000
    share = 5.0 if is_borrowed(a) else 0.5
    return max(1, int(can_grow * share / max(1, units_per_area)))


def chain_documents(world: World, ns: str, first_unit: int, units: int, units_per_area: int):
    """The three events of chain units [first_unit, first_unit + units) as capture
    documents' events (for the capture measurement)."""
    from agritrace.accounts.identifiers import party_uri

    events = []
    for n in range(first_unit, first_unit + units):
        a = n % world.codes
        h = a % world.houses
        kg = unit_kg(world, units_per_area, a)
        t = BASE + timedelta(seconds=(n * 37) % (50 * 86400))
        area, house = f"{ns}loc:{area_code(a)}", f"{ns}loc:{house_code(h)}"
        harvest = f"{ns}lot:{area_code(a)}:H{n}"
        packed = f"{ns}lot:{house_code(h)}:P{n}"
        shipper = world.exporter_b if is_rented(a) else world.exporter_a
        events += [
            _event(t, "ObjectEvent", action="ADD", bizStep="commissioning", disposition="active",
                   quantityList=[{"epcClass": harvest, "quantity": kg, "uom": "KGM"}],
                   readPoint={"id": area}, bizLocation={"id": area}),
            _event(t + timedelta(hours=4), "TransformationEvent", bizStep="packing",
                   inputQuantityList=[{"epcClass": harvest, "quantity": kg, "uom": "KGM"}],
                   outputQuantityList=[{"epcClass": packed, "quantity": int(kg * 0.9),
                                        "uom": "KGM"}],
                   readPoint={"id": house}, bizLocation={"id": house}),
            _event(t + timedelta(hours=8), "ObjectEvent", action="OBSERVE", bizStep="shipping",
                   disposition="in_transit",
                   quantityList=[{"epcClass": packed, "quantity": int(kg * 0.9), "uom": "KGM"}],
                   readPoint={"id": house},
                   sourceList=[{"type": "location", "source": house},
                               {"type": "owning_party", "source": party_uri(shipper)}],
                   **{"agt:destinationCountry": "CN"}),
        ]  # fmt: skip
    return events


def _event(t: datetime, kind: str, **fields) -> dict:
    return {
        "type": kind,
        "eventTime": t.isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+07:00",
        **fields,
    }


def copy_events(world: World, total_events: int) -> tuple[int, float, float]:
    """COPY chain units until `total_events` bench events exist; returns (rows, seconds of
    the COPY alone, seconds in all with the indexes rebuilt)."""
    from django.db import connection, transaction

    from agritrace.registry.models import Crop
    from agritrace.trace.models import CaptureJob, Event
    from agritrace.trace.services import ID_BASE

    _restore_indexes()  # an interrupted build left them dropped
    have = Event.objects.filter(event_id__startswith="bench-misuse-").count()
    units = max(0, (total_events - have) // 3)
    if not units:
        return 0, 0.0, 0.0
    # A bulk load: the secondary indexes are rebuilt once at the end and the foreign-key
    # triggers are off for this session (the rows are consistent by construction).
    dropped = _drop_indexes(BULK_TABLES) if units >= 10_000 else None
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    first = have // 3
    units_per_area = max(1, total_events // 3 // world.codes)
    areas, houses = world.ids()
    crop = Crop.objects.get(code="durian").pk
    job = CaptureJob.objects.create(status="succeeded", organisation=world.coop)
    province = world.province.pk
    party = {
        o.pk: f"urn:agritrace:org:{o.identifier}" for o in (world.exporter_a, world.exporter_b)
    }
    started = time.perf_counter()
    rows = 0
    chunk = 100_000
    for start in range(first, first + units, chunk):
        end = min(first + units, start + chunk)
        event_id, lot_id, epc_id, link_id = (
            _next_id(t) for t in ("trace_event", "trace_lot", "trace_eventepc", "trace_lotlink")
        )
        ev, lots, epcs, links = [], [], [], []
        for n in range(start, end):
            a = n % world.codes
            h = a % world.houses
            kg = unit_kg(world, units_per_area, a)
            t = BASE + timedelta(seconds=(n * 37) % (50 * 86400))
            area_pk, house_pk = areas[area_code(a)], houses[house_code(h)]
            harvest = f"{ID_BASE}lot:{area_code(a)}:H{n}"
            packed = f"{ID_BASE}lot:{house_code(h)}:P{n}"
            shipper = world.exporter_b.pk if is_rented(a) else world.exporter_a.pk
            loc_a, loc_h = f"{ID_BASE}loc:{area_code(a)}", f"{ID_BASE}loc:{house_code(h)}"
            e0, e1, e2 = event_id, event_id + 1, event_id + 2
            l0, l1 = lot_id, lot_id + 1
            event_id += 3
            lot_id += 2
            docs = [
                {"type": "ObjectEvent", "bizStep": "commissioning"},
                {"type": "TransformationEvent", "bizStep": "packing"},
                {
                    "type": "ObjectEvent",
                    "bizStep": "shipping",
                    "sourceList": [
                        {"type": "location", "source": loc_h},
                        {"type": "owning_party", "source": party[shipper]},
                    ],
                    "agt:destinationCountry": "CN",
                },
            ]
            spec = [
                (e0, "ObjectEvent", "ADD", t, "commissioning", "active", loc_a, area_pk, None),
                (e1, "TransformationEvent", "", t + timedelta(hours=4), "packing", "", loc_h,
                 None, house_pk),
                (e2, "ObjectEvent", "OBSERVE", t + timedelta(hours=8), "shipping", "in_transit",
                 loc_h, None, house_pk),
            ]  # fmt: skip
            for (pk, kind, action, when, step, disp, loc, area, house), doc in zip(
                spec, docs, strict=True
            ):
                ev.append(
                    (pk, f"bench-misuse-{pk}", f"bench-misuse-hash-{pk}", kind, action,
                     when.isoformat(), "+07:00", when.isoformat(), step, disp, loc, loc,
                     json.dumps(doc, ensure_ascii=False), job.pk, world.coop.pk, province,
                     area if area else None, house if house else None,
                     shipper if step == "shipping" else None,
                     "CN" if step == "shipping" else "", "", "")
                )  # fmt: skip
            lots.append((l0, harvest, t.isoformat(), t.isoformat(), area_pk, crop, kg, kg, None))
            lots.append(
                (l1, packed, (t + timedelta(hours=4)).isoformat(),
                 (t + timedelta(hours=4)).isoformat(), None, crop, int(kg * 0.9), 0, None)
            )  # fmt: skip
            epcs += [
                (epc_id, e0, l0, "quantity", kg, "KGM"),
                (epc_id + 1, e1, l0, "input_qty", kg, "KGM"),
                (epc_id + 2, e1, l1, "output_qty", int(kg * 0.9), "KGM"),
                (epc_id + 3, e2, l1, "quantity", int(kg * 0.9), "KGM"),
            ]
            epc_id += 4
            links.append((link_id, l0, l1, e1, "transform"))
            link_id += 1
        with transaction.atomic():
            rows += _copy(
                "trace_event",
                ["id", "event_id", "event_hash", "event_type", "action", "event_time",
                 "event_time_zone_offset", "record_time", "biz_step", "disposition",
                 "read_point", "biz_location", "document", "capture_job_id", "capture_org_id",
                 "province_id", "area_id", "packing_house_id", "owning_party_id",
                 "destination_market", "former_hash", "hash_version"],
                ev,
            )  # fmt: skip
            rows += _copy(
                "trace_lot",
                ["id", "uri", "first_seen", "origin_time", "origin_area_id", "crop_id",
                 "produced_kg", "drawn_kg", "net_weight_kg"],
                lots,
            )  # fmt: skip
            rows += _copy(
                "trace_eventepc", ["id", "event_id", "lot_id", "role", "quantity", "uom"], epcs
            )
            rows += _copy(
                "trace_lotlink", ["id", "source_id", "target_id", "event_id", "kind"], links
            )
        done = end - first
        if done % 1_000_000 < chunk:
            print(f"  {done * 3:,} events copied…", flush=True)
    copied = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
    if dropped is not None:
        print(f"  {rows:,} rows copied in {copied:.0f} s; rebuilding the indexes…", flush=True)
        _restore_indexes(dropped)
    _reset_sequences(list(BULK_TABLES))
    with connection.cursor() as cursor:
        # what autovacuum does after a bulk load (the visibility map lets the full scan read
        # its partial indexes alone; this server runs with autovacuum off)
        for table in BULK_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return rows, copied, time.perf_counter() - started


def measure_capture(
    world: World, docs: int, batch: int, incremental: bool, first: int, units_per_area: int
) -> float:
    """Events/s of capturing `docs` documents of `batch` new events through the service, the
    incremental checks on or off (they run after each document commits)."""
    from django.test.utils import override_settings

    from agritrace.trace import services
    from agritrace.trace.builders import document

    units = max(1, batch // 3)
    captured = 0
    with override_settings(AGRITRACE_MISUSE_INCREMENTAL=incremental):
        started = time.perf_counter()
        for d in range(docs):
            events = chain_documents(
                world, services.ID_BASE, first + d * units, units, units_per_area
            )
            job = services.capture(world.actor, document(events))
            captured += job.stored_count
        elapsed = time.perf_counter() - started
    return captured / elapsed


def floors() -> dict:
    from django.test import Client

    from agritrace.trace.models import Event

    client = Client(HTTP_HOST="localhost")
    times = []
    for _ in range(200):
        t0 = time.perf_counter()
        client.get("/healthz")
        times.append(time.perf_counter() - t0)
    last = Event.objects.order_by("-id").values_list("id", flat=True).first() or 1
    reads = []
    for i in range(500):
        t0 = time.perf_counter()
        Event.objects.filter(pk=max(1, last - i * 7)).values_list("id", "event_time").first()
        reads.append(time.perf_counter() - t0)
    from django.db import connection, transaction

    n = 200_000
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_copy_floor (LIKE trace_eventepc INCLUDING DEFAULTS) "
            "ON COMMIT DROP"
        )
        t0 = time.perf_counter()
        _copy(
            "bench_copy_floor",
            ["id", "event_id", "lot_id", "role", "quantity", "uom"],
            ((k, k, k, "quantity", 1000, "KGM") for k in range(1, n + 1)),
        )
        copy_s = time.perf_counter() - t0
    return {
        "trivial_request_ms": statistics.median(times) * 1000,
        "pk_read_ms": statistics.median(reads) * 1000,
        "copy_rows": n,
        "copy_rows_per_s": n / copy_s,
    }


def main() -> None:
    args = parse_args()
    setup_django()
    from collections import Counter

    from agritrace.misuse.cases import upsert
    from agritrace.trace.models import Event

    world = World(args.codes)
    started = time.perf_counter()
    world.build()
    print(
        f"registry: {args.codes:,} codes, {world.houses:,} packing houses "
        f"({time.perf_counter() - started:.0f} s)"
    )
    rows, seconds, total = copy_events(world, args.events)
    if rows:
        print(
            f"COPY: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s "
            f"({total:.0f} s with the indexes rebuilt)"
        )
    print(f"events in the database: {Event.objects.count():,}")
    if args.build_only:
        return

    first = 10**9 + int(time.time()) % 10**6 * 1000
    per_area = max(1, args.events // 3 // args.codes)
    off = measure_capture(world, args.docs, args.batch, False, first, per_area)
    on = measure_capture(
        world, args.docs, args.batch, True, first + args.docs * args.batch, per_area
    )
    print(
        f"capture (documents of {args.batch} events): {off:,.0f} events/s without the "
        f"incremental checks, {on:,.0f} with them: ratio {on / off:.2f}; "
        f"{(1 / on - 1 / off) * 1000:.2f} ms added per event"
    )
    from django.test.utils import override_settings

    costly = "exporter_code_surge,volume_anomaly"
    with override_settings(AGRITRACE_MISUSE_INCREMENTAL_SKIP=costly):
        lean = measure_capture(
            world, args.docs, args.batch, True, first + 2 * args.docs * args.batch, per_area
        )
    print(
        f"  with {costly} left to the full scan: {lean:,.0f} events/s, ratio {lean / off:.2f}; "
        f"{(1 / lean - 1 / off) * 1000:.2f} ms added per event"
    )

    f = floors()
    print(
        f"floors: trivial request {f['trivial_request_ms']:.2f} ms, primary-key read "
        f"{f['pk_read_ms']:.3f} ms, raw COPY {f['copy_rows_per_s']:,.0f} rows/s "
        f"({f['copy_rows']:,} rows into a scratch table shaped like trace_eventepc)",
        flush=True,
    )
    if args.skip_scan:
        return
    # the full scan, rule by rule in one context (as scan.scan runs them), each printed as
    # it ends
    from agritrace.misuse.detect import RULES, Context
    from agritrace.misuse.scan import enabled_rules

    active = enabled_rules()
    ctx = Context(province=world.province, season="2026", rules=active)
    findings = []
    print(f"full scan of {PROVINCE} 2026, rule by rule:", flush=True)
    t_all = time.perf_counter()
    for code, function in RULES.items():
        if code not in active:
            continue
        t0 = time.perf_counter()
        found = function(ctx)
        findings += found
        print(f"  {code:30} {len(found):6,} findings {time.perf_counter() - t0:8.1f} s", flush=True)
    scanned = time.perf_counter() - t_all
    t0 = time.perf_counter()
    opened, updated = upsert(findings)
    written = time.perf_counter() - t0
    print(
        f"full scan of {PROVINCE} 2026: {scanned:.1f} s, {len(findings):,} findings "
        f"(cases: {opened:,} opened, {updated:,} updated in {written:.1f} s)"
    )
    expected = args.codes // 100
    print(f"  (injected: ~{expected:,} borrowed codes, ~{expected:,} rented codes)")
    print(
        "  findings per rule: "
        + ", ".join(f"{r} {n:,}" for r, n in sorted(Counter(f.rule for f in findings).items()))
    )


if __name__ == "__main__":
    main()
