"""Writing to the outbox: `record()` inside the transaction of the change itself, so a change
and its message are committed together or not at all (never `on_commit`: a crash between the
commit and the callback would lose the message).

The services call the small functions below (`code_changed` from registry.lifecycle,
`events_captured` from trace.services, `stamps_issued` from stamps.services, `recall_changed`
from trace.recall); they take the objects duck-typed and import no other app, so no app that
calls them is imported back. Each message gets one `Delivery` per connector that takes its
kind (disabled connectors too: they catch up when enabled again)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from .models import Connector, Delivery, MessageKind, OutboxMessage

#: The namespace of the idempotency keys (uuid5 of kind, subject and version).
NAMESPACE = uuid.UUID("6f1d3c2a-5b8e-4e0b-9a51-2f6e1c0d7a13")


def idempotency_key(kind: str, subject: str, version: object) -> str:
    """A stable key: the same change always gets the same key."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}|{subject}|{version}"))


def _connectors_for(kinds: set[str]) -> tuple[dict[str, list[int]], set[int]]:
    """The connectors taking each kind, and which of them are enabled."""
    found: dict[str, list[int]] = {k: [] for k in kinds}
    enabled: set[int] = set()
    for connector in Connector.objects.all():
        if connector.enabled:
            enabled.add(connector.pk)
        for kind in connector.takes():
            if kind in found:
                found[kind].append(connector.pk)
    return found, enabled


def record_many(items: Iterable[tuple[str, str, Mapping, str]]) -> list[OutboxMessage]:
    """Write messages (kind, subject, payload, idempotency key) and their deliveries, in the
    caller's transaction (an atomic block of its own when none is open); a key already written
    is left out. Returns the messages written."""
    items = list(items)
    if not items:
        return []
    now = timezone.now()
    with transaction.atomic():
        # The same change always gets the same key: one already written (an event captured
        # again after it was deleted here, a declaration captured twice) is not written again,
        # and the message the receiver has, or will have, stands for it.
        known = set(
            OutboxMessage.objects.filter(
                idempotency_key__in=[key for *_rest, key in items]
            ).values_list("idempotency_key", flat=True)
        )
        fresh = []
        for item in items:
            if item[3] not in known:
                known.add(item[3])
                fresh.append(item)
        items = fresh
        if not items:
            return []
        messages = OutboxMessage.objects.bulk_create(
            [
                OutboxMessage(
                    kind=kind,
                    subject=subject[:255],
                    payload=dict(payload),
                    idempotency_key=key,
                    created_at=now,
                )
                for kind, subject, payload, key in items
            ],
            batch_size=500,
        )
        if any(m.pk is None for m in messages):  # a backend that returns no ids
            by_key = dict(
                OutboxMessage.objects.filter(
                    idempotency_key__in=[m.idempotency_key for m in messages]
                ).values_list("idempotency_key", "pk")
            )
            for m in messages:
                m.pk = by_key[m.idempotency_key]
        targets, enabled = _connectors_for({m.kind for m in messages})
        Delivery.objects.bulk_create(
            [
                Delivery(message_id=m.pk, connector_id=c, subject=m.subject, next_attempt_at=now)
                for m in messages
                for c in targets[m.kind]
            ],
            batch_size=500,
        )
        if any(enabled.intersection(targets[m.kind]) for m in messages):
            _kick()
    return messages


def _kick() -> None:
    """Start a delivery run once this transaction commits (the sending itself happens
    outside it); never under the eager runner, which would send inside the transaction."""
    from django.conf import settings

    from agritrace import tasks

    if getattr(settings, "AGRITRACE_EXCHANGE_KICK", True) and tasks.runner() != "eager":
        tasks.run_later("agritrace.exchange.deliver")


def record(kind: str, subject: str, payload: Mapping, key: str) -> OutboxMessage:
    """Write one message and its deliveries in the caller's transaction; the message already
    written under `key`, when there is one."""
    written = record_many([(kind, subject, payload, key)])
    return written[0] if written else OutboxMessage.objects.get(idempotency_key=key)


# ------------------------------------------------------------------ what the services call


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _unit(unit) -> dict | None:
    if unit is None:
        return None
    return {"code": unit.code, "name": unit.name}


