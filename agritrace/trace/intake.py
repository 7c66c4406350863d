"""What a capture request must be before its document is parsed (issue 14, defects 2, 5, 7):
sent as `application/json` or `application/ld+json` (or as EPCIS XML, `application/xml` or
`text/xml`; else 415, as the EPCIS REST bindings
say), at most `AGRITRACE_CAPTURE_MAX_BYTES` long (else 413 with a JSON body, not Django's
HTML page), and nested at most `MAX_DEPTH` deep (else 400, checked on the text before the
JSON parser or any validator recurses into it).

The body is read from the request stream up to the limit, so Django's
`DATA_UPLOAD_MAX_MEMORY_SIZE` (2.5 MB, kept for every other request) does not cap a capture:
a 100,000-EPC document (about 5 MB) is accepted."""

import re
from itertools import accumulate

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

#: JSON-LD, and EPCIS XML (read by trace.epcis_xml into the same JSON-LD form).
MEDIA_TYPES = ("application/json", "application/ld+json", "application/xml", "text/xml")
#: The default limit of a capture's body; set AGRITRACE_CAPTURE_MAX_BYTES to change it.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
#: Objects and arrays within each other: an EPCIS event with sensor reports is about 8 deep;
#: extensions get room to spare. Deeper is refused before parsing.
MAX_DEPTH = 64

_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
#: Every byte but the four brackets (deleted before the depth is counted).
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
#: +1 for an opening bracket, -1 for a closing one, by byte value.
_STEP = [1 if b in b"[{" else -1 for b in range(256)]


class Refused(Exception):
    """The request cannot be captured: an HTTP status and a message for its problem body."""

    def __init__(self, status: int, exception: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.exception, self.title, self.detail = status, exception, title, detail


def max_bytes() -> int:
    return int(getattr(settings, "AGRITRACE_CAPTURE_MAX_BYTES", DEFAULT_MAX_BYTES))


def _too_large(limit: int) -> Refused:
    return Refused(
        413,
        "epcisException:CaptureLimitExceededException",
        "Capture too large",
        _("A capture may be at most %(n)s bytes; split the document into smaller ones.")
        % {"n": f"{limit:,}"},
    )


def media_type(request: HttpRequest) -> str:
    return request.content_type.split(";", 1)[0].strip().lower() if request.content_type else ""


def read_body(request: HttpRequest) -> bytes:
    """The body of a capture request, after its media type and its size are checked."""
    if media_type(request) not in MEDIA_TYPES:
        raise Refused(
            415,
            "epcisException:UnsupportedMediaType",
            "Unsupported media type",
            _("Send the document as %(types)s (it was sent as %(got)s).")
            % {"types": " or ".join(MEDIA_TYPES), "got": media_type(request) or _("no type")},
        )
    limit = max_bytes()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise _too_large(limit)
    if hasattr(request, "_body"):  # read already (a middleware or a test)
        body = request._body
    else:
        body = request.read(limit + 1)
    if len(body) > limit:
        raise _too_large(limit)
    return body


def nesting_depth(raw: bytes | str) -> int:
    """How deep objects and arrays nest in a JSON text (brackets inside strings do not
    count). The strings are cut out and the brackets kept by the regex and bytes machinery
    in C; the running depth is summed by itertools, with no Python loop per character."""
    data = raw.encode() if isinstance(raw, str) else raw
    brackets = _STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets))))


def depth_problem(raw: bytes | str) -> str | None:
    """A message when the JSON text nests deeper than MAX_DEPTH, else None."""
    if nesting_depth(raw) > MAX_DEPTH:
        return _("The document nests objects and arrays more than %(n)d deep.") % {"n": MAX_DEPTH}
    return None
