"""FSMA 204 key data elements and trace pages on a sizeable lot graph: how long the export of
one lot's chain, of a whole time range, and a backward trace with everything that applies take.

Usage: .venv/bin/python bench/trace_kde.py [--harvests 5000] [--consolidate 100]
Builds a fresh SQLite database in a temporary folder, or uses DATABASE_URL (PostgreSQL: give a
database of its own). The graph is made with the forms' builders and captured through
services.capture: --harvests harvest lots at 50 planting areas; packings at 10 packing houses,
5 harvest lots in, 2 packed lots out; a shipment of every packed lot; and every --consolidate
packed lots consolidated into one export lot (a transformation) that is shipped. Prints the
number of events, then for one export lot its KDE rows and seconds (backward and forward
chain), the backward trace with diary, supervision and graph, and the KDE of the whole range
as CSV (streamed, as the web page and API send it: when the first piece is ready and when the
last is) and XLSX (written to a file).
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AREAS = 50
HOUSES = 10


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--harvests", type=int, default=5000)
    parser.add_argument("--consolidate", type=int, default=100)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("AGRITRACE_VAR_DIR", tempfile.mkdtemp(prefix="agritrace-kde-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agritrace.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from agritrace.accounts.models import OrgKind
    from agritrace.trace import builders, chain, export, services
    from bench.fixtures import bench_actor, issued_registry

    run = time.time_ns() % 10**9
    org, actor = bench_actor(OrgKind.PROVINCE, "Đắk Lắk", f"kde bench {run}")
    areas, houses = issued_registry(
        org,
        area_prefix=f"VN-KB{run % 1000:03d}OR-",
        house_prefix=f"VN-KB{run % 1000:03d}PH-",
        areas=AREAS,
        houses=HOUSES,
    )
    day0 = timezone.localtime() - timedelta(days=30)
    events: list[dict] = []
    harvest_lots = []
    for i in range(args.harvests):
        area = areas[i % AREAS]
        lot = services.lot_uri(area.code, f"H{i}")
        harvest_lots.append(lot)
        events.append(
            builders.harvest(
                area=area,
                lot=lot,
                harvest_date=day0.date(),
                amount=Decimal(100),
                uom="KGM",
                moment=day0,
            ).event
        )
    packed = []
    for j in range(args.harvests // 5):
        house = houses[j % HOUSES]
        inputs = [(harvest_lots[5 * j + k], Decimal(100), "KGM", "") for k in range(5)]
        outs = [
            (services.lot_uri(house.code, f"P{j}-{k}"), Decimal(200), "KGM", "") for k in (0, 1)
        ]
        packed.extend((house, out) for out in outs)
        events.append(
            builders.packing(
                house=house, inputs=inputs, outputs=outs, moment=day0 + timedelta(days=1)
            ).event
        )
    for house, out in packed:
        events.append(
            builders.shipping(
                lots=[out],
                origin=services.location_uri(house.code),
                moment=day0 + timedelta(days=2),
                destination=builders.place_uri("Consolidation yard"),
                destination_name="Consolidation yard",
                transport_doc=f"BL-{out[0][-8:]}",
            ).event
        )
    exports = []
    for c in range(0, len(packed), args.consolidate):
        house = houses[0]
        group = packed[c : c + args.consolidate]
        lot = services.lot_uri(house.code, f"C{c}")
        exports.append(lot)
        events.append(
            builders.packing(
                house=house,
                inputs=[out for _h, out in group],
                outputs=[(lot, Decimal(200 * len(group)), "KGM", "")],
                moment=day0 + timedelta(days=3),
            ).event
        )
        events.append(
            builders.shipping(
                lots=[(lot, Decimal(200 * len(group)), "KGM", "")],
                origin=services.location_uri(house.code),
                moment=day0 + timedelta(days=4),
                destination=builders.place_uri("Pingxiang"),
                destination_name="Pingxiang",
                destination_country="CN",
                transport_doc=f"BL-C{c}",
                customs_declaration=f"305{c:06d}",
            ).event
        )
    print(f"database: {connection.vendor}; capturing {len(events)} events…", flush=True)
    started = time.perf_counter()
    for start in range(0, len(events), args.batch):
        services.capture(actor, builders.document(events[start : start + args.batch]))
    print(f"  captured in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does after a bulk load
            cursor.execute("ANALYZE")

    def timed(label, fn):
        t = time.perf_counter()
        result = fn()
        print(f"{label}: {time.perf_counter() - t:.2f} s{result}", flush=True)

    lot = exports[len(exports) // 2]

    def one_lot() -> str:
        rows = list(export.lot_rows(actor, lot))
        return f", {len(export.export(rows, 'xlsx')[0]):,} bytes, {len(rows)} rows"

    timed("KDE of one export lot (its chain, backward and forward), XLSX", one_lot)
    timed(
        "backward trace of that lot (timeline, graph, areas, diary, supervision)",
        lambda: (lambda c: f", {len(c.steps)} events, {len(c.lots)} lots")(
            _traced(chain, actor, lot)
        ),
    )
    first, last = day0.date() - timedelta(days=1), (day0 + timedelta(days=5)).date()
    for fmt in ("csv", "xlsx"):
        counted = [0]

        def rows(counted=counted):
            for row in export.rows_for(export.range_events(actor, first, last)):
                counted[0] += 1
                yield row

        t = time.perf_counter()
        if fmt == "csv":
            size, first_piece = 0, None
            for piece in export.stream_csv(rows()):
                if first_piece is None:
                    first_piece = time.perf_counter() - t
                size += len(piece)
            lead = f", the first piece sent after {first_piece:.2f} s"
        else:
            with tempfile.TemporaryFile() as out:
                size = export.write(rows(), fmt, out)
            lead = ""
        took = time.perf_counter() - t
        print(
            f"KDE of the whole range, {fmt.upper()}: {took:.2f} s, {size:,} bytes, "
            f"{counted[0]} rows ({counted[0] / took:,.0f} rows/s){lead}",
            flush=True,
        )


def _traced(chain, actor, lot):
    found = chain.backward(actor, lot)
    chain.graph(found)
    return found


if __name__ == "__main__":
    main()
