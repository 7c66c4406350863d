"""The EPCIS Event Hash ID (GS1 CBV 2.0, section 8.9): a syntax-independent fingerprint of an
event, `ni:///sha-256;<hex>?ver=CBV2.0` (RFC 6920).

The algorithm, as published with its reference implementation
(https://github.com/RalphTro/epcis-event-hash-generator, README "Algorithm" and "Canonical
property order"): the event's fields are written in a fixed order as `key=value` (a parent
writes its key and then its children, without '='), concatenated without separators; times in
UTC with milliseconds; numbers without trailing zeros; CBV values as GS1 Web URIs (bare words,
URNs and CURIEs expanded); EPC URIs as constrained canonical GS1 Digital Link URIs; the
elements of a list each rendered and sorted by code point; the `type` of a business
transaction, source or destination written before its value; ILMD and user extensions as
`{namespace}localName=value`, sorted, after the standard fields. eventID, recordTime,
errorDeclaration and certificationInfo are not part of the hash, so an error declaration of an
event has the event's own hash.

Checked against the pre-hash strings that two independent implementations agree on (the
reference implementation, release 1.9.3 on PyPI, and openepcis-event-hash-generator): see
agritrace/trace/tests/test_hashing.py.
"""

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from . import vocab
from .identifiers import to_digital_link

HASH_VERSION = "CBV2.0"

#: Quantity lists: their name in the pre-hash string and their JSON key.
_EPC_LISTS_BEFORE_ACTION = (
    ("epcList", "epcs"),
    ("parentID", "scalar"),
    ("inputEPCList", "epcs"),
    ("childEPCs", "epcs"),
    ("quantityList", "quantities"),
    ("childQuantityList", "quantities"),
    ("inputQuantityList", "quantities"),
    ("outputEPCList", "epcs"),
    ("outputQuantityList", "quantities"),
)
_SENSOR_METADATA = (
    "time",
    "startTime",
    "endTime",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "bizRules",
)
_SENSOR_REPORT = (
    "type",
    "exception",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "time",
    "microorganism",
    "chemicalSubstance",
    "value",
    "component",
    "stringValue",
    "booleanValue",
    "hexBinaryValue",
    "uriValue",
    "minValue",
    "maxValue",
    "meanValue",
    "sDev",
    "percRank",
    "percValue",
    "uom",
    "coordinateReferenceSystem",
)
#: Standard event fields: everything else at event level is a user extension.
STANDARD_FIELDS = frozenset(
    {name for name, _kind in _EPC_LISTS_BEFORE_ACTION}
    | {
        "type",
        "eventTime",
        "eventTimeZoneOffset",
        "recordTime",
        "eventID",
        "errorDeclaration",
        "certificationInfo",
        "action",
        "transformationID",
        "bizStep",
        "disposition",
        "persistentDisposition",
        "readPoint",
        "bizLocation",
        "bizTransactionList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "ilmd",
        "@context",
    }
)
#: Keys that carry no meaning for the hash (JSON-LD comments).
_IGNORED = frozenset({"@context", "rdfs:comment", "comment", "@id"})

_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})?$"
)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class Namespaces:
    """Prefix → namespace IRI, from the standard context and a document's @context."""

    def __init__(self, context: object = None):
        self.prefixes: dict[str, str] = dict(vocab.STANDARD_PREFIXES)
        self.add(context)

    def add(self, context: object) -> None:
        items = context if isinstance(context, list) else [context]
        for item in items:
            if isinstance(item, Mapping):
                for prefix, iri in item.items():
                    if isinstance(iri, str) and not prefix.startswith("@") and ":" not in prefix:
                        self.prefixes[prefix] = iri

    def with_context(self, context: object) -> "Namespaces":
        if not context:
            return self
        copy = Namespaces()
        copy.prefixes = dict(self.prefixes)
        copy.add(context)
        return copy

    def expand_curie(self, value: str) -> str:
        prefix, sep, rest = value.partition(":")
        if sep and prefix in self.prefixes and not rest.startswith("//"):
            return self.prefixes[prefix] + rest
        return value

    def qualified(self, key: str) -> str:
        """`{namespace}localName` for an extension key (a CURIE or a full IRI)."""
        prefix, sep, local = key.partition(":")
        if sep and prefix in self.prefixes and not local.startswith("//"):
            return "{" + self.prefixes[prefix] + "}" + local
        iri = key
        cut = max(iri.rfind("/"), iri.rfind("#"))
        if cut < 0:
            return key
        return "{" + iri[: cut + 1] + "}" + iri[cut + 1 :]


