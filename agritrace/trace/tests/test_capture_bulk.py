"""The bulk capture path (issue 11, goal 2): both hash IDs from one pre-hash string where the
versions agree, the JSON text's quick scans (forbidden characters, nesting depth) against
the walks they stand for, orjson parsing, and the rows written in bulk (COPY on PostgreSQL)
being the rows the checks decided: links, lot links, flags, lot kilograms updated in one
statement."""

import json
from decimal import Decimal

import pytest

from agritrace import text
from agritrace.trace import intake, services
from agritrace.trace.hashing import CBV20, CBV21, Namespaces, event_hash, event_hash_ids
from agritrace.trace.identifiers import canonical_epc
from agritrace.trace.models import Event, EventEPC, EventFlag, Lot, LotLink

from .conftest import (
    bearer_client,
    conformance_documents,
    document,
    harvest,
    needs_conformance,
    packing,
    shipping,
)

pytestmark = [pytest.mark.urls("agritrace.trace.tests.urls")]

AREA = services.location_uri("VN-DLOR-0001")
HOUSE = services.location_uri("VN-DLPH-0001")
LOT_A = services.lot_uri("VN-DLOR-0001", "H-2025-101")
LOT_B = services.lot_uri("VN-DLOR-0001", "H-2025-102")
PACKED = services.lot_uri("VN-DLPH-0001", "P-2025-101")
SSCC = "urn:epc:id:sscc:8930000.1000000101"


@needs_conformance()
def test_both_hash_ids_equal_each_versions_own_hash_on_every_gs1_example():
    checked = agreeing = 0
    for path in conformance_documents():
        doc = json.loads(path.read_text(encoding="utf-8"))
        namespaces = Namespaces(doc.get("@context"))
        for event in doc["epcisBody"]["eventList"]:
            both = event_hash_ids(event, namespaces)
            assert both == (
                event_hash(event, namespaces, CBV20),
                event_hash(event, namespaces, CBV21),
            ), path.name
            checked += 1
            agreeing += both[0].split("?")[0] == both[1].split("?")[0]
    # Both kinds are there: events whose strings agree, and sensor / extension events.
    assert checked > 50 and 0 < agreeing < checked


def test_an_extension_inside_the_read_point_gives_two_different_strings():
    event = harvest(LOT_A, AREA)
    event["readPoint"] = {"id": AREA, "example:gate": "3"}
    namespaces = Namespaces([{"example": "https://example.org/ns/"}])
    v20, v21 = event_hash_ids(event, namespaces)
    assert v20 == event_hash(event, namespaces, CBV20)
    assert v21 == event_hash(event, namespaces, CBV21)
    assert v20.split("?")[0] != v21.split("?")[0]


@pytest.mark.parametrize(
    "value",
    ["a\x00b", "tab\tok\x0b", "\x7f", "\x85", "\u202e", "\u2068x", "\x1f"],
)
def test_the_text_scan_finds_every_forbidden_character_the_walk_finds(value):
    for raw in (
        json.dumps({"k": value}),
        json.dumps({"k": value}, ensure_ascii=False),
        json.dumps({value: 1}, ensure_ascii=False),
    ):
        assert list(text.problems(json.loads(raw)))  # the walk finds it …
        assert text.json_text_may_hold_forbidden(raw)  # … and the scan says to walk
        assert text.json_text_may_hold_forbidden(raw.encode())


def test_the_text_scan_passes_ordinary_text_without_a_walk():
    raw = json.dumps({"name": "Sầu riêng Đắk Lắk", "note": "line\nnext\ttab"}, ensure_ascii=False)
    assert not text.json_text_may_hold_forbidden(raw.encode())
    assert not text.json_text_may_hold_forbidden(b'{"a": "\\u0041\\u1ec7"}')
    # An escape of an allowed control character looks like a forbidden one's: walk then.
    assert text.json_text_may_hold_forbidden(b'{"a": "\\u0009"}')


def test_nesting_depth_counts_brackets_outside_strings_only():
    assert intake.nesting_depth(b"{}") == 1
    assert intake.nesting_depth(b'{"a": [[{"b": "[[[[{{{{"}]]]}') == 4
    assert intake.nesting_depth('{"a": "\\"]]]", "b": [1, [2]]}') == 3
    assert intake.nesting_depth(b"[" * 70 + b"]" * 70) == 70
    assert intake.nesting_depth(b'"just a string"') == 0


def test_a_document_too_deep_is_refused_before_any_validator(world):
    from agritrace.accounts.access import Actor

    deep = json.dumps(document(harvest(LOT_A, AREA)))[:-1] + ', "x": ' + "[" * 70 + "]" * 70 + "}"
    with pytest.raises(services.CaptureRejected) as caught:
        services.capture(Actor.of(world.users["ministry"]), deep.encode())
    assert "64" in str(caught.value.message_dict["$"])


def test_big_integers_orjson_cannot_hold_are_parsed_by_the_standard_library():
    raw = b'{"n": 123456789012345678901234567890, "f": 1.5, "m": [-98765432109876543210]}'
    parsed = services.parse_document(raw)
    assert parsed == {"n": 123456789012345678901234567890, "f": 1.5, "m": [-98765432109876543210]}
    assert services.parse_document('{"n": 12}') == {"n": 12}
    with pytest.raises(services.CaptureRejected) as caught:
        services.parse_document(b'{"a": [1, 2,]}')
    assert "1" in str(caught.value.message_dict["$"])  # line and column, as before


