"""EPCIS 2.0 XML at /epcis/capture and /epcis/events (issue 13): GS1's 46 JSON documents
written as XML and read back keep every event hash; GS1's own XML examples (tests/data/gs1_xml,
with their source) capture, or are refused where GS1's JSON Schema refuses them, and hash like
their JSON counterparts where the two say the same; a JSON document captured is returned as
equivalent XML and an XML one as equivalent JSON; a DTD, an entity or malformed XML is refused
with a 400 naming the line and stores no event. The reference documents are read once."""

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from agritrace.trace import epcis_xml
from agritrace.trace.hashing import CBV21, Namespaces, event_hash
from agritrace.trace.models import Event
from agritrace.trace.validation import document_errors

from .conftest import CONFORMANCE, bearer_client, conformance_documents, document, needs_conformance

URLS = pytest.mark.urls("agritrace.trace.tests.urls")
DATA = Path(__file__).resolve().parent / "data" / "gs1_xml"
MANIFEST = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))["documents"]
#: The 46 JSON documents, parsed once for the module.
JSON_DOCUMENTS = {
    p.name: json.loads(p.read_text(encoding="utf-8")) for p in conformance_documents()
}
#: GS1's XML examples, as bytes, read once.
XML_DOCUMENTS = {name: (DATA / name).read_bytes() for name in MANIFEST}
LOCATION = "urn:epc:id:sgln:4012345.00001.0"


def hashes(doc: dict, version: str = "CBV2.0") -> list[str]:
    ns = Namespaces(doc.get("@context"))
    body = doc["epcisBody"]
    events = (
        body["eventList"]
        if "eventList" in body
        else body["queryResults"]["resultsBody"]["eventList"]
    )
    return [event_hash(e, ns, version) for e in events]


def post_xml(client, body: bytes, content_type="application/xml", path="/epcis/capture"):
    """Posted with English messages asked for (the messages are looked at)."""
    return client.post(path, body, content_type=content_type, HTTP_ACCEPT_LANGUAGE="en")


def observed(**extra) -> dict:
    event = {
        "type": "ObjectEvent",
        "eventTime": "2025-06-01T06:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "disposition": "active",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1001"],
        "readPoint": {"id": LOCATION},
    }
    event.update(extra)
    return event


# ------------------------------------------------------------------ conversion (no database)


@needs_conformance()
def test_all_46_json_documents_are_there():
    assert len(JSON_DOCUMENTS) == 46


@needs_conformance()
@pytest.mark.parametrize("name", sorted(JSON_DOCUMENTS))
def test_each_json_document_written_as_xml_reads_back_with_the_same_hashes(name):
    original = JSON_DOCUMENTS[name]
    back, lines = epcis_xml.read(epcis_xml.write(original))
    assert len(lines) == len(original["epcisBody"]["eventList"])
    assert document_errors(back) == {}
    for version in ("CBV2.0", CBV21):
        assert hashes(back, version) == hashes(original, version)


def test_the_xml_follows_the_binding():
    """Namespace, element order, CBV URNs (Web URIs when asked), attributes, extensions."""
    doc = document(
        observed(
            bizTransactionList=[
                {"type": "po", "bizTransaction": "urn:epc:id:gdti:0614141.00001.1"}
            ],
            sensorElementList=[
                {"sensorReport": [{"type": "Temperature", "value": 26.5, "uom": "CEL"}]}
            ],
            persistentDisposition={"set": ["completeness_verified"]},
            **{"ex:note": {"ex:who": "Lan"}},
        ),
        context=[*document()["@context"], {"ex": "https://example.org/ns/"}],
    )
    text = epcis_xml.write(doc).decode()
    assert 'xmlns:epcis="urn:epcglobal:epcis:xsd:2"' in text
    assert 'xmlns:ex="https://example.org/ns/"' in text
    assert "<bizStep>urn:epcglobal:cbv:bizstep:inspecting</bizStep>" in text
    assert '<bizTransaction type="urn:epcglobal:cbv:btt:po">' in text
    assert '<sensorReport type="gs1:Temperature" value="26.5" uom="CEL"/>' in text
    assert "<set>urn:epcglobal:cbv:disp:completeness_verified</set>" in text
    assert "<ex:note>\n" in text and "<ex:who>Lan</ex:who>" in text
    order = [
        text.index(f"<{n}>") for n in ("eventTime", "epcList", "action", "bizStep", "readPoint")
    ]
    assert order == sorted(order)
    web = epcis_xml.write(doc, "web").decode()
    assert "<bizStep>https://ref.gs1.org/cbv/BizStep-inspecting</bizStep>" in web
    back, _lines = epcis_xml.read(text.encode())
    assert back["epcisBody"]["eventList"][0]["bizStep"] == "inspecting"
    assert back["epcisBody"]["eventList"][0]["ex:note"] == {"ex:who": "Lan"}
    assert hashes(back) == hashes(doc)


