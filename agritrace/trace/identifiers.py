"""GS1 identifiers: EPC URIs (urn:epc:id / class / idpat) to canonical GS1 Digital Link URIs,
and the "constrained" Digital Link form the EPCIS event hash uses (CBV 2.0 section 8.9:
domain id.gs1.org, no query string, only the finest level of identification).

Written from the GS1 EPC Tag Data Standard (EPC URI → element string) and GS1 Digital Link
URI Syntax 1.2 (section 4.11, canonical form). `to_digital_link()` returns None for anything that
is not a GS1 identifier, so callers keep other URIs as they are.
"""

import re

from agritrace.gs1 import check_digit

DL_HOST = "https://id.gs1.org"

#: Characters GS1 Digital Link asks to percent-encode in a path segment that EPC URIs allow.
_DL_ESCAPES = {"!": "%21", "(": "%28", ")": "%29", "*": "%2A", "+": "%2B", ",": "%2C", ":": "%3A"}


def _escape(value: str) -> str:
    return "".join(_DL_ESCAPES.get(ch, ch) for ch in value)


def _gtin(prefix: str, indicator_item: str) -> str:
    """GTIN-14 from an EPC company prefix and indicator digit + item reference."""
    body = indicator_item[0] + prefix + indicator_item[1:]
    return body + check_digit(body)


def _with_cd(body: str) -> str:
    return body + check_digit(body)


def _digits(*parts: str) -> bool:
    return all(p.isdigit() for p in parts)


#: How many dots separate the fields of each EPC URI (the last field, a serial, may hold dots).
_ID_SPLITS = {
    "sscc": 1,
    "pgln": 1,
    "giai": 1,
    "gsrn": 1,
    "gsrnp": 1,
    "ginc": 1,
    "gsin": 1,
    "itip": 4,
}


def _epc_id(kind: str, fields: list[str]) -> str | None:
    """Digital Link path for an urn:epc:id:<kind>:<fields…>."""
    n = len(fields)
    if kind == "sgtin" and n == 3 and _digits(fields[0], fields[1]):
        if len(fields[0]) + len(fields[1]) != 13:
            return None
        return f"/01/{_gtin(fields[0], fields[1])}/21/{_escape(fields[2])}"
    if kind == "sscc" and n == 2 and _digits(*fields) and len(fields[0] + fields[1]) == 17:
        serial_ref = fields[1]
        return f"/00/{_with_cd(serial_ref[0] + fields[0] + serial_ref[1:])}"
    if kind == "sgln" and n == 3 and _digits(fields[0], fields[1] or "0"):
        if len(fields[0]) + len(fields[1]) != 12:
            return None
        gln = _with_cd(fields[0] + fields[1])
        return f"/414/{gln}" if fields[2] == "0" else f"/414/{gln}/254/{_escape(fields[2])}"
    if kind == "pgln" and n == 2 and len(fields[0]) + len(fields[1]) == 12:
        return f"/417/{_with_cd(fields[0] + fields[1])}"
    if kind == "grai" and n == 3 and len(fields[0]) + len(fields[1]) == 12:
        return f"/8003/{_with_cd('0' + fields[0] + fields[1])}{_escape(fields[2])}"
    if kind == "giai" and n == 2:
        return f"/8004/{fields[0]}{_escape(fields[1])}"
    if kind in ("gsrn", "gsrnp") and n == 2 and len(fields[0]) + len(fields[1]) == 17:
        ai = "8018" if kind == "gsrn" else "8017"
        return f"/{ai}/{_with_cd(fields[0] + fields[1])}"
    if kind == "gdti" and n == 3 and len(fields[0]) + len(fields[1]) == 12:
        return f"/253/{_with_cd(fields[0] + fields[1])}{_escape(fields[2])}"
    if kind == "sgcn" and n == 3 and len(fields[0]) + len(fields[1]) == 12:
        return f"/255/{_with_cd(fields[0] + fields[1])}{fields[2]}"
    if kind == "cpi" and n == 3:
        return f"/8010/{_escape(fields[0] + fields[1])}/8011/{fields[2]}"
    if kind == "ginc" and n == 2:
        return f"/401/{fields[0]}{_escape(fields[1])}"
    if kind == "gsin" and n == 2 and len(fields[0]) + len(fields[1]) == 16:
        return f"/402/{_with_cd(fields[0] + fields[1])}"
    if kind == "itip" and n == 5 and len(fields[0]) + len(fields[1]) == 13:
        gtin = _gtin(fields[0], fields[1])
        return f"/8006/{gtin}{fields[2]}{fields[3]}/21/{_escape(fields[4])}"
    if kind == "upui" and n == 3 and len(fields[0]) + len(fields[1]) == 13:
        return f"/01/{_gtin(fields[0], fields[1])}/235/{_escape(fields[2])}"
    return None


