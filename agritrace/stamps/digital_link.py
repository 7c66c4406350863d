"""GS1 Digital Link URIs: parse and generate (GS1 Digital Link Standard: URI Syntax 1.2+).

A Digital Link URI is `scheme://domain[/own path]/<primary key AI>/<key>[/<qualifier AI>/<value>…]
[?<AI or other key>=<value>&…][#fragment]`:

- the primary key and its value: every primary key of GS1's Barcode Syntax Dictionary (`dlpkey`:
  GTIN `01`, SSCC `00`, GLN `414`, `415`, `417`, GDTI `253`, …); GTIN-8/12/13 are padded to 14
  digits;
- key qualifiers as further path pairs, only those the dictionary lists for that key and in its
  order (for a GTIN: 22 consumer product variant, 10 batch/lot, 21 serial; or 235); a key
  qualifier of the URI's key in the query string is refused, and `build()` never writes one;
- data attributes in the query string: GS1 AIs that the dictionary marks as data attributes
  (flag `?`; an unknown AI or one that may not be an attribute is an error) and other keys
  (extension parameters, kept as they are, in their order);
- every value checked against its AI's entry in the dictionary: format, length, character set,
  check digits, dates (`agritrace.stamps.ai_dictionary`); values percent-encoded; the deprecated
  convenience alphas (/gtin/, /lot/, /ser/, …) are read as their AIs but never written.

Besides GS1's keys, the service has a namespace of its own for lots that have no GTIN:
`/<OWN_KEY>/<owner code>/10/<lot>/21/<serial>` (see `OWN_KEY`), read and written the same way.

Pure functions and a frozen dataclass: no Django, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, unquote_plus

from agritrace.gs1 import check_digit, has_valid_check_digit  # noqa: F401 (re-exported)

from . import ai_dictionary

#: The primary key of this service's own namespace (a lot without a GTIN, keyed by its owner's
#: code): alphabetic, so it cannot be mistaken for a GS1 Application Identifier.
OWN_KEY = "p"
CANONICAL_STEM = "https://id.gs1.org"
MAX_URI_LENGTH = 2048

#: AI → its entry in GS1's Barcode Syntax Dictionary (read at start-up; no AI typed here).
AIS: dict[str, ai_dictionary.AI] = ai_dictionary.table()

#: Primary key -> the qualifier sequences allowed after it (each used in this order, any of
#: its members may be left out): the dictionary's `dlpkey` entries, and the service's own key.
QUALIFIERS: dict[str, tuple[tuple[str, ...], ...]] = {
    **ai_dictionary.primary_keys(),
    OWN_KEY: (("10", "21"),),
}

#: Convenience alphas of Digital Link 1.0/1.1 (deprecated since 1.2): read, never written.
ALPHAS = {
    "sscc": "00",
    "gtin": "01",
    "lot": "10",
    "ser": "21",
    "cpv": "22",
    "gdti": "253",
    "glnx": "254",
    "gcn": "255",
    "ginc": "401",
    "gsin": "402",
    "gln": "414",
    "party": "417",
    "grai": "8003",
    "giai": "8004",
    "itip": "8006",
    "cpid": "8010",
    "cpsn": "8011",
    "gmn": "8013",
    "gsrnp": "8017",
    "gsrn": "8018",
    "srin": "8019",
    "exp": "17",
}

_OWN_VALUE = re.compile(r"^[\x21-\x7e]{1,60}$")
_STEM = re.compile(r"^(https?)://([^/?#\s@]+)(/[^?#]*)?(\?[^#]*)?(#.*)?$", re.IGNORECASE)


class DigitalLinkError(ValueError):
    """Not a Digital Link URI that this parser accepts; `code` names the problem."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _validate(ai: str, value: str) -> str:
    """The value in its normal form, or DigitalLinkError."""
    if ai == OWN_KEY:
        if not _OWN_VALUE.match(value):
            raise DigitalLinkError("bad_value", f"Bad value for the service's own key: {value!r}")
        return value
    if ai not in AIS:
        raise DigitalLinkError("unknown_ai", f"Unknown Application Identifier ({ai})")
    if ai == "01" and value.isdigit() and len(value) in (8, 12, 13):
        value = value.zfill(14)
    try:
        return AIS[ai].validate(value)
    except ai_dictionary.AIValueError as exc:
        raise DigitalLinkError(exc.code, str(exc)) from exc


