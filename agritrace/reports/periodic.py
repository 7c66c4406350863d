"""The half-year and annual reports of a province: the period's figures gathered from the
records (codes issued, suspended and revoked, monitoring visits done against planned, residue
samples and their results, importing countries' notices, recalls, misuse cases, training, and
the year's targets against what was achieved), stored with the XLSX and PDF made from them.
A generated version may be submitted once; a submitted one is frozen (the files as issued,
audited) and generating again makes the next version."""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor
from agritrace.audit.services import record, snapshot
from agritrace.places.models import AdminUnit
from agritrace.registry.models import CodeStatus, CodeStatusChange

from . import access, achieved, deadlines
from .models import PeriodicReport, ReportKind, ReportStatus, Target, TrainingClass

#: What the report's snapshot in the audit log leaves out (the files: their size is kept).
_FILES = ("xlsx", "pdf")


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), zone),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone),
    )


def _in_province(province: AdminUnit, path: str) -> Q:
    return Q(**{f"{path}__parent": province}) | Q(**{path: province})


def gather(province: AdminUnit, kind: str, year: int, start: date, end: date) -> dict:
    """Every figure of the report, as plain JSON."""
    from agritrace.misuse.models import Case, CaseStatus
    from agritrace.supervision.models import (
        MonitoringVisit,
        Notice,
        ResidueCase,
        Sample,
        SampleStatus,
        VisitKind,
    )
    from agritrace.trace.models import Recall

    lo, hi = _bounds(start, end)
    changes = CodeStatusChange.objects.filter(effective_at__gte=lo, effective_at__lt=hi)
    codes = {}
    for holder, path in (("area", "area__commune"), ("packing_house", "packing_house__commune")):
        mine = changes.filter(_in_province(province, path))
        codes[holder] = {
            status: mine.filter(status=status).count()
            for status in (CodeStatus.ISSUED, CodeStatus.SUSPENDED, CodeStatus.REVOKED)
        }
    visits = MonitoringVisit.objects.filter(
        _in_province(province, "area__commune") | _in_province(province, "packing_house__commune"),
        due_date__gte=start,
        due_date__lte=end,
    )
    samples = Sample.objects.filter(
        _in_province(province, "area__commune"), sampled_on__gte=start, sampled_on__lte=end
    ).exclude(status=SampleStatus.CANCELLED)
    exceeding = samples.filter(pk__in=ResidueCase.objects.values("sample_id")).count()
    analysed = samples.filter(status=SampleStatus.ANALYSED).count()
    cases = Case.objects.filter(province=province, first_found_at__gte=lo, first_found_at__lt=hi)
    classes = TrainingClass.objects.filter(province=province)
    held = classes.filter(held_on__gte=start, held_on__lte=end)
    attendees = sum(c.households.count() + c.organisations.count() + c.outsiders for c in held)
    targets = Target.objects.filter(province=province, year=year).select_related(
        "province", "unit", "crop"
    )
    rows = []
    for f in achieved.figures(targets):
        rows.append(
            {
                "unit": f.unit_name,
                "crop": f.crop_name,
                "metric": f.target.metric,
                "kind": f.target.kind,
                "target": float(f.target.value),
                "achieved": float(f.achieved),
                "percent": f.percent,
                "source": f.target.source,
            }
        )
    return {
        "province": province.name,
        "province_title": province_title(province),
        "kind": kind,
        "year": year,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "due_on": deadlines.due_on(kind, year).isoformat(),
        "codes": codes,
        "visits": {
            "planned": visits.filter(kind=VisitKind.SCHEDULED).count(),
            "done": visits.filter(kind=VisitKind.SCHEDULED, recorded_at__isnull=False).count(),
            "surprise_done": visits.filter(
                kind=VisitKind.SURPRISE, recorded_at__isnull=False
            ).count(),
        },
        "samples": {
            "taken": samples.count(),
            "analysed": analysed,
            "exceeding": exceeding,
            "within_limits": max(analysed - exceeding, 0),
        },
        "notices": Notice.objects.filter(
            province=province, received_on__gte=start, received_on__lte=end
        ).count(),
        "recalls": Recall.objects.filter(
            province=province, created_at__gte=lo, created_at__lt=hi
        ).count(),
        "misuse": {
            "found": cases.count(),
            "confirmed": cases.filter(
                status__in=[CaseStatus.CONFIRMED, CaseStatus.ACTIONED]
            ).count(),
            "dismissed": cases.filter(status=CaseStatus.DISMISSED).count(),
        },
        "training": {
            "planned": classes.filter(planned_on__gte=start, planned_on__lte=end).count(),
            "held": held.count(),
            "attendees": attendees,
            "classes": [
                {
                    "title": c.title,
                    "topic": c.topic,
                    "held_on": c.held_on.isoformat(),
                    "place": c.place,
                    "trainer": c.trainer,
                    "attendees": c.households.count() + c.organisations.count() + c.outsiders,
                }
                for c in held.order_by("held_on", "pk")
            ],
        },
        "targets": rows,
    }


