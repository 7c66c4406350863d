"""Is a submitted EPCIS document acceptable? GS1's EPCIS 2.0 JSON Schema first, then the rules
the schema cannot say (a quantity below zero, a transformation with neither inputs nor outputs,
unknown vocabulary). Every problem names its JSON path ($.epcisBody.eventList[3].bizStep).

Speed: the schema is compiled to Python by fastjsonschema (about 10 times faster than
jsonschema on a 1,000-event document, which was most of the time of a capture). It only says
"valid" or "not"; for an invalid document jsonschema then runs to say where and why, so the
messages and paths are jsonschema's. Both check the same schema with the same two formats
(tests/test_validation.py holds them to the same verdict).
"""

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path

import fastjsonschema
from django.utils.translation import gettext as _
from jsonschema import Draft7Validator, FormatChecker

from agritrace import text

from . import vocab
from .identifiers import syntax_problem
from .readable import schema_message

SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "EPCIS-JSON-Schema.json"

#: At most this many problems are reported for one document.
MAX_ERRORS = 20
#: What the stored columns hold (trace.models): a larger value is refused, not truncated.
MAX_QUANTITY = 10**14
MAX_ID_LENGTH = 500

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value[:19])
    except ValueError:
        return False
    return True


def _format_checker() -> FormatChecker:
    """Only the formats the EPCIS schema relies on: an absolute URI (a scheme, a colon, no
    spaces; CURIEs pass, as JSON-LD reads them as IRIs) and an RFC 3339 date-time."""
    checker = FormatChecker(formats=())
    checker.checks("uri")(lambda v: not isinstance(v, str) or vocab.is_uri(v))
    checker.checks("date-time")(_is_date_time)
    return checker


def _inline(node: object, definitions: dict, depth: int = 0) -> object:
    """The schema with its local $refs replaced by the definitions they name (GS1's schema has
    no recursive ones): the same rules, validated about twice as fast."""
    if depth > 50:
        raise ValueError("recursive $ref in the EPCIS schema")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/") and len(node) == 1:
            name = ref.rsplit("/", 1)[1].replace("%40", "@")
            return _inline(definitions[name], definitions, depth + 1)
        return {k: _inline(v, definitions, depth) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, definitions, depth) for v in node]
    return node


@cache
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    definitions = schema.pop("definitions")
    flat = _inline(schema, definitions)
    return Draft7Validator(flat, format_checker=_format_checker())


def _merge_any_of(node: object, definitions: dict) -> object:
    """The same schema with each anyOf made cheaper to try: nested anyOfs reached through a
    $ref are flattened into it, and its branches that are plain string enums are merged into
    one enum tried first (anyOf(anyOf(a, b), c) = anyOf(a, b, c); branch order does not change
    what an anyOf accepts). GS1's propertyNames rules are such anyOfs, checked for every
    property of every event."""
    if isinstance(node, list):
        return [_merge_any_of(v, definitions) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _merge_any_of(v, definitions) for k, v in node.items()}
    branches = node.get("anyOf")
    if not isinstance(branches, list):
        return node
    flat: list = []
    pending = list(branches)
    while pending:
        branch = pending.pop(0)
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        if isinstance(ref, str) and len(branch) == 1 and ref.startswith("#/definitions/"):
            target = definitions.get(ref.rsplit("/", 1)[1].replace("%40", "@"))
            if isinstance(target, dict) and set(target) == {"anyOf"}:
                pending = list(target["anyOf"]) + pending
                continue
        if isinstance(branch, dict) and set(branch) == {"anyOf"}:
            pending = list(branch["anyOf"]) + pending
            continue
        flat.append(branch)
    enums = [
        b
        for b in flat
        if isinstance(b, dict) and set(b) == {"type", "enum"} and b["type"] == "string"
    ]
    if len(enums) > 1:
        merged = {"type": "string", "enum": sorted({v for b in enums for v in b["enum"]})}
        flat = [merged] + [b for b in flat if b not in enums]
    node["anyOf"] = flat
    return node


def _fast_formats() -> dict:
    return {
        "uri": lambda v: not isinstance(v, str) or vocab.is_uri(v),
        "date-time": _is_date_time,
    }


@cache
def fast_validator():
    """The schema compiled by fastjsonschema: raises JsonSchemaException when invalid."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    definitions = schema["definitions"]
    schema = _merge_any_of(schema, definitions)
    return fastjsonschema.compile(schema, formats=_fast_formats(), detailed_exceptions=False)


def is_valid(document: object) -> bool:
    """Does the document pass GS1's schema? (fast; no explanation)"""
    try:
        fast_validator()(document)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _leaf_errors(error) -> list:
    """The innermost errors of an anyOf/allOf/if-then tree: they point at the failing field."""
    if not error.context:
        return [error]
    deepest = max(len(e.absolute_path) for e in error.context)
    if deepest <= len(error.absolute_path):
        return [error]
    leaves = []
    for sub in error.context:
        if len(sub.absolute_path) == deepest:
            leaves.extend(_leaf_errors(sub))
    return leaves or [error]


def _object_message(instance: dict) -> str:
    sides = ("inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList")
    if instance.get("type") == "TransformationEvent" and not any(instance.get(k) for k in sides):
        return _("A transformation needs at least one input or one output.")
    return _("This object has none of the allowed forms (its fields: %(keys)s).") % {
        "keys": ", ".join(list(instance)[:12])
    }


