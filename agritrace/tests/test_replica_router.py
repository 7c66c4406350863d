"""The replica router's decisions (agritrace/replica.py), on any database: the real streaming
replica is exercised in test_replica.py (PostgreSQL only)."""

import pytest
from django.db import transaction
from django.test import RequestFactory

from agritrace import replica
from agritrace.accounts.models import Membership
from agritrace.registry.models import PackingHouse, PlantingArea
from agritrace.stamps.models import Scan, Stamp
from agritrace.trace.models import Event, EventEPC, Lot, LotLink, Recall, RecallLot

ROUTER = replica.ReplicaRouter()


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(replica, "configured", lambda: True)


def test_without_a_replica_everything_reads_the_primary():
    with replica.replica_reads():
        assert ROUTER.db_for_read(Event) == "default"


def test_outside_replica_reads_the_primary(with_replica):
    assert ROUTER.db_for_read(Event) == "default"
    assert ROUTER.db_for_read(Lot) == "default"


def test_trace_data_reads_the_replica_and_fresh_state_the_primary(with_replica):
    with replica.replica_reads():
        for model in (Event, EventEPC, Lot, LotLink):
            assert ROUTER.db_for_read(model) == "replica", model
        # what must show at once under replica lag: recalls, code status, stamps, scans
        for model in (Recall, RecallLot, PlantingArea, PackingHouse, Stamp, Scan, Membership):
            assert ROUTER.db_for_read(model) == "default", model
    assert ROUTER.db_for_read(Event) == "default"


def test_writes_and_migrations_go_to_the_primary(with_replica):
    with replica.replica_reads():
        assert ROUTER.db_for_write(Event) == "default"
    assert ROUTER.allow_migrate("default", "trace")
    assert not ROUTER.allow_migrate("replica", "trace")


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary(with_replica):
    with transaction.atomic(), replica.replica_reads():
        assert ROUTER.db_for_read(Event) == "default"


def test_a_decorated_generator_reads_the_replica_at_each_step_only(with_replica):
    @replica.reads_from_replica
    def rows():
        for _ in range(2):
            yield ROUTER.db_for_read(Event)

    stream = rows()
    assert ROUTER.db_for_read(Event) == "default"
    assert next(stream) == "replica"
    assert ROUTER.db_for_read(Event) == "default"  # between steps: the caller's context
    assert list(stream) == ["replica"]


def test_the_middleware_picks_the_public_lookup_trace_and_export_reads(with_replica):
    factory = RequestFactory()
    seen = {}

    def view(request):
        seen[request.path] = ROUTER.db_for_read(Event)

    middleware = replica.ReplicaReadsMiddleware(lambda request: None)
    for path, method, expected in [
        ("/api/stamps/lookup", "get", "replica"),
        ("/api/trace/lots/urn:x/trace", "get", "replica"),
        ("/api/trace/kde", "get", "replica"),
        ("/api/trace/recalls", "get", "default"),
        ("/api/trace/lots/urn:x/trace", "post", "default"),
    ]:
        request = getattr(factory, method)(path)
        middleware.process_view(request, view, (), {})
        view(request)
        middleware._reset(request)
        assert seen.pop(path) == expected, (path, method)
        assert ROUTER.db_for_read(Event) == "default"
