"""What the capture endpoints refuse before or while reading a document (issue 14): deeply
nested JSON (defect 2), a Content-Type other than JSON (defect 5), control and bidirectional
characters and malformed identifiers (defect 4), documents above the size limit (defect 7);
and a 100,000-EPC document, larger than Django's upload limit, is accepted."""

import json

import pytest

from agritrace.trace import intake, services
from agritrace.trace.models import CaptureJob, Event, EventEPC

from .conftest import bearer_client, document, harvest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("agritrace.trace.tests.urls")]

PATHS = ("/api/trace/capture", "/epcis/capture")
AREA = services.location_uri("VN-DLOR-0001")
LOT = services.lot_uri("VN-DLOR-0001", "H-2025-001")


def commissioning(epcs: list[str], **extra) -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": "2025-06-01T06:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "epcList": epcs,
        **extra,
    }


def nothing_stored() -> bool:
    return not Event.objects.exists() and not EventEPC.objects.exists()


@pytest.fixture
def client(world):
    return bearer_client(world, "packing")


def post(client, body, path="/api/trace/capture", content_type="application/ld+json"):
    body = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(path, body, content_type=content_type)


# ------------------------------------------------------------------ defect 2: nesting


@pytest.mark.parametrize("path", PATHS)
def test_deeply_nested_json_is_a_400_with_an_epcis_body(client, path):
    deep = "[" * 10_000 + "]" * 10_000
    for body in (deep, '{"a":' * 10_000 + "1" + "}" * 10_000):
        r = post(client, body, path)
        assert r.status_code == 400, r.content[:200]
        problem = r.json()
        assert problem["type"] == "epcisException:ValidationException"
        assert "more than 64 deep" in problem["errors"]["$"][0]
    assert nothing_stored()


def test_the_depth_is_counted_outside_strings():
    assert intake.nesting_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert intake.nesting_depth('{"a": "\\"[[[["}') == 1
    assert intake.nesting_depth(b"[" * 65 + b"]" * 65) == 65
    assert intake.depth_problem(b"[" * 64 + b"]" * 64) is None
    assert intake.depth_problem(b"[" * 65 + b"]" * 65)


def test_an_event_nested_too_deep_inside_is_refused(client):
    doc = document(harvest(LOT, AREA))
    node: dict = {}
    doc["epcisBody"]["eventList"][0]["example:deep"] = node
    for _ in range(70):
        node["x"] = {}
        node = node["x"]
    r = post(client, doc)
    assert r.status_code == 400 and "deep" in r.json()["detail"]
    assert nothing_stored()


# ------------------------------------------------------------------ defect 5: media type


