"""The EPCIS 2.0 XML binding's tables, shared by the reader (epcis_xml_read.py) and the writer
(epcis_xml_write.py): namespaces, the order of each event type's elements, which fields hold
CBV vocabulary, and how a user extension's XML namespace is named in JSON-LD.

Confirmed from GS1's XSD `EPCglobal-epcis-2_0.xsd` (github.com/gs1/EPCIS, folder XSD/): the
namespace `urn:epcglobal:epcis:xsd:2`, standard elements in no namespace, each event type's
element sequence, sensorMetadata and sensorReport fields as attributes, bizTransaction / source /
destination with a `type` attribute, persistentDisposition with `unset` then `set`, quantity
elements, and extensions as elements of other namespaces. See docs/trace.md for what is assumed.
"""

from . import vocab
from .hashing import SENSOR_METADATA, SENSOR_REPORT  # noqa: F401  (the sensor fields: one list)

EPCIS_NS = "urn:epcglobal:epcis:xsd:2"
#: EPCIS 1.x documents (their `extension` / `baseExtension` wrappers are read through).
EPCIS_NS_1 = "urn:epcglobal:epcis:xsd:1"
QUERY_NS = "urn:epcglobal:epcis-query:xsd:2"
QUERY_NS_1 = "urn:epcglobal:epcis-query:xsd:1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
DOCUMENT_NAMESPACES = frozenset({EPCIS_NS, EPCIS_NS_1, ""})
QUERY_NAMESPACES = frozenset({QUERY_NS, QUERY_NS_1})

MEDIA_TYPES = ("application/xml", "text/xml")

EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)

#: The elements every event starts with (EPCISEventType). certificationInfo is not in the
#: XSD we could read; it is written after errorDeclaration (an assumption, docs/trace.md).
_BASE = ("eventTime", "recordTime", "eventTimeZoneOffset", "eventID", "errorDeclaration")
_CERT = ("certificationInfo",)
_WHERE_WHY = ("bizStep", "disposition", "readPoint", "bizLocation")

#: Each event type's element sequence, from the XSD (user extensions follow).
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "ObjectEvent": _BASE
    + _CERT
    + ("epcList", "action")
    + _WHERE_WHY
    + (
        "bizTransactionList",
        "quantityList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "persistentDisposition",
        "ilmd",
    ),
    "AggregationEvent": _BASE
    + _CERT
    + ("parentID", "childEPCs", "action")
    + _WHERE_WHY
    + (
        "bizTransactionList",
        "childQuantityList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "persistentDisposition",
    ),
    "TransactionEvent": _BASE
    + _CERT
    + ("bizTransactionList", "parentID", "epcList", "action")
    + _WHERE_WHY
    + (
        "quantityList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "persistentDisposition",
    ),
    "TransformationEvent": _BASE
    + _CERT
    + (
        "inputEPCList",
        "inputQuantityList",
        "outputEPCList",
        "outputQuantityList",
        "transformationID",
    )
    + _WHERE_WHY
    + (
        "bizTransactionList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "persistentDisposition",
        "ilmd",
    ),
    "AssociationEvent": _BASE
    + _CERT
    + ("parentID", "childEPCs", "childQuantityList", "action")
    + _WHERE_WHY
    + (
        "bizTransactionList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "persistentDisposition",
    ),
}

#: The XSD requires these lists on these event types (written empty when the JSON has none).
REQUIRED_LISTS = {
    "ObjectEvent": ("epcList",),
    "AggregationEvent": ("childEPCs",),
    "TransactionEvent": ("bizTransactionList", "epcList"),
}

EPC_LISTS = frozenset({"epcList", "childEPCs", "inputEPCList", "outputEPCList"})
QUANTITY_LISTS = frozenset(
    {"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"}
)
PLAIN_TEXT = frozenset(
    {
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "eventID",
        "action",
        "parentID",
        "transformationID",
    }
)
#: Fields that hold one CBV value, and its kind in trace.vocab.
VOCAB_FIELDS = {"bizStep": "bizStep", "disposition": "disposition"}
#: list field → (element of each entry, JSON key of its value, CBV kind of its type attribute)
TYPED_LISTS = {
    "bizTransactionList": ("bizTransaction", "bizTransaction", "btt"),
    "sourceList": ("source", "source", "sdt"),
    "destinationList": ("destination", "destination", "sdt"),
}

#: sensorReport attributes of type xsd:double (numbers in JSON) and xsd:boolean.
SENSOR_NUMBERS = frozenset(
    {"value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"}
)
SENSOR_BOOLEANS = frozenset({"booleanValue"})

#: The prefixes of the standard JSON-LD context, and the XML namespace each stands for. The CBV
#: master data attributes are `urn:epcglobal:cbv:mda` elements in XML (GS1's XML examples) and
#: `cbvmda:` terms in JSON-LD (GS1's JSON examples), so that namespace keeps its prefix.
STANDARD_XML_PREFIXES = {
    "cbvmda": "urn:epcglobal:cbv:mda",
    "gs1": vocab.GS1_VOC,
    "cbv": vocab.CBV,
    "epcis": vocab.EPCIS_NS,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}
#: XML namespace → standard JSON-LD prefix (also the context's own spelling of cbvmda).
STANDARD_NAMESPACE_PREFIX = {ns: p for p, ns in STANDARD_XML_PREFIXES.items()} | {
    "urn:epcglobal:cbv:mda:": "cbvmda"
}
#: JSON keys that carry no meaning of their own (JSON-LD comments); not written to XML.
IGNORED_KEYS = frozenset({"@context", "comment", "@id", "type"})

#: CBV values in XML: URNs unless the client asks for GS1 Web URIs (GS1-CBV-XML-Format).
URN, WEB_URI = "urn", "web"
CBV_XML_FORMATS = {
    "No_Preference": URN,
    "Always_URN": URN,
    "Always_Web_URI": WEB_URI,
    "Never_Translates": URN,
}


def cbv_to_json(kind: str, value: str) -> str:
    """A CBV value read from XML (URN, Web URI or bare word) as JSON-LD writes it: the bare
    word when it is a CBV term, else unchanged."""
    return vocab.compact(kind, value.strip())


def cbv_to_xml(kind: str, value: str, style: str = URN) -> str:
    """A CBV value for XML: its URN (or GS1 Web URI); a value outside the CBV unchanged."""
    web = vocab.full(kind, value)
    prefix, urn, words = vocab.KINDS[kind]
    if web.startswith(prefix) and web[len(prefix) :] in words:
        return web if style == WEB_URI else urn + web[len(prefix) :]
    return value


#: sensorReport type / exception words are gs1: terms, component words cbv:Comp- terms.
_SENSOR_PREFIXES = {
    "type": ("gs1:", vocab.GS1_VOC),
    "exception": ("gs1:", vocab.GS1_VOC),
    "component": ("cbv:Comp-", vocab.CBV + "Comp-"),
}


def sensor_to_json(field: str, value: str) -> str:
    """gs1:Temperature (or its Web URI) → Temperature, as GS1's JSON examples write it."""
    value = value.strip()
    for prefix in _SENSOR_PREFIXES[field]:
        rest = value[len(prefix) :]
        if value.startswith(prefix) and rest and not vocab.is_uri(rest):
            return rest
    return value


def sensor_to_xml(field: str, value: str, style: str = URN) -> str:
    """Temperature → gs1:Temperature (GS1's XML examples), or its Web URI when asked."""
    value = str(value).strip()
    if vocab.is_uri(value):
        return value
    curie, web = _SENSOR_PREFIXES[field]
    return (web if style == WEB_URI else curie) + value