def province_title(province: AdminUnit) -> str:
    """The province as the header names it: "tỉnh Đắk Lắk", "thành phố Hà Nội"."""
    name = province.name
    if name.casefold().startswith(("thành phố", "tỉnh")):
        return name
    return f"tỉnh {name}"


def _check_period(kind: str, year, start: date | None, end: date | None) -> tuple:
    errors: dict[str, str] = {}
    if kind not in ReportKind.values:
        errors["kind"] = _("Unknown report “%(v)s”; one of: %(c)s.") % {
            "v": kind,
            "c": ", ".join(ReportKind.values),
        }
        raise ValidationError(errors)
    today = timezone.localdate()
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= today.year:
        raise ValidationError({"year": _("A year from 2000 to this year.")})
    default_start, default_end = deadlines.default_period(kind, year)
    start = start or default_start
    if end is None:
        end = min(default_end, today)
    if end > today:
        errors["period_end"] = _(
            "The period cannot end in the future: a report gives the figures of days gone by."
        )
    if start > end:
        errors["period_start"] = _("The period must start on or before its end.")
    elif start.year < 2000:
        errors["period_start"] = _("The period cannot start before 2000.")
    if errors:
        raise ValidationError(errors)
    return kind, year, start, end


@transaction.atomic
def generate(
    actor: Actor,
    kind: str,
    year: int,
    period_start: date | None = None,
    period_end: date | None = None,
) -> PeriodicReport:
    """A new version of the province's report: the figures now, the XLSX and the PDF."""
    from .documents import report_pdf, report_xlsx

    access.require_edit(actor)
    province = actor.organisation.unit.province
    kind, year, start, end = _check_period(kind, year, period_start, period_end)
    figures = gather(province, kind, year, start, end)
    figures["header"] = actor.organisation.name
    last = (
        PeriodicReport.objects.select_for_update()
        .filter(province=province, kind=kind, year=year)
        .aggregate(v=Max("version"))["v"]
    )
    report = PeriodicReport(
        province=province,
        kind=kind,
        year=year,
        version=(last or 0) + 1,
        period_start=start,
        period_end=end,
        due_on=deadlines.due_on(kind, year),
        figures=figures,
        generated_by=actor.user,
    )
    report.figures["version"] = report.version
    report.xlsx = report_xlsx(figures)
    report.pdf = report_pdf(figures)
    report.save()
    record(actor.user, "reports.report.generate", report, None, report_snapshot(report))
    return report


def report_snapshot(report: PeriodicReport) -> dict:
    import hashlib

    data = snapshot(report, exclude=("xlsx", "pdf", "figures"))
    for name in _FILES:
        content = bytes(getattr(report, name) or b"")
        data[f"{name}_sha256"] = hashlib.sha256(content).hexdigest()
        data[f"{name}_bytes"] = len(content)
    return data


@transaction.atomic
def submit(actor: Actor, report_id: int) -> PeriodicReport:
    """Submit a generated version: frozen from then on (its files are those issued)."""
    access.require_edit(actor)
    report = (
        PeriodicReport.objects.select_for_update()
        .filter(pk=report_id, province_id=actor.province_id)
        .first()
    )
    if report is None:
        raise Http404(_("No such report of your province."))
    if report.status == ReportStatus.SUBMITTED:
        raise ValidationError(
            {"status": _("This version is already submitted: generate a new version to change it.")}
        )
    before = report_snapshot(report)
    report.status = ReportStatus.SUBMITTED
    report.submitted_by = actor.user
    report.submitted_at = timezone.now()
    report.save(update_fields=["status", "submitted_by", "submitted_at"])
    record(actor.user, "reports.report.submit", report, before, report_snapshot(report))
    return report


def reports(actor: Actor) -> QuerySet[PeriodicReport]:
    return access.visible_reports(
        actor,
        PeriodicReport.objects.select_related("province", "generated_by", "submitted_by").defer(
            *_FILES
        ),
    )


def get_report(actor: Actor, report_id: int) -> PeriodicReport:
    found = access.visible_reports(actor, PeriodicReport.objects.all()).filter(pk=report_id).first()
    if found is None:
        raise Http404(_("No such report."))
    return found
