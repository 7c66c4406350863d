"""The code pages: dashboard, planting areas, packing houses, applications and their
lifecycle. Thin: each view reads the request, calls the registry services or the lifecycle,
and renders. Who sees what is decided in accounts.access (visible / get_visible: an object
outside one's scope is a 404), who may do what by the services (PermissionDenied: 403)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.query import EmptyQuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agritrace.accounts.access import Actor, can, get_visible, require, visible
from agritrace.accounts.models import OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.numbers import number
from agritrace.registry import lifecycle, map_view, services
from agritrace.registry.decisions import application_warnings
from agritrace.registry.effective_dates import backdate_max_days
from agritrace.registry.lifecycle import INSPECTION_CHECKLIST, TRANSITIONS, subject_url
from agritrace.registry.models import (
    Application,
    ApplicationDocument,
    ApprovalStatus,
    AppStatus,
    CodeAuthorisation,
    CodeHolder,
    CodeStatus,
    Crop,
    PackingHouse,
    PlantingArea,
    Plot,
)

from .forms import (
    ActionForm,
    ApplicationFilterForm,
    AreaFilterForm,
    AreaForm,
    AuthoriseForm,
    CertificateForm,
    CodeActionForm,
    DocumentForm,
    EndContractForm,
    InspectionForm,
    MarketApprovalForm,
    PackingHouseForm,
    RemoveCertificateForm,
    SupplyContractForm,
    WithdrawAuthorisationForm,
    add_service_errors,
    service_errors,
)
from .templatetags.agritrace_ui import status_label

PER_PAGE = 25

__all__ = [
    "document_download",
    "application_act",
    "application_detail",
    "application_list",
    "area_create",
    "area_detail",
    "area_edit",
    "area_list",
    "areas_geojson",
    "authorise",
    "code_action",
    "dashboard",
    "document_upload",
    "home",
    "inspection_form",
    "market_approval",
    "packing_house_create",
    "packing_house_detail",
    "packing_house_list",
    "ph_code_action",
    "ph_market_approval",
]


# ------------------------------------------------------------------ helpers


def _actor(request: HttpRequest) -> Actor:
    current = getattr(request, "_actor", None)
    if current is None:
        current = Actor.of(request.user)
        request._actor = current
    return current


def _paginate(request: HttpRequest, qs: QuerySet) -> Page:
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))


def _report(request: HttpRequest, exc: ValidationError) -> None:
    """Each message of a service's refusal as an error message at the top of the page."""
    for messages_of_field in service_errors(exc).values():
        for message in messages_of_field:
            messages.error(request, message)


