"""GS1 EPCIS 2.0 conformance: each of GS1's example EPCISDocuments is captured through the API
and every event comes back from /events with the same meaning."""

import json
from urllib.parse import quote

import pytest

from agritrace.trace.hashing import CBV21, Namespaces, event_hash, prehash
from agritrace.trace.models import Event
from agritrace.trace.validation import validator

from .conftest import bearer_client, conformance_documents, needs_conformance

pytestmark = [
    pytest.mark.django_db,
    needs_conformance(),
    pytest.mark.urls("agritrace.trace.tests.urls"),
]

DOCUMENTS = conformance_documents()
ADDED_BY_THE_REPOSITORY = {"recordTime", "eventID", "errorDeclaration", "@context"}


def test_all_46_documents_are_there():
    assert len(DOCUMENTS) == 46


def _returned(client) -> list[dict]:
    response = client.get("/api/trace/events", {"perPage": 1000})
    assert response.status_code == 200, response.content
    body = response.json()
    errors = list(validator().iter_errors(body))
    assert not errors, [e.message for e in errors][:3]  # the answer is a valid EPCIS document
    return body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_each_document_round_trips(world, post_document, path):
    client = bearer_client(world, "ministry")
    doc = json.loads(path.read_text(encoding="utf-8"))
    response = post_document(client, path.read_bytes())
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["success"] is True and job["running"] is False
    assert response["Location"] == f"/api/trace/capture/{job['captureID']}"

    namespaces = Namespaces(doc.get("@context"))
    returned = {}
    for event in _returned(client):
        # A returned event carries its JSON-LD context: its meaning needs no other document.
        returned[event_hash(event, Namespaces())] = event
    originals = doc["epcisBody"]["eventList"]
    assert len(returned) == len({event_hash(e, namespaces) for e in originals})
    for original in originals:
        back = returned[event_hash(original, namespaces)]
        # Same meaning: type, action, EPCs and quantities, bizStep, disposition, read point,
        # business location, times, sensor data, ILMD and extensions (all in the pre-hash).
        assert prehash(back, Namespaces()) == prehash(original, namespaces)
        assert prehash(back, Namespaces(), CBV21) == prehash(original, namespaces, CBV21)
        # And the very same JSON: nothing dropped or rewritten.
        for key, value in original.items():
            if key not in ADDED_BY_THE_REPOSITORY:
                assert back[key] == value, key
        for key in (
            "type",
            "eventTime",
            "eventTimeZoneOffset",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "epcList",
            "quantityList",
        ):
            assert back.get(key) == original.get(key)
        if original.get("eventID") and "errorDeclaration" not in original:
            assert back["eventID"] == original["eventID"]
        if "errorDeclaration" in original:
            assert back["errorDeclaration"] == original["errorDeclaration"]
        assert back["recordTime"]
        # Each event also has its own resource, by its eventID.
        single = client.get("/epcis/events/" + quote(back["eventID"], safe=""))
        assert single.status_code == 200, back["eventID"]
        assert single.json()["eventID"] == back["eventID"]


def test_capturing_everything_twice_stores_each_event_once(world, post_document):
    """All documents into one repository, each twice: every distinct event is stored once. An
    eventID that an earlier document gave to a different event is refused (three of GS1's
    examples reuse one), naming that eventID's path; nothing of that document is stored."""
    client = bearer_client(world, "ministry")
    owner_of_id: dict[str, str] = {}  # eventID -> hash of the event stored under it
    distinct: set[str] = set()
    for path in DOCUMENTS:
        doc = json.loads(path.read_text(encoding="utf-8"))
        ns = Namespaces(doc.get("@context"))
        events = doc["epcisBody"]["eventList"]
        conflicts = [
            i
            for i, e in enumerate(events)
            if e.get("eventID") in owner_of_id
            and owner_of_id[e["eventID"]] != event_hash(e, ns)
            and "errorDeclaration" not in e
            and event_hash(e, ns) not in distinct
        ]
        before = Event.objects.count()
        first = post_document(client, path.read_bytes())
        if conflicts:
            assert first.status_code == 400, path.name
            assert f"$.epcisBody.eventList[{conflicts[0]}].eventID" in first.json()["errors"]
            assert Event.objects.count() == before
            continue
        assert first.status_code == 202, (path.name, first.content)
        again = post_document(client, path.read_bytes(), path="/epcis/capture")
        assert again.status_code == 202
        assert again.json()["storedCount"] == 0
        assert again["Location"].startswith("/epcis/capture/")
        for e in events:
            h = event_hash(e, ns)
            if "errorDeclaration" in e and e.get("eventID") in owner_of_id:
                continue  # it marks the event stored under that eventID; not stored itself
            distinct.add(h)
            owner_of_id.setdefault(e.get("eventID") or h, h)
    assert Event.objects.count() == len(distinct)
