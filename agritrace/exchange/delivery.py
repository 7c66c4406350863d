"""The delivery worker: each enabled connector's due deliveries, oldest message first, sent in
batches, with retries on an exponential back-off, a dead letter after the connector's
`max_attempts`, and re-sending by an administrator.

Ordering per subject: a delivery is not sent while an earlier message of the same subject
(the code, the lot, the recall) is undelivered on the same connector — pending, retrying or
dead. A dead letter therefore holds back its subject's later messages until it is re-sent (or
the connector is fixed), which keeps a code's "suspended" from arriving before its "issued".

Two workers never send the same delivery: on PostgreSQL the batch's rows are locked with
`SELECT … FOR UPDATE SKIP LOCKED` for the time of the send (another worker skips them, and
sees them undelivered, so their subjects wait); on SQLite, which has no row locks, a worker
claims rows with one conditional UPDATE (a token and a lease) and sends what it won."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from agritrace.audit.services import record as audit

from . import connectors
from .models import DUE_STATES, Connector, Delivery, DeliveryState

log = logging.getLogger(__name__)


@dataclass
class Summary:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Summary) -> None:
        self.delivered += other.delivered
        self.failed += other.failed
        self.dead += other.dead
        self.errors += other.errors


def backoff(connector: Connector, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base × 2^(attempts−1), at most cap."""
    base = max(1, connector.backoff_base_seconds)
    seconds = min(connector.backoff_cap_seconds, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=seconds)


def _lease() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "AGRITRACE_EXCHANGE_LEASE_SECONDS", 300)))


def row_locks() -> bool:
    """Whether the database locks rows (PostgreSQL) or the worker claims them (SQLite)."""
    if getattr(settings, "AGRITRACE_EXCHANGE_CLAIMS", False):
        return False
    return connection.features.has_select_for_update_skip_locked


def due(connector: Connector, now: datetime) -> QuerySet:
    """The connector's deliveries that may be sent now: due, and no earlier message of their
    subject undelivered on this connector. Oldest message first."""
    earlier = Delivery.objects.filter(
        connector_id=OuterRef("connector_id"),
        subject=OuterRef("subject"),
        message_id__lt=OuterRef("message_id"),
    ).exclude(state=DeliveryState.DELIVERED)
    return (
        Delivery.objects.filter(connector=connector, state__in=DUE_STATES, next_attempt_at__lte=now)
        .filter(~Exists(earlier))
        .order_by("message_id")
    )


def _finish(connector: Connector, group: list[Delivery], outcome, now: datetime) -> Summary:
    summary = Summary()
    for d in group:
        d.attempts += 1
        d.last_attempt_at = now
        d.claimed_by, d.claimed_until = "", None
        if outcome.delivered:
            d.state, d.delivered_at, d.last_error = DeliveryState.DELIVERED, now, ""
            summary.delivered += 1
        elif d.attempts >= connector.max_attempts:
            d.state, d.last_error = DeliveryState.DEAD, outcome.error
            summary.dead += 1
        else:
            d.state, d.last_error = DeliveryState.RETRYING, outcome.error
            d.next_attempt_at = now + backoff(connector, d.attempts)
            summary.failed += 1
    Delivery.objects.bulk_update(
        group,
        [
            "attempts",
            "last_attempt_at",
            "state",
            "delivered_at",
            "last_error",
            "next_attempt_at",
            "claimed_by",
            "claimed_until",
        ],
    )
    if not outcome.delivered:
        summary.errors.append(outcome.error)
    return summary


def _send(connector: Connector, group: list[Delivery], now: datetime) -> Summary:
    """Send a batch; a batch refused for its content is sent again one by one, so one bad
    message does not take the others down with it."""
    outcome = connectors.send(connector, [d.message for d in group])
    if not outcome.delivered and outcome.permanent and len(group) > 1:
        summary = Summary()
        for one in group:
            summary.add(_send(connector, [one], now))
        return summary
    return _finish(connector, group, outcome, now)


def _locked_batch(connector: Connector, now: datetime) -> Summary | None:
    size = connectors.batch_size(connector)
    with transaction.atomic():
        group = list(
            due(connector, now)
            .select_related("message")
            .select_for_update(skip_locked=True, of=("self",))[:size]
        )
        if not group:
            return None
        return _send(connector, group, now)


def _claimed_batch(connector: Connector, now: datetime) -> Summary | None:
    size = connectors.batch_size(connector)
    token = uuid.uuid4().hex
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    ids = list(due(connector, now).filter(free).values_list("pk", flat=True)[:size])
    if not ids:
        return None
    Delivery.objects.filter(free, pk__in=ids, state__in=DUE_STATES).update(
        claimed_by=token, claimed_until=now + _lease()
    )
    group = list(
        Delivery.objects.filter(claimed_by=token).select_related("message").order_by("message_id")
    )
    if not group:
        return Summary()  # another worker won them: look again
    return _send(connector, group, now)


def deliver_connector(connector: Connector, now: datetime | None = None) -> Summary:
    """Send everything due on one connector (batch after batch until none is left)."""
    total = Summary()
    batch = _locked_batch if row_locks() else _claimed_batch
    for _round in range(10_000):
        when = now or timezone.now()
        done = batch(connector, when)
        if done is None:
            break
        total.add(done)
    return total


def deliver(now: datetime | None = None, connector_id: int | None = None) -> Summary:
    """One delivery run over every enabled connector (or one): the task
    `agritrace.exchange.deliver` and `agritrace exchange deliver --once`."""
    total = Summary()
    found = Connector.objects.filter(enabled=True).order_by("pk")
    if connector_id is not None:
        found = found.filter(pk=connector_id)
    for connector in found:
        try:
            total.add(deliver_connector(connector, now))
        except Exception as exc:  # one broken connector must not stop the others
            log.exception("exchange: delivery on connector %s failed", connector.pk)
            total.errors.append(f"{connector.name}: {exc}")
    return total


def run_task() -> dict:
    """The task of the task registry (JSON-able result)."""
    summary = deliver()
    return {"delivered": summary.delivered, "failed": summary.failed, "dead": summary.dead}


# ------------------------------------------------------------------ re-sending


@transaction.atomic
def resend(actor, connector: Connector, delivery_ids: list[int] | None = None) -> int:
    """Put dead (or retrying) deliveries back in the queue at once, their attempts counted
    again from zero; all of the connector's dead letters when no ids are given. Audited."""
    found = Delivery.objects.filter(
        connector=connector, state__in=[DeliveryState.DEAD, DeliveryState.RETRYING]
    )
    if delivery_ids is not None:
        found = found.filter(pk__in=delivery_ids)
    else:
        found = found.filter(state=DeliveryState.DEAD)
    ids = sorted(found.values_list("pk", flat=True))
    if not ids:
        return 0
    Delivery.objects.filter(pk__in=ids).update(
        state=DeliveryState.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        claimed_by="",
        claimed_until=None,
    )
    audit(
        getattr(actor, "user", None),
        "exchange.resend",
        connector,
        None,
        {"deliveries": ids[:1000], "count": len(ids)},
    )
    return len(ids)


def counts(connector: Connector) -> dict[str, int]:
    """How many deliveries of the connector are in each state."""
    found = dict.fromkeys(DeliveryState.values, 0)
    for state, n in connector.deliveries.order_by().values_list("state").annotate(n=Count("pk")):
        found[state] = n
    return found
