"""The reports API (mounted at /api/reports/): targets (list, set, delete, XLSX import and its
template), achieved against target (with the codes behind each figure), training classes
(plan, record as held, the year's plan against target), the periodic reports (generate a
version, submit it, its XLSX and PDF) and the deadlines. Thin: access and rules are in the
services (403 for those who see none of it, 404 out of scope, 422 naming the field)."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from agritrace.apiutil import actor
from agritrace.registry import sheets
from agritrace.registry.api_authorisations import ImportReportOut

from . import access, achieved, deadlines, periodic, targets, training
from .schemas import (
    ClassIn,
    ClassOut,
    DeadlineOut,
    FigureOut,
    HeldIn,
    ReportDetailOut,
    ReportIn,
    ReportOut,
    TargetIn,
    TargetOut,
    TrainingPlanOut,
    YearQuery,
)

router = Router(tags=["reports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/targets", response=list[TargetOut])
def list_targets(request: HttpRequest, query: Query[YearQuery]):
    """The plan's targets one may see (the province's; a commune its own unit's)."""
    return list(targets.targets(actor(request), query.year))


@router.post("/targets", response={201: TargetOut})
def set_target(request: HttpRequest, payload: TargetIn):
    """Set a target (the same unit, crop, year, figure and kind: its value is changed)."""
    return Status(201, targets.set_target(actor(request), targets.TargetData(**payload.dict())))


@router.post("/targets/import", response=ImportReportOut)
def import_targets(request: HttpRequest, file: File[UploadedFile], apply: bool = False):
    """Targets from a workbook (the template's columns): a dry run unless `apply=true`; a bad
    row is named by row and column (422) and nothing changes."""
    if file.size and file.size > sheets.MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    report = targets.import_targets(actor(request), file.read(), file.name or "", apply)
    report.raise_if_problems()
    return report.as_dict()


@router.get(
    "/targets/import/template",
    openapi_extra={"responses": {200: {"description": "Excel", "content": {XLSX: {}}}}},
)
def targets_template(request: HttpRequest) -> HttpResponse:
    access.require_edit(actor(request))
    response = HttpResponse(targets.template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="targets.xlsx"'
    return response


@router.delete("/targets/{target_id}", response={204: None})
def delete_target(request: HttpRequest, target_id: int, reason: str = ""):
    targets.delete_target(actor(request), target_id, reason)
    return Status(204, None)


@router.get("/achieved", response=list[FigureOut])
def list_achieved(request: HttpRequest, query: Query[YearQuery], codes: bool = False):
    """Each visible target with what was achieved and the percentage; `codes=true` adds the
    records behind each figure (the drill-down)."""
    found = achieved.figures(targets.targets(actor(request), query.year), with_codes=codes)
    return [{"target": f.target, "achieved": f.achieved, "percent": f.percent,
             "codes": f.codes} for f in found]  # fmt: skip


@router.get("/achieved/{target_id}", response=FigureOut)
def get_achieved(request: HttpRequest, target_id: int):
    """One target's achieved figure and every record behind it."""
    target = targets.targets(actor(request)).filter(pk=target_id).first()
    if target is None:
        from django.http import Http404

        raise Http404(_("No such target."))
    f = achieved.figure(target, with_codes=True)
    return {"target": f.target, "achieved": f.achieved, "percent": f.percent, "codes": f.codes}


@router.get("/training", response=list[ClassOut])
def list_classes(request: HttpRequest, query: Query[YearQuery]):
    return list(training.classes(actor(request), query.year).prefetch_related("households"))


@router.post("/training", response={201: ClassOut})
def plan_class(request: HttpRequest, payload: ClassIn):
    """Plan a class (topic, place, date, trainer, materials)."""
    return Status(201, training.plan_class(actor(request), training.ClassData(**payload.dict())))


@router.post("/training/{class_id}/held", response=ClassOut)
def record_held(request: HttpRequest, class_id: int, payload: HeldIn):
    """Record the class as held: the day and its attendees."""
    return training.record_held(actor(request), class_id, training.Attendance(**payload.dict()))


@router.get("/training/plan", response=TrainingPlanOut)
def training_plan(request: HttpRequest, query: Query[YearQuery]):
    """The year's classes planned and held against the training target (this year's by
    default)."""
    from django.utils import timezone

    return training.plan_against_target(actor(request), query.year or timezone.localdate().year)


@router.get("/periodic", response=list[ReportOut])
def list_reports(request: HttpRequest):
    return list(periodic.reports(actor(request)))


@router.post("/periodic", response={201: ReportDetailOut})
def generate_report(request: HttpRequest, payload: ReportIn):
    """Generate a new version of the province's half-year or annual report."""
    report = periodic.generate(
        actor(request), payload.kind, payload.year, payload.period_start, payload.period_end
    )
    return Status(201, report)


@router.get("/periodic/deadlines", response=list[DeadlineOut])
def list_deadlines(request: HttpRequest):
    """The reports due next for one's province, and whether they are submitted."""
    return deadlines.for_actor(actor(request))


@router.get("/periodic/{report_id}", response=ReportDetailOut)
def get_report(request: HttpRequest, report_id: int):
    return periodic.get_report(actor(request), report_id)


@router.post("/periodic/{report_id}/submit", response=ReportDetailOut)
def submit_report(request: HttpRequest, report_id: int):
    """Submit a version: it is frozen as issued."""
    return periodic.submit(actor(request), report_id)


@router.get(
    "/periodic/{report_id}/file.{fmt}",
    openapi_extra={
        "responses": {
            200: {"description": "The file", "content": {XLSX: {}, "application/pdf": {}}}
        }
    },
)
def report_file(request: HttpRequest, report_id: int, fmt: str) -> HttpResponse:
    """The report's XLSX or PDF, as generated (as issued, once submitted)."""
    return file_response(periodic.get_report(actor(request), report_id), fmt)


def file_response(report, fmt: str) -> HttpResponse:
    from django.http import Http404

    if fmt not in ("xlsx", "pdf"):
        raise Http404(_("Only xlsx and pdf."))
    content_type = XLSX if fmt == "xlsx" else "application/pdf"
    response = HttpResponse(bytes(getattr(report, fmt)), content_type=content_type)
    name = f"bao-cao-{report.kind}-{report.year}-v{report.version}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
