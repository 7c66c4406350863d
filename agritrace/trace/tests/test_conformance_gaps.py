"""Two conformance gaps a public test set reported (issue 13): a `persistentDisposition` block,
and sensor report types written without the `gs1:` prefix. EPCIS 2.0 accepts both: the JSON
Schema defines `persistentDisposition` as an object of `set` and `unset` disposition lists
(section 7.3.5.3 of the standard), and its JSON-LD context declares `type` of a sensorReport
with `@type: @vocab` over the gs1: vocabulary, so "Temperature" and "gs1:Temperature" are the
same term. Each case is captured through the API, comes back unchanged, and hashes as the
standard's text says."""

import copy

import pytest

from agritrace.trace.hashing import CBV21, Namespaces, event_hash, prehash
from agritrace.trace.models import Event
from agritrace.trace.validation import validator

from .conftest import bearer_client, document

pytestmark = [pytest.mark.django_db, pytest.mark.urls("agritrace.trace.tests.urls")]

LOCATION = "urn:epc:id:sgln:4012345.00001.0"


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


PERSISTENT = {"set": ["completeness_verified"], "unset": ["completeness_inferred"]}


def sensor(report_type: str) -> list[dict]:
    return [
        {
            "sensorMetadata": {"time": "2025-06-01T05:59:00+07:00"},
            "sensorReport": [{"type": report_type, "value": 26.5, "uom": "CEL"}],
        }
    ]


def _capture(world, post_document, *events) -> list[dict]:
    doc = document(*events)
    assert not list(validator().iter_errors(doc))  # the standard's JSON Schema accepts it
    client = bearer_client(world, "ministry")
    response = post_document(client, doc)
    assert response.status_code == 202, response.content
    assert response.json()["success"] is True, response.json()
    listed = client.get("/api/trace/events", {"perPage": 100})
    assert listed.status_code == 200
    return listed.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def test_a_persistent_disposition_is_captured_kept_and_hashed(world, post_document):
    event = observed(persistentDisposition=PERSISTENT)
    (back,) = _capture(world, post_document, event)
    assert back["persistentDisposition"] == PERSISTENT
    # In the pre-hash, after the disposition, with the CBV terms in their full URI form.
    text = prehash(event, Namespaces(document(event)["@context"]))
    assert "persistentDisposition" in text
    assert "https://ref.gs1.org/cbv/Disp-completeness_verified" in text
    assert text.index("persistentDisposition") > text.index("disposition=")
    # The block is part of the event's identity: without it, another event.
    without = event_hash(observed(), Namespaces())
    assert without != event_hash(event, Namespaces())
    assert Event.objects.get().event_hash == event_hash(event, Namespaces())


def test_a_persistent_disposition_of_the_wrong_shape_is_refused_by_field(world, post_document):
    client = bearer_client(world, "ministry")
    response = post_document(client, document(observed(persistentDisposition="active")))
    assert response.status_code == 400, response.content
    assert "persistentDisposition" in response.content.decode()
    assert Event.objects.count() == 0


def test_a_sensor_type_without_the_gs1_prefix_is_the_same_term(world, post_document):
    bare = observed(sensorElementList=sensor("Temperature"))
    prefixed = copy.deepcopy(bare)
    prefixed["sensorElementList"][0]["sensorReport"][0]["type"] = "gs1:Temperature"
    ns = Namespaces(document(bare)["@context"])
    assert prehash(bare, ns) == prehash(prefixed, ns)
    assert prehash(bare, ns, CBV21) == prehash(prefixed, ns, CBV21)
    assert "https://gs1.org/voc/Temperature" in prehash(bare, ns)

    (back,) = _capture(world, post_document, bare)
    assert back["sensorElementList"][0]["sensorReport"][0]["type"] == "Temperature"
    # The prefixed form is the same event: captured again, it is not stored twice.
    _capture(world, post_document, prefixed)
    assert Event.objects.count() == 1
