"""Work that runs after the request that asked for it: `run_later(name, *args)`.

A task is a plain function named in `TASKS` ("app.module.function" → the function's dotted
path), called with JSON-able arguments (ids, not objects). `run_later` sends it once the
current transaction commits (so the rows it reads are there), to one of three runners
(`AGRITRACE_TASK_RUNNER`):

* ``celery`` — the default when a broker is configured (`CELERY_BROKER_URL`, or
  `AGRITRACE_REDIS_URL` for Redis): the task goes to the broker and an `agritrace worker`
  process runs it (agritrace/celery.py), on this machine or another;
* ``thread`` — the embedded default without a broker: a thread of this process runs it
  (`AGRITRACE_TASK_THREADS` at a time, one by default), so a single `agritrace serve` needs
  nothing else; work queued there is lost if the process stops before it ran (a capture job
  then stays "running": send the document again);
* ``eager`` — run at once, in the caller's thread and transaction (tests, commands).
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connections, transaction

from agritrace.task_registry import TASKS, function, run_now

__all__ = ["TASKS", "function", "run_now", "run_later", "runner", "broker_url"]

log = logging.getLogger(__name__)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def broker_url() -> str:
    """The Celery broker, if one is configured."""
    return getattr(settings, "CELERY_BROKER_URL", "") or ""


def runner() -> str:
    """The runner in use: "celery", "thread" or "eager" (see the module docstring)."""
    chosen = getattr(settings, "AGRITRACE_TASK_RUNNER", "") or ""
    if chosen:
        return chosen
    return "celery" if broker_url() else "thread"


def _in_thread(name: str, args: tuple) -> None:
    close_old_connections()
    try:
        run_now(name, *args)
    except Exception:  # a background task has no caller to raise to: log it
        log.exception("task %s%r failed", name, args)
    finally:
        connections.close_all()


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            threads = int(getattr(settings, "AGRITRACE_TASK_THREADS", 1))
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="agritrace-task")
        return _pool


def _dispatch(name: str, args: tuple) -> None:
    how = runner()
    if how == "celery":
        from agritrace.celery import app

        app.send_task(name, args=list(args))
    elif how == "thread":
        _thread_pool().submit(_in_thread, name, args)
    else:
        raise ValueError(f"unknown AGRITRACE_TASK_RUNNER {how!r}")


def run_later(name: str, *args) -> None:
    """Run the task `name` with `args` after the current transaction commits (at once when
    none is open); eagerly, in this thread, under the ``eager`` runner."""
    if name not in TASKS:
        raise KeyError(name)
    if runner() == "eager":
        run_now(name, *args)
        return
    transaction.on_commit(lambda: _dispatch(name, args))