def canonical_time(value: str) -> str:
    """UTC with milliseconds (rounded half up) and 'Z': 2005-04-04T02:33:31.116Z."""
    m = _TIME.match(value.strip())
    if not m:
        return value.strip()
    day, hh, mm, ss, frac, tz = m.groups()
    base = datetime.fromisoformat(f"{day}T{hh}:{mm}:{ss}")
    millis = (Decimal("0." + frac) if frac else Decimal(0)) * 1000
    millis = millis.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if tz and tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        base = base.replace(tzinfo=timezone(sign * offset))
    else:
        base = base.replace(tzinfo=UTC)
    moment = base.astimezone(UTC) + timedelta(milliseconds=int(millis))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def canonical_number(value: object) -> str:
    """A number without trailing zeros or exponent: 1.0 → 1, 0.3400 → 0.34."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return format(number.normalize(), "f")


def canonical_value(value: object, ns: Namespaces) -> str:
    """Any scalar value: numbers, booleans, CBV URNs, CURIEs and GS1 identifiers normalised."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return canonical_number(value)
    text = str(value).strip()
    if _NUMBER.match(text):
        return canonical_number(text)
    for urn, web in vocab.URN_TO_WEB.items():
        if text.startswith(urn):
            return web + text[len(urn) :]
    text = ns.expand_curie(text)
    return to_digital_link(text) or text


def _vocab(kind: str, value: str, ns: Namespaces) -> str:
    value = vocab.full(kind, value)
    return canonical_value(value, ns)


def _sensor_vocab(field: str, value: str, ns: Namespaces) -> str:
    """sensorReport type and exception: bare words are gs1: terms; component: cbv:Comp- terms."""
    value = value.strip()
    if not vocab.is_uri(value):
        return (vocab.CBV + "Comp-" if field == "component" else vocab.GS1_VOC) + value
    return canonical_value(value, ns)


def _extension(key: str, value: object, ns: Namespaces) -> list[str]:
    """The substrings of one extension element: one per value (a list repeats its key)."""
    name = ns.qualified(key)
    if isinstance(value, list):
        return [part for item in value for part in _extension(key, item, ns)]
    if isinstance(value, Mapping):
        children = _extensions(value, ns)
        return [name + "".join(children)]
    if value is None:
        return [name]
    text = canonical_value(value, ns)
    if _TIME.match(text):
        text = canonical_time(text)
    return [name + "=" + text] if text != "" else [name]


def _extensions(obj: Mapping, ns: Namespaces, skip: Iterable[str] = ()) -> list[str]:
    skip = set(skip) | _IGNORED
    parts: list[str] = []
    for key, value in obj.items():
        if key in skip:
            continue
        parts.extend(_extension(key, value, ns))
    return sorted(parts)


def _epc_list(name: str, values: list, ns: Namespaces) -> str:
    items = sorted("epc=" + canonical_value(v, ns) for v in values)
    return name + "".join(items) if items else ""


def _quantity_list(name: str, values: list, ns: Namespaces) -> str:
    items = []
    for element in values:
        text = "quantityElement"
        if "epcClass" in element:
            text += "epcClass=" + canonical_value(element["epcClass"], ns)
        if "quantity" in element:
            text += "quantity=" + canonical_number(element["quantity"])
        if "uom" in element:
            text += "uom=" + str(element["uom"]).strip()
        items.append(text)
    return name + "".join(sorted(items)) if items else ""


def _typed_list(name: str, key: str, kind: str, values: list, ns: Namespaces) -> str:
    items = []
    for element in values:
        text = ""
        if element.get("type"):
            text += "type=" + _vocab(kind, element["type"], ns)
        if key in element:
            text += f"{key}=" + canonical_value(element[key], ns)
        items.append(text)
    return name + "".join(sorted(items)) if items else ""


