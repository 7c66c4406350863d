"""Crash safety: a running GeoJSON area import and a running capture of 20,000 EPCIS events,
each in its own `agritrace` process, are killed (SIGKILL) once they have started writing;
nothing of them is kept (the database is as before, the audit chain verifies), and the same
command run again completes.

The processes work on the running engine: on PostgreSQL the test database itself; on SQLite a
file copy of it (made with agritrace.backup, and read back the same way afterwards). Each
process is bounded (40 s to begin writing, 300 s to complete); most of a test's time is the
re-run that must complete (run with -s to see the times: on a quiet machine the capture re-run
takes a few seconds per thousand events; on the shared 2-core machine at a load of 16 it took
up to two minutes on PostgreSQL)."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from agritrace.audit.models import AuditEntry
from agritrace.audit.services import verify
from agritrace.backup import backup, restore
from agritrace.registry.models import Household, Plot
from agritrace.registry.transfer import export_geojson
from agritrace.trace.models import CaptureJob, Event, EventEPC
from conftest import make_area, square

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 20_000
PLOTS = 120


class Engine:
    """Where the `agritrace` processes write, and how the test reads what they left."""

    def __init__(self, tmp_path: Path) -> None:
        self.file = tmp_path / "agritrace.sqlite3"
        if connection.vendor == "sqlite":
            backup(self.file)
            self.url = f"sqlite:///{self.file}"
        else:
            conf = connection.settings_dict
            self.url = (
                f"postgres://{conf['USER']}:{conf['PASSWORD'] or ''}@{conf['HOST'] or '127.0.0.1'}"
                f":{conf['PORT'] or 5432}/{conf['NAME']}"
            )
            connection.close()

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")}
        env.update(
            DATABASE_URL=self.url,
            DJANGO_SETTINGS_MODULE="agritrace.settings",
            AGRITRACE_MISUSE_INCREMENTAL="0",
            AGRITRACE_VAR_DIR=str(self.file.parent),
        )
        return env

    def writing(self) -> bool:
        """Whether a process has begun a write transaction (and not finished it)."""
        if connection.vendor == "sqlite":
            return any(Path(f"{self.file}{suffix}").exists() for suffix in ("-journal", "-wal"))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            )
            busy = cursor.fetchone()[0] > 0
        connection.close()
        return busy

    def read_back(self) -> None:
        """Make what the processes left visible to this test's ORM."""
        if connection.vendor == "sqlite":
            # opening it read-write rolls back a killed writer's hot journal
            import sqlite3

            sqlite3.connect(self.file).execute("SELECT count(*) FROM django_migrations").close()
            restore(self.file, force=True)


def _agritrace(engine: Engine, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "agritrace.cli", *args],
        cwd=ROOT,
        env=engine.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_while_writing(engine: Engine, process: subprocess.Popen, timeout: float = 40) -> None:
    started = time.monotonic()
    deadline = started + timeout
    while not engine.writing():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the command never started writing"
        time.sleep(0.05)
    print(f"writing after {time.monotonic() - started:.1f} s")
    time.sleep(0.5)  # well into its writes
    assert process.poll() is None, "it finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


def _finish(engine: Engine, *args: str) -> str:
    started = time.monotonic()
    process = _agritrace(engine, *args)
    out, err = process.communicate(timeout=300)
    print(f"{' '.join(args[:2])}: completed in {time.monotonic() - started:.1f} s")
    assert process.returncode == 0, out + err
    return out


def _counts(*models) -> tuple[int, ...]:
    return tuple(m.objects.count() for m in models)


def _plots_document(world) -> str:
    """PLOTS new plots of new households in one area of the cooperative."""
    make_area(world, households=1)
    template = export_geojson(world.actor("coop"))["features"][0]
    features = []
    for n in range(PLOTS):
        feature = copy.deepcopy(template)
        feature["properties"].update(
            household=f"Hộ thử {n}", national_id=f"0661{n:08d}", label=f"Tờ {n}, thửa 1"
        )
        feature["geometry"] = square(108.0 + (n % 20) * 0.01, 12.5 + (n // 20) * 0.01, 60)
        features.append(feature)
    return json.dumps({"type": "FeatureCollection", "features": features})


def test_a_killed_area_import_keeps_nothing_and_a_rerun_completes(world, tmp_path):
    document = tmp_path / "plots.geojson"
    document.write_text(_plots_document(world))
    tables = (Plot, Household, AuditEntry)
    before = _counts(*tables)
    engine = Engine(tmp_path)

    _kill_while_writing(
        engine, _agritrace(engine, "areas", "import", str(document), "--as", "coop_user")
    )
    engine.read_back()
    assert _counts(*tables) == before
    assert verify().ok

    _finish(engine, "areas", "import", str(document), "--as", "coop_user")
    engine.read_back()
    assert Plot.objects.count() == before[0] + PLOTS
    assert Household.objects.count() == before[1] + PLOTS
    assert verify().ok


def _events_document() -> str:
    events = [
        {
            "type": "ObjectEvent",
            "eventTime": f"2026-06-01T{(n // 3600) % 24:02d}:{(n // 60) % 60:02d}:{n % 60:02d}Z",
            "eventTimeZoneOffset": "+07:00",
            "epcList": [f"urn:epc:id:sgtin:8930000.012345.{n}"],
            "action": "OBSERVE",
            "bizStep": "inspecting",
        }
        for n in range(EVENTS)
    ]
    return json.dumps(
        {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-06-01T00:00:00Z",
            "epcisBody": {"eventList": events},
        }
    )


def test_a_killed_capture_of_20000_events_keeps_nothing_and_a_rerun_completes(world, tmp_path):
    document = tmp_path / "events.jsonld"
    document.write_text(_events_document())
    tables = (Event, EventEPC, CaptureJob, AuditEntry)
    before = _counts(*tables)
    engine = Engine(tmp_path)

    _kill_while_writing(
        engine, _agritrace(engine, "trace", "capture", str(document), "--as", "packing_user")
    )
    engine.read_back()
    assert _counts(*tables) == before
    assert verify().ok

    out = _finish(engine, "trace", "capture", str(document), "--as", "packing_user")
    assert f"{EVENTS}" in out
    engine.read_back()
    assert Event.objects.count() == before[0] + EVENTS
    assert CaptureJob.objects.filter(stored_count=EVENTS).count() == 1
    assert verify().ok
