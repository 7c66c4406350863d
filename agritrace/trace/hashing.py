"""The EPCIS Event Hash ID (GS1 CBV 2.0, section 8.9, and its 2.1 revision): a syntax-independent
fingerprint of an event, `ni:///sha-256;<hex>?ver=CBV2.0` (RFC 6920).

The algorithm as written in the text its maintainers publish with the reference implementation
(https://github.com/RalphTro/epcis-event-hash-generator, README "Calculation procedure",
"Canonical property order" and "Differences between CBV 2.0 and 2.1"): the event's fields are
written in a fixed order as `key=value` (a parent writes its key and then its children, without
'='), concatenated without separators; times in UTC with milliseconds (rounded half up); numbers
without trailing zeros; CBV values as GS1 Web URIs (bare words, URNs and CURIEs expanded); EPC
URIs as constrained canonical GS1 Digital Link URIs; the elements of a list each rendered and
sorted by code point; the `type` of a business transaction, source or destination written before
its value; ILMD and user extensions as `{namespace}localName=value`, sorted, after the standard
fields. certificationInfo comes right after eventTimeZoneOffset, one `certificationInfo=value`
per value (a string or a list of strings), sorted like every list: there the released reference
implementation (`epcis-event-hash-generator` 1.9.3 on PyPI, `PROP_ORDER`) puts it, and so two
events that differ only in their certification get different IDs (decided for issue 16; the
README's list of excluded fields says otherwise, see docs/identifiers.md). eventID, recordTime
and errorDeclaration are not part of the hash, so an error declaration of an event has the
event's own hash; capture compares `content_key()` as well (trace.sameness).

The two versions differ only where the written text says so:
- CBV 2.0: no `sensorElementList` key (each `sensorElement` is written directly); a user
  extension inside a standard field (readPoint, bizLocation, sensorElement, sensorMetadata,
  sensorReport) is written in a block after the ILMD, prefixed by its parent field's name.
- CBV 2.1: `sensorElementList` is written once, like every other list; such an extension is
  written inline, right after the regular fields of the field it sits in.

New events get CBV 2.0 IDs (`DEFAULT_VERSION`): it is the ratified version and the default of
both public implementations; CBV 2.1 is a draft. Both IDs are stored (trace.models.Event).
See docs/identifiers.md for what was read where, and the test vectors in
agritrace/trace/tests/test_hashing.py.
"""

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from . import vocab
from .identifiers import to_digital_link

