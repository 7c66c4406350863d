"""EPCIS 2.0 XML at the capture and query interface: reading a document into the JSON-LD form
that capture validates and stores (epcis_xml_read.py), writing the JSON-LD form as XML
(epcis_xml_write.py), and which of the two a request asks for (its Content-Type, its Accept
header and `GS1-CBV-XML-Format`, as the REST bindings' openapi.yaml names them).
See docs/trace.md ("EPCIS XML") for the mapping and what of it is confirmed or assumed."""

from collections.abc import Mapping

from . import epcis_xml_binding as binding
from .epcis_xml_read import XMLProblem, read
from .epcis_xml_write import write

__all__ = ["XMLProblem", "read", "write", "is_xml", "prefers_xml", "cbv_style", "MEDIA_TYPES"]

MEDIA_TYPES = binding.MEDIA_TYPES
JSON_TYPES = ("application/json", "application/ld+json")


def is_xml(media_type: str) -> bool:
    """Is a request body of this media type (parameters cut off) EPCIS XML?"""
    return media_type in MEDIA_TYPES


def _accept(header: str) -> list[tuple[str, float, int]]:
    """(media range, q, position) of each entry of an Accept header."""
    ranges = []
    for position, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        q = 1.0
        for param in pieces[1:]:
            name, _sep, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((pieces[0].lower(), q, position))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, float, int]]) -> tuple[float, int, int]:
    """(q, specificity, -position) of the most specific range matching a media type."""
    kind = media_type.split("/", 1)[0]
    best = (0.0, -1, 0)
    for value, q, position in ranges:
        if value == media_type:
            specificity = 2
        elif value == f"{kind}/*":
            specificity = 1
        elif value == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (q, specificity, -position)
    return best


def prefers_xml(accept: str | None) -> str | None:
    """The XML media type to answer with when the Accept header prefers XML to JSON-LD, else
    None (no Accept header, `*/*`, or JSON ranked at least as high: JSON-LD)."""
    if not accept:
        return None
    ranges = _accept(accept)
    xml = max((_quality(t, ranges), t) for t in MEDIA_TYPES)
    json = max(_quality(t, ranges) for t in JSON_TYPES)
    (xml_q, xml_specific, xml_position), xml_type = xml
    if xml_q <= 0 or xml_specific < 2:
        return None  # XML only through a wildcard: JSON-LD is the default
    if xml_q > json[0] or (xml_q == json[0] and (json[1] < 2 or xml_position > json[2])):
        return xml_type
    return None


def cbv_style(headers: Mapping[str, str]) -> str:
    """How CBV values are written in XML: `GS1-CBV-XML-Format` (URNs unless Always_Web_URI)."""
    value = (headers.get("GS1-CBV-XML-Format") or "").strip()
    return binding.CBV_XML_FORMATS.get(value, binding.URN)