def _report_form(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _open_app_statuses() -> list[str]:
    return [
        s
        for s in AppStatus.values
        if s not in (AppStatus.ISSUED, AppStatus.REJECTED, AppStatus.WITHDRAWN)
    ]


def _code_actions(actor: Actor, holder: CodeHolder) -> list[str]:
    """Which of suspend / reinstate / revoke the page offers (lifecycle checks again)."""
    if not can(actor, "decide"):
        return []
    if holder.code_status == CodeStatus.ISSUED:
        return ["suspend", "revoke"]
    if holder.code_status == CodeStatus.SUSPENDED:
        return ["reinstate", "revoke"]
    return []


def _steps(holder: CodeHolder) -> QuerySet:
    return holder.steps.select_related("actor", "actor_org", "application").order_by("at", "pk")


def _display_status(holder: CodeHolder, app: Application | None) -> str:
    """What a map colours by: the code's status once there is a code, else the file's."""
    if holder.code_status != CodeStatus.NONE or app is None:
        return holder.code_status
    return app.status


# ------------------------------------------------------------------ home and dashboard


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return redirect("public-codes")


def _count_by(qs: QuerySet, field: str) -> dict:
    return {
        row[field]: row["n"]
        for row in qs.order_by().values(field).annotate(n=Count("pk", distinct=True))
    }


def _status_counts(qs: QuerySet, field: str, choices, kind: str) -> list[dict]:
    counts = _count_by(qs, field)
    return [
        {"status": value, "label": status_label(value, kind), "count": counts.get(value, 0)}
        for value, _label in choices
    ]


def _crop_counts(qs: QuerySet, field: str) -> list[tuple[Crop, int]]:
    counts = {k: v for k, v in _count_by(qs, field).items() if k is not None}
    crops = Crop.objects.in_bulk(list(counts))
    return sorted(
        ((crops[pk], n) for pk, n in counts.items()), key=lambda row: (-row[1], str(row[0]))
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    areas = visible(actor, PlantingArea.objects.all())
    houses = visible(actor, PackingHouse.objects.all())
    open_apps = services.open_applications(actor)
    today = timezone.localdate()
    overdue = (
        open_apps.filter(deadline__lt=today)
        .select_related("area", "packing_house", "applicant")
        .order_by("deadline", "pk")
    )
    app_counts = _count_by(open_apps, "status")
    context = {
        "area_total": areas.count(),
        "areas_by_status": _status_counts(areas, "code_status", CodeStatus.choices, "code"),
        "areas_by_crop": _crop_counts(areas, "crop"),
        "house_total": houses.count(),
        "houses_by_status": _status_counts(houses, "code_status", CodeStatus.choices, "code"),
        "houses_by_crop": _crop_counts(houses, "crops"),
        "apps_by_status": [
            {"status": s, "label": status_label(s, "app"), "count": app_counts.get(s, 0)}
            for s in _open_app_statuses()
        ],
        "open_total": sum(app_counts.values()),
        "overdue": overdue[:50],
        "overdue_total": overdue.count(),
        "today": today,
        # The map draws areas at their plots: whoever may see no plot by rule (a laboratory,
        # a packing house, an exporter) would get a map counting areas and showing none.
        "show_map": not isinstance(visible(actor, Plot.objects.all()), EmptyQuerySet),
        "legend": [(s, status_label(s, "app")) for s in _open_app_statuses()]
        + [
            (s, status_label(s, "code"))
            for s in (CodeStatus.ISSUED, CodeStatus.SUSPENDED, CodeStatus.REVOKED)
        ],
    }
    from agritrace.supervision.worklist import lab_samples

    context["lab_samples"] = lab_samples(actor)
    from agritrace.reports.access import may_see_reports
    from agritrace.reports.deadlines import for_actor

    context["deadlines"] = for_actor(actor) if may_see_reports(actor) else []
    return render(request, "codes/dashboard.html", context)


# ------------------------------------------------------------------ map data


def _map_status(area: PlantingArea, app: Application | None) -> tuple[str, str]:
    """The status an area is coloured by on a map, and its kind for status_label."""
    status = _display_status(area, app)
    kind = "app" if status in AppStatus.values and area.code_status == CodeStatus.NONE else "code"
    return status, kind


def _plot_features(actor: Actor, plots: QuerySet, with_areas: bool = False) -> dict:
    """Plots as a GeoJSON FeatureCollection for AgriMap.addGeoJSON: coloured by their area's
    status, with a popup naming the area (escaped here, shown as HTML by the map). Each
    feature's property `kind` is "plot"; `with_areas` adds one point per planting area at
    its plots' centroid (kind "area"), which is what a map shows at province zoom."""
    plots = list(plots.select_related("area", "household"))
    area_ids = {p.area_id for p in plots}
    latest: dict[int, Application] = {}
    for app in visible(actor, Application.objects.filter(area__in=area_ids)).order_by(
        "area", "-created_at"
    ):
        latest.setdefault(app.area_id, app)
    features = []
    by_area: dict[int, list[Plot]] = {}
    for plot in plots:
        area = plot.area
        by_area.setdefault(area.pk, []).append(plot)
        app = latest.get(area.pk)
        status, kind = _map_status(area, app)
        popup = format_html(
            '<h4>{}</h4><p><span class="code">{}</span> · {}</p><p>{} {} · {} ha</p>'
            '<p><a href="{}">{}</a></p>',
            area.name,
            area.code or _("no code yet"),
            status_label(status, kind),
            _("Plot"),
            plot.label,
            number(plot.area_ha, 2),
            reverse("area-detail", args=[area.pk]),
            _("Open the planting area"),
        )
        features.append(
            {
                "type": "Feature",
                "geometry": plot.geometry,
                "properties": {
                    "kind": "plot",
                    "area": area.pk,
                    "plot": plot.pk,
                    "name": area.name,
                    "code": area.code,
                    "status": status,
                    "overdue": bool(app and app.is_open and app.is_overdue),
                    "label": f"{area.name} · {plot.label}",
                    "popup": popup,
                },
            }
        )
    if with_areas:
        features += [_area_feature(group, latest.get(pk)) for pk, group in by_area.items()]
    return {"type": "FeatureCollection", "features": features}


def _area_feature(plots: list[Plot], app: Application | None) -> dict:
    """One point for a planting area: the area-weighted centroid of its plots."""
    area = plots[0].area
    total_m2 = sum(p.area_m2 for p in plots)
    if total_m2 > 0:
        lon = sum(p.centroid_lon * p.area_m2 for p in plots) / total_m2
        lat = sum(p.centroid_lat * p.area_m2 for p in plots) / total_m2
    else:
        lon = sum(p.centroid_lon for p in plots) / len(plots)
        lat = sum(p.centroid_lat for p in plots) / len(plots)
    status, kind = _map_status(area, app)
    popup = format_html(
        '<h4>{}</h4><p><span class="code">{}</span> · {}</p><p>{}</p><p><a href="{}">{}</a></p>',
        area.name,
        area.code or _("no code yet"),
        status_label(status, kind),
        _("%(n)d plot(s), %(ha)s ha") % {"n": len(plots), "ha": number(total_m2 / 10_000, 2)},
        reverse("area-detail", args=[area.pk]),
        _("Open the planting area"),
    )
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
        "properties": {
            "kind": "area",
            "area": area.pk,
            "name": area.name,
            "code": area.code,
            "status": status,
            "overdue": bool(app and app.is_open and app.is_overdue),
            "label": f"{area.name} ({area.code})" if area.code else area.name,
            "popup": popup,
        },
    }


@login_required
def areas_geojson(request: HttpRequest) -> JsonResponse:
    """The planting areas the actor sees (or one: ?area=<id>): a point per area (kind
    "area") and its plots (kind "plot")."""
    actor = _actor(request)
    areas = visible(actor, PlantingArea.objects.all())
    if request.GET.get("area"):
        try:
            areas = areas.filter(pk=int(request.GET["area"]))
        except ValueError:
            areas = areas.none()
    plots = visible(actor, Plot.objects.filter(area__in=areas))
    return JsonResponse(
        _plot_features(actor, plots, with_areas=True), content_type="application/geo+json"
    )


# ------------------------------------------------------------------ planting areas


@login_required
def area_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    areas = visible(actor, PlantingArea.objects.all())
    filters = AreaFilterForm(request.GET, holders=areas)
    qs = (
        filters.filter(areas)
        .select_related("crop", "variety", "commune", "representative")
        .annotate(household_count=Count("households", distinct=True))
        .order_by("name", "pk")
    )
    page = _paginate(request, qs)
    for area in page:
        area.flags = services.area_flags(area)
    return render(
        request,
        "codes/area_list.html",
        {"filters": filters, "page": page, "may_create": can(actor, "edit_registry")},
    )


@login_required
def area_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, "edit_registry")
    form = AreaForm(request.POST if request.method == "POST" else None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            area, _app = services.create_area(actor, form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Planting area %(name)s created with a draft application.") % {"name": area.name},
            )
            return redirect("area-detail", area.pk)
    return render(request, "codes/area_form.html", {"form": form, "area": None})


@login_required
def area_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=pk)
    require(actor, "edit_registry")
    form = AreaForm(request.POST if request.method == "POST" else None, actor=actor, area=area)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_area(actor, area, form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Planting area saved."))
            return redirect("area-detail", area.pk)
    return render(request, "codes/area_form.html", {"form": form, "area": area})


def _approval_rows(actor: Actor, holder: CodeHolder) -> list[dict]:
    """Each target market with its approval (if any) and the moves this actor may make."""
    approvals = {a.market_id: a for a in holder.approvals.select_related("market")}
    markets = {m.pk: m for m in holder.markets.all()}
    markets.update({a.market_id: a.market for a in approvals.values()})
    labels = dict(MarketApprovalForm.MOVES)
    rows = []
    for market in sorted(markets.values(), key=lambda m: m.code):
        approval = approvals.get(market.pk)
        status = approval.status if approval else ApprovalStatus.PREPARING
        moves = [
            (move, labels[move]) for move in services.allowed_approval_moves(actor, holder, market)
        ]
        rows.append({"market": market, "approval": approval, "status": status, "moves": moves})
    return rows


def _application_rows(actor: Actor, holder: CodeHolder) -> QuerySet:
    return (
        visible(actor, holder.applications.all())
        .select_related("applicant")
        .order_by("-created_at")
    )


def _area_contracts(actor: Actor, area: PlantingArea, today) -> list:
    """The area's supply contracts with packing houses the actor sees; each marked whether
    the actor may end it."""
    houses = visible(actor, PackingHouse.objects.all())
    contracts = list(
        area.supply_contracts.filter(packing_house__in=houses)
        .select_related("packing_house")
        .order_by("-valid_to", "pk")
    )
    for contract in contracts:
        contract.may_end = contract.valid_to >= today and services.may_manage_supply_contracts(
            actor, contract.packing_house
        )
    return contracts


def _area_page(
    request: HttpRequest,
    actor: Actor,
    area: PlantingArea,
    certificate_form: CertificateForm | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    plots = visible(actor, area.plots.all())
    households = (
        visible(actor, area.households.all())
        .annotate(plot_count=Count("plots", distinct=True))
        .order_by("name")
    )
    may_authorise = can(actor, "authorise_exporter")
    may_edit = can(actor, "edit_registry") and area.code_status != CodeStatus.REVOKED
    certificates = area.certificates.order_by("-valid_to", "pk")
    contracts = _area_contracts(actor, area, today)
    if certificate_form is not None and not may_edit:
        for error in certificate_form.non_field_errors():
            messages.error(request, error)  # e.g. the area was revoked meanwhile
    if certificate_form is None and may_edit:
        editing = None
        if request.GET.get("certificate", "").isdigit():
            editing = certificates.filter(pk=int(request.GET["certificate"])).first()
        certificate_form = CertificateForm(instance=editing)
    context = {
        "area": area,
        "today": today,
        "plots": plots.select_related("household"),
        "plots_geojson": _plot_features(actor, plots),
        "map_data": map_view.map_data(actor, area),
        "households": households,
        "show_personal": can(actor, "see_personal_data"),
        "certificates": certificates,
        "certificate_form": certificate_form if may_edit else None,
        "flags": services.area_flags(area),
        "approval_rows": _approval_rows(actor, area),
        "authorisations": area.authorisations.select_related("grantee", "market").order_by(
            "-granted_at"
        ),
        "contracts": contracts,
        "contracts_may_end": any(c.may_end for c in contracts),
        "may_authorise": may_authorise,
        "authorise_form": AuthoriseForm(area=area, actor=actor, initial={"valid_from": today})
        if may_authorise and area.code_status == CodeStatus.ISSUED
        else None,
        "applications": _application_rows(actor, area),
        "steps": _steps(area),
        "status_changes": area.status_changes.all(),
        "code_actions": _code_actions(actor, area),
        "backdate_max_days": backdate_max_days(),
        "code_action_url": reverse("area-code-action", args=[area.pk]),
        "may_edit": may_edit,
    }
    from agritrace.diary.services import harvest_window
    from agritrace.supervision.services import supervision_context

    context.update(supervision_context(actor, area))
    context.update(harvest_window(area))
    return render(request, "codes/area_detail.html", context)


@login_required
def area_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The area's page. Its forms post here with `op`: certificate (add or edit),
    certificate_remove and contract_end."""
    actor = _actor(request)
    area = get_visible(
        actor,
        PlantingArea.objects.select_related("crop", "variety", "commune__parent", "representative"),
        pk=pk,
    )
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op == "certificate":
            return _save_certificate(request, actor, area)
        if op == "certificate_remove":
            return _remove_certificate(request, actor, area)
        if op == "contract_end":
            return _end_contract(request, actor, area.supply_contracts.all(), area)
        messages.error(request, _("Unknown action '%(a)s'.") % {"a": op})
        return redirect("area-detail", area.pk)
    return _area_page(request, actor, area)


def _save_certificate(request: HttpRequest, actor: Actor, area: PlantingArea) -> HttpResponse:
    require(actor, "edit_registry")
    form = CertificateForm(request.POST)
    if form.is_valid():
        certificate_id = form.cleaned_data.get("certificate")
        try:
            if certificate_id:
                certificate = get_object_or_404(area.certificates, pk=certificate_id)
                form.instance = certificate
                services.update_certificate(actor, certificate, form.service_data())
                done = _("Certificate %(number)s saved.")
            else:
                certificate = services.add_certificate(actor, area, form.service_data())
                done = _("Certificate %(number)s added.")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done % {"number": certificate.number})
            return redirect(reverse("area-detail", args=[area.pk]) + "#certificates-title")
    return _area_page(request, actor, area, certificate_form=form)


def _remove_certificate(request: HttpRequest, actor: Actor, area: PlantingArea) -> HttpResponse:
    require(actor, "edit_registry")
    form = RemoveCertificateForm(request.POST)
    if not form.is_valid():
        _report_form(request, form)
        return redirect("area-detail", area.pk)
    certificate = get_object_or_404(area.certificates, pk=form.cleaned_data["certificate"])
    try:
        services.remove_certificate(actor, certificate)
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(
            request, _("Certificate %(number)s removed.") % {"number": certificate.number}
        )
    return redirect(reverse("area-detail", args=[area.pk]) + "#certificates-title")


def _end_contract(
    request: HttpRequest, actor: Actor, contracts: QuerySet, holder: CodeHolder
) -> HttpResponse:
    """End one of `contracts` (the area's or the packing house's) today."""
    form = EndContractForm(request.POST)
    if not form.is_valid():
        _report_form(request, form)
        return redirect(subject_url(holder))
    contract = get_object_or_404(
        contracts.select_related("area", "packing_house"),
        pk=form.cleaned_data["contract"],
        packing_house__in=visible(actor, PackingHouse.objects.all()),
    )
    if not services.may_manage_supply_contracts(actor, contract.packing_house):
        raise PermissionDenied(_("Only the packing house's operator keeps its contracts."))
    try:
        services.end_supply_contract(actor, contract, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(
            request,
            _("The contract of %(house)s with %(area)s ends today.")
            % {
                "house": contract.packing_house.name,
                "area": contract.area.code or contract.area.name,
            },
        )
    return redirect(subject_url(holder))


_CODE_DONE = {
    "suspend": gettext_lazy("Code %(code)s suspended."),
    "reinstate": gettext_lazy("Code %(code)s reinstated."),
    "revoke": gettext_lazy("Code %(code)s revoked."),
}


def _code_action(request: HttpRequest, holder: CodeHolder) -> HttpResponse:
    actor = _actor(request)
    require(actor, "decide")
    form = CodeActionForm(request.POST)
    if not form.is_valid():
        _report_form(request, form)
        return redirect(subject_url(holder))
    action = form.cleaned_data["action"]
    reason = form.cleaned_data["reason"]
    effective = form.cleaned_data["effective_date"]
    try:
        if action == "suspend":
            lifecycle.suspend(holder, actor, reason, form.cleaned_data["until"], effective)
        elif action == "reinstate":
            lifecycle.reinstate(holder, actor, reason, effective)
        else:
            lifecycle.revoke(holder, actor, reason, effective)
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, str(_CODE_DONE[action]) % {"code": holder.code})
    return redirect(subject_url(holder))


@require_POST
@login_required
def code_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Suspend, reinstate or revoke a planting area's code."""
    area = get_visible(_actor(request), PlantingArea.objects.all(), pk=pk)
    return _code_action(request, area)


@require_POST
@login_required
def authorise(request: HttpRequest, pk: int) -> HttpResponse:
    """The representative authorises an exporter to use the area's code, or withdraws that."""
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=pk)
    require(actor, "authorise_exporter")
    if request.POST.get("op") == "withdraw":
        form = WithdrawAuthorisationForm(request.POST)
        if not form.is_valid():
            _report_form(request, form)
            return redirect("area-detail", area.pk)
        auth = get_object_or_404(
            CodeAuthorisation, pk=form.cleaned_data["authorisation"], area=area
        )
        try:
            services.withdraw_authorisation(
                actor, auth, form.cleaned_data["reason"], form.cleaned_data["withdrawn_from"]
            )
        except ValidationError as exc:
            _report(request, exc)
        else:
            messages.success(
                request, _("Authorisation of %(org)s withdrawn.") % {"org": auth.grantee.name}
            )
        return redirect("area-detail", area.pk)
    form = AuthoriseForm(request.POST, area=area, actor=actor)
    if not form.is_valid():
        _report_form(request, form)
        return redirect("area-detail", area.pk)
    data = form.cleaned_data
    try:
        auth = services.authorise_exporter(
            actor,
            area,
            data["grantee"].pk if data["grantee"] else None,
            data["market"].pk if data["market"] else None,
            data["valid_from"],
            data["valid_to"],
        )
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(
            request,
            _("%(org)s may use code %(code)s for %(market)s.")
            % {"org": auth.grantee.name, "code": area.code, "market": auth.market},
        )
    return redirect("area-detail", area.pk)


def _move_approval(request: HttpRequest, model, pk: int, detail: str) -> HttpResponse:
    """One step of an importing country's approval of a holder's code (area or packing
    house), then back to the holder's page (`detail`)."""
    actor = _actor(request)
    holder = get_visible(actor, model.objects.all(), pk=pk)
    require(actor, "market_approval")
    form = MarketApprovalForm(request.POST)
    if not form.is_valid():
        _report_form(request, form)
        return redirect(detail, holder.pk)
    data = form.cleaned_data
    try:
        approval = services.move_market_approval(
            actor,
            holder,
            data["market"],
            data["move"],
            importer_list_ref=data["importer_list_ref"],
            note=data["note"],
        )
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(
            request,
            _("%(market)s: %(status)s.")
            % {"market": approval.market, "status": approval.get_status_display()},
        )
    return redirect(detail, holder.pk)


@require_POST
@login_required
def market_approval(request: HttpRequest, pk: int) -> HttpResponse:
    """One step of the importing country's approval of the area's code for a market."""
    return _move_approval(request, PlantingArea, pk, "area-detail")


@require_POST
@login_required
def ph_market_approval(request: HttpRequest, pk: int) -> HttpResponse:
    """One step of the importing country's approval of the packing house's code."""
    return _move_approval(request, PackingHouse, pk, "packing-house-detail")


# ------------------------------------------------------------------ packing houses


@login_required
def packing_house_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    houses = visible(actor, PackingHouse.objects.all())
    filters = AreaFilterForm(request.GET, holders=houses)
    qs = (
        filters.filter(houses)
        .select_related("operator", "commune")
        .prefetch_related("crops")
        .order_by("name", "pk")
    )
    return render(
        request,
        "codes/packing_house_list.html",
        {
            "filters": filters,
            "page": _paginate(request, qs),
            "may_create": _may_create_packing_house(actor),
        },
    )


def _may_create_packing_house(actor: Actor) -> bool:
    if actor.kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
        return can(actor, "apply")
    return can(actor, "edit_registry")


@login_required
def packing_house_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not _may_create_packing_house(actor):
        raise PermissionDenied(_("Your role may not register packing houses."))
    form = PackingHouseForm(request.POST if request.method == "POST" else None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            house, _app = services.create_packing_house(actor, form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Packing house %(name)s created with a draft application.")
                % {"name": house.name},
            )
            return redirect("packing-house-detail", house.pk)
    return render(request, "codes/packing_house_form.html", {"form": form})


def _packing_house_page(
    request: HttpRequest,
    actor: Actor,
    house: PackingHouse,
    contract_form: SupplyContractForm | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    location = None
    if house.lon is not None and house.lat is not None:
        location = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [house.lon, house.lat]},
                    "properties": {"status": house.code_status, "label": house.name},
                }
            ],
        }
    supplying = visible(actor, PlantingArea.objects.all())
    contracts = list(
        house.supply_contracts.filter(area__in=supplying)
        .select_related("area__crop")
        .order_by("-valid_to", "pk")
    )
    may_manage = services.may_manage_supply_contracts(actor, house)
    for contract in contracts:
        contract.may_end = may_manage and contract.valid_to >= today
    if contract_form is None and may_manage and house.code_status != CodeStatus.REVOKED:
        contract_form = SupplyContractForm(
            initial={"valid_from": today, "valid_to": today + timedelta(days=365)}
        )
    context = {
        "house": house,
        "today": today,
        "location": location,
        "contracts": contracts,
        "contracts_may_end": any(c.may_end for c in contracts),
        "contract_form": contract_form,
        "approval_rows": _approval_rows(actor, house),
        "applications": _application_rows(actor, house),
        "steps": _steps(house),
        "status_changes": house.status_changes.all(),
        "code_actions": _code_actions(actor, house),
        "backdate_max_days": backdate_max_days(),
        "code_action_url": reverse("ph-code-action", args=[house.pk]),
    }
    from agritrace.supervision.services import supervision_context

    context.update(supervision_context(actor, house))
    return render(request, "codes/packing_house_detail.html", context)


