"""Capture of an EPCIS 2.0 XML document: read into its JSON-LD form (epcis_xml), then
validated, hashed and stored by the very path a JSON-LD document takes (services.capture), so
that an event and its XML counterpart get one event hash. The body is kept as it came (XML)
on the capture job, refused or not."""

import re

from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, require

from . import bulk, epcis_xml, refusals, services
from . import capture_jobs as background
from .models import CaptureJob

_EVENT_PATH = re.compile(r"^\$\.epcisBody\.eventList\[(\d+)\]")


def _xml_rejection(problem: epcis_xml.XMLProblem) -> services.CaptureRejected:
    """A document that is not readable EPCIS XML, named by its line and element."""
    return services.CaptureRejected({"$": [str(problem)]})


def _with_lines(exc: services.CaptureRejected, lines: list[int]) -> services.CaptureRejected:
    """The same rejection, each event's problems also naming the XML line the event starts on
    (the JSON paths are those of the converted document, as a JSON capture names them)."""
    if not hasattr(exc, "error_dict"):
        return exc
    errors: dict[str, list[str]] = {}
    for path, messages in exc.message_dict.items():
        match = _EVENT_PATH.match(path)
        index = int(match.group(1)) if match else -1
        if 0 <= index < len(lines) and lines[index]:
            where = _("the event at XML line %(line)s") % {"line": lines[index]}
            messages = [f"{m} ({where})" for m in messages]
        errors[path] = list(messages)
    named = services.CaptureRejected(errors)
    for attribute in ("capture_job", "items"):
        if hasattr(exc, attribute):
            setattr(named, attribute, getattr(exc, attribute))
    return named


def capture_xml(actor: Actor, raw: bytes) -> CaptureJob:
    """Capture an EPCIS XML document (all its events or none); CaptureRejected naming the
    line and element of what cannot be read, or the event's JSON path and XML line of what
    the validation or the domain checks refuse."""
    require(actor, "capture_events")
    try:
        document, lines = epcis_xml.read(raw)
    except epcis_xml.XMLProblem as problem:
        rejected = _xml_rejection(problem)
        rejected.capture_job = refusals.record_refused(actor, raw, rejected)
        raise rejected from problem
    if background.runs_later(raw):
        # A large document: a background job on its JSON-LD form (the job reads JSON).
        return background.submit(actor, bulk.dumps(document).encode("utf-8"))
    try:
        return services.capture(actor, document, received=raw)
    except services.CaptureRejected as exc:
        raise _with_lines(exc, lines) from exc
