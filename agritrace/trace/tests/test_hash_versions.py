"""Event hash IDs to the letter (issue 16): the published pre-hash strings and hashes of both
versions of the algorithm, the canonical property order as written, and both IDs at capture and
in the migration of 0010 (certificationInfo: test_hash_certification_info.py).

Published values: the three worked examples of the algorithm's own text
(github.com/RalphTro/epcis-event-hash-generator, README "Worked examples": Example 1 user
extensions at event level, Example 2 sensor data, Example 3 business transactions, source,
destination and a user extension inside readPoint), each given there with its pre-hash string
and its hash for CBV 2.0 and CBV 2.1. The events are the README's JSON-LD forms; the sensor
report types are written as the full URIs that the README's XML form and pre-hash string use
(https://ref.gs1.org/voc/…), see docs/identifiers.md.
"""

import copy
import importlib
from urllib.parse import quote

import pytest
from django.apps import apps

from agritrace.trace.hashing import (
    CBV20,
    CBV21,
    DEFAULT_VERSION,
    Namespaces,
    event_hash,
    event_hashes,
    hash_version,
    prehash,
)
from agritrace.trace.models import Event

from .conftest import bearer_client, document, session_client

EXAMPLE_NS = Namespaces([{"example": "https://ns.example.com/epcis/"}])
VOC = "https://ref.gs1.org/voc/"

EXAMPLE_1 = {
    "type": "ObjectEvent",
    "eventTime": "2020-03-04T11:00:30.000+01:00",
    "eventTimeZoneOffset": "+01:00",
    "recordTime": "2020-03-04T11:00:30.999+01:00",
    "epcList": [
        "urn:epc:id:sscc:4012345.0000000333",
        "urn:epc:id:sscc:4012345.0000000111",
        "urn:epc:id:sscc:4012345.0000000222",
    ],
    "action": "OBSERVE",
    "bizStep": "departing",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00011.987"},
    "example:myField1": {"example:mySubField1": "2", "example:mySubField2": "5"},
    "example:myField2": "0",
    "example:myField3": {"example:mySubField3": ["3", "1"]},
}
EXAMPLE_1_PREHASH = (
    "eventType=ObjectEventeventTime=2020-03-04T10:00:30.000ZeventTimeZoneOffset=+01:00"
    "epcListepc=https://id.gs1.org/00/040123450000001112"
    "epc=https://id.gs1.org/00/040123450000002225epc=https://id.gs1.org/00/040123450000003338"
    "action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-departing"
    "readPointid=https://id.gs1.org/414/4012345000115/254/987"
    "{https://ns.example.com/epcis/}myField1{https://ns.example.com/epcis/}mySubField1=2"
    "{https://ns.example.com/epcis/}mySubField2=5{https://ns.example.com/epcis/}myField2=0"
    "{https://ns.example.com/epcis/}myField3{https://ns.example.com/epcis/}mySubField3=1"
    "{https://ns.example.com/epcis/}mySubField3=3"
)
EXAMPLE_1_DIGEST = "6ae96341e0acc6d7a261364751f60e68278a81cdf51da0abb6b4e617014e39d7"

