"""Reads from a real PostgreSQL streaming replica (agritrace/replica.py), started by the test
(replica_cluster.py): the public lookup and trace reads go to it, writes and reads inside a
transaction stay on the primary, and a scan right after a recall or a suspension shows it
while the replica has not replayed them (replay paused with pg_wal_replay_pause())."""

import os
import time
from datetime import date

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from agritrace.registry import lifecycle
from agritrace.replica import REPLICA, replica_reads
from agritrace.stamps import services as stamps
from agritrace.stamps.tests.conftest import GTIN_LOT_URN, KEYS, build_chain, path_of
from agritrace.trace import recall as recalls
from agritrace.trace.models import Lot, Recall, RecallLot
from agritrace.trace.tests.test_recall import failed_sample

from .replica_cluster import AT_LEAST_PRIMARY, ReplicaUnavailable, start_replica

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="streaming replicas are PostgreSQL's"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def streaming_replica(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        primary = connections["default"]
        primary.ensure_connection()
        major = primary.connection.info.server_version // 10000
        cfg = primary.settings_dict
        with primary.cursor() as cursor:
            cursor.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                [list(AT_LEAST_PRIMARY)],
            )
            at_least = dict(cursor.fetchall())
    try:
        replica = start_replica(
            cfg["HOST"] or "127.0.0.1",
            int(cfg["PORT"] or 5432),
            cfg["USER"] or "postgres",
            major,
            at_least,
        )
    except ReplicaUnavailable as exc:
        if os.environ.get("CI") == "true":  # .ci/run sets replication up: a failure there
            pytest.fail(f"no streaming replica: {exc}")
        pytest.skip(f"no streaming replica here: {exc}")
    yield replica
    replica.stop()


@pytest.fixture
def replica_db(transactional_db, streaming_replica):
    """The `replica` alias on the streaming replica (what DATABASE_REPLICA_URL configures)."""
    cfg = dict(connections["default"].settings_dict)
    cfg.update(HOST="127.0.0.1", PORT=str(streaming_replica.port), CONN_MAX_AGE=0)
    connections.settings[REPLICA] = cfg
    replica = connections.create_connection(REPLICA)

    def ensure_connection() -> None:
        # Django's test case refuses connections to aliases outside its `databases` (which
        # would flush them: a standby is read-only); this one connects as the service would.
        if replica.connection is None:
            with replica.wrap_database_errors:
                replica.connect()

    replica.ensure_connection = ensure_connection
    connections[REPLICA] = replica
    yield replica
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    replica.close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def stamp_settings(settings, tmp_path):
    from django.core.cache import cache

    settings.AGRITRACE_STAMP_KEYS = dict(KEYS)
    settings.AGRITRACE_STAMP_ACTIVE_KEY = "1"
    settings.AGRITRACE_STAMP_DOMAIN = "https://tx.example.vn"
    settings.AGRITRACE_STAMP_KEYRING = tmp_path / "stamp-keys.json"
    cache.clear()
    yield
    cache.clear()


def caught_up(replica) -> None:
    """Wait until the replica has replayed everything the primary wrote so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + 60
    with replica.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.1)
    raise AssertionError("the replica did not catch up within 60 s")


def pause(replica) -> None:
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
        cursor.execute("SELECT pg_get_wal_replay_pause_state()")
        deadline = time.monotonic() + 30
        while cursor.fetchone()[0] != "paused" and time.monotonic() < deadline:
            time.sleep(0.05)
            cursor.execute("SELECT pg_get_wal_replay_pause_state()")


def status_of(response) -> str:
    text = response.content.decode()
    marker = 'data-status="'
    return text[text.index(marker) + len(marker) :].split('"', 1)[0]


def test_trace_reads_go_to_the_replica_writes_and_transactions_to_the_primary(world, replica_db):
    with replica_db.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True  # a real standby
    Lot.objects.create(uri="urn:agritrace:lot:TEST:BEFORE")
    caught_up(replica_db)
    with replica_reads():
        lot = Lot.objects.get(uri="urn:agritrace:lot:TEST:BEFORE")
        assert lot._state.db == REPLICA
    pause(replica_db)
    Lot.objects.create(uri="urn:agritrace:lot:TEST:DURING-LAG")
    with replica_reads():
        assert not Lot.objects.filter(uri="urn:agritrace:lot:TEST:DURING-LAG").exists()
        with transaction.atomic():  # what a write reads comes from the primary
            assert Lot.objects.filter(uri="urn:agritrace:lot:TEST:DURING-LAG").exists()
    assert Lot.objects.filter(uri="urn:agritrace:lot:TEST:DURING-LAG").exists()


def test_a_scan_right_after_a_recall_or_a_suspension_shows_it_under_replica_lag(
    world, replica_db, stamp_settings, client
):
    chain = build_chain(world)
    batch = stamps.request_stamps(world.actor("packing"), GTIN_LOT_URN, 2)
    first, second = (stamps.stamp_uri(s) for s in batch.stamps.order_by("pk"))
    caught_up(replica_db)
    with CaptureQueriesContext(replica_db) as on_replica:
        response = client.get(path_of(first), HTTP_ACCEPT_LANGUAGE="en")
    assert status_of(response) == "genuine"
    assert any("trace_event" in q["sql"] for q in on_replica.captured_queries)  # the summary

    pause(replica_db)
    sample = failed_sample(world, chain, sampled_on=date(2025, 6, 5))
    recalls.start_recall(world.actor("ppo"), sample_id=sample.pk, reason="Cadmium")
    with replica_db.cursor() as cursor:  # the replica has not replayed the recall
        cursor.execute("SELECT count(*) FROM trace_recalllot")
        assert cursor.fetchone()[0] == 0
    assert RecallLot.objects.exists()
    with CaptureQueriesContext(replica_db) as on_replica:
        response = client.get(path_of(first), HTTP_ACCEPT_LANGUAGE="en")
    assert status_of(response) == "recalled" and "Cadmium" in response.content.decode()
    assert on_replica.captured_queries  # the rest of the summary still came from the replica

    # a suspension, likewise (the summary forgotten as a suspension does)
    recall = Recall.objects.get()
    recalls.close_recall(world.actor("ppo"), recall.pk, outcome="lifted", note="Lab error")
    lifecycle.suspend(chain.house, world.actor("ppo"), "pests found")
    stamps.forget_lot_summary(batch.lot_id)
    assert status_of(client.get(path_of(second), HTTP_ACCEPT_LANGUAGE="en")) == "suspended"