def _epc_pattern(kind: str, fields: list[str]) -> str | None:
    """Digital Link path for the class-level patterns urn:epc:idpat:<kind>:<fields…>.*"""
    if not fields or fields[-1] != "*":
        return None
    fields = fields[:-1]
    n = len(fields)
    if kind in ("sgtin", "upui") and n == 2 and len(fields[0]) + len(fields[1]) == 13:
        return f"/01/{_gtin(fields[0], fields[1])}"
    if kind == "grai" and n == 2 and len(fields[0]) + len(fields[1]) == 12:
        return f"/8003/{_with_cd('0' + fields[0] + fields[1])}"
    if kind in ("gdti", "sgcn") and n == 2 and len(fields[0]) + len(fields[1]) == 12:
        ai = "253" if kind == "gdti" else "255"
        return f"/{ai}/{_with_cd(fields[0] + fields[1])}"
    if kind == "cpi" and n == 2:
        return f"/8010/{_escape(fields[0] + fields[1])}"
    if kind == "itip" and n == 4 and len(fields[0]) + len(fields[1]) == 13:
        return f"/8006/{_gtin(fields[0], fields[1])}{fields[2]}{fields[3]}"
    return None


#: Digital Link short names → application identifiers.
_SHORT_NAMES = {
    "gtin": "01",
    "itip": "8006",
    "cpid": "8010",
    "gln": "414",
    "party": "417",
    "gsrnp": "8017",
    "gsrn": "8018",
    "gcn": "255",
    "sscc": "00",
    "gdti": "253",
    "ginc": "401",
    "gsin": "402",
    "grai": "8003",
    "giai": "8004",
    "cpv": "22",
    "lot": "10",
    "ser": "21",
    "glnx": "254",
}
_PRIMARY = {"00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010"}
_PRIMARY |= {"8017", "8018"}
#: Key qualifiers kept in the constrained form, finest first.
_QUALIFIERS = {"01": ("21", "235", "10"), "8006": ("21", "10"), "414": ("254",), "8010": ("8011",)}

_DL = re.compile(r"^https?://[^/?#]+(/[^?#]*)(?:\?[^#]*)?(?:#.*)?$")


def constrain_digital_link(uri: str) -> str | None:
    """The constrained canonical form of a GS1 Digital Link URI, or None if it is not one."""
    m = _DL.match(uri)
    if not m:
        return None
    segments = [s for s in m.group(1).split("/") if s]
    segments = [_SHORT_NAMES.get(s, s) for s in segments]
    # A custom domain may put its own path before the primary key.
    start = next((i for i in range(0, len(segments) - 1) if segments[i] in _PRIMARY), None)
    if start is None:
        return None
    segments = segments[start:]
    if len(segments) % 2:
        return None
    pairs = dict(zip(segments[0::2], segments[1::2], strict=True))
    ai, key = segments[0], segments[1]
    if ai == "01":
        if not key.isdigit() or len(key) not in (8, 12, 13, 14):
            return None
        key = key.zfill(14)
    path = f"/{ai}/{key}"
    for qualifier in _QUALIFIERS.get(ai, ()):
        if qualifier in pairs:
            path += f"/{qualifier}/{pairs[qualifier]}"
            if ai in ("01", "8006"):
                break  # a serial (or TPX) is finer than a lot: keep only the finest
    return DL_HOST + path


def to_digital_link(uri: str) -> str | None:
    """Constrained canonical GS1 Digital Link URI for an EPC URI, EPC class/pattern URI or a
    Digital Link URI; None for anything else."""
    if uri.startswith("urn:epc:id:"):
        kind, _, rest = uri[len("urn:epc:id:") :].partition(":")
        path = _epc_id(kind, rest.split(".", _ID_SPLITS.get(kind, 2)))
        return DL_HOST + path if path else None
    if uri.startswith("urn:epc:class:lgtin:"):
        fields = uri[len("urn:epc:class:lgtin:") :].split(".", 2)
        if len(fields) == 3 and len(fields[0]) + len(fields[1]) == 13 and _digits(*fields[:2]):
            return f"{DL_HOST}/01/{_gtin(fields[0], fields[1])}/10/{_escape(fields[2])}"
        return None
    if uri.startswith("urn:epc:idpat:"):
        kind, _, rest = uri[len("urn:epc:idpat:") :].partition(":")
        path = _epc_pattern(kind, rest.split("."))
        return DL_HOST + path if path else None
    if uri.startswith(("http://", "https://")):
        return constrain_digital_link(uri)
    return None


def canonical_epc(uri: str) -> str:
    """The key under which an identifier is indexed: the constrained Digital Link form for GS1
    identifiers, so that a URN and a Digital Link naming the same thing match; else the URI."""
    uri = uri.strip()
    return to_digital_link(uri) or uri