def _location(name: str, value: Mapping, ns: Namespaces) -> str:
    text = name
    if "id" in value:
        text += "id=" + canonical_value(value["id"], ns)
    return text + "".join(_extensions(value, ns, skip={"id"}))


def _fields(obj: Mapping, order: tuple[str, ...], ns: Namespaces) -> str:
    text = ""
    for field in order:
        if field not in obj or obj[field] is None:
            continue
        value = obj[field]
        if field in ("time", "startTime", "endTime"):
            rendered = canonical_time(str(value))
        elif field in ("type", "exception", "component"):
            rendered = _sensor_vocab(field, str(value), ns)
        else:
            rendered = canonical_value(value, ns)
        text += f"{field}={rendered}"
    return text + "".join(_extensions(obj, ns, skip=order))


def _sensor_element(element: Mapping, ns: Namespaces) -> str:
    text = "sensorElement"
    if "sensorMetadata" in element:
        text += "sensorMetadata" + _fields(element["sensorMetadata"], _SENSOR_METADATA, ns)
    reports = sorted(
        "sensorReport" + _fields(r, _SENSOR_REPORT, ns) for r in element.get("sensorReport", [])
    )
    text += "".join(reports)
    return text + "".join(_extensions(element, ns, skip={"sensorMetadata", "sensorReport"}))


def prehash(event: Mapping, namespaces: Namespaces | None = None) -> str:
    """The canonical pre-hash string of one EPCIS 2.0 JSON-LD event."""
    ns = (namespaces or Namespaces()).with_context(event.get("@context"))
    parts = ["eventType=" + str(event.get("type", ""))]
    if "eventTime" in event:
        parts.append("eventTime=" + canonical_time(event["eventTime"]))
    if "eventTimeZoneOffset" in event:
        parts.append("eventTimeZoneOffset=" + str(event["eventTimeZoneOffset"]).strip())
    for name, kind in _EPC_LISTS_BEFORE_ACTION:
        value = event.get(name)
        if not value:
            continue
        if kind == "epcs":
            parts.append(_epc_list(name, value, ns))
        elif kind == "quantities":
            parts.append(_quantity_list(name, value, ns))
        else:
            parts.append(f"{name}=" + canonical_value(value, ns))
    if event.get("action"):
        parts.append("action=" + str(event["action"]).strip())
    if event.get("transformationID"):
        parts.append("transformationID=" + canonical_value(event["transformationID"], ns))
    if event.get("bizStep"):
        parts.append("bizStep=" + _vocab("bizStep", event["bizStep"], ns))
    if event.get("disposition"):
        parts.append("disposition=" + _vocab("disposition", event["disposition"], ns))
    persistent = event.get("persistentDisposition")
    if persistent:
        text = "".join(
            "".join(sorted(f"{k}=" + _vocab("disposition", v, ns) for v in persistent.get(k, [])))
            for k in ("set", "unset")
        )
        parts.append("persistentDisposition" + text)
    for name in ("readPoint", "bizLocation"):
        if isinstance(event.get(name), Mapping):
            parts.append(_location(name, event[name], ns))
    if event.get("bizTransactionList"):
        parts.append(
            _typed_list(
                "bizTransactionList", "bizTransaction", "btt", event["bizTransactionList"], ns
            )
        )
    for name, key in (("sourceList", "source"), ("destinationList", "destination")):
        if event.get(name):
            parts.append(_typed_list(name, key, "sdt", event[name], ns))
    if event.get("sensorElementList"):
        elements = sorted(_sensor_element(e, ns) for e in event["sensorElementList"])
        parts.append("sensorElementList" + "".join(elements))
    if isinstance(event.get("ilmd"), Mapping) and event["ilmd"]:
        parts.append("ilmd" + "".join(_extensions(event["ilmd"], ns)))
    parts.extend(_extensions(event, ns, skip=STANDARD_FIELDS))
    return "".join(p for p in parts if p)


def hash_id(prehash_string: str) -> str:
    digest = hashlib.sha256(prehash_string.encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver={HASH_VERSION}"


def event_hash(event: Mapping, namespaces: Namespaces | None = None) -> str:
    """The EPCIS Event Hash ID of an event."""
    return hash_id(prehash(event, namespaces))