def test_namespaces_an_event_declares_are_its_own_context():
    """Two events may bind one prefix to two namespaces (a query answer gathers events of many
    documents): each keeps its meaning, CURIE values included; an unqualified element inside
    an extension is a plain key."""
    raw = b"""<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0"
      creationDate="2025-01-01T00:00:00Z"><EPCISBody><EventList>
      <ObjectEvent xmlns:ex="https://one.example/"><eventTime>2025-01-01T00:00:00Z</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList/><action>OBSERVE</action>
        <ex:kind>ex:first</ex:kind></ObjectEvent>
      <ObjectEvent xmlns:ex="https://two.example/"><eventTime>2025-01-01T00:00:00Z</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList/><action>OBSERVE</action>
        <ex:kind>ex:first</ex:kind><ex:box><size>2</size></ex:box></ObjectEvent>
    </EventList></EPCISBody></epcis:EPCISDocument>"""
    doc, _lines = epcis_xml.read(raw)
    one, two = doc["epcisBody"]["eventList"]
    assert one["ex:kind"] == two["ex:kind"] == "ex:first"
    assert two["ex:box"] == {"size": "2"}
    first, second = hashes(doc)
    assert first != second  # https://one.example/first is not https://two.example/first
    back, _lines = epcis_xml.read(epcis_xml.write(doc))
    assert hashes(back) == [first, second]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, None),
        ("*/*", None),
        ("application/json", None),
        ("application/xml", "application/xml"),
        ("text/xml", "text/xml"),
        ("application/json;q=0.5, application/xml", "application/xml"),
        ("application/xml;q=0.5, application/json", None),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/xml"),
        ("application/*", None),
        ("application/xml;q=0", None),
    ],
)
def test_which_answer_the_accept_header_prefers(accept, expected):
    assert epcis_xml.prefers_xml(accept) == expected


# ------------------------------------------------------------------ GS1's XML examples


@needs_conformance()
@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_gs1_xml_examples_match_their_json_counterparts_where_they_say_the_same(name):
    entry = MANIFEST[name]
    xml_doc, _lines = epcis_xml.read(XML_DOCUMENTS[name])
    from_xml = hashes(xml_doc)
    if entry.get("json"):
        json_doc = json.loads((CONFORMANCE / "JSON" / entry["json"]).read_text(encoding="utf-8"))
        from_json = hashes(json_doc)
        for i in range(max(len(from_xml), len(from_json))):
            same = i < len(from_xml) and i < len(from_json) and from_xml[i] == from_json[i]
            assert same == (i in entry["same_hash"]), (i, entry["differences"])
    for index, counterpart in entry.get("same_as", {}).items():
        one = json.loads((CONFORMANCE / "JSON" / counterpart).read_text(encoding="utf-8"))
        assert from_xml[int(index)] == hashes(one)[0], counterpart
    if entry.get("others_differ_from"):
        folder = CONFORMANCE / "JSON" / entry["others_differ_from"]
        known = {h for p in folder.glob("*.jsonld") for h in hashes(json.loads(p.read_text()))}
        others = [h for i, h in enumerate(from_xml) if str(i) not in entry["same_as"]]
        assert not known & set(others), entry["differences"]


@pytest.mark.django_db
@URLS
@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_each_gs1_xml_example_is_captured_or_refused_as_the_json_schema_says(world, name):
    entry = MANIFEST[name]
    client = bearer_client(world, "ministry")
    response = post_xml(client, XML_DOCUMENTS[name])
    expected_hashes = set(hashes(epcis_xml.read(XML_DOCUMENTS[name])[0]))
    if entry["captures"]:
        assert response.status_code == 202, response.content
        assert set(Event.objects.values_list("event_hash", flat=True)) <= expected_hashes
        assert Event.objects.count() >= 1
        job = client.get(response["Location"]).json()
        assert job["success"] is True
    else:
        assert response.status_code == 400, response.content
        body = response.json()
        assert entry["refused_at"] in body["errors"], body["errors"]
        assert "XML line" in body["detail"]  # where in the XML the refused event starts
        assert Event.objects.count() == 0


# ------------------------------------------------------------------ capture and query


def _capture_all_json(client, post_document) -> set[str]:
    """Every JSON document captured (those that reuse another's eventID are refused: see
    test_conformance); the hashes of what was stored."""
    for doc in JSON_DOCUMENTS.values():
        post_document(client, doc, path="/epcis/capture")
    return set(Event.objects.values_list("event_hash", flat=True))


@needs_conformance()
@pytest.mark.django_db
@URLS
def test_json_captured_is_returned_as_equivalent_xml(world, post_document):
    client = bearer_client(world, "ministry")
    stored = _capture_all_json(client, post_document)
    assert len(stored) >= 40
    as_xml = client.get("/epcis/events", {"perPage": 1000}, HTTP_ACCEPT="application/xml")
    assert as_xml.status_code == 200
    assert as_xml["Content-Type"].startswith("application/xml")
    assert as_xml["GS1-EPCIS-Version"] == "2.0.0" and "Accept" in as_xml["Vary"]
    parsed, lines = epcis_xml.read(as_xml.content)
    assert parsed["type"] == "EPCISQueryDocument" and len(lines) == len(stored)
    assert set(hashes(parsed)) == stored
    as_json = client.get("/epcis/events", {"perPage": 1000}, HTTP_ACCEPT="application/json")
    assert as_json["Content-Type"].startswith("application/json")
    assert set(hashes(as_json.json())) == stored