EXAMPLE_2 = {
    "type": "ObjectEvent",
    "eventTime": "2020-04-01T15:00:00+01:00",
    "eventTimeZoneOffset": "+01:00",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.9876"],
    "action": "OBSERVE",
    "bizStep": "inspecting",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00005.0"},
    "sensorElementList": [
        {
            "sensorMetadata": {
                "deviceID": "urn:epc:id:giai:4000001.111",
                "deviceMetadata": "https://id.gs1.org/8004/4000001111",
            },
            "sensorReport": [
                {"type": VOC + "Temperature", "value": 26, "sDev": 0.1, "uom": "CEL"},
                {"type": VOC + "AbsoluteHumidity", "value": 12.1, "uom": "A93"},
                {
                    "type": VOC + "Dimensionless",
                    "microorganism": "https://www.ncbi.nlm.nih.gov/taxonomy/1126011",
                    "value": 0.05,
                    "uom": "C35",
                },
                {
                    "type": VOC + "Dimensionless",
                    "chemicalSubstance": (
                        "https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N"
                    ),
                    "value": 0.18,
                    "uom": "C35",
                },
            ],
        }
    ],
}
_EXAMPLE_2_HEAD = (
    "eventType=ObjectEventeventTime=2020-04-01T14:00:00.000ZeventTimeZoneOffset=+01:00"
    "epcListepc=https://id.gs1.org/01/04012345111118/21/9876action=OBSERVE"
    "bizStep=https://ref.gs1.org/cbv/BizStep-inspecting"
    "readPointid=https://id.gs1.org/414/4012345000054"
)
_EXAMPLE_2_ELEMENT = (
    "sensorElementsensorMetadatadeviceID=https://id.gs1.org/8004/4000001111"
    "deviceMetadata=https://id.gs1.org/8004/4000001111"
    "sensorReporttype=https://ref.gs1.org/voc/AbsoluteHumidityvalue=12.1uom=A93"
    "sensorReporttype=https://ref.gs1.org/voc/Dimensionless"
    "chemicalSubstance=https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N"
    "value=0.18uom=C35"
    "sensorReporttype=https://ref.gs1.org/voc/Dimensionless"
    "microorganism=https://www.ncbi.nlm.nih.gov/taxonomy/1126011value=0.05uom=C35"
    "sensorReporttype=https://ref.gs1.org/voc/Temperaturevalue=26sDev=0.1uom=CEL"
)
EXAMPLE_2_PREHASH = {
    CBV20: _EXAMPLE_2_HEAD + _EXAMPLE_2_ELEMENT,  # 2.0: no sensorElementList key
    CBV21: _EXAMPLE_2_HEAD + "sensorElementList" + _EXAMPLE_2_ELEMENT,
}
EXAMPLE_2_DIGEST = {
    CBV20: "271565c346ae2fb28c4583c4dca4ab4772d465eb4e0b6e548d77d8b49377d95c",
    CBV21: "f6bf8e2fb50f26f5baba52f722211eefdb0f427a3903c61ab015db6d1f93c3da",
}

EXAMPLE_3 = {
    "type": "ObjectEvent",
    "eventTime": "2020-03-04T11:00:30+01:00",
    "eventTimeZoneOffset": "+01:00",
    "epcList": ["urn:epc:id:sgtin:0614141.011111.987"],
    "action": "OBSERVE",
    "bizStep": "departing",
    "disposition": "in_transit",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00011.0", "example:myField1": "AB-12"},
    "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epc:id:gdti:4012345.11111.123"}],
    "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}],
    "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:0614141.00000"}],
    "example:userExt": "CD-34",
}
_EXAMPLE_3_HEAD = (
    "eventType=ObjectEventeventTime=2020-03-04T10:00:30.000ZeventTimeZoneOffset=+01:00"
    "epcListepc=https://id.gs1.org/01/00614141111114/21/987action=OBSERVE"
    "bizStep=https://ref.gs1.org/cbv/BizStep-departing"
    "disposition=https://ref.gs1.org/cbv/Disp-in_transit"
    "readPointid=https://id.gs1.org/414/4012345000115"
)
_EXAMPLE_3_LISTS = (
    "bizTransactionListtype=https://ref.gs1.org/cbv/BTT-po"
    "bizTransaction=https://id.gs1.org/253/4012345111118123"
    "sourceListtype=https://ref.gs1.org/cbv/SDT-owning_party"
    "source=https://id.gs1.org/417/4012345000009"
    "destinationListtype=https://ref.gs1.org/cbv/SDT-owning_party"
    "destination=https://id.gs1.org/417/0614141000005"
)
_FIELD = "{https://ns.example.com/epcis/}myField1=AB-12"
_USER = "{https://ns.example.com/epcis/}userExt=CD-34"
EXAMPLE_3_PREHASH = {
    # 2.0: the extension inside readPoint goes to a block after the standard fields, prefixed
    # by its field's name; 2.1: it stays inline, right after readPoint's id.
    CBV20: _EXAMPLE_3_HEAD + _EXAMPLE_3_LISTS + "readPoint" + _FIELD + _USER,
    CBV21: _EXAMPLE_3_HEAD + _FIELD + _EXAMPLE_3_LISTS + _USER,
}
EXAMPLE_3_DIGEST = {
    CBV20: "3ae14c02c4bdc220cc31942cf804f6845eb8dec96ba6483391c92a9b165f9329",
    CBV21: "e9273954ba78387caf181fe74038871990dbc97568d068123d0a8774b843e383",
}


