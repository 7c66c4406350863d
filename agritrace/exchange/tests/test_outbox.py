"""The outbox is written in the change's own transaction: a code's moves (registry.lifecycle),
captured events (trace capture), each with one delivery per connector taking its kind, stable
idempotency keys; a change rolled back leaves no message; a duplicate capture adds none."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from agritrace.exchange.models import Delivery, DeliveryState, MessageKind, OutboxMessage
from agritrace.registry import lifecycle
from agritrace.registry.models import CodeStatus
from agritrace.trace.identifiers import canonical_epc
from conftest import make_area, walk_to_issued

from .conftest import capture, connector, event

pytestmark = pytest.mark.django_db


def test_a_code_issued_suspended_reinstated_and_revoked_writes_one_message_each(world):
    epcis, hook = connector("epcis"), connector("webhook", url="http://x.test/h", secret="s")
    area, app = make_area(world)
    walk_to_issued(world, app)
    area.refresh_from_db()
    ppo = world.actor("ppo")
    until = timezone.localdate() + timedelta(9)
    lifecycle.suspend(area, ppo, "residue above the limit", until=until)
    lifecycle.reinstate(area, ppo, "clean sample")
    lifecycle.revoke(area, ppo, "lent to another area")
    found = list(OutboxMessage.objects.filter(subject=area.code).order_by("pk"))
    assert [m.kind for m in found] == [
        MessageKind.CODE_ISSUED,
        MessageKind.CODE_SUSPENDED,
        MessageKind.CODE_REINSTATED,
        MessageKind.CODE_REVOKED,
    ]
    assert found[0].payload["status"] == CodeStatus.ISSUED
    assert found[0].payload["crop"] == "durian" and found[0].payload["markets"] == ["CN"]
    assert found[1].payload["reason"] == "residue above the limit"
    assert found[1].payload["suspendedUntil"] == until.isoformat()
    assert found[3].payload["status"] == CodeStatus.REVOKED
    assert len({m.idempotency_key for m in found}) == 4
    # Codes go to the webhook only: an EPCIS repository takes events.
    for m in found:
        assert list(m.deliveries.values_list("connector_id", "state")) == [
            (hook.pk, DeliveryState.PENDING)
        ]
    assert not Delivery.objects.filter(connector=epcis).exists()


def test_a_change_rolled_back_writes_no_message(world):
    connector("webhook", url="http://x.test/h", secret="s")
    area, app = make_area(world)
    walk_to_issued(world, app)
    area.refresh_from_db()
    before = OutboxMessage.objects.count()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        lifecycle.suspend(area, world.actor("ppo"), "a reason")
        assert OutboxMessage.objects.count() == before + 1  # written inside the transaction
        raise Abort
    assert OutboxMessage.objects.count() == before
    assert Delivery.objects.count() == before  # one delivery per message so far


def test_a_capture_refused_writes_no_message(world):
    connector("epcis")
    bad = event()
    bad["eventTime"] = "2999-01-01T00:00:00+07:00"  # ahead of its arrival: refused
    with pytest.raises(Exception):  # noqa: B017 - CaptureRejected
        capture(world, bad)
    assert OutboxMessage.objects.count() == 0


def test_captured_events_are_messages_once_and_a_duplicate_adds_none(world):
    epcis = connector("epcis")
    one, two = event(), event()
    capture(world, one, two)
    found = list(OutboxMessage.objects.order_by("pk"))
    assert [m.kind for m in found] == [MessageKind.EPCIS_EVENT] * 2
    assert found[0].payload["event"]["epcList"] == one["epcList"]
    assert found[0].payload["event"]["eventID"].startswith("ni:///sha-256;")
    # ordered with the other events of its item (its canonical URI)
    assert found[0].subject == canonical_epc(one["epcList"][0])
    assert Delivery.objects.filter(connector=epcis).count() == 2
    capture(world, one)  # the same event again: a duplicate, nothing new to send
    assert OutboxMessage.objects.count() == 2


def test_idempotency_keys_are_stable(world):
    from agritrace.exchange.outbox import idempotency_key

    assert idempotency_key("code.issued", "VN-DLOR-0001", 7) == idempotency_key(
        "code.issued", "VN-DLOR-0001", 7
    )
    assert idempotency_key("code.issued", "VN-DLOR-0001", 7) != idempotency_key(
        "code.issued", "VN-DLOR-0001", 8
    )


def test_an_event_is_ordered_with_the_lot_it_uses(world):
    connector("epcis")
    lot = "urn:epc:class:lgtin:0614141.107346.HARV-1"
    packed = "urn:epc:class:lgtin:0614141.107346.PACK-1"
    where = {"readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"}}
    packing = {
        "type": "TransformationEvent",
        "eventTime": "2025-06-02T09:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "bizStep": "packing",
        "outputQuantityList": [{"epcClass": packed, "quantity": 400, "uom": "KGM"}],
        "inputQuantityList": [{"epcClass": lot, "quantity": 500, "uom": "KGM"}],
        **where,
    }
    shipping = {
        "type": "AggregationEvent",
        "eventTime": "2025-06-03T10:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "parentID": "urn:epc:id:sscc:0614141.1000000200",
        "childQuantityList": [{"epcClass": packed, "quantity": 400, "uom": "KGM"}],
        "bizStep": "shipping",
        **where,
    }
    capture(world, packing, shipping)
    subjects = list(OutboxMessage.objects.order_by("pk").values_list("subject", flat=True))
    assert subjects == [canonical_epc(lot), canonical_epc(packed)]  # inputs and children first


def test_a_key_already_written_is_not_written_again(world):
    """An event deleted here and captured again, or a declaration captured twice, is the same
    change: its message stands for it (the UNIQUE key refused the whole capture before)."""
    from agritrace.exchange.models import OutboxMessage
    from agritrace.exchange.outbox import record, record_many

    first = record("code.issued", "VN-DLOR-0001", {"code": "VN-DLOR-0001"}, "same-key")
    again = record("code.issued", "VN-DLOR-0001", {"code": "VN-DLOR-0001"}, "same-key")
    assert again.pk == first.pk
    written = record_many(
        [
            ("code.issued", "VN-DLOR-0002", {}, "other-key"),
            ("code.issued", "VN-DLOR-0002", {}, "other-key"),
            ("code.issued", "VN-DLOR-0001", {}, "same-key"),
        ]
    )
    assert [m.idempotency_key for m in written] == ["other-key"]
    assert OutboxMessage.objects.count() == 2
