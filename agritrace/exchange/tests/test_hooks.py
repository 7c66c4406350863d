"""The other changes the national side must know, written by their services: stamps issued
(stamps.services.request_stamps) and a recall started and closed (trace.recall)."""

import pytest

from agritrace.exchange.models import Delivery, MessageKind, OutboxMessage
from agritrace.stamps import services as stamps
from agritrace.stamps.tests.conftest import _stamp_settings, build_chain  # noqa: F401
from agritrace.trace import recall
from agritrace.trace.tests.test_recall import captured, failed_sample  # noqa: F401

from .conftest import connector

pytestmark = pytest.mark.django_db


def test_stamps_issued_are_a_message(world):
    hook = connector("webhook", url="http://x.test/h", secret="s")
    chain = build_chain(world)
    batch = stamps.request_stamps(world.actor("packing"), chain.own_lot, 5)
    [m] = OutboxMessage.objects.filter(kind=MessageKind.STAMPS_ISSUED)
    assert m.subject == chain.own_lot
    assert m.payload["batch"] == batch.pk and m.payload["count"] == 5
    assert m.payload["packingHouse"] == chain.house.code and m.payload["keyId"] == "1"
    assert Delivery.objects.filter(message=m, connector=hook).exists()


def test_a_recall_started_and_closed_is_two_messages(world, captured):  # noqa: F811
    connector("webhook", url="http://x.test/h", secret="s")
    sample = failed_sample(world, captured)
    found = recall.start_recall(world.actor("ppo"), sample_id=sample.pk)
    recall.close_recall(world.actor("ppo"), found.pk, outcome="lifted", note="cleared")
    started, closed = OutboxMessage.objects.filter(subject=found.reference).order_by("pk")
    assert (started.kind, closed.kind) == (MessageKind.RECALL_STARTED, MessageKind.RECALL_CLOSED)
    assert (started.payload["status"], closed.payload["status"]) == ("open", "closed")
    assert len(started.payload["lots"]) == 4
    assert closed.payload["outcome"] == "lifted" and closed.payload["closingNote"] == "cleared"
    assert started.idempotency_key != closed.idempotency_key
