"""The EPCIS Event Hash ID (CBV 2.0 section 8.9) and the identifier normal forms it uses.

Known values: the GS1 example events below (Example_9.6.1-ObjectEvent and
Example_9.6.4-TransformationEvent of GS1's EPCIS 2.0 examples) hashed by the reference
implementation of the algorithm (github.com/RalphTro/epcis-event-hash-generator, release 1.9.3
on PyPI, run over the GS1 files); the first event's pre-hash string is also the one in
openepcis-event-hash-generator's benchmark (EventHashGeneratorBenchmark.PREHASH_STRING), so two
independent implementations agree on it.
"""

import copy

import pytest

from agritrace.trace.hashing import (
    Namespaces,
    canonical_number,
    canonical_time,
    event_hash,
    prehash,
)
from agritrace.trace.identifiers import canonical_epc, check_digit, to_digital_link

CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"example": "http://ns.example.com/epcis/"},
]
SHIPPING = {
    "eventID": "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0",
    "type": "ObjectEvent",
    "action": "OBSERVE",
    "bizStep": "shipping",
    "disposition": "in_transit",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"],
    "eventTime": "2005-04-03T20:33:31.116000-06:00",
    "eventTimeZoneOffset": "-06:00",
    "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
    "bizTransactionList": [
        {"type": "po", "bizTransaction": "http://transaction.acme.com/po/12345678"}
    ],
}
SHIPPING_PREHASH = (
    "eventType=ObjectEventeventTime=2005-04-04T02:33:31.116ZeventTimeZoneOffset=-06:00"
    "epcListepc=https://id.gs1.org/01/10614141073464/21/2017"
    "epc=https://id.gs1.org/01/10614141073464/21/2018action=OBSERVE"
    "bizStep=https://ref.gs1.org/cbv/BizStep-shippingdisposition=https://ref.gs1.org/cbv/Disp-in_transit"
    "readPointid=https://id.gs1.org/414/0614141073467/254/1234"
    "bizTransactionListtype=https://ref.gs1.org/cbv/BTT-po"
    "bizTransaction=http://transaction.acme.com/po/12345678"
)
SHIPPING_HASH = (
    "ni:///sha-256;df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6?ver=CBV2.0"
)
RECEIVING = {
    "type": "ObjectEvent",
    "action": "OBSERVE",
    "bizStep": "receiving",
    "disposition": "in_progress",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2018"],
    "eventTime": "2005-04-04T20:33:31.116-06:00",
    "eventTimeZoneOffset": "-06:00",
    "readPoint": {"id": "urn:epc:id:sgln:0012345.11111.400"},
    "bizLocation": {"id": "urn:epc:id:sgln:0012345.11111.0"},
    "bizTransactionList": [
        {"type": "po", "bizTransaction": "http://transaction.acme.com/po/12345678"},
        {"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:1152"},
    ],
    "example:myField": "Example of a vendor/user extension",
}
RECEIVING_HASH = (
    "ni:///sha-256;32547b2344d525ea60ab1b899d82a9011fd9c39bb26ed936e113066146f49941?ver=CBV2.0"
)
TRANSFORMATION = {
    "type": "TransformationEvent",
    "eventTime": "2013-10-31T14:58:56.591Z",
    "eventTimeZoneOffset": "+02:00",
    "inputEPCList": [
        "urn:epc:id:sgtin:4012345.011122.25",
        "urn:epc:id:sgtin:4000001.065432.99886655",
    ],
    "inputQuantityList": [
        {"epcClass": "urn:epc:class:lgtin:4012345.011111.4444", "quantity": 10, "uom": "KGM"},
        {"epcClass": "urn:epc:class:lgtin:0614141.077777.987", "quantity": 30},
        {"epcClass": "urn:epc:idpat:sgtin:4012345.066666.*", "quantity": 220},
    ],
    "outputEPCList": [
        "urn:epc:id:sgtin:4012345.077889.25",
        "urn:epc:id:sgtin:4012345.077889.26",
        "urn:epc:id:sgtin:4012345.077889.27",
        "urn:epc:id:sgtin:4012345.077889.28",
    ],
    "bizStep": "commissioning",
    "disposition": "in_progress",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
    "ilmd": {"example:bestBeforeDate": "2014-12-10", "example:batch": "XYZ"},
    "example:myField": "Example of a vendor/user extension",
}
TRANSFORMATION_HASH = (
    "ni:///sha-256;c794227acf3a4d9be9ba1f8340425782f88a0f4e3f35b533a8bf8f1bc206a379?ver=CBV2.0"
)


def test_known_prehash_and_hash():
    ns = Namespaces(CONTEXT)
    assert prehash(SHIPPING, ns) == SHIPPING_PREHASH
    assert event_hash(SHIPPING, ns) == SHIPPING_HASH


@pytest.mark.parametrize(
    "event, expected", [(RECEIVING, RECEIVING_HASH), (TRANSFORMATION, TRANSFORMATION_HASH)]
)
def test_known_hashes_with_extensions_ilmd_and_classes(event, expected):
    assert event_hash(event, Namespaces(CONTEXT)) == expected