@login_required
def packing_house_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The packing house's page. Its forms post here with `op`: contract_add and
    contract_end (the operator or the province's authority)."""
    actor = _actor(request)
    house = get_visible(
        actor,
        PackingHouse.objects.select_related("operator", "commune__parent"),
        pk=pk,
    )
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op not in ("contract_add", "contract_end"):
            messages.error(request, _("Unknown action '%(a)s'.") % {"a": op})
            return redirect("packing-house-detail", house.pk)
        if not services.may_manage_supply_contracts(actor, house):
            raise PermissionDenied(_("Only the packing house's operator keeps its contracts."))
        if op == "contract_end":
            return _end_contract(request, actor, house.supply_contracts.all(), house)
        form = SupplyContractForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                contract = services.create_supply_contract(
                    actor,
                    house,
                    services.find_contract_area(code=data["area_code"]),
                    data["valid_from"],
                    data["valid_to"],
                    data["reference"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc, SupplyContractForm.FIELD_MAP)
            else:
                messages.success(
                    request,
                    _("%(area)s now supplies %(house)s.")
                    % {"area": contract.area.code, "house": house.name},
                )
                return redirect(reverse("packing-house-detail", args=[house.pk]) + "#supply-title")
        return _packing_house_page(request, actor, house, contract_form=form)
    return _packing_house_page(request, actor, house)


@require_POST
@login_required
def ph_code_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Suspend, reinstate or revoke a packing house's code."""
    house = get_visible(_actor(request), PackingHouse.objects.all(), pk=pk)
    return _code_action(request, house)


# ------------------------------------------------------------------ applications


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    filters = ApplicationFilterForm(request.GET)
    qs = (
        filters.filter(visible(actor, Application.objects.all()))
        .select_related("area", "packing_house", "applicant")
        .order_by("-created_at", "-pk")
    )
    return render(
        request,
        "codes/application_list.html",
        {"filters": filters, "page": _paginate(request, qs)},
    )


def _may_upload(actor: Actor, app: Application) -> bool:
    if can(actor, "apply") and actor.organisation == app.applicant:
        return True
    return can(actor, "appraise")


def _application_page(
    request: HttpRequest,
    actor: Actor,
    app: Application,
    bound: ActionForm | None = None,
    document_form: DocumentForm | None = None,
) -> HttpResponse:
    allowed = lifecycle.allowed_actions(app, actor)
    forms = []
    for name in allowed:
        if name == "record_inspection":
            continue  # its own page
        if bound is not None and bound.action == name:
            forms.append(bound)
        else:
            forms.append(ActionForm(action=name, app=app, actor=actor))
    for form in forms:
        form.label = (
            TRANSITIONS[form.action].label
            if form.action in TRANSITIONS
            else _("Schedule the field inspection")
        )
        form.danger = form.action in ("reject", "return", "withdraw")
    may_upload = _may_upload(actor, app) and app.is_open
    inspections = list(app.inspections.select_related("inspector").order_by("scheduled_for"))
    for inspection in inspections:
        inspection.checks = [
            (label, inspection.checklist[key])
            for key, label in INSPECTION_CHECKLIST
            if key in inspection.checklist
        ]
    context = {
        "app": app,
        "subject": app.subject,
        "subject_url": subject_url(app.subject),
        "is_area": app.area_id is not None,
        "action_forms": forms,
        "stray_form": bound if bound is not None and bound.action not in allowed else None,
        "may_record_inspection": "record_inspection" in allowed,
        "warnings": application_warnings(app),
        "before_submitting": "submit" in allowed,
        "documents": app.documents.select_related("uploaded_by").order_by("-uploaded_at"),
        "document_form": document_form or (DocumentForm() if may_upload else None),
        "steps": app.steps.select_related("actor", "actor_org").order_by("at", "pk"),
        "inspections": inspections,
    }
    return render(request, "codes/application_detail.html", context)


def _visible_application(actor: Actor, pk: int) -> Application:
    return get_visible(
        actor,
        Application.objects.select_related(
            "area__crop", "area__commune", "packing_house__commune", "applicant"
        ),
        pk=pk,
    )


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    return _application_page(request, actor, _visible_application(actor, pk))


@require_POST
@login_required
def application_act(request: HttpRequest, pk: int) -> HttpResponse:
    """One lifecycle move: `action` plus its fields (reason; date and inspector)."""
    actor = _actor(request)
    app = _visible_application(actor, pk)
    action = request.POST.get("action", "")
    if action == "record_inspection":
        return redirect("inspection-form", app.pk)
    if action not in TRANSITIONS and action != "schedule_inspection":
        messages.error(request, _("Unknown action '%(a)s'.") % {"a": action})
        return redirect("application-detail", app.pk)
    form = ActionForm(request.POST, action=action, app=app, actor=actor)
    if form.is_valid():
        try:
            lifecycle.transition(app, action, actor, **form.transition_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
            _report(request, exc)
        else:
            label = (
                TRANSITIONS[action].label if action in TRANSITIONS else _("Inspection scheduled")
            )
            messages.success(request, _("Done: %(what)s.") % {"what": label})
            return redirect("application-detail", app.pk)
    else:
        _report_form(request, form)
    app.refresh_from_db()
    return _application_page(request, actor, app, bound=form)


@login_required
def inspection_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The field inspection, filled in on a phone in the orchard."""
    actor = _actor(request)
    app = _visible_application(actor, pk)
    require(actor, "inspect")
    if "record_inspection" not in lifecycle.allowed_actions(app, actor):
        messages.error(request, _("There is no scheduled inspection to record."))
        return redirect("application-detail", app.pk)
    inspection = app.inspections.filter(recorded_at__isnull=True).order_by("scheduled_for").first()
    form = InspectionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.transition(app, "record_inspection", actor, **form.transition_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc, InspectionForm.FIELD_MAP)
        else:
            messages.success(request, _("Field inspection recorded."))
            return redirect("application-detail", app.pk)
    return render(
        request,
        "codes/inspection_form.html",
        {"app": app, "subject": app.subject, "inspection": inspection, "form": form},
    )


@require_POST
@login_required
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a document to an application (the applicant, or the appraising authority)."""
    actor = _actor(request)
    app = _visible_application(actor, pk)
    if not _may_upload(actor, app):
        raise PermissionDenied(_("Your role may not add documents to this application."))
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid() and not app.is_open:
        form.add_error(None, _("The application is closed; documents can no longer be added."))
    if form.is_valid():
        with transaction.atomic():
            document = ApplicationDocument.objects.create(
                application=app,
                title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
                uploaded_by=actor.user,
            )
            record(actor.user, "application.document", document, None, snapshot(document))
        messages.success(request, _("Document added."))
        return redirect("application-detail", app.pk)
    _report_form(request, form)
    return _application_page(request, actor, app, document_form=form)


@login_required
def document_download(request: HttpRequest, pk: int, doc: int) -> HttpResponse:
    """An application's document, to those who may see the application (files are never
    served from a public media URL)."""
    from django.http import FileResponse

    app = get_visible(_actor(request), Application.objects.all(), pk=pk)
    document = get_object_or_404(app.documents, pk=doc)
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.file.name.rsplit("/", 1)[-1]
    )
