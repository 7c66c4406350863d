"""The fast schema check (fastjsonschema) and jsonschema give the same verdict: on GS1's
conformance documents, and on documents broken in the ways a sender breaks them. jsonschema
still writes the messages, which name the failing JSON path."""

import copy
import json

import pytest

from agritrace.trace.validation import document_errors, is_valid, validator

from .conftest import conformance_documents, document, harvest, packing, shipping

LOT = "urn:agritrace:lot:VN-DLOR-0001:H1"
PLACE = "urn:agritrace:loc:VN-DLOR-0001"


def _jsonschema_valid(doc) -> bool:
    return not any(True for _ in validator().iter_errors(doc))


def good() -> dict:
    return document(
        harvest(LOT, PLACE),
        packing([LOT], "urn:agritrace:lot:VN-DLPH-0001:P1", PLACE),
        shipping("urn:agritrace:lot:VN-DLPH-0001:P1", "urn:epc:id:sscc:8930000.1000000001", PLACE),
    )


def _broken():
    def mutate(fn):
        doc = good()
        fn(doc, doc["epcisBody"]["eventList"])
        return doc

    yield mutate(lambda d, ev: ev[0].__setitem__("bizStep", 7))
    yield mutate(lambda d, ev: ev[0].__setitem__("eventTime", "yesterday"))
    yield mutate(lambda d, ev: ev[0].__setitem__("eventTime", "2025-13-01T00:00:00Z"))
    yield mutate(lambda d, ev: ev[0].pop("eventTimeZoneOffset"))
    yield mutate(lambda d, ev: ev[0].__setitem__("eventTimeZoneOffset", "7"))
    yield mutate(lambda d, ev: ev[0]["readPoint"].__setitem__("id", "plot 7"))
    yield mutate(lambda d, ev: ev[0]["quantityList"][0].__setitem__("quantity", "500"))
    yield mutate(lambda d, ev: ev[0]["quantityList"][0].__setitem__("uom", "kilo"))
    yield mutate(lambda d, ev: ev[0].__setitem__("action", "CREATE"))
    yield mutate(lambda d, ev: ev[0].__setitem__("type", "HarvestEvent"))
    yield mutate(lambda d, ev: ev[0].__setitem__("colour", "red"))
    yield mutate(lambda d, ev: ev[1].pop("inputQuantityList") and ev[1].pop("outputQuantityList"))
    yield mutate(lambda d, ev: ev[2].pop("action"))
    yield mutate(lambda d, ev: ev[0].__setitem__("ilmd", "not an object"))
    yield mutate(lambda d, ev: d.pop("schemaVersion"))
    yield mutate(lambda d, ev: d.__setitem__("creationDate", "today"))
    yield mutate(lambda d, ev: d.__setitem__("sender", 5))
    yield mutate(lambda d, ev: d["epcisBody"].__setitem__("eventList", {"a": 1}))
    yield mutate(lambda d, ev: ev.append("not an event"))


@pytest.mark.parametrize("path", conformance_documents(), ids=lambda p: p.name)
def test_same_verdict_on_the_conformance_documents(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert is_valid(doc) is _jsonschema_valid(doc) is True


@pytest.mark.parametrize("doc", list(_broken()))
def test_same_verdict_on_broken_documents(doc):
    assert is_valid(doc) is _jsonschema_valid(doc) is False


def test_a_good_document_passes_both():
    assert is_valid(good()) and _jsonschema_valid(good())


def test_messages_still_name_the_path():
    doc = good()
    doc["epcisBody"]["eventList"][1]["readPoint"]["id"] = "plot 7"
    errors = document_errors(copy.deepcopy(doc))
    assert "$.epcisBody.eventList[1].readPoint.id" in errors
