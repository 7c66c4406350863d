"""The reports pages: achieved against target (chart, map, table, drill-down), the targets
(entered and imported by the province's authority), the periodic reports (generate, submit,
download) and the training classes. Thin: each view parses, calls a service and renders;
access is `reports.access` (403 for those who see none of it, 404 out of scope)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.apiutil import actor as _actor
from agritrace.web.forms import add_service_errors

from . import access, achieved, deadlines, periodic, targets, training
from .forms import ClassForm, HeldForm, ImportForm, ReportForm, TargetForm
from .models import Metric, ReportKind


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    context.setdefault("sees_reports", access.may_see_reports(_actor(request)))
    return render(request, template, context)


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _years(actor) -> list[int]:
    found = set(targets.targets(actor).values_list("year", flat=True))
    found.add(timezone.localdate().year)
    return sorted(found, reverse=True)


@login_required
def achieved_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    access.require_see(actor)
    year = _year(request)
    found = achieved.figures(targets.targets(actor, year), with_codes=True)
    return _render(
        request,
        "reports/achieved.html",
        {
            "year": year,
            "years": _years(actor),
            "figures": found,
            "series": achieved.chart_series(found),
            "chart_height": max(240, 34 * len(found) + 80),
            "features": achieved.map_features(found),
            "may_edit": access.may_edit(actor),
            "deadlines": deadlines.for_actor(actor) if access.may_see_reports(actor) else [],
        },
    )


@login_required
def target_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = targets.targets(actor).filter(pk=pk).first()
    if target is None:
        raise Http404(_("No such target."))
    return _render(request, "reports/target.html", {"f": achieved.figure(target, with_codes=True)})


@login_required
def targets_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    access.require_see(actor)
    editable = access.may_edit(actor)
    units = targets.unit_choices(actor.organisation.unit.province) if editable else []
    form = TargetForm(units=units)
    import_form = ImportForm()
    import_report = None
    if request.method == "POST":
        access.require_edit(actor)
        if request.POST.get("action") == "import":
            import_form = ImportForm(request.POST, request.FILES)
            if import_form.is_valid():
                upload = import_form.cleaned_data["file"]
                apply = import_form.cleaned_data["apply"]
                try:
                    report = targets.import_targets(actor, upload.read(), upload.name, apply)
                except ValidationError as exc:
                    add_service_errors(import_form, exc)
                else:
                    import_report = report.as_dict()
                    if apply:
                        messages.success(request, _("The targets are imported."))
                        return redirect("reports:targets")
        elif request.POST.get("action") == "delete":
            try:
                targets.delete_target(actor, int(request.POST.get("target") or 0))
            except ValueError:
                raise Http404(_("No such target.")) from None
            messages.success(request, _("The target is deleted."))
            return redirect("reports:targets")
        else:
            form = TargetForm(request.POST, units=units)
            if form.is_valid():
                try:
                    targets.set_target(actor, targets.TargetData(**form.cleaned_data))
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("The target is saved."))
                    return redirect("reports:targets")
    year = request.GET.get("year")
    rows = targets.targets(actor, int(year) if year and year.isdigit() else None)
    return _render(
        request,
        "reports/targets.html",
        {
            "targets": rows,
            "form": form,
            "import_form": import_form,
            "import_report": import_report,
            "editable": editable,
        },
    )


@login_required
def periodic_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    access.require_see_reports(actor)
    editable = access.may_edit(actor)
    today = timezone.localdate()
    kind = request.GET.get("kind") if request.GET.get("kind") in ReportKind.values else None
    year = request.GET.get("year", "")
    form = ReportForm(
        initial={
            "kind": kind or ReportKind.HALF_YEAR,
            "year": int(year) if year.isdigit() and len(year) == 4 else today.year,
        }
    )
    if request.method == "POST":
        access.require_edit(actor)
        if request.POST.get("action") == "submit":
            try:
                report = periodic.submit(actor, int(request.POST.get("report") or 0))
            except ValueError:
                raise Http404(_("No such report.")) from None
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("Version %(v)d is submitted and frozen.") % {"v": report.version},
                )
            return redirect("reports:periodic")
        form = ReportForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = periodic.generate(
                    actor, data["kind"], data["year"], data["period_start"], data["period_end"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Version %(v)d is generated.") % {"v": report.version})
                return redirect("reports:report", report.pk)
    return _render(
        request,
        "reports/periodic.html",
        {
            "reports": periodic.reports(actor),
            "form": form,
            "editable": editable,
            "deadlines": deadlines.for_actor(actor),
            "source": deadlines.source(),
        },
    )


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    report = periodic.get_report(actor, pk)
    for row in report.figures.get("targets", []):
        row["metric_label"] = Metric(row["metric"]).label if row["metric"] in Metric.values else ""
    return _render(
        request,
        "reports/report.html",
        {"report": report, "f": report.figures, "editable": access.may_edit(actor)},
    )


@login_required
def report_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    from .api import file_response

    return file_response(periodic.get_report(_actor(request), pk), fmt)


@login_required
def training_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    access.require_see(actor)
    editable = access.may_edit(actor)
    year = _year(request)
    communes = []
    if editable:
        from agritrace.places.models import AdminUnit

        communes = AdminUnit.objects.filter(
            parent=actor.organisation.unit.province, level="commune"
        ).order_by("name")
    form = ClassForm(communes=communes)
    if request.method == "POST":
        access.require_edit(actor)
        form = ClassForm(request.POST, communes=communes)
        if form.is_valid():
            try:
                cls = training.plan_class(actor, training.ClassData(**form.cleaned_data))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The class is planned."))
                return redirect("reports:class", cls.pk)
    return _render(
        request,
        "reports/training.html",
        {
            "classes": training.classes(actor, year),
            "plan": training.plan_against_target(actor, year),
            "year": year,
            "form": form,
            "editable": editable,
        },
    )


@login_required
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    cls = training.get_class(actor, pk)
    editable = access.may_edit(actor)
    form = None
    if editable:
        from django.db.models import Q

        from agritrace.accounts.models import Organisation, OrgKind
        from agritrace.registry.models import Household

        province = cls.province
        households = Household.objects.filter(
            Q(commune__parent=province) | Q(commune=province)
        ).order_by("name")
        if cls.commune_id:
            households = households.filter(commune=cls.commune)
        orgs = Organisation.objects.filter(
            Q(unit__parent=province) | Q(unit=province), kind=OrgKind.REPRESENTATIVE
        ).order_by("name")
        initial = {
            "held_on": cls.held_on,
            "outsiders": cls.outsiders,
            "households": list(cls.households.values_list("pk", flat=True)),
            "organisations": list(cls.organisations.values_list("pk", flat=True)),
        }
        bound = request.POST if request.method == "POST" else None
        form = HeldForm(bound, households=households, organisations=orgs, initial=initial)
        if bound is not None and form.is_valid():
            try:
                training.record_held(actor, cls.pk, training.Attendance(**form.cleaned_data))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The class is recorded as held."))
                return redirect("reports:class", cls.pk)
    elif request.method == "POST":
        access.require_edit(actor)
    return _render(
        request,
        "reports/class.html",
        {
            "cls": cls,
            "attendees": training.attendees(cls),
            "households": cls.households.order_by("name"),
            "organisations": cls.organisations.order_by("name"),
            "form": form,
        },
    )