# ------------------------------------------------------------------ syntax of identifiers

#: The EPC schemes to_digital_link() converts: a URN of one of these must convert.
_CONVERTED = {
    "id": {*_ID_SPLITS, "sgtin", "sgln", "grai", "gdti", "sgcn", "cpi", "upui"},
    "class": {"lgtin"},
    "idpat": {"sgtin", "upui", "grai", "gdti", "sgcn", "cpi", "itip"},
}
#: Any other EPC URN: urn:epc:<id|class|idpat>:<scheme>:<fields> (TDS 2.x, section 6), the
#: fields in the characters TDS allows in a URN (with %-escapes).
_EPC_URN = re.compile(r"^urn:epc:(id|class|idpat):([a-z][a-z0-9]*):([A-Za-z0-9!'()*+,\-.:;=_%]+)$")
#: This service's own URNs (urn:agritrace:<kind>:<rest>), by kind: what <rest> may be.
OWN_URNS = {
    "loc": re.compile(r"[^\s/]+(/\S+)?"),  # a holder's code, or {area code}/{plot label}
    "lot": re.compile(r"[^\s:]+:\S+"),  # {owner code}:{lot code}
    "org": re.compile(r"\S+"),
    "plot": re.compile(r"\d+"),
    "household": re.compile(r"\d+"),
    "place": re.compile(r"\S+"),
    "doc": re.compile(r"[^\s:]+:\S+"),  # {kind}:{number}
    "phyto": re.compile(r"\S+"),
    "ns": re.compile(r"\S*"),
}
_CHECKED_KEYS = {"00": 18, "01": 14, "414": 13, "417": 13}


def _own_base() -> str:
    from django.conf import settings

    return getattr(settings, "AGRITRACE_TRACE_ID_BASE", "urn:agritrace:")


#: Identifiers found well formed (a document names the same ones many times; the answer
#: depends only on the text and the service's URN base, a setting).
_WELL_FORMED: set[str] = set()
_WELL_FORMED_MAX = 100_000


def syntax_problem(uri: str) -> str | None:
    """Why an identifier does not follow its form's syntax, or None (see `_syntax_problem`);
    well-formed identifiers are remembered."""
    if uri in _WELL_FORMED:
        return None
    problem = _syntax_problem(uri)
    if problem is None:
        if len(_WELL_FORMED) >= _WELL_FORMED_MAX:
            _WELL_FORMED.clear()
        _WELL_FORMED.add(uri)
    return problem


def _syntax_problem(uri: str) -> str | None:
    """Why an identifier does not follow the syntax its form claims, or None: an EPC URN
    (urn:epc:…) of a scheme GS1 defines must be a well-formed one of that scheme; a GS1
    Digital Link (on id.gs1.org, or naming a GS1 key elsewhere) must be well formed with a
    correct check digit; a URN of this service (urn:agritrace:…) must be one of its kinds.
    Other URIs are left to the schema's URI check."""
    from django.utils.translation import gettext as _

    if uri.startswith("urn:epc:"):
        m = _EPC_URN.match(uri)
        if not m:
            return _("Not an EPC URN (urn:epc:id|class|idpat:<scheme>:<fields>).")
        level, scheme = m.group(1), m.group(2)
        if scheme in _CONVERTED.get(level, ()) and to_digital_link(uri) is None:
            return _("Not a valid EPC URN of the %(scheme)s scheme.") % {"scheme": scheme}
        return None
    if uri.startswith(("http://", "https://")):
        link = constrain_digital_link(uri)
        on_gs1 = uri.split("/", 3)[2].lower() == "id.gs1.org" if uri.count("/") >= 2 else False
        if link is None:
            return _("Not a GS1 Digital Link URI.") if on_gs1 else None
        ai, key = link[len(DL_HOST) :].split("/")[1:3]
        size = _CHECKED_KEYS.get(ai)
        if size and (len(key) != size or not key.isdigit() or check_digit(key[:-1]) != key[-1]):
            return _("The GS1 key %(ai)s/%(key)s has a wrong length or check digit.") % {
                "ai": ai,
                "key": key,
            }
        return None
    base = _own_base()
    if uri.startswith(base):
        kind, sep, rest = uri[len(base) :].partition(":")
        rule = OWN_URNS.get(kind)
        if not sep or rule is None:
            return _("Not one of this service's URNs (%(kinds)s).") % {
                "kinds": ", ".join(f"{base}{k}:…" for k in OWN_URNS)
            }
        if not rule.fullmatch(rest):
            return _("Not a well-formed %(base)s%(kind)s: URN.") % {"base": base, "kind": kind}
    return None
