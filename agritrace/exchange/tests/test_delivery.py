"""The worker: back-off, ordering per subject, dead letters, re-sending, batches refused for
their content sent again one by one, claims where rows are not locked — with the sending
replaced by a recorder (the real HTTP is in test_connectors.py and test_receiver.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agritrace.audit.models import AuditEntry
from agritrace.exchange import connectors, delivery
from agritrace.exchange.models import Delivery, DeliveryState, OutboxMessage
from agritrace.exchange.outbox import record

from .conftest import connector

pytestmark = pytest.mark.django_db


class Receiver:
    """Stands in for connectors.send: records what was sent, fails while told to."""

    def __init__(self):
        self.sent: list[list[str]] = []
        self.down = False
        self.refuse: set[str] = set()

    def __call__(self, conn, messages):
        keys = [m.subject + "#" + str(m.payload["n"]) for m in messages]
        if self.down:
            return connectors.Outcome(False, "connection refused")
        if any(m.payload["n"] in self.refuse for m in messages):
            return connectors.Outcome(False, "HTTP 400: bad event", permanent=True)
        self.sent.append(keys)
        return connectors.DELIVERED


@pytest.fixture
def receiver(monkeypatch):
    fake = Receiver()
    monkeypatch.setattr(connectors, "send", fake)
    return fake


def message(subject: str, n: object):
    return record("epcis.event", subject, {"n": n, "event": {}}, f"{subject}-{n}")


def test_back_off_doubles_from_the_base_up_to_the_cap(db):
    c = connector(backoff_base_seconds=30, backoff_cap_seconds=200)
    waits = [delivery.backoff(c, n).total_seconds() for n in range(1, 6)]
    assert waits == [30, 60, 120, 200, 200]


def test_failures_retry_with_back_off_then_die_with_the_error_shown(receiver):
    connector(max_attempts=3, backoff_base_seconds=10, backoff_cap_seconds=15)
    m = message("lot-1", 1)
    receiver.down = True
    now = timezone.now()
    summary = delivery.deliver(now=now)
    d = Delivery.objects.get(message=m)
    assert (summary.failed, d.state, d.attempts) == (1, DeliveryState.RETRYING, 1)
    assert d.next_attempt_at == now + timedelta(seconds=10)
    assert d.last_error == "connection refused"
    # Not due yet: nothing is tried.
    assert delivery.deliver(now=now + timedelta(seconds=5)).failed == 0
    delivery.deliver(now=now + timedelta(seconds=10))
    d.refresh_from_db()
    assert (d.attempts, d.next_attempt_at) == (2, now + timedelta(seconds=25))  # 10 + 15 (cap)
    summary = delivery.deliver(now=now + timedelta(seconds=25))
    d.refresh_from_db()
    assert (summary.dead, d.state, d.attempts) == (1, DeliveryState.DEAD, 3)
    assert d.last_error == "connection refused"
    # A dead letter is not tried again, even long after.
    receiver.down = False
    assert delivery.deliver(now=now + timedelta(days=2)).delivered == 0
    assert receiver.sent == []


def test_a_subject_waits_for_its_earlier_message_and_others_go_on(receiver):
    connector(max_attempts=2, batch_size=10)
    a1, b1, a2, b2 = message("A", 1), message("B", 1), message("A", 2), message("B", 2)
    receiver.refuse = {1}  # the first message of each subject is refused...
    now = timezone.now()
    delivery.deliver(now=now)
    # ...so neither subject's second message is sent: they wait behind the first ones.
    assert receiver.sent == []
    states = dict(Delivery.objects.values_list("message_id", "state"))
    assert states == {
        a1.pk: DeliveryState.RETRYING,
        b1.pk: DeliveryState.RETRYING,
        a2.pk: DeliveryState.PENDING,
        b2.pk: DeliveryState.PENDING,
    }
    # Only A's first is fixed: A's two go, in order; B stays behind its first.
    receiver.refuse = set()
    Delivery.objects.filter(message=b1).update(next_attempt_at=now + timedelta(days=1))
    delivery.deliver(now=now + timedelta(hours=1))
    assert receiver.sent == [["A#1"], ["A#2"]]
    assert Delivery.objects.get(message=b2).state == DeliveryState.PENDING
    delivery.deliver(now=now + timedelta(days=1))
    assert receiver.sent[2:] == [["B#1"], ["B#2"]]


def test_a_dead_letter_holds_its_subject_until_it_is_sent_again(receiver, admin):
    c = connector(max_attempts=1)
    first, second = message("VN-DLOR-0001", 1), message("VN-DLOR-0001", 2)
    receiver.down = True
    delivery.deliver()
    assert Delivery.objects.get(message=first).state == DeliveryState.DEAD
    receiver.down = False
    delivery.deliver()
    assert receiver.sent == []  # the second waits behind the dead first
    assert Delivery.objects.get(message=second).state == DeliveryState.PENDING
    assert delivery.resend(admin, c) == 1
    d = Delivery.objects.get(message=first)
    assert (d.state, d.attempts) == (DeliveryState.PENDING, 0)
    entry = AuditEntry.objects.filter(action="exchange.resend").get()
    assert entry.after["deliveries"] == [d.pk]
    delivery.deliver()
    assert receiver.sent == [["VN-DLOR-0001#1"], ["VN-DLOR-0001#2"]]
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}


def test_a_batch_refused_for_one_message_delivers_the_others(receiver):
    connector(batch_size=10, max_attempts=1)
    for n in range(4):
        message(f"lot-{n}", n)
    receiver.refuse = {2}
    delivery.deliver()
    states = dict(Delivery.objects.values_list("subject", "state"))
    assert states == {
        "lot-0": DeliveryState.DELIVERED,
        "lot-1": DeliveryState.DELIVERED,
        "lot-2": DeliveryState.DEAD,
        "lot-3": DeliveryState.DELIVERED,
    }
    assert Delivery.objects.get(subject="lot-2").last_error == "HTTP 400: bad event"


def test_disabled_connectors_keep_their_messages_for_later(receiver):
    c = connector(enabled=False)
    message("lot-1", 1)
    assert delivery.deliver().delivered == 0
    c.enabled = True
    c.save()
    assert delivery.deliver().delivered == 1


def test_claims_where_rows_are_not_locked(receiver, settings):
    """The SQLite path (forced here on either engine): a row claimed by another worker (an
    unexpired lease) is not sent; an expired one is taken over."""
    settings.AGRITRACE_EXCHANGE_CLAIMS = True
    connector()
    m1, _m2 = message("lot-1", 1), message("lot-2", 2)
    now = timezone.now()
    Delivery.objects.filter(message=m1).update(
        claimed_by="other", claimed_until=now + timedelta(minutes=5)
    )
    delivery.deliver(now=now)
    assert receiver.sent == [["lot-2#2"]]
    assert Delivery.objects.get(message=m1).state == DeliveryState.PENDING
    delivery.deliver(now=now + timedelta(minutes=6))
    assert receiver.sent[1:] == [["lot-1#1"]]
    d = Delivery.objects.get(message=m1)
    assert (d.state, d.claimed_by, d.claimed_until) == (DeliveryState.DELIVERED, "", None)
    assert OutboxMessage.objects.count() == 2


def test_a_change_for_an_enabled_connector_starts_a_delivery_run(settings, monkeypatch):
    from agritrace import tasks

    settings.AGRITRACE_EXCHANGE_KICK = True
    settings.AGRITRACE_TASK_RUNNER = "thread"
    started: list[str] = []
    monkeypatch.setattr(tasks, "run_later", lambda name, *args: started.append(name))
    message("lot-0", 0)  # no connector: nothing to start
    c = connector(enabled=False)
    message("lot-1", 1)  # a disabled one: nothing either
    c.enabled = True
    c.save()
    message("lot-2", 2)
    assert started == ["agritrace.exchange.deliver"]
    settings.AGRITRACE_TASK_RUNNER = "eager"  # would send inside the change's transaction
    message("lot-3", 3)
    assert started == ["agritrace.exchange.deliver"]


def test_the_task_runs_a_delivery(receiver):
    from agritrace.task_registry import run_now

    connector()
    message("lot-1", 1)
    assert run_now("agritrace.exchange.deliver") == {"delivered": 1, "failed": 0, "dead": 0}
