"""The packing-house pages: list, register, the house's page and its code actions, through the
registry services and the lifecycle."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agritrace.accounts.access import Actor, can, get_visible, visible
from agritrace.accounts.models import OrgKind
from agritrace.registry import services
from agritrace.registry.effective_dates import backdate_max_days
from agritrace.registry.models import (
    CodeStatus,
    PackingHouse,
    PlantingArea,
)

from .forms import (
    AreaFilterForm,
    PackingHouseForm,
    SupplyContractForm,
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
    _steps,
)

__all__ = [
    "packing_house_create",
    "packing_house_detail",
    "packing_house_list",
    "ph_code_action",
]


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
