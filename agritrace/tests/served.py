"""Real server processes for tests: `agritrace serve` (gunicorn workers) on a free loopback port
against the test database, and a throwaway Redis (Debian's `redis-server`) on a free port.

The servers share the test's database, so a test using them needs committed data
(`django_db(transaction=True)`) and PostgreSQL (SQLite's test database lives in the test
process's memory); `require_postgresql()` skips with the reason elsewhere. `redis_server()`
skips with the reason when no `redis-server` binary is on the PATH (.ci/run installs it).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_postgresql() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "server processes share the test database: PostgreSQL only (SQLite's test "
            "database is in the test process's memory)"
        )


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    host = s["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


@contextmanager
def redis_server() -> Iterator[str]:
    """A private redis-server on a free port (no persistence); yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server binary on the PATH (Debian: apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


class Served:
    """One `agritrace serve` process group."""

    def __init__(self, proc: subprocess.Popen, port: int, log: Path):
        self.proc, self.port, self.log = proc, port, log
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, headers: dict | None = None) -> tuple[int, str]:
        return self.request("GET", path, None, headers)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, str]:
        req = urllib.request.Request(self.base + path, body, headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        return self.proc.wait(timeout)


def serve(tmp_path: Path, settings_text: str, env: dict | None = None, workers: int = 1) -> Served:
    """Start `agritrace serve --workers N` with a settings module of `settings_text` (it
    starts with `from agritrace.settings import *`); waits until /healthz answers."""
    port = free_port()
    name = f"served_settings_{port}"
    (tmp_path / f"{name}.py").write_text(settings_text)
    log = tmp_path / f"server-{port}.log"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": name,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        "DATABASE_URL": database_url(),
        "AGRITRACE_DEBUG": "false",
        **(env or {}),
    }
    return launch(environment, port, log, workers)


def launch(environment: dict, port: int, log: Path, workers: int = 1) -> Served:
    """Start `manage.py serve` on `port` with `environment`, its output in `log`; waits until
    /healthz answers (a RuntimeError with the log's end when it stops or never answers)."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(port)]
        + ["--workers", str(workers), "--threads", "2"],
        env=environment,
        stdout=open(log, "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    served = Served(proc, port, log)
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            if served.get("/healthz")[0] == 200:
                return served
        except OSError:
            pass
        time.sleep(0.1)
    served.stop(signal.SIGKILL)
    raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")