def test_the_same_event_written_differently_has_the_same_hash():
    ns = Namespaces(CONTEXT)
    other = copy.deepcopy(SHIPPING)
    other["epcList"] = list(reversed(other["epcList"]))  # list order is not meaning
    other["bizStep"] = "urn:epcglobal:cbv:bizstep:shipping"  # CBV 1.x URN
    other["disposition"] = "https://ref.gs1.org/cbv/Disp-in_transit"  # Web URI
    other["eventTime"] = "2005-04-04T02:33:31.116Z"  # same instant in UTC
    other["epcList"][0] = "https://id.gs1.org/01/10614141073464/21/2018"  # Digital Link
    other["readPoint"] = {"id": "https://example.com/414/0614141073467/254/1234?x=1"}
    other["recordTime"] = "2030-01-01T00:00:00Z"  # not part of the hash
    del other["eventID"]
    other["errorDeclaration"] = {"declarationTime": "2030-01-01T00:00:00Z"}
    assert event_hash(other, ns) == SHIPPING_HASH


def test_key_order_and_prefix_names_do_not_matter():
    renamed = {key: RECEIVING[key] for key in reversed(list(RECEIVING))}
    renamed["ex:myField"] = renamed.pop("example:myField")
    ns = Namespaces([{"ex": "http://ns.example.com/epcis/"}])
    assert event_hash(renamed, ns) == RECEIVING_HASH


@pytest.mark.parametrize(
    "change",
    [
        {"action": "ADD"},
        {"bizStep": "receiving"},
        {"eventTime": "2005-04-03T20:33:31.117000-06:00"},
        {"epcList": ["urn:epc:id:sgtin:0614141.107346.2017"]},
        {"readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1235"}},
        {"example:extra": "1"},
        {
            "bizTransactionList": [
                {"type": "inv", "bizTransaction": "http://transaction.acme.com/po/12345678"}
            ]
        },
    ],
)
def test_any_change_of_meaning_changes_the_hash(change):
    other = {**copy.deepcopy(SHIPPING), **change}
    assert event_hash(other, Namespaces(CONTEXT)) != SHIPPING_HASH


def test_times_are_utc_with_rounded_milliseconds():
    assert canonical_time("2005-04-03T20:33:31.116000-06:00") == "2005-04-04T02:33:31.116Z"
    assert canonical_time("2020-01-14T00:00:00+01:00") == "2020-01-13T23:00:00.000Z"
    assert canonical_time("2021-01-01T23:59:59.9996Z") == "2021-01-02T00:00:00.000Z"
    assert canonical_time("2021-01-01T10:00:00.1234Z") == "2021-01-01T10:00:00.123Z"
    assert canonical_time("2021-01-01T10:00:00.1235Z") == "2021-01-01T10:00:00.124Z"


def test_numbers_lose_trailing_zeros():
    assert canonical_number(1.0) == "1"
    assert canonical_number("0.3400") == "0.34"
    assert canonical_number(600) == "600"
    assert canonical_number(-477979.89) == "-477979.89"


def test_check_digits():
    assert check_digit("061414112345") == "2"  # GLN 0614141123452
    assert check_digit("1061414107346") == "4"  # GTIN 10614141073464


@pytest.mark.parametrize(
    "epc, link",
    [
        ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
        ("urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"),
        ("urn:epc:id:sgln:0614141.07346.1234", "https://id.gs1.org/414/0614141073467/254/1234"),
        ("urn:epc:id:sgln:4012345.00011.0", "https://id.gs1.org/414/4012345000115"),
        ("urn:epc:id:pgln:4012345.00000", "https://id.gs1.org/417/4012345000009"),
        (
            "urn:epc:class:lgtin:4012345.012345.998877",
            "https://id.gs1.org/01/04012345123456/10/998877",
        ),
        ("urn:epc:idpat:sgtin:4012345.066666.*", "https://id.gs1.org/01/04012345666663"),
        ("urn:epc:id:giai:4000001.111", "https://id.gs1.org/8004/4000001111"),
        ("urn:epc:id:grai:4012345.55555.987", "https://id.gs1.org/8003/04012345555554987"),
        (
            "https://example.com/gtin/614141073461/lot/A1/ser/7?17=2020",
            "https://id.gs1.org/01/00614141073461/21/7",
        ),
        (
            "https://id.gs1.org/01/09520123456788/10/ABC",
            "https://id.gs1.org/01/09520123456788/10/ABC",
        ),
    ],
)
def test_epc_uris_become_constrained_digital_links(epc, link):
    assert to_digital_link(epc) == link


@pytest.mark.parametrize(
    "value", ["urn:agritrace:lot:VN-DLOR-0001:L1", "https://example.org/not/gs1", "geo:12,108", ""]
)
def test_other_uris_are_kept(value):
    assert to_digital_link(value) is None
    assert canonical_epc(value) == value.strip()