@pytest.mark.parametrize("path", PATHS)
def test_a_capture_that_is_not_json_is_a_415(client, path):
    body = json.dumps(document(harvest(LOT, AREA)))
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "text/csv"):
        r = post(client, body, path, content_type=content_type)
        assert r.status_code == 415, (content_type, r.content[:200])
        assert r["Content-Type"] == "application/problem+json"
        assert "application/json or application/ld+json" in r.json()["detail"]
    # EPCIS XML is a capture's media type too (issue 13): JSON sent as XML is malformed XML.
    r = client.post(path, body, content_type="application/xml", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and "Malformed XML" in r.json()["detail"]
    r = client.generic("POST", path, body.encode())  # no Content-Type at all
    assert r.status_code == 415
    assert nothing_stored()


def test_json_and_json_ld_are_both_accepted(client):
    r = post(client, document(harvest(LOT, AREA)), content_type="application/json")
    assert r.status_code == 202, r.content
    later = harvest(LOT, AREA, when="2025-06-02T06:00:00+07:00")
    r = post(client, document(later), content_type="application/ld+json; charset=utf-8")
    assert r.status_code == 202, r.content


# ------------------------------------------------------------------ defect 4: characters, syntax

FORBIDDEN = ["\x00", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069", "\x1b"]


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_control_and_bidi_characters_in_an_epc_are_refused_naming_the_path(client, char):
    epc = f"urn:epc:id:sgtin:8930000.012345.10{char}01"
    r = post(client, document(commissioning(["urn:epc:id:sgtin:8930000.012345.1", epc])))
    assert r.status_code == 400, r.content[:300]
    errors = r.json()["errors"]
    assert list(errors) == ["$.epcisBody.eventList[0].epcList[1]"]
    assert f"U+{ord(char):04X}" in errors["$.epcisBody.eventList[0].epcList[1]"][0]
    assert nothing_stored()


def test_a_bidi_override_in_a_text_field_or_a_key_is_refused(client):
    event = harvest(LOT, AREA)
    event["bizTransactionList"] = [{"type": "po", "bizTransaction": "urn:agritrace:doc:po:1"}]
    event["example:note"] = "paid\u202e.exe"
    r = post(client, document(event))
    assert r.status_code == 400
    assert "$.epcisBody.eventList[0].example:note" in r.json()["errors"]
    event.pop("example:note")
    event["example:n\u202eote"] = "x"
    r = post(client, document(event))
    assert r.status_code == 400
    assert any("U+202E" in m for ms in r.json()["errors"].values() for m in ms)
    assert nothing_stored()


@pytest.mark.parametrize(
    ("where", "uri"),
    [
        ("epcList[0]", "urn:epc:id:sgtin:not.a.gtin"),
        ("epcList[0]", "urn:epc:id:sgtin:8930000.012345"),
        ("epcList[0]", "urn:epc:id:"),
        ("epcList[0]", "https://id.gs1.org/01/08930000123458/21/1"),  # wrong check digit
        ("epcList[0]", "https://id.gs1.org/nothing/here"),
        ("epcList[0]", "urn:agritrace:lot:no-lot-code"),
        ("epcList[0]", "urn:agritrace:unknown:1"),
        ("readPoint.id", "urn:agritrace:plot:first"),
        ("bizLocation.id", "urn:epc:id:sgln:8930000.12345"),
    ],
)
def test_identifiers_must_follow_their_syntax(client, where, uri):
    event = commissioning(["urn:epc:id:sgtin:8930000.012345.1"])
    field, _, rest = where.partition(".")
    if rest:
        event[field] = {"id": uri}
    else:
        event["epcList"] = [uri]
    r = post(client, document(event))
    assert r.status_code == 400, (uri, r.content[:300])
    assert f"$.epcisBody.eventList[0].{where}" in r.json()["errors"], r.json()
    assert nothing_stored()


def test_well_formed_identifiers_of_each_kind_are_accepted(client):
    epcs = [
        "urn:epc:id:sgtin:8930000.012345.1",
        "https://id.gs1.org/01/08930000123459/21/2",
        "urn:epc:id:bic:CSQU3054383",  # a scheme without a Digital Link form
        "urn:example:private:7",  # someone else's URN: only the URI syntax is checked
        services.lot_uri("VN-DLOR-0001", "H-1"),
    ]
    event = commissioning(epcs, readPoint={"id": AREA})
    r = post(client, document(event))
    assert r.status_code == 202, r.content


# ------------------------------------------------------------------ defect 7: size


@pytest.mark.parametrize("path", PATHS)
def test_a_capture_above_the_limit_is_a_413_json_error(client, settings, path):
    settings.AGRITRACE_CAPTURE_MAX_BYTES = 5_000
    epcs = [f"urn:epc:id:sgtin:8930000.012345.{i}" for i in range(200)]
    r = post(client, document(commissioning(epcs)), path)
    assert r.status_code == 413, r.content[:300]
    assert r["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == "epcisException:CaptureLimitExceededException"
    assert "5,000 bytes" in body["detail"]
    assert nothing_stored()


def test_a_large_body_to_another_api_route_is_a_413_json_error(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    client = bearer_client(world, "coop")
    r = client.post("/api/households", json.dumps({"name": "x" * 2_000}), "application/json")
    assert r.status_code == 413
    assert r.json()["detail"]


def test_a_100000_epc_document_is_accepted(client, settings):
    epcs = [f"urn:epc:id:sgtin:8930000.012345.{i}" for i in range(100_000)]
    body = json.dumps(document(commissioning(epcs)))
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # Django's 2.5 MB would refuse it
    assert len(body) < intake.max_bytes()
    r = post(client, body)
    assert r.status_code == 202, r.content[:300]
    assert CaptureJob.objects.get().stored_count == 1
    assert EventEPC.objects.count() == 100_000