def _id(digest: str, version: str) -> str:
    return f"ni:///sha-256;{digest}?ver={version}"


@pytest.mark.parametrize("version", [CBV20, CBV21])
def test_published_example_1_event_level_extensions(version):
    assert prehash(EXAMPLE_1, EXAMPLE_NS, version) == EXAMPLE_1_PREHASH
    assert event_hash(EXAMPLE_1, EXAMPLE_NS, version) == _id(EXAMPLE_1_DIGEST, version)


@pytest.mark.parametrize("version", [CBV20, CBV21])
def test_published_example_2_sensor_element_list_key(version):
    assert prehash(EXAMPLE_2, EXAMPLE_NS, version) == EXAMPLE_2_PREHASH[version]
    assert event_hash(EXAMPLE_2, EXAMPLE_NS, version) == _id(EXAMPLE_2_DIGEST[version], version)


@pytest.mark.parametrize("version", [CBV20, CBV21])
def test_published_example_3_extension_inside_a_standard_field(version):
    assert prehash(EXAMPLE_3, EXAMPLE_NS, version) == EXAMPLE_3_PREHASH[version]
    assert event_hash(EXAMPLE_3, EXAMPLE_NS, version) == _id(EXAMPLE_3_DIGEST[version], version)


def test_cbv_2_0_sensor_extensions_go_to_the_trailing_block_by_their_parents():
    event = copy.deepcopy(EXAMPLE_2)
    event["sensorElementList"][0]["sensorMetadata"]["example:meta"] = "m"
    event["sensorElementList"][0]["sensorReport"][0]["example:rep"] = "r"
    event["example:top"] = "t"
    old = prehash(event, EXAMPLE_NS, CBV20)
    assert old == (
        EXAMPLE_2_PREHASH[CBV20]
        + "sensorElementsensorMetadata{https://ns.example.com/epcis/}meta=m"
        + "sensorReport{https://ns.example.com/epcis/}rep=r"
        + "{https://ns.example.com/epcis/}top=t"
    )
    new = prehash(event, EXAMPLE_NS, CBV21)
    assert (
        "deviceMetadata=https://id.gs1.org/8004/4000001111{https://ns.example.com/epcis/}meta=m"
        in new
    )
    assert "uom=CEL{https://ns.example.com/epcis/}rep=r" in new


def test_both_ids_and_their_version():
    ids = event_hashes(EXAMPLE_3, EXAMPLE_NS)
    assert ids == {
        CBV20: _id(EXAMPLE_3_DIGEST[CBV20], CBV20),
        CBV21: _id(EXAMPLE_3_DIGEST[CBV21], CBV21),
    }
    assert DEFAULT_VERSION == CBV20  # new events get the ratified version
    assert event_hash(EXAMPLE_3, EXAMPLE_NS) == ids[CBV20]
    assert hash_version(ids[CBV21]) == CBV21 and hash_version(ids[CBV20]) == CBV20
    assert hash_version("urn:uuid:1d3b7b36-4b3b-4d1a-8a52-6ba8d8a0d7c2") == ""
    with pytest.raises(ValueError):
        prehash(EXAMPLE_3, EXAMPLE_NS, "CBV9.9")


def test_canonical_order_as_written_parent_after_epc_list_in_a_transaction_event():
    """CBV canonical property order: 4 epcList, 5 parentID (an earlier reference release wrote
    parentID first); 20 bizTransactionList, 21 sourceList, 22 destinationList, 23
    sensorElementList."""
    event = {
        "type": "TransactionEvent",
        "eventTime": "2020-03-04T11:00:30Z",
        "eventTimeZoneOffset": "+00:00",
        "parentID": "urn:epc:id:sscc:4012345.0000000111",
        "epcList": ["urn:epc:id:sgtin:0614141.011111.987"],
        "action": "ADD",
        "sensorElementList": [{"sensorReport": [{"type": VOC + "Temperature", "value": 4}]}],
        "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:4012345.00011.0"}],
        "sourceList": [{"type": "location", "source": "urn:epc:id:sgln:4012345.00012.0"}],
        "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epc:id:gdti:4012345.11111.1"}],
    }
    for version in (CBV20, CBV21):
        text = prehash(event, Namespaces(), version)
        order = [
            text.index(key)
            for key in (
                "epcListepc=",
                "parentID=",
                "action=",
                "bizTransactionList",
                "sourceList",
                "destinationList",
                "sensorElement",
            )
        ]
        assert order == sorted(order), (version, text)