def _attribute(primary: str, qualifiers: dict[str, str], ai: str, value: str) -> str:
    """A GS1 AI as a data attribute of a link to `primary`: checked, or DigitalLinkError."""
    if ai not in AIS:
        raise DigitalLinkError("unknown_ai", f"Unknown Application Identifier ({ai})")
    value = _validate(ai, value)
    if ai == primary or ai in qualifiers:
        raise DigitalLinkError("repeated_ai", f"AI ({ai}) is already in the path")
    if any(ai in seq for seq in QUALIFIERS.get(primary, ())):
        raise DigitalLinkError(
            "qualifier_in_query",
            f"AI ({ai}) qualifies the key ({primary}): it belongs in the path, not the query",
        )
    if not AIS[ai].data_attribute:
        raise DigitalLinkError(
            "not_attribute", f"AI ({ai}) {AIS[ai].title} cannot be a Digital Link data attribute"
        )
    return value


def escape(value: str) -> str:
    """Percent-encode everything but the URI unreserved characters (RFC 3986)."""
    return quote(value, safe="")


@dataclass(frozen=True)
class DigitalLink:
    """One parsed Digital Link URI. `qualifiers` are in the standard's order; `attributes`
    (the query string) keep the order they came in."""

    primary: str
    key: str
    qualifiers: tuple[tuple[str, str], ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    stem: str = CANONICAL_STEM
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def qualifier(self, ai: str) -> str | None:
        return dict(self.qualifiers).get(ai)

    def attribute(self, key: str) -> str | None:
        return dict(self.attributes).get(key)

    @property
    def gtin(self) -> str | None:
        return self.key if self.primary == "01" else None

    @property
    def lot(self) -> str | None:
        return self.qualifier("10")

    @property
    def serial(self) -> str | None:
        return self.qualifier("21")

    def uri(self, stem: str | None = None) -> str:
        """The URI: the stem, the key and qualifiers in the path, the attributes as query."""
        stem = (stem if stem is not None else self.stem).rstrip("/")
        path = f"/{self.primary}/{escape(self.key)}"
        for ai, value in self.qualifiers:
            path += f"/{ai}/{escape(value)}"
        query = "&".join(f"{escape(k)}={escape(v)}" for k, v in self.attributes)
        return stem + path + (f"?{query}" if query else "")

    def canonical(self) -> str:
        """The canonical form: GS1's domain, no query string."""
        return DigitalLink(self.primary, self.key, self.qualifiers).uri(CANONICAL_STEM)

    def element_string(self) -> str:
        """The GS1 element string in brackets, e.g. (01)09520123456788(10)ABC1(17)180426;
        extension parameters (non-AI keys) are left out."""
        parts = [(self.primary, self.key), *self.qualifiers]
        parts += [(k, v) for k, v in self.attributes if k in AIS]
        return "".join(f"({ai}){value}" for ai, value in parts)


def _check_order(primary: str, qualifiers: list[tuple[str, str]]) -> None:
    names = [ai for ai, _v in qualifiers]
    for allowed in QUALIFIERS[primary]:
        positions = [allowed.index(n) if n in allowed else -1 for n in names]
        if -1 not in positions and positions == sorted(set(positions)):
            return
    raise DigitalLinkError(
        "qualifier_order",
        f"Key qualifiers {'/'.join(names)} are not allowed after ({primary}) in this order",
    )


def _pairs_from(segments: list[str], start: int) -> list[tuple[str, str]] | None:
    """The (AI, raw value) pairs from `start` if they form a primary key and its allowed
    qualifiers (in any order: the order is checked afterwards, to say so)."""
    rest = segments[start:]
    if len(rest) % 2 or ALPHAS.get(rest[0], rest[0]) not in QUALIFIERS:
        return None
    pairs = [(ALPHAS.get(rest[i], rest[i]), rest[i + 1]) for i in range(0, len(rest), 2)]
    primary = pairs[0][0]
    allowed = {ai for seq in QUALIFIERS[primary] for ai in seq}
    if any(ai not in allowed for ai, _v in pairs[1:]):
        return None
    return pairs


def parse(uri: str) -> DigitalLink:
    """Parse a Digital Link URI; see `_parse`."""
    try:
        return _parse(uri)
    except UnicodeDecodeError as exc:
        raise DigitalLinkError("bad_encoding", "Percent-encoding that is not UTF-8") from exc


def _parse(uri: str) -> DigitalLink:
    """Parse a Digital Link URI (any domain, any path before the key). Raises
    DigitalLinkError for anything else: a missing or unknown key, qualifiers out of order,
    a wrong check digit, a value outside its AI's format, an unknown AI in the query."""
    if not isinstance(uri, str) or not uri:
        raise DigitalLinkError("empty", "No URI given")
    if len(uri) > MAX_URI_LENGTH:
        raise DigitalLinkError("too_long", "The URI is too long")
    if any(ord(ch) < 0x21 or ord(ch) > 0x7E for ch in uri):
        raise DigitalLinkError("bad_character", "The URI holds spaces or characters a URI cannot")
    m = _STEM.match(uri)
    if not m:
        raise DigitalLinkError("not_http", "Not an http(s) URI")
    scheme, host, path, query = m.group(1).lower(), m.group(2), m.group(3) or "", m.group(4)
    if path.endswith("/") and path != "/":
        raise DigitalLinkError("trailing_slash", "A Digital Link path does not end with /")
    segments = path.split("/")[1:] if path else []
    if path != "/" and any(s == "" for s in segments):
        raise DigitalLinkError("empty_segment", "Empty path segment")
    pairs = None
    start = 0
    # The key is the rightmost place from which the rest of the path is a key and qualifiers
    # (a domain's own path may hold segments that look like AIs).
    for start in range(len(segments) - 2, -1, -1):
        pairs = _pairs_from(segments, start)
        if pairs is not None:
            break
    if pairs is None:
        raise DigitalLinkError("no_primary_key", "No GS1 primary key found in the path")
    stem = f"{scheme}://{host}" + "".join(f"/{s}" for s in segments[:start])
    decoded = []
    for ai, raw in pairs:
        value = unquote(raw, errors="strict") if "%" in raw else raw
        if not value:
            raise DigitalLinkError("bad_value", f"Empty value for ({ai})")
        decoded.append((ai, _validate(ai, value)))
    primary, key = decoded[0]
    qualifiers = decoded[1:]
    _check_order(primary, qualifiers)
    order = {ai: i for seq in QUALIFIERS[primary] for i, ai in enumerate(seq)}
    qualifiers.sort(key=lambda p: order[p[0]])
    attributes: list[tuple[str, str]] = []
    seen: set[str] = set()
    for part in (query or "?")[1:].split("&"):
        if not part or "=" not in part:
            continue  # empty separators and singletons carry nothing
        raw_key, raw_value = part.split("=", 1)
        key_name = unquote_plus(raw_key)
        value = unquote_plus(raw_value, errors="strict")
        if key_name.isdigit() or (key_name in ALPHAS and ALPHAS[key_name] not in seen):
            ai = ALPHAS.get(key_name, key_name)
            if ai in seen:
                raise DigitalLinkError("repeated_ai", f"AI ({ai}) given twice")
            value = _attribute(primary, dict(qualifiers), ai, value)
            seen.add(ai)
            key_name = ai
        attributes.append((key_name, value))
    return DigitalLink(primary, key, tuple(qualifiers), tuple(attributes), stem)


def build(
    stem: str,
    primary: str,
    key: str,
    qualifiers: dict[str, str] | None = None,
    attributes: list[tuple[str, str]] | dict[str, str] | None = None,
) -> DigitalLink:
    """A Digital Link from its parts, validated like a parsed one: qualifiers are put in the
    standard's order; a qualifier the key does not take, an unknown AI, an AI that may not be
    a data attribute (or that qualifies the key) among the attributes, and a value that breaks
    its AI's format are errors."""
    if primary not in QUALIFIERS:
        raise DigitalLinkError("no_primary_key", f"({primary}) is not a primary key")
    key = _validate(primary, key)
    allowed = {ai for seq in QUALIFIERS[primary] for ai in seq}
    pairs = []
    for ai, value in (qualifiers or {}).items():
        if ai not in allowed:
            raise DigitalLinkError("qualifier_order", f"({ai}) does not qualify ({primary})")
        pairs.append((ai, _validate(ai, value)))
    order = {ai: i for seq in QUALIFIERS[primary] for i, ai in enumerate(seq)}
    pairs.sort(key=lambda p: order[p[0]])
    _check_order(primary, pairs)
    attrs = list(attributes.items() if isinstance(attributes, dict) else attributes or [])
    checked = []
    for k, v in attrs:
        if k.isdigit() or (k in ALPHAS and ALPHAS[k] not in dict(checked)):
            k = ALPHAS.get(k, k)  # a deprecated alpha is written as its AI, as parse() reads it
            v = _attribute(primary, dict(pairs), k, v)
            if k in dict(checked):
                raise DigitalLinkError("repeated_ai", f"AI ({k}) given twice")
        checked.append((k, v))
    link = DigitalLink(primary, key, tuple(pairs), tuple(checked), stem.rstrip("/"))
    if not _STEM.match(link.uri()):
        raise DigitalLinkError("not_http", "The stem must be an http(s) address")
    return link