@pytest.fixture
def registry(world, durian, settings):
    """The area and the packing house the chain names, issued and linked by a contract."""
    from datetime import date

    from agritrace.registry.models import CodeStatus, PackingHouse, PlantingArea, SupplyContract

    settings.AGRITRACE_TRACE_LATE_HOURS = 10**6  # events dated 2025: not late here
    area = PlantingArea.objects.create(
        code="VN-DLOR-0001",
        code_status=CodeStatus.ISSUED,
        name="A",
        representative=world.orgs["coop"],
        crop=durian,
        commune=world.communes[0],
        declared_area_ha=2,
    )
    house = PackingHouse.objects.create(
        code="VN-DLPH-0001",
        code_status=CodeStatus.ISSUED,
        name="H",
        operator=world.orgs["packing"],
        address="x",
        capacity_t_per_day=10,
        commune=world.communes[0],
    )
    SupplyContract.objects.create(
        packing_house=house, area=area, valid_from=date(2025, 1, 1), valid_to=date(2026, 12, 31)
    )
    return area, house


@pytest.mark.django_db
def test_the_rows_written_in_bulk_are_the_rows_of_the_chain(world, registry, post_document):
    client = bearer_client(world, "packing")
    body = document(
        harvest(LOT_A, AREA),
        harvest(LOT_B, AREA, when="2025-06-01T07:00:00+07:00"),
        packing([LOT_A, LOT_B], PACKED, HOUSE),
        shipping(PACKED, SSCC, HOUSE),
    )
    response = post_document(client, json.dumps(body, ensure_ascii=False).encode())
    assert response.status_code == 202, response.content
    events = list(Event.objects.order_by("pk"))
    assert [e.event_type for e in events] == [
        "ObjectEvent",
        "ObjectEvent",
        "TransformationEvent",
        "AggregationEvent",
    ]
    assert all(e.event_hash_v21 and e.event_hash_v21.endswith("?ver=CBV2.1") for e in events)
    assert events[0].document["quantityList"][0]["quantity"] == 500  # the jsonb as captured
    assert events[0].area is not None and events[0].area.code == "VN-DLOR-0001"
    assert events[2].packing_house is not None
    assert EventEPC.objects.filter(event__in=events).count() == 2 + 3 + 2
    packed = Lot.objects.get(uri=PACKED)
    assert set(LotLink.objects.values_list("source__uri", "target_id", "kind")) == {
        (LOT_A, packed.pk, "transform"),
        (LOT_B, packed.pk, "transform"),
        (PACKED, Lot.objects.get(uri=canonical_epc(SSCC)).pk, "aggregate"),
    }
    assert Lot.objects.get(uri=LOT_A).produced_kg == Decimal(500)
    assert Lot.objects.get(uri=LOT_A).drawn_kg == Decimal(500)
    assert not EventFlag.objects.exists()  # a sound chain


@pytest.mark.django_db
def test_flags_name_the_stored_events(world, registry, post_document):
    """A packing above its inputs' mass is stored with a flag on that event (its id was
    reserved before the rows were written)."""
    client = bearer_client(world, "packing")
    body = document(harvest(LOT_A, AREA), packing([LOT_A], PACKED, HOUSE, kg=600))
    response = post_document(client, body)
    assert response.status_code == 202, response.content
    flag = EventFlag.objects.get(rule="mass_balance")
    assert flag.event == Event.objects.get(event_type="TransformationEvent")
    assert flag.event.capture_job_id == int(response.json()["captureID"])


@pytest.mark.django_db
def test_lots_named_by_a_later_document_are_updated_together(world, registry, post_document):
    client = bearer_client(world, "packing")
    first = document(
        harvest(LOT_A, AREA, kg=600), harvest(LOT_B, AREA, kg=700, when="2025-06-01T07:00:00+07:00")
    )
    assert post_document(client, first).status_code == 202
    second = document(packing([LOT_A, LOT_B], PACKED, HOUSE, kg=900))
    response = post_document(client, second)
    assert response.status_code == 202, response.content
    a, b = Lot.objects.get(uri=LOT_A), Lot.objects.get(uri=LOT_B)
    assert (a.produced_kg, a.drawn_kg) == (Decimal(600), Decimal(500))
    assert (b.produced_kg, b.drawn_kg) == (Decimal(700), Decimal(500))
    assert Lot.objects.get(uri=PACKED).produced_kg == Decimal(900)
    # A third document draws again: the kilograms add up, the first-seen time stays.
    again = packing([LOT_A], PACKED, HOUSE, kg=40, when="2025-06-02T11:00:00+07:00")
    again["inputQuantityList"][0]["quantity"] = 50
    response = post_document(client, document(again))
    assert response.status_code == 202, response.content
    a.refresh_from_db()
    assert a.drawn_kg == Decimal(550) and a.produced_kg == Decimal(600)
    assert a.first_seen.isoformat().startswith("2025-05-31T23:00:00")
    assert Lot.objects.get(uri=PACKED).produced_kg == Decimal(940)