def schema_errors(document: object) -> dict[str, list[str]]:
    """{json_path: [message, …]} for the schema violations of a document."""
    errors: dict[str, list[str]] = {}
    for error in validator().iter_errors(document):
        for leaf in _leaf_errors(error):
            path = leaf.json_path
            message = leaf.message
            field = leaf.absolute_path[-1] if leaf.absolute_path else None
            readable = schema_message(leaf)
            if readable is not None:
                message = readable
            elif leaf.validator == "anyOf" and isinstance(leaf.instance, dict):
                message = _object_message(leaf.instance)
            elif leaf.validator == "anyOf" and field in _VOCAB_NAMES:
                message = _("'%(value)s' is neither a CBV %(field)s nor a URI.") % {
                    "value": leaf.instance,
                    "field": _VOCAB_NAMES[field],
                }
            if len(message) > 300:
                message = message[:300] + "…"
            if message not in errors.setdefault(path, []):
                errors[path].append(message)
        if len(errors) >= MAX_ERRORS:
            break
    return errors


#: Fields whose schema is "a CBV word or a URI", and how to name them in a message.
_VOCAB_NAMES = {
    "bizStep": "bizStep",
    "disposition": "disposition",
    "type": "type",
    "reason": "reason",
    "component": "component",
    "set": "disposition",
    "unset": "disposition",
}

_VOCAB_FIELDS = (("bizStep", "bizStep"), ("disposition", "disposition"))
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def _event_errors(event: dict, base: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    for field, kind in _VOCAB_FIELDS:
        value = event.get(field)
        if isinstance(value, str) and not vocab.is_known(kind, value):
            add(
                f"{base}.{field}",
                _("'%(value)s' is neither a CBV %(field)s nor a URI.")
                % {"value": value, "field": field},
            )
    for name in _QUANTITY_LISTS:
        for j, element in enumerate(event.get(name) or []):
            quantity = element.get("quantity") if isinstance(element, dict) else None
            if isinstance(quantity, int | float) and quantity < 0:
                add(f"{base}.{name}[{j}].quantity", _("A quantity cannot be negative."))
            elif isinstance(quantity, int | float) and quantity >= MAX_QUANTITY:
                add(f"{base}.{name}[{j}].quantity", _("This quantity is too large."))
            if isinstance(element, dict) and "uom" in element and "quantity" not in element:
                add(f"{base}.{name}[{j}].uom", _("A unit of measure needs a quantity."))
    for path, uri in _identifiers(event, base):
        problem = syntax_problem(uri)
        if problem:
            add(path, problem)
    if len(str(event.get("eventID", ""))) > MAX_ID_LENGTH:
        add(f"{base}.eventID", _("An eventID may have at most 500 characters."))
    if event.get("type") == "TransformationEvent":
        sides = ("inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList")
        if not any(event.get(k) for k in sides):
            add(base, _("A transformation needs at least one input or one output."))
    return errors


_EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_PLACES = (("sourceList", "source"), ("destinationList", "destination"))


def _identifiers(event: dict, base: str):
    """(JSON path, URI) of the identifiers an event names: its EPCs and EPC classes, parent,
    read point and business location, sources, destinations and business transactions."""
    for name in _EPC_LISTS:
        for j, uri in enumerate(event.get(name) or []):
            if isinstance(uri, str):
                yield f"{base}.{name}[{j}]", uri
    for name in _QUANTITY_LISTS:
        for j, element in enumerate(event.get(name) or []):
            if isinstance(element, dict) and isinstance(element.get("epcClass"), str):
                yield f"{base}.{name}[{j}].epcClass", element["epcClass"]
    if isinstance(event.get("parentID"), str):
        yield f"{base}.parentID", event["parentID"]
    for name in ("readPoint", "bizLocation"):
        where = event.get(name)
        if isinstance(where, dict) and isinstance(where.get("id"), str):
            yield f"{base}.{name}.id", where["id"]
    for name, key in (*_PLACES, ("bizTransactionList", "bizTransaction")):
        for j, element in enumerate(event.get(name) or []):
            if isinstance(element, dict) and isinstance(element.get(key), str):
                yield f"{base}.{name}[{j}].{key}", element[key]


def semantic_errors(document: dict) -> dict[str, list[str]]:
    """The rules beyond the schema, for a document that passed the schema."""
    errors: dict[str, list[str]] = {}
    events = document.get("epcisBody", {}).get("eventList", [])
    for i, event in enumerate(events):
        for path, messages in _event_errors(event, f"$.epcisBody.eventList[{i}]").items():
            errors.setdefault(path, []).extend(messages)
        if len(errors) >= MAX_ERRORS:
            break
    return errors


def document_errors(document: object, raw: bytes | str | None = None) -> dict[str, list[str]]:
    """Every problem of a parsed document, by JSON path; empty when it may be captured.
    `raw`: the JSON text it was parsed from, when known (its forbidden characters are then
    looked for in the text first, and the parsed strings walked only when it may hold one)."""
    if not isinstance(document, dict):
        return {"$": [_("An EPCIS document must be a JSON object.")]}
    if document.get("type") != "EPCISDocument":
        return {"$.type": [_("Only an EPCISDocument can be captured.")]}
    if raw is not None and not text.json_text_may_hold_forbidden(raw):
        forbidden = {}
    else:
        forbidden = dict(text.problems(document, limit=MAX_ERRORS))
    if forbidden:
        return {path: [message] for path, message in forbidden.items()}
    if not is_valid(document):
        errors = schema_errors(document)
        if errors:
            return errors
    return semantic_errors(document)
