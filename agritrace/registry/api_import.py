"""Exports and imports of planting areas' plots over HTTP (mounted at /api/):
GET /api/areas/export.{geojson,csv,xlsx} (what the caller may see), POST /api/areas/import
(GeoJSON FeatureCollection) and POST /api/areas/import.xlsx (the workbook the XLSX export
writes). Either as the request body or as a multipart `file`; a dry run unless ?apply=true;
422 with every problem (by feature and line, or by row and column) and nothing written. Thin:
the rules are in area_import.py and transfer.py."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from agritrace.apiutil import actor as _actor

from . import area_import
from .transfer import FORMATS, ImportFailed, export

router = Router(tags=["areas"])


class ImportQuery(Schema):
    apply: bool = Field(False, description="Write the changes (default: a dry run)")


class ImportReport(Schema):
    applied: bool
    areas_created: int
    households_created: int
    plots_created: int
    plots_updated: int
    plots_unchanged: int
    areas_changed: list[str]


class ImportProblems(Schema):
    """The import's 422; a request that does not fit its schema (e.g. ?apply=maybe) gets the
    API's general 422 instead: `detail` as django-ninja's list of errors, no `problems`."""

    detail: str | list[dict]
    errors: dict[str, list[str]]
    problems: list[str] = []


def _content(request: HttpRequest) -> bytes:
    try:
        upload = request.FILES.get("file")
    except MultiPartParserError as exc:
        # e.g. multipart/form-data without a boundary: the body cannot be read as a form.
        raise ValidationError(
            {"file": _("The multipart body cannot be read (%(why)s).") % {"why": exc}}
        ) from exc
    if upload is not None:
        return upload.read()
    try:
        return request.body
    except RawPostDataException:  # a form (multipart) without a `file`: nothing to import
        return b""


@router.post("/areas/import", response={200: ImportReport, 422: ImportProblems})
def import_geojson(request: HttpRequest, query: Query[ImportQuery]):
    """Plots with their areas and households from a GeoJSON FeatureCollection (properties as
    the export writes them, plus expected_yield_t and harvests_per_year of a new area)."""
    try:
        return area_import.import_geojson(_actor(request), _content(request), query.apply)
    except ImportFailed as exc:
        return Status(422, area_import.problems_body(exc))


@router.post("/areas/import.xlsx", response={200: ImportReport, 422: ImportProblems})
def import_xlsx(request: HttpRequest, query: Query[ImportQuery]):
    """Plots from the XLSX workbook that `agritrace areas export --format
    xlsx` or GET /api/areas/export.xlsx write: exporting then importing changes nothing."""
    try:
        return area_import.import_xlsx(_actor(request), _content(request), query.apply)
    except ImportFailed as exc:
        return Status(422, area_import.problems_body(exc))


CONTENT_TYPES = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/areas/export.{fmt}", response={200: None, 404: dict})
def export_plots(request: HttpRequest, fmt: str):
    """The plots you may see, with their areas and households (GeoJSON, CSV or XLSX)."""
    if fmt not in FORMATS:
        return Status(404, {"detail": "Not found."})
    response = HttpResponse(export(_actor(request), fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="plots.{fmt}"'
    return response
