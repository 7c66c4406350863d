"""Two workers at once never send the same delivery, and each subject's messages still go in
order: with PostgreSQL's row locks (SELECT … FOR UPDATE SKIP LOCKED) and with the claims used
where rows are not locked (forced here). Threads with their own connections over committed
data: PostgreSQL only (SQLite's test database is one connection's memory)."""

import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections

from agritrace.exchange import connectors, delivery
from agritrace.exchange.models import Delivery, DeliveryState
from agritrace.exchange.outbox import record

from .conftest import connector

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("claims", [False, True], ids=["row-locks", "claims"])
def test_two_workers_send_each_message_once_and_in_order(settings, monkeypatch, claims):
    if connection.vendor != "postgresql":
        pytest.skip("threads with their own connections over committed data: PostgreSQL only")
    settings.AGRITRACE_EXCHANGE_KICK = False
    settings.AGRITRACE_EXCHANGE_CLAIMS = claims
    connector(batch_size=2)
    for n in range(30):
        record("epcis.event", f"lot-{n % 6}", {"n": n, "event": {}}, f"k-{n}")
    sent: list[tuple[str, int]] = []
    lock = threading.Lock()

    def slow_send(conn, messages):
        time.sleep(0.02)  # long enough for the other worker to come in between
        with lock:
            sent.extend((m.subject, m.pk) for m in messages)
        return connectors.DELIVERED

    monkeypatch.setattr(connectors, "send", slow_send)
    errors: list[BaseException] = []

    def worker():
        try:
            delivery.deliver()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    counts = Counter(pk for _subject, pk in sent)
    assert len(counts) == 30 and set(counts.values()) == {1}  # every message, once
    for subject in {s for s, _pk in sent}:
        order = [pk for s, pk in sent if s == subject]
        assert order == sorted(order)
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}