CBV20 = "CBV2.0"
CBV21 = "CBV2.1"
#: The versions of the algorithm this module computes, oldest first.
VERSIONS = (CBV20, CBV21)
#: The version of the ID a new event gets as its eventID (and Event.event_hash).
DEFAULT_VERSION = CBV20
HASH_VERSION = DEFAULT_VERSION
_HASH_ID = re.compile(r"^ni:///sha-256;([0-9a-f]{64})\?ver=(CBV\d+\.\d+(?:\.\d+)?)$")

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
SENSOR_METADATA = (
    "time",
    "startTime",
    "endTime",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "bizRules",
)
SENSOR_REPORT = (
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
        # canonical_value() of the strings seen under these prefixes (a document names the
        # same locations, classes and words many times): {(kind, text): canonical}.
        self.memo: dict[tuple[str, str], str] = {}
        self.add(context)

    def add(self, context: object) -> None:
        items = context if isinstance(context, list) else [context]
        for item in items:
            if isinstance(item, Mapping):
                for prefix, iri in item.items():
                    if isinstance(iri, str) and not prefix.startswith("@") and ":" not in prefix:
                        self.prefixes[prefix] = iri
                        self.memo.clear()

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


#: Entries a Namespaces' memo holds before it starts again.
_MEMO_MAX = 200_000
#: canonical_time() of recent values (a pure function of its text).
_TIMES: dict[str, str] = {}
_TIMES_MAX = 50_000


def canonical_time(value: str) -> str:
    """UTC with milliseconds (rounded half up) and 'Z': 2005-04-04T02:33:31.116Z."""
    found = _TIMES.get(value)
    if found is None:
        if len(_TIMES) >= _TIMES_MAX:
            _TIMES.clear()
        found = _TIMES[value] = _canonical_time(value)
    return found


def _canonical_time(value: str) -> str:
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
    if type(value) is str:
        key = ("", value)
        found = ns.memo.get(key)
        if found is None:
            if len(ns.memo) >= _MEMO_MAX:
                ns.memo.clear()
            found = ns.memo[key] = _canonical_text(value, ns)
        return found
    return _canonical_text(value, ns)


def _canonical_text(value: object, ns: Namespaces) -> str:
    text = str(value).strip()
    if _NUMBER.match(text):
        return canonical_number(text)
    for urn, web in vocab.URN_TO_WEB.items():
        if text.startswith(urn):
            return web + text[len(urn) :]
    text = ns.expand_curie(text)
    return to_digital_link(text) or text


def _vocab(kind: str, value: str, ns: Namespaces) -> str:
    key = (kind, value)
    found = ns.memo.get(key)
    if found is None:
        found = ns.memo[key] = canonical_value(vocab.full(kind, value), ns)
    return found


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


def _certification_info(value: object, ns: Namespaces) -> str:
    """`certificationInfo=value` for each value (a string or a list of strings), sorted; a
    value is canonicalised like any other (CURIEs expanded, GS1 identifiers as Digital Link)."""
    if value is None:
        return ""
    values = value if isinstance(value, list) else [] if value is None else [value]
    items = (canonical_value(v, ns) for v in values if v is not None)
    return "".join(sorted("certificationInfo=" + item for item in items if item))


def _location(name: str, value: Mapping, ns: Namespaces, inline: bool) -> str:
    text = name
    if "id" in value:
        text += "id=" + canonical_value(value["id"], ns)
    return text + ("".join(_extensions(value, ns, skip={"id"})) if inline else "")


def _fields(obj: Mapping, order: tuple[str, ...], ns: Namespaces, inline: bool) -> str:
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
    return text + ("".join(_extensions(obj, ns, skip=order)) if inline else "")


_SENSOR_PARTS = {"sensorMetadata", "sensorReport"}


def _sensor_element(element: Mapping, ns: Namespaces, inline: bool) -> str:
    text = "sensorElement"
    if "sensorMetadata" in element:
        text += "sensorMetadata" + _fields(element["sensorMetadata"], SENSOR_METADATA, ns, inline)
    reports = sorted(
        "sensorReport" + _fields(r, SENSOR_REPORT, ns, inline)
        for r in element.get("sensorReport", [])
    )
    text += "".join(reports)
    return text + ("".join(_extensions(element, ns, skip=_SENSOR_PARTS)) if inline else "")


def _field_extensions(event: Mapping, ns: Namespaces) -> list[str]:
    """CBV 2.0: the user extensions inside standard fields, each block prefixed by the names of
    the fields it sits in, in the canonical property order (empty when there are none)."""
    parts = []
    for name in ("readPoint", "bizLocation"):
        if isinstance(event.get(name), Mapping):
            own = _extensions(event[name], ns, skip={"id"})
            if own:
                parts.append(name + "".join(own))
    elements = []
    for element in event.get("sensorElementList") or []:
        inner = ""
        metadata = element.get("sensorMetadata")
        if isinstance(metadata, Mapping):
            own = _extensions(metadata, ns, skip=SENSOR_METADATA)
            inner += "sensorMetadata" + "".join(own) if own else ""
        reports = []
        for report in element.get("sensorReport", []):
            own = _extensions(report, ns, skip=SENSOR_REPORT)
            if own:
                reports.append("sensorReport" + "".join(own))
        inner += "".join(sorted(reports))
        inner += "".join(_extensions(element, ns, skip=_SENSOR_PARTS))
        if inner:
            elements.append("sensorElement" + inner)
    parts.extend(sorted(elements))
    return parts


def prehash(
    event: Mapping, namespaces: Namespaces | None = None, version: str = DEFAULT_VERSION
) -> str:
    """The canonical pre-hash string of one EPCIS 2.0 JSON-LD event, for a CBV version."""
    if version not in VERSIONS:
        raise ValueError(f"unknown event hash version {version!r}")
    inline = version != CBV20
    ns = (namespaces or Namespaces()).with_context(event.get("@context"))
    parts = ["eventType=" + str(event.get("type", ""))]
    if "eventTime" in event:
        parts.append("eventTime=" + canonical_time(event["eventTime"]))
    if "eventTimeZoneOffset" in event:
        parts.append("eventTimeZoneOffset=" + str(event["eventTimeZoneOffset"]).strip())
    parts.append(_certification_info(event.get("certificationInfo"), ns))
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
            parts.append(_location(name, event[name], ns, inline))
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
        elements = sorted(_sensor_element(e, ns, inline) for e in event["sensorElementList"])
        parts.append(("sensorElementList" if inline else "") + "".join(elements))
    if isinstance(event.get("ilmd"), Mapping) and event["ilmd"]:
        parts.append("ilmd" + "".join(_extensions(event["ilmd"], ns)))
    if not inline:
        parts.extend(_field_extensions(event, ns))
    parts.extend(_extensions(event, ns, skip=STANDARD_FIELDS))
    return "".join(p for p in parts if p)


def hash_id(prehash_string: str, version: str = DEFAULT_VERSION) -> str:
    digest = hashlib.sha256(prehash_string.encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver={version}"


def event_hash(
    event: Mapping, namespaces: Namespaces | None = None, version: str = DEFAULT_VERSION
) -> str:
    """The EPCIS Event Hash ID of an event (CBV 2.0 unless another version is asked for)."""
    return hash_id(prehash(event, namespaces, version), version)


_LOCATION_KEYS = frozenset({"id"}) | _IGNORED


def _versions_agree(event: Mapping) -> bool:
    """Are the CBV 2.0 and 2.1 pre-hash strings of this event the same string? They differ
    only in where a user extension inside readPoint / bizLocation is written and in the
    sensor elements (see the module docstring); without either, `prehash` builds one string
    for both versions."""
    if event.get("sensorElementList"):
        return False
    for name in ("readPoint", "bizLocation"):
        where = event.get(name)
        if isinstance(where, Mapping) and not _LOCATION_KEYS.issuperset(where):
            return False
    return True


def event_hash_ids(event: Mapping, namespaces: Namespaces | None = None) -> tuple[str, str]:
    """(CBV 2.0 hash ID, CBV 2.1 hash ID) of an event, the pre-hash string built once when
    both versions write the same one (tests hold this to `event_hash` of each version)."""
    if not _versions_agree(event):
        return event_hash(event, namespaces, CBV20), event_hash(event, namespaces, CBV21)
    digest = hashlib.sha256(prehash(event, namespaces, CBV20).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver={CBV20}", f"ni:///sha-256;{digest}?ver={CBV21}"


def event_hashes(event: Mapping, namespaces: Namespaces | None = None) -> dict[str, str]:
    """The event's hash ID in every version this module knows: {"CBV2.0": …, "CBV2.1": …}."""
    return {version: event_hash(event, namespaces, version) for version in VERSIONS}


def hash_version(event_id: str) -> str:
    """The CBV version named by a SHA-256 event hash ID ("CBV2.1"), or "" for any other ID."""
    m = _HASH_ID.match(str(event_id or "").strip())
    return m.group(2) if m else ""


def content_key(event: Mapping, namespaces: Namespaces | None = None) -> str:
    """What must be equal for two events with one hash ID to be the same event: the pre-hash
    strings of every version. The hash covers everything but eventID, recordTime and
    errorDeclaration, so this differs only where the CBV 2.1 string sees a difference the CBV 2.0
    one does not (an extension inside a standard field is written elsewhere) or on a collision."""
    ns = (namespaces or Namespaces()).with_context(event.get("@context"))
    return "\n".join(prehash(event, ns, version) for version in VERSIONS)
