"""What the code pages share: the acting person cached on the request, paging, a service's
refusal as page messages, the statuses and actions a code page offers, its approvals,
applications and contracts, the plots as map features, and the code actions through the
lifecycle."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agritrace.accounts.access import Actor, can, require, visible
from agritrace.numbers import number
from agritrace.registry import lifecycle, services
from agritrace.registry.lifecycle import subject_url
from agritrace.registry.models import (
    Application,
    ApprovalStatus,
    AppStatus,
    CodeHolder,
    CodeStatus,
    PackingHouse,
    PlantingArea,
    Plot,
)

from .forms import (
    CodeActionForm,
    EndContractForm,
    MarketApprovalForm,
    service_errors,
)
from .templatetags.agritrace_ui import status_label

PER_PAGE = 25
_CODE_DONE = {
    "suspend": gettext_lazy("Code %(code)s suspended."),
    "reinstate": gettext_lazy("Code %(code)s reinstated."),
    "revoke": gettext_lazy("Code %(code)s revoked."),
}


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