@pytest.mark.django_db
@URLS
def test_xml_captured_is_returned_as_equivalent_json_and_gets_the_json_hash(world, post_document):
    client = bearer_client(world, "ministry")
    doc = document(
        observed(sensorElementList=[{"sensorReport": [{"type": "Temperature", "value": 30}]}]),
        observed(action="ADD", bizStep="commissioning", ilmd={"ex:lot": "L1"}),
        context=[*document()["@context"], {"ex": "https://example.org/ns/"}],
    )
    response = post_xml(client, epcis_xml.write(doc), content_type="text/xml; charset=utf-8")
    assert response.status_code == 202, response.content
    assert response.json()["storedCount"] == 2
    expected = hashes(doc)
    returned = client.get("/epcis/events").json()
    assert sorted(hashes(returned)) == sorted(expected)
    for event in returned["epcisBody"]["queryResults"]["resultsBody"]["eventList"]:
        assert event["eventID"] in expected  # the eventID given is the JSON event's hash
    again = post_document(client, doc, path="/epcis/capture")  # the same events as JSON
    assert again.status_code == 202 and again.json()["storedCount"] == 0
    one = client.get("/epcis/events/" + quote(expected[0], safe=""), HTTP_ACCEPT="application/xml")
    assert one.status_code == 200 and one["Content-Type"].startswith("application/xml")
    single, _lines = epcis_xml.read(one.content)
    assert hashes(single) == [expected[0]]


@pytest.mark.django_db
@URLS
def test_web_uris_in_xml_on_request(world, post_document):
    client = bearer_client(world, "ministry")
    post_document(client, document(observed()), path="/epcis/capture")
    response = client.get(
        "/epcis/events", HTTP_ACCEPT="application/xml", HTTP_GS1_CBV_XML_FORMAT="Always_Web_URI"
    )
    assert b"<bizStep>https://ref.gs1.org/cbv/BizStep-inspecting</bizStep>" in response.content
    assert response["GS1-CBV-XML-Format"] == "Always_Web_URI"


# ------------------------------------------------------------------ refusals

_EVENT = epcis_xml.write(document(observed())).decode().split("?>", 1)[1]

REFUSED = {
    "entity": '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x "y">]>' + _EVENT,
    "billion laughs": '<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    + _EVENT.replace("inspecting<", "&b;<"),
    "external DTD": '<!DOCTYPE d SYSTEM "http://example.org/epcis.dtd">' + _EVENT,
    "external entity": '<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    + _EVENT.replace("inspecting<", "&e;<"),
}


@pytest.mark.django_db
@URLS
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_dtd_or_an_entity_is_refused(world, case):
    client = bearer_client(world, "ministry")
    response = post_xml(client, REFUSED[case].encode())
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "DOCTYPE" in response.json()["detail"]
    assert Event.objects.count() == 0


@pytest.mark.django_db
@URLS
@pytest.mark.parametrize(
    ("body", "named"),
    [
        (_EVENT.replace("</EventList>", ""), "line "),
        (_EVENT.replace("<action>", "<actions>", 1), "line "),
        (_EVENT.replace("<readPoint>", "<colour>red</colour><readPoint>"), "<colour>"),
        ("not xml at all", "line 1"),
        (_EVENT.replace("<epc>", "<epc><epc>", 1).replace("</epc>", "</epc></epc>", 1), "<epc>"),
    ],
    ids=["unclosed", "mismatched", "unknown element", "not xml", "nested epc"],
)
def test_malformed_xml_is_refused_naming_the_problem_and_stores_nothing(world, body, named):
    client = bearer_client(world, "ministry")
    response = post_xml(client, body.encode())
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert named in detail, detail
    assert Event.objects.count() == 0


@pytest.mark.django_db
@URLS
def test_an_invalid_event_names_its_json_path_and_xml_line(world):
    client = bearer_client(world, "ministry")
    good = observed()
    bad = observed(bizStep="not a step")
    response = post_xml(client, epcis_xml.write(document(good, bad)))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "$.epcisBody.eventList[1].bizStep" in errors, errors
    assert "XML line" in errors["$.epcisBody.eventList[1].bizStep"][0]
    assert Event.objects.count() == 0


def test_the_openapi_schema_documents_the_xml_media_type():
    from agritrace.trace.urls_epcis import epcis_api

    paths = epcis_api.get_openapi_schema()["paths"]
    capture = paths["/epcis/capture"]["post"]["requestBody"]["content"]
    assert {"application/ld+json", "application/json", "application/xml", "text/xml"} <= set(
        capture
    )
    events = paths["/epcis/events"]["get"]["responses"][200]["content"]
    assert {"application/json", "application/xml"} <= set(events)
    parameters = {p["name"] for p in paths["/epcis/events"]["get"]["parameters"]}
    assert "GS1-CBV-XML-Format" in parameters
