"""Organisations' public identifiers, as other systems name them.

Every organisation gets a stable `identifier` when it is added
(`Organisation.next_identifier`): the official code of its administrative unit, a short word
for its kind and a serial (`66-EXP-0003`: the third exporter on unit 66). It is never a
database id and never reused. In EPCIS events (the parties of `sourceList`/`destinationList`,
see `docs/epcis-parties.md`) an organisation is named by its GLN when it has one, as a GS1
Digital Link party URI (`https://id.gs1.org/417/<GLN>`; its company prefix length is not known
here, so the EPC URN form is read but not written), else by `urn:agritrace:org:<identifier>`.
"""

import re

from django.conf import settings

from agritrace.gs1 import check_digit, has_valid_check_digit

from .models import Organisation

ORG_URN = getattr(settings, "AGRITRACE_TRACE_ID_BASE", "urn:agritrace:") + "org:"
_DL_PARTY = re.compile(r"^https?://[^/]+/417/(\d{13})(?:[/?#].*)?$")
_PGLN = re.compile(r"^urn:epc:id:pgln:(\d+)\.(\d*)$")
_IDENTIFIER = re.compile(r"^[0-9A-Z]{1,10}-[A-Z]{2,3}-\d{4,}$")


def valid_gln(value: str) -> bool:
    return len(value) == 13 and has_valid_check_digit(value)


def party_uri(org) -> str:
    """How events name the organisation: its GLN as a Digital Link party URI, else its URN."""
    if org.gln:
        return f"https://id.gs1.org/417/{org.gln}"
    return ORG_URN + org.identifier


def gln_of(uri: str) -> str | None:
    """The GLN in a party URI (Digital Link /417/ or urn:epc:id:pgln), if it holds one."""
    uri = (uri or "").strip()
    match = _DL_PARTY.match(uri)
    if match:
        return match.group(1)
    match = _PGLN.match(uri)
    if match:
        digits = match.group(1) + match.group(2)
        if len(digits) == 12:
            return digits + check_digit(digits)
    return None


def find_party(uri: str):
    """The organisation a party URI names, or None."""
    uri = (uri or "").strip()
    if uri.startswith(ORG_URN):
        ident = uri[len(ORG_URN) :]
        return Organisation.objects.filter(identifier=ident).first() if ident else None
    gln = gln_of(uri)
    if gln:
        return Organisation.objects.filter(gln=gln).first()
    return None
