"""The production web server behind `agritrace serve`: gunicorn (a maintained pre-fork server)
with several worker processes on Linux and other POSIX systems, waitress (one process, threads)
where gunicorn cannot run (Windows) or when asked for (`--server waitress`).

One Python process uses one core at a time however many threads it has: on a machine of N
cores the public lookup needs N processes to use them. Each gunicorn worker is a `gthread`
worker (a few threads each: a request waiting on the database or the cache lets another run).

Defaults: without a shared cache (AGRITRACE_REDIS_URL unset) the cache is each process's own
memory, so one worker (a recall would otherwise reach the other workers' caches only when
their entries expire, and the rate limit would be per worker); with Redis, one worker per core
(os.process_cpu_count / sched_getaffinity). `--workers N` overrides either.

Every worker buffers its scans (stamps/scanlog.py) and writes the rest on a clean stop: the
worker's exit hook (gunicorn stops its workers gracefully on SIGTERM or SIGINT, and so does the
master on Ctrl+C), and atexit for waitress.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from django.conf import settings


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def shared_cache() -> bool:
    """True when the cache is one every process shares (Redis), not the process's memory."""
    backend = settings.CACHES["default"]["BACKEND"]
    return "locmem" not in backend.lower() and "dummy" not in backend.lower()


def default_workers() -> int:
    return cpu_count() if shared_cache() else 1


def gunicorn_available() -> bool:
    if sys.platform.startswith("win"):
        return False
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def _post_worker_init(worker) -> None:
    from agritrace.stamps import scanlog

    scanlog.start()


def _worker_exit(server, worker) -> None:
    from agritrace.stamps import scanlog

    scanlog.stop()


def run_gunicorn(application: Callable, host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    class Server(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": bind,
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread" if threads > 1 else "sync",
                "backlog": 2048,
                "keepalive": 5,
                "graceful_timeout": 30,
                "timeout": 60,
                "post_worker_init": _post_worker_init,
                "worker_exit": _worker_exit,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": os.environ.get("AGRITRACE_SERVER_LOG_LEVEL", "warning"),
                "proc_name": "agritrace",
                # the application is loaded before the fork: workers share its memory
                "preload_app": True,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Callable:
            return application

    Server().run()


def run_waitress(application: Callable, host: str, port: int, threads: int) -> None:
    import signal

    import waitress

    from agritrace.stamps import scanlog

    scanlog.start()
    # SIGTERM ends the process through SystemExit, so atexit (scanlog.stop) runs
    signal.signal(signal.SIGTERM, lambda *_a: sys.exit(0))
    try:
        waitress.serve(application, host=host, port=port, threads=threads)
    finally:
        scanlog.stop()
