"""The exchange API (mounted at /api/exchange/): the connectors with their counts per state,
adding and changing one, the outbox's messages with their deliveries (filters), and
re-sending dead letters. Administrators only (exchange.access: 403 for everyone else)."""

from datetime import datetime

from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from agritrace.apiutil import actor as _actor
from agritrace.paging import Paging

from . import config, delivery
from .access import require_administer
from .models import Connector, Delivery, OutboxMessage

router = Router(tags=["exchange"])


class ConnectorIn(Schema):
    name: str | None = None
    kind: str | None = None
    enabled: bool | None = None
    url: str | None = None
    token: str | None = None
    secret: str | None = None
    folder: str | None = None
    kinds: list[str] | None = None
    columns: list[dict] | None = None
    batch_size: int | None = None
    max_attempts: int | None = None
    backoff_base_seconds: int | None = None
    backoff_cap_seconds: int | None = None
    timeout_seconds: int | None = None


class MessageFilters(Schema):
    kind: str | None = None
    subject: str | None = None
    state: str | None = None
    connector: int | None = None
    since: datetime | None = None


class ResendIn(Schema):
    #: Deliveries to put back in the queue; none: every dead letter of the connector.
    deliveries: list[int] | None = None


class DeliveryOut(Schema):
    id: int
    connector_id: int
    state: str
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str


class MessageOut(Schema):
    id: int
    kind: str
    subject: str
    idempotency_key: str
    created_at: datetime
    payload: dict
    deliveries: list[DeliveryOut]


@router.get("/connectors", response=list[dict])
def list_connectors(request: HttpRequest):
    """Every connector, its settings (never its token or secret) and deliveries per state."""
    require_administer(_actor(request))
    return [config.connector_json(c) for c in Connector.objects.order_by("name")]


@router.post("/connectors", response={201: dict})
def create_connector(request: HttpRequest, payload: ConnectorIn):
    """Add a connector: kind epcis (url = the repository's base), webhook (url, secret) or
    file_drop (folder, columns)."""
    found = config.save_connector(_actor(request), payload.model_dump())
    return Status(201, config.connector_json(found))


@router.put("/connectors/{connector_id}", response=dict)
def update_connector(request: HttpRequest, connector_id: int, payload: ConnectorIn):
    """Change a connector's fields (those given; an empty token or secret keeps the stored)."""
    require_administer(_actor(request))
    found = get_object_or_404(Connector, pk=connector_id)
    return config.connector_json(
        config.save_connector(_actor(request), payload.model_dump(), found)
    )


@router.post("/connectors/{connector_id}/resend", response=dict)
def resend(request: HttpRequest, connector_id: int, payload: ResendIn):
    """Put dead (or retrying) deliveries back in the queue, attempts from zero (audited)."""
    require_administer(_actor(request))
    found = get_object_or_404(Connector, pk=connector_id)
    count = delivery.resend(_actor(request), found, payload.deliveries)
    return {"requeued": count, "counts": delivery.counts(found)}


@router.get("/messages", response=list[MessageOut])
@paginate(Paging)
def list_messages(request: HttpRequest, filters: Query[MessageFilters]):
    """The outbox, newest first, each message with its deliveries; filters: kind, subject,
    state and connector (of a delivery), since (created at or after)."""
    require_administer(_actor(request))
    found = OutboxMessage.objects.order_by("-pk")
    deliveries = Delivery.objects.order_by("connector_id")
    if filters.kind:
        found = found.filter(kind=filters.kind)
    if filters.subject:
        found = found.filter(subject=filters.subject)
    if filters.since:
        found = found.filter(created_at__gte=filters.since)
    if filters.state or filters.connector is not None:
        chosen = Delivery.objects.all()
        if filters.state:
            chosen = chosen.filter(state=filters.state)
        if filters.connector is not None:
            chosen = chosen.filter(connector_id=filters.connector)
            deliveries = deliveries.filter(connector_id=filters.connector)
        found = found.filter(pk__in=chosen.values("message_id"))
    return found.prefetch_related(Prefetch("deliveries", queryset=deliveries))
