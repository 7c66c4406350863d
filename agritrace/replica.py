"""Read replicas: the public stamp lookup, trace reads and exports read from a PostgreSQL
streaming replica when `DATABASE_REPLICA_URL` is set (the `replica` database alias); every
write and every other read goes to the primary (`default`).

Three rules decide where a read goes (`ReplicaRouter.db_for_read`):

1. Only inside `replica_reads()` (a context manager and a decorator, also for generators
   such as a streamed export) or a request to one of `REPLICA_VIEWS` (`ReplicaReadsMiddleware`).
2. Never inside a transaction on the primary: what a write reads, and what is read after a
   write in the same transaction, comes from the primary.
3. Only the read-mostly traceability data of `REPLICA_MODELS`: events and their identifier
   and lot links, lots, plots, places, the catalogue, diary and supervision records. The
   state a person must see at once stays on the primary even under replica lag: recalls and
   the lots they mark, the codes' status (planting areas, packing houses), the stamps
   themselves (a stamp printed a second ago is found, a voided one is void at once) and
   their scans (copy detection counts the latest), and everything of accounts and sessions.
   So a scan right after a recall shows the recall although the replica has not replayed it:
   the lot summary is rebuilt after the recall's cache invalidation with the recall read
   from the primary (tested with replay paused, agritrace/tests/test_replica.py).

Without `DATABASE_REPLICA_URL` the router sends everything to `default` (SQLite too).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

#: Models (app_label.model_name) a replica read may serve. Anything else reads the primary.
REPLICA_MODELS = frozenset(
    {
        "trace.event",
        "trace.eventepc",
        "trace.lot",
        "trace.lotlink",
        "trace.eventflag",
        "trace.packoutfactor",
        "places.adminunit",
        "places.unitmapping",
        "places.provinceabbreviation",
        "registry.plot",
        "registry.household",
        "registry.crop",
        "registry.variety",
        "registry.market",
        "registry.certificate",
        "diary.diaryentry",
        "diary.pesticide",
        "diary.fertiliser",
        "diary.activeingredient",
        "supervision.monitoringvisit",
        "supervision.sample",
        "supervision.labresult",
        "supervision.residuecase",
    }
)

#: URL names whose GET/HEAD requests read through `replica_reads()`: the public stamp page
#: and lookups, the trace pages and exports (their API routes too, by path: API_PREFIXES).
REPLICA_VIEWS = frozenset(
    {
        "stamp-page",
        "public-lookup",
        "trace-lot",
        "trace-lot-kde",
        "trace-area",
        "trace-plot",
        "trace-sample",
        "trace-export",
    }
)
#: API paths (GET) served from the replica: the JSON stamp lookup, lot traces and exports.
API_PREFIXES = ("/api/stamps/lookup", "/api/trace/lots/", "/api/trace/kde")

_active: contextvars.ContextVar[bool] = contextvars.ContextVar("agritrace_replica", default=False)


def configured() -> bool:
    """Is a replica configured (`DATABASE_REPLICA_URL`)?"""
    return REPLICA in connections.settings


def active() -> bool:
    """Would a read of a replica model go to the replica now?"""
    return _active.get() and configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block


@contextmanager
def replica_reads() -> Iterator[None]:
    """Within the block, reads of REPLICA_MODELS outside a transaction go to the replica."""
    token = _active.set(True)
    try:
        yield
    finally:
        _active.reset(token)


def reads_from_replica(func: Callable) -> Callable:
    """Decorate a function (or a generator function: each step of it) with replica_reads()."""
    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def generator(*args, **kwargs):
            inner = func(*args, **kwargs)
            while True:
                token = _active.set(True)
                try:
                    item = next(inner)
                except StopIteration as stop:
                    return stop.value
                finally:
                    _active.reset(token)
                yield item

        return generator

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return func(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """DATABASE_ROUTERS: replica reads as the module says; writes and migrations: default."""

    def db_for_read(self, model, **hints) -> str | None:
        if model._meta.label_lower in REPLICA_MODELS and active():
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


def replica_request(request) -> bool:
    """Does this request read through the replica (a GET of a replica view or API path)?"""
    if request.method not in ("GET", "HEAD"):
        return False
    if request.path_info.startswith(API_PREFIXES):
        return True
    match = getattr(request, "resolver_match", None)
    return bool(match and match.url_name in REPLICA_VIEWS)


class ReplicaReadsMiddleware:
    """Runs the views of replica requests inside replica_reads() (after URL resolution, so
    it sits in process_view). A streamed response's body is made after the view returns: the
    export generators carry the decorator themselves (trace/export.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            self._reset(request)

    @staticmethod
    def _reset(request) -> None:
        token = getattr(request, "_replica_token", None)
        if token is not None:
            _active.reset(token)
            request._replica_token = None

    def process_view(self, request, view_func, view_args, view_kwargs):
        if configured() and replica_request(request):
            request._replica_token = _active.set(True)
        return None
