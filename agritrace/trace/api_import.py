"""The spreadsheet import of harvests, packings and shipments over the API, added to the
/api/trace/ router: POST /api/trace/import (a multipart `file`, or the file as the body with
?filename=events.xlsx|events.csv; ?kind= for a CSV). The same service as the import page and
`agritrace trace import` (imports.py, with the recording rules of recording.py: only lots
the trace knows and the organisation holds, quantities above 0, nothing dated ahead): all
rows or none; 422 with every problem by sheet, row and column."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from agritrace.apiutil import actor

from . import imports


class TraceImportDone(Schema):
    stored: int
    duplicates: int
    captureID: str
    lots: list[str]


class TraceImportProblems(Schema):
    """The import's 422 (`problems` by sheet, row and column); a request that does not fit
    its schema gets the API's general 422 (`detail` as django-ninja's list, no `problems`)."""

    detail: str | list[dict]
    errors: dict[str, list[str]]
    problems: list[str] = []


def _upload(request: HttpRequest, filename: str) -> tuple[bytes, str]:
    try:
        upload = request.FILES.get("file")
    except MultiPartParserError as exc:
        raise ValidationError(
            {"file": _("The multipart body cannot be read (%(why)s).") % {"why": exc}}
        ) from exc
    if upload is not None:
        return upload.read(), upload.name or filename
    try:
        return request.body, filename
    except RawPostDataException:  # a form (multipart) without a `file`
        return b"", filename


def add_routes(router: Router) -> None:
    @router.post(
        "/import",
        summary="Import harvests, packings and shipments from XLSX or CSV (all or nothing)",
        response={200: TraceImportDone, 422: TraceImportProblems},
    )
    def import_events(request: HttpRequest, filename: str = "", kind: str = ""):
        who = actor(request)
        content, name = _upload(request, filename[:200])
        if kind not in ("", *imports.SHEETS):
            raise ValidationError(
                {"kind": _("Say what the CSV file holds (harvests, packings or shipments).")}
            )
        try:
            result = imports.import_file(who, content, name, kind=kind)
        except imports.ImportRejected as exc:
            detail = _("Nothing was imported: %(n)d problem(s).") % {"n": len(exc.lines)}
            return Status(
                422, {"detail": detail, "errors": {"file": exc.lines}, "problems": exc.lines}
            )
        return {
            "stored": result.stored,
            "duplicates": result.duplicates,
            "captureID": result.capture_id,
            "lots": result.lots,
        }
