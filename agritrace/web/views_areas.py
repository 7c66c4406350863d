"""The planting-area pages: list, create, edit, the area page with its approvals,
certificates, contracts and authorisations, and the code actions (suspend, reinstate,
revoke) through the lifecycle. Who sees what is decided in accounts.access (an object outside
one's scope is a 404), who may do what by the services (PermissionDenied: 403)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agritrace.accounts.access import Actor, can, get_visible, require, visible
from agritrace.registry import map_view, services
from agritrace.registry.effective_dates import backdate_max_days
from agritrace.registry.models import (
    CodeAuthorisation,
    CodeStatus,
    PackingHouse,
    PlantingArea,
)

from .forms import (
    AreaFilterForm,
    AreaForm,
    AuthoriseForm,
    CertificateForm,
    MarketApprovalForm,
    RemoveCertificateForm,
    WithdrawAuthorisationForm,
    add_service_errors,
)
from .view_common import (
    _actor,
    _application_rows,
    _approval_rows,
    _code_action,
    _code_actions,
    _end_contract,
    _paginate,
    _plot_features,
    _report,
    _report_form,
    _steps,
)

__all__ = [
    "area_create",
    "area_detail",
    "area_edit",
    "area_list",
    "authorise",
    "code_action",
    "market_approval",
    "ph_market_approval",
]


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
