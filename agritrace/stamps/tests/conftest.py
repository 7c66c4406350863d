"""Stamp fixtures: an issued planting area and packing house of the world's province, a chain of
EPCIS events (harvest at the area, packing at the house, a phytosanitary inspection) for a lot
with a GTIN and one of the service's own namespace, and fixed signing keys."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import Client

from agritrace.accounts.models import ApiToken
from agritrace.registry import services as registry
from agritrace.trace import services as trace
from conftest import make_area, walk_to_issued

KEYS = {
    "1": "c3RhbXAta2V5LW9uZS1mb3ItdGVzdHMtMDAwMDAwMDA",
    "2": "c2Vjb25kLXN0YW1wLWtleS1mb3ItdGVzdHMtMTExMTE",
}
DOMAIN = "https://tx.example.vn"
GTIN_LOT_URN = "urn:epc:class:lgtin:8930000.012345.P-77"
GTIN_LOT = "https://id.gs1.org/01/08930000123459/10/P-77"
AREA_CODE_LOT = "H-2025-001"


@pytest.fixture(autouse=True)
def _stamp_settings(settings, tmp_path):
    settings.AGRITRACE_STAMP_KEYS = dict(KEYS)
    settings.AGRITRACE_STAMP_ACTIVE_KEY = "1"
    settings.AGRITRACE_STAMP_DOMAIN = DOMAIN
    settings.AGRITRACE_STAMP_KEYRING = tmp_path / "stamp-keys.json"
    settings.AGRITRACE_STAMP_RATE_LIMIT = 1000
    cache.clear()
    yield
    cache.clear()


@dataclass
class Chain:
    area: object
    house: object
    own_lot: str  # a lot of the service's namespace, packed at the house
    harvest_lot: str


def _event(kind: str, when: str, location: str, **fields) -> dict:
    return {
        "type": kind,
        "eventTime": when,
        "eventTimeZoneOffset": "+07:00",
        "readPoint": {"id": location},
        "bizLocation": {"id": location},
        **fields,
    }


def _issued_since(holder, moment: datetime) -> None:
    type(holder).objects.filter(pk=holder.pk).update(issued_at=moment)
    holder.status_changes.update(effective_at=moment)
    holder.refresh_from_db()


def build_chain(world) -> Chain:
    area, app = make_area(world)
    walk_to_issued(world, app)
    area.refresh_from_db()
    house, house_app = registry.create_packing_house(
        world.actor("packing"),
        {
            "name": "Cơ sở đóng gói Phúc Thịnh",
            "address": "Thôn 3",
            "commune": world.orgs["packing"].unit_id,
            "capacity_t_per_day": 30,
            "lon": 108.06,
            "lat": 12.68,
        },
    )
    walk_to_issued(world, house_app)
    house.refresh_from_db()
    # The chain below is dated June 2025 and codes are judged at the event's time: the codes
    # were issued before it (as a code issued before AgriTrace is loaded with its date).
    for holder in (area, house):
        _issued_since(holder, datetime(2025, 1, 1, tzinfo=UTC))
    at_area = trace.location_uri(area.code)
    at_house = trace.location_uri(house.code)
    harvest_lot = trace.lot_uri(area.code, AREA_CODE_LOT)
    own_lot = trace.lot_uri(house.code, "L-0042")
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-06-03T08:00:00+07:00",
        "epcisBody": {
            "eventList": [
                _event(
                    "ObjectEvent",
                    "2025-06-01T06:00:00+07:00",
                    at_area,
                    action="ADD",
                    bizStep="commissioning",
                    disposition="active",
                    quantityList=[{"epcClass": harvest_lot, "quantity": 900, "uom": "KGM"}],
                ),
                _event(
                    "TransformationEvent",
                    "2025-06-02T09:00:00+07:00",
                    at_house,
                    bizStep="packing",
                    inputQuantityList=[{"epcClass": harvest_lot, "quantity": 900, "uom": "KGM"}],
                    outputQuantityList=[
                        {"epcClass": GTIN_LOT_URN, "quantity": 400, "uom": "KGM"},
                        {"epcClass": own_lot, "quantity": 400, "uom": "KGM"},
                    ],
                ),
                _event(
                    "ObjectEvent",
                    "2025-06-02T15:00:00+07:00",
                    at_house,
                    action="OBSERVE",
                    bizStep="inspecting",
                    disposition="conformant",
                    certificationInfo="urn:agritrace:phyto:PC-2025-0001",
                    quantityList=[
                        {"epcClass": GTIN_LOT_URN, "quantity": 400, "uom": "KGM"},
                        {"epcClass": own_lot, "quantity": 400, "uom": "KGM"},
                    ],
                ),
            ]
        },
    }
    trace.capture(world.actor("packing"), document)
    return Chain(area=area, house=house, own_lot=own_lot, harvest_lot=harvest_lot)


@pytest.fixture
def chain(world):
    return build_chain(world)


def recall(world, lot_uri: str) -> None:
    """Declare the lot recalled the EPCIS way (an event with disposition `recalled`)."""
    trace.capture(world.actor("packing"), recall_document(lot_uri))


def recall_document(lot_uri: str) -> dict:
    """An EPCIS document declaring the lot recalled (disposition `recalled`)."""
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-06-05T08:00:00+07:00",
        "epcisBody": {
            "eventList": [
                {
                    "type": "ObjectEvent",
                    "eventTime": "2025-06-05T08:00:00+07:00",
                    "eventTimeZoneOffset": "+07:00",
                    "action": "OBSERVE",
                    "bizStep": "holding",
                    "disposition": "recalled",
                    "quantityList": [{"epcClass": lot_uri, "quantity": 400, "uom": "KGM"}],
                }
            ]
        },
    }


def bearer(world, key: str) -> Client:
    _token, raw = ApiToken.issue(world.users[key], "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def logged_in(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def path_of(uri: str) -> str:
    """The path and query of a stamp URI (what the test client requests)."""
    return uri[len(DOMAIN) :]