# ------------------------------------------------------------------ capture


def _lot_event(**extra) -> dict:
    event = {
        "type": "ObjectEvent",
        "eventTime": "2025-06-01T06:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "epcList": ["urn:epc:id:sgtin:8930000.012345.77"],
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "readPoint": {"id": "urn:epc:id:sgln:8930000.00001.0", "example:gate": "2"},
        "sensorElementList": [{"sensorReport": [{"type": VOC + "Temperature", "value": 4}]}],
    }
    event.update(extra)
    return event


_CONTEXT = [{"example": "https://ns.example.com/epcis/"}]


@pytest.mark.django_db
@pytest.mark.urls("agritrace.trace.tests.urls")
def test_both_versions_are_stored_and_an_event_id_of_either_is_accepted(world, post_document):
    client = bearer_client(world, "ministry")
    event = _lot_event()
    ids = event_hashes(event, Namespaces(_CONTEXT))
    # A partner names the event by its CBV 2.1 hash ID: accepted and kept, with its version.
    response = post_document(client, document({**event, "eventID": ids[CBV21]}, context=_CONTEXT))
    assert response.status_code == 202, response.content
    stored = Event.objects.get()
    assert (stored.event_id, stored.hash_version) == (ids[CBV21], CBV21)
    assert (stored.event_hash, stored.event_hash_v21) == (ids[CBV20], ids[CBV21])
    # The same event named by its CBV 2.0 ID, or by none, is that event again.
    for again in ({**event, "eventID": ids[CBV20]}, event):
        response = post_document(client, document(again, context=_CONTEXT))
        assert response.json()["duplicateCount"] == 1
    assert Event.objects.count() == 1
    for name in ids.values():
        found = client.get("/epcis/events/" + quote(name, safe=""))
        assert found.status_code == 200 and found.json()["eventID"] == ids[CBV21]
        listed = client.get("/epcis/events", {"EQ_eventID": name}).json()
        events = listed["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert [e["eventID"] for e in events] == [ids[CBV21]]


@pytest.mark.django_db
@pytest.mark.urls("agritrace.trace.tests.urls")
def test_the_migration_recomputes_ids_and_keeps_the_old_one_resolving(world, post_document):
    client = bearer_client(world, "ministry")
    event = _lot_event()
    assert post_document(client, document(event, context=_CONTEXT)).status_code == 202
    ids = event_hashes(event, Namespaces(_CONTEXT))
    old = "ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0"  # what the earlier release stored
    Event.objects.update(event_id=old, event_hash=old, event_hash_v21=None, hash_version="")
    migration = importlib.import_module("agritrace.trace.migrations.0010_event_hash_version")
    migration.recompute(apps, None)
    stored = Event.objects.get()
    assert (stored.event_hash, stored.event_hash_v21) == (ids[CBV20], ids[CBV21])
    assert (stored.event_id, stored.former_hash, stored.hash_version) == (old, old, CBV20)
    for name in (old, ids[CBV20], ids[CBV21]):
        assert client.get("/epcis/events/" + quote(name, safe="")).status_code == 200
    # An event whose hash did not change keeps no former one.
    migration.recompute(apps, None)
    assert Event.objects.get().former_hash == old
    Event.objects.update(former_hash="")
    migration.recompute(apps, None)
    assert Event.objects.get().former_hash == ""


@pytest.mark.django_db
@pytest.mark.urls("agritrace.trace.tests.urls")
def test_the_event_page_shows_both_ids_and_the_former_one(world, post_document):
    event = _lot_event()
    assert post_document(bearer_client(world, "ministry"), document(event, context=_CONTEXT))
    stored = Event.objects.get()
    Event.objects.update(former_hash="ni:///sha-256;" + "1" * 64 + "?ver=CBV2.0")
    page = session_client(world, "ministry").get(f"/trace/events/{stored.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert stored.event_hash in text and stored.event_hash_v21 in text and "1" * 64 in text
    # Out of scope, the page is not there (a cooperative that did not capture it).
    assert session_client(world, "other_coop").get(f"/trace/events/{stored.pk}/").status_code == 404
