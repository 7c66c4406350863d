"""Fixtures of the exchange tests: an administrator (a plant-protection office's manager),
connectors, and small EPCIS events outside our own namespace (so the domain checks of a
receiver that knows none of our codes store them as they are)."""

import itertools

import pytest

from agritrace.accounts.access import Actor
from agritrace.accounts.models import Role
from agritrace.exchange.models import Connector, ConnectorKind
from agritrace.trace import services as trace
from conftest import make_user

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
_serials = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_kick(settings):
    """No delivery run started by a change: the tests run the worker themselves."""
    settings.AGRITRACE_EXCHANGE_KICK = False


@pytest.fixture
def admin(world) -> Actor:
    user = make_user("ppo_manager", world.orgs["ppo"], Role.MANAGER)
    return Actor.of(user)


def connector(kind: str = ConnectorKind.EPCIS, **fields) -> Connector:
    defaults = {
        "name": f"{kind}-{next(_serials)}",
        "kind": kind,
        "url": "http://127.0.0.1:9/epcis",
        "backoff_base_seconds": 10,
        "backoff_cap_seconds": 80,
        "max_attempts": 5,
    }
    defaults.update(fields)
    return Connector.objects.create(**defaults)


def event(serial: int | None = None, *, product: str = "107346", when: str = "") -> dict:
    """An ObjectEvent observing one SGTIN at a GS1 location (not one of ours)."""
    serial = next(_serials) if serial is None else serial
    return {
        "type": "ObjectEvent",
        "eventTime": when or f"2025-06-01T06:{serial % 60:02d}:{serial // 60 % 60:02d}+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "bizStep": "receiving",
        "disposition": "in_progress",
        "epcList": [f"urn:epc:id:sgtin:0614141.{product}.{serial}"],
        "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"},
    }


def document(*events: dict) -> dict:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-06-01T08:00:00+07:00",
        "epcisBody": {"eventList": list(events)},
    }


def capture(world, *events: dict, key: str = "exporter"):
    return trace.capture(world.actor(key), document(*events))