def code_payload(holder, status: str, version: object) -> dict:
    """A code's state as the national side receives it (area or packing house)."""
    is_area = hasattr(holder, "crop_id")
    commune = getattr(holder, "commune", None)
    province = getattr(holder, "province", None)
    return {
        "code": holder.code,
        "holder": "planting_area" if is_area else "packing_house",
        "status": status,
        "name": holder.name,
        "reason": holder.status_reason or "",
        "suspendedUntil": _iso(holder.suspended_until),
        "issuedAt": _iso(holder.issued_at),
        "commune": _unit(commune),
        "province": _unit(province),
        "crop": holder.crop.code if is_area else None,
        "declaredAreaHa": str(holder.declared_area_ha) if is_area else None,
        "markets": sorted(m.code for m in holder.markets.all()) if holder.pk else [],
        "version": version,
        "changedAt": timezone.now().isoformat(),
    }


_CODE_KINDS = {
    "issue": MessageKind.CODE_ISSUED,
    "suspend": MessageKind.CODE_SUSPENDED,
    "reinstate": MessageKind.CODE_REINSTATED,
    "revoke": MessageKind.CODE_REVOKED,
}


def code_changed(holder, action: str, version: object) -> OutboxMessage:
    """A code issued, suspended, reinstated or revoked (`action`); `version` is the id of its
    status change in the code's history, so the key is stable and unique."""
    kind = _CODE_KINDS[action]
    return record(
        kind,
        holder.code,
        code_payload(holder, holder.code_status, version),
        idempotency_key(kind, holder.code, version),
    )


def event_subject(event_id: str, lot_uris: list[str]) -> str:
    """An event is ordered with the other events of its first lot (else alone)."""
    return lot_uris[0] if lot_uris else event_id


def events_captured(events: Iterable[tuple[str, Mapping, list[str]]]) -> list[OutboxMessage]:
    """Captured events: (eventID, the event as stored, its lots' URIs) each."""
    kind = MessageKind.EPCIS_EVENT
    return record_many(
        (kind, event_subject(eid, lots), {"event": dict(doc)}, idempotency_key(kind, eid, 0))
        for eid, doc, lots in events
    )


def events_declared_erroneous(events: Iterable[tuple[str, Mapping, Mapping]]) -> list:
    """Stored events declared erroneous later: (eventID, stored event, declaration) each; sent
    as the event with its errorDeclaration, as EPCIS 2.0 describes."""
    kind = MessageKind.EPCIS_EVENT
    return record_many(
        (
            kind,
            eid,
            {"event": {**dict(doc), "errorDeclaration": dict(declaration)}},
            idempotency_key(kind, eid, f"error:{declaration.get('declarationTime', '')}"),
        )
        for eid, doc, declaration in events
    )


def stamps_issued(batch, lot_uri: str, key_id: str) -> OutboxMessage:
    kind = MessageKind.STAMPS_ISSUED
    house = getattr(batch, "packing_house", None)
    payload = {
        "batch": batch.pk,
        "lot": lot_uri,
        "count": batch.count,
        "primary": batch.primary,
        "key": batch.key,
        "lotCode": batch.lot_code,
        "keyId": key_id,
        "packingHouse": house.code if house is not None else None,
        "requestedAt": timezone.now().isoformat(),
    }
    return record(kind, lot_uri, payload, idempotency_key(kind, lot_uri, batch.pk))


def recall_changed(recall, started: bool) -> OutboxMessage:
    kind = MessageKind.RECALL_STARTED if started else MessageKind.RECALL_CLOSED
    payload = {
        "reference": recall.reference,
        "status": recall.status,
        "outcome": recall.outcome or None,
        "reason": recall.reason,
        "closingNote": recall.closing_note,
        "province": recall.province_id,
        "lots": sorted(recall.lots.values_list("lot__uri", flat=True)),
        "shipments": recall.shipments,
        "changedAt": timezone.now().isoformat(),
    }
    version = recall.pk if started else f"{recall.pk}:closed"
    return record(kind, recall.reference, payload, idempotency_key(kind, recall.reference, version))
