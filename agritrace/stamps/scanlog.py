"""The scan log's writer: every opening of a stamp is a row of `stamps.Scan`, but on the hottest
path of the service the request does not wait for it.

Two modes:

* **synchronous** (the embedded default: tests, `manage.py runserver`, the CLI): `write` inserts
  the row at once, as before;
* **buffered** (what `agritrace serve` starts in every worker process, `start()`): `write` puts
  the row in an in-process buffer and returns; a background thread writes the buffer as one
  multi-row insert every AGRITRACE_SCAN_FLUSH_MS milliseconds (default 200) or as soon as
  AGRITRACE_SCAN_FLUSH_EVERY rows are waiting (default 500), in one transaction whose commit
  does not wait for the write-ahead log on PostgreSQL (synchronous_commit off for it only).
  `stop()` (a clean stop: the server's worker exit, SIGTERM, interpreter exit) writes what is
  left before the process ends, so a clean stop loses no scan. A crash (SIGKILL, power) can lose
  the last fraction of a second of scans, never corrupt anything.

What a scan shows at once (first scan, count, visitors, the copy rule) does not wait for the
table either: it comes from the stamp's scan state in the shared cache (scanstate.py), updated
with each scan. The row's time is taken when the scan happens, not when it is written.
"""

from __future__ import annotations

import atexit
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone

from .models import Scan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingScan:
    stamp_id: int
    client: str
    at: datetime
    lat: Decimal | None = None
    lon: Decimal | None = None


def flush_every() -> int:
    return max(1, int(getattr(settings, "AGRITRACE_SCAN_FLUSH_EVERY", 500)))


def flush_ms() -> int:
    return max(1, int(getattr(settings, "AGRITRACE_SCAN_FLUSH_MS", 200)))


def insert(rows: list[PendingScan]) -> None:
    """Write scans as multi-row inserts in one transaction (on PostgreSQL its commit does not
    wait for the disk: synchronous_commit off for this transaction only)."""
    if not rows:
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        Scan.objects.bulk_create(
            [
                Scan(stamp_id=r.stamp_id, client=r.client, at=r.at, lat=r.lat, lon=r.lon)
                for r in rows
            ],
            batch_size=1000,
        )


class ScanBuffer:
    """Scans waiting to be written, and the thread that writes them."""

    def __init__(self, every: int, interval_ms: int) -> None:
        self.every = every
        self.interval = interval_ms / 1000
        self._rows: list[PendingScan] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._flush_lock = threading.Lock()  # one writer at a time
        self._thread = threading.Thread(target=self._run, name="agritrace-scanlog", daemon=True)
        self.written = 0

    def start(self) -> None:
        self._thread.start()

    def add(self, row: PendingScan) -> None:
        with self._lock:
            self._rows.append(row)
            full = len(self._rows) >= self.every
        if full:
            self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._rows)

    def flush(self) -> int:
        """Write what is waiting now; returns how many rows were written. Rows that fail to
        be written go back to the front of the buffer (the next flush tries again)."""
        with self._flush_lock:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return 0
            try:
                insert(rows)
            except Exception:
                with self._lock:
                    self._rows[:0] = rows
                raise
            self.written += len(rows)
            return len(rows)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stopping.is_set():
                break  # stop() writes the rest from the stopping thread
            try:
                self.flush()
            except Exception:  # the database away for a moment: keep the rows, try again
                log.exception("scan log: could not write %s scans; retrying", self.pending())
                close_old_connections()
                self._stopping.wait(min(5.0, self.interval * 10))
        connections.close_all()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread and write every scan still waiting (from the calling thread)."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        for _attempt in range(3):
            try:
                self.flush()
                break
            except Exception:
                log.exception("scan log: could not write the last %s scans", self.pending())
                close_old_connections()


_buffer: ScanBuffer | None = None
_buffer_lock = threading.Lock()


def start(every: int | None = None, interval_ms: int | None = None) -> ScanBuffer:
    """Buffer this process's scans from now on (idempotent); `stop()` writes the rest."""
    global _buffer
    with _buffer_lock:
        if _buffer is None:
            _buffer = ScanBuffer(every or flush_every(), interval_ms or flush_ms())
            _buffer.start()
            atexit.register(stop)
        return _buffer


def stop() -> None:
    """Write every buffered scan and go back to synchronous writes (a clean stop)."""
    global _buffer
    with _buffer_lock:
        buffer, _buffer = _buffer, None
    if buffer is not None:
        buffer.stop()


def flush() -> int:
    """Write this process's buffered scans now (before something reads the table)."""
    buffer = _buffer
    return buffer.flush() if buffer is not None else 0


def buffering() -> bool:
    return _buffer is not None


def write(stamp_id: int, client: str, lat=None, lon=None, at: datetime | None = None) -> None:
    """Log one scan: into the buffer when this process buffers, else inserted at once."""
    row = PendingScan(stamp_id, client, at or timezone.now(), lat, lon)
    buffer = _buffer
    if buffer is not None:
        buffer.add(row)
    else:
        insert([row])
