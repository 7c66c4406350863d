"""Pages for the records a representative keeps (households, plots), the inbox, API tokens,
and the public code list. Thin: scope through accounts.access, rules in registry.services."""

import csv
import io
import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.query import EmptyQuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agritrace.accounts.access import Actor, can, get_visible, require, visible
from agritrace.accounts.models import ApiToken, Organisation, OrgKind, Role
from agritrace.audit.services import record
from agritrace.notifications.models import Notification
from agritrace.numbers import number
from agritrace.places.models import AdminUnit, Level, Tree
from agritrace.registry import map_view, services
from agritrace.registry.membership import REVIEWED_STATUSES
from agritrace.registry.models import CodeStatus, Household, PlantingArea, Plot

from .chinese import chinese, wants_chinese
from .forms_records import (
    AreaHouseholdsForm,
    HouseholdForm,
    HouseholdOrganisationForm,
    PlotForm,
    PublicCodeFilterForm,
    TokenForm,
    add_service_errors,
)
from .view_common import _actor

__all__ = [
    "area_households",
    "household_create",
    "household_detail",
    "household_edit",
    "household_list",
    "inbox",
    "inbox_read",
    "plot_create",
    "plot_edit",
    "public_codes",
    "public_codes_export",
    "tokens",
]

HOUSEHOLDS_PER_PAGE = 50
NOTIFICATIONS_PER_PAGE = 25
CODES_PER_PAGE = 100


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _safe_next(request: HttpRequest, url: str | None, fallback: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return fallback


# ------------------------------------------------------------------ households


def _households(actor: Actor) -> QuerySet:
    """The households the actor sees; 403 for organisations that never see any."""
    qs = visible(actor, Household.objects.all())
    if isinstance(qs, EmptyQuerySet):
        raise PermissionDenied(_("Your organisation does not keep or supervise households."))
    return qs


def _communes_for(actor: Actor) -> QuerySet:
    """Communes a household may be placed in: the actor's province (its commune for a
    commune committee), current map only."""
    communes = AdminUnit.objects.filter(tree=Tree.CURRENT, level=Level.COMMUNE)
    if actor.kind == OrgKind.COMMUNE:
        return communes.filter(pk=actor.organisation.unit_id)
    if actor.organisation is not None and actor.kind != OrgKind.MINISTRY:
        return communes.filter(parent=actor.organisation.unit.province)
    return communes.select_related("parent")


def _representatives_for(actor: Actor) -> QuerySet | None:
    """Representatives an officer may register a household for; None for a representative
    (who acts for itself)."""
    if actor.kind == OrgKind.REPRESENTATIVE:
        return None
    return visible(actor, Organisation.objects.filter(kind=OrgKind.REPRESENTATIVE))


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    qs = _households(actor).select_related("commune")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(phone__icontains=q.replace(" ", "")))
    qs = qs.annotate(plot_count=Count("plots", distinct=True)).prefetch_related(
        Prefetch(
            "areas",
            queryset=visible(actor, PlantingArea.objects.all()).order_by("name"),
            to_attr="visible_areas",
        )
    )
    page = Paginator(qs.order_by("name", "pk"), HOUSEHOLDS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "q": q,
        "query": urlencode({"q": q}) if q else "",
        "show_national_id": can(actor, "see_personal_data"),
        "can_edit": can(actor, "edit_registry"),
    }
    if _is_htmx(request):
        return render(request, "records/_household_table.html", context)
    return render(request, "records/household_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, "edit_registry")
    kwargs = {"communes": _communes_for(actor), "representatives": _representatives_for(actor)}
    if request.method == "POST":
        form = HouseholdForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                household = services.create_household(actor, form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Household %(name)s registered.") % {"name": household.name}
                )
                return redirect("household-detail", pk=household.pk)
    else:
        initial = {}
        if actor.organisation.unit.level == Level.COMMUNE:
            initial["commune"] = actor.organisation.unit_id
        form = HouseholdForm(initial=initial, **kwargs)
    return render(request, "records/household_form.html", {"form": form, "household": None})


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    household = get_visible(actor, Household.objects.select_related("commune"), pk=pk)
    require(actor, "edit_registry")
    if request.method == "POST":
        form = HouseholdForm(request.POST)
        if form.is_valid():
            try:
                services.update_household(actor, household, form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Household details saved."))
                return redirect("household-detail", pk=household.pk)
    else:
        form = HouseholdForm(
            initial={
                "name": household.name,
                "national_id": household.national_id or "",
                "phone": household.phone,
                "address": household.address,
            }
        )
    return render(request, "records/household_form.html", {"form": form, "household": household})


def _plot_features(actor: Actor, plots) -> dict:
    """A FeatureCollection of plots for AgriMap.addGeoJSON (popups escaped here)."""
    editable = can(actor, "edit_registry")
    features = []
    for plot in plots:
        popup = format_html(
            "<h4>{}</h4>{} · {} ha", plot.label, plot.household.name, number(plot.area_ha, 2)
        )
        if editable:
            popup = format_html(
                '{}<br><a href="{}">{}</a>', popup, reverse("plot-edit", args=[plot.pk]), _("Edit")
            )
        features.append(
            {
                "type": "Feature",
                "geometry": plot.geometry,
                "properties": {
                    "label": f"{plot.label} ({number(plot.area_ha, 2)} ha)",
                    "popup": str(popup),
                    "status": plot.area.code_status if plot.area_id else None,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The household's page; its organisation form posts here (op=link_organisation)."""
    actor = _actor(request)
    household = get_visible(
        actor,
        Household.objects.select_related("commune__parent", "representative", "organisation"),
        pk=pk,
    )
    organisation_form = None
    if can(actor, "edit_registry") and household.organisation_id is None:
        choices = services.household_organisation_choices(actor, household)
        organisation_form = HouseholdOrganisationForm(
            request.POST if request.method == "POST" else None, choices=choices
        )
    if request.method == "POST":
        if request.POST.get("op") != "link_organisation":
            messages.error(request, _("Unknown action."))
            return redirect("household-detail", pk=household.pk)
        require(actor, "edit_registry")
        if organisation_form is None:
            messages.error(request, _("This household already has its own organisation."))
            return redirect("household-detail", pk=household.pk)
        if organisation_form.is_valid():
            try:
                services.link_household_organisation(
                    actor, household, organisation_form.cleaned_data["organisation"]
                )
            except ValidationError as exc:
                add_service_errors(organisation_form, exc)
            else:
                household.refresh_from_db()
                messages.success(
                    request,
                    _("%(name)s now logs in as %(org)s.")
                    % {"name": household.name, "org": household.organisation.name},
                )
                return redirect("household-detail", pk=household.pk)
    plots = list(
        visible(actor, Plot.objects.all())
        .filter(household=household)
        .select_related("area", "crop", "household")
        .annotate(overlap_count=Count("overlaps"))
        .order_by("label", "pk")
    )
    areas = visible(actor, PlantingArea.objects.all()).filter(households=household)
    from agritrace.reports.training import classes_of

    return render(
        request,
        "records/household_detail.html",
        {
            "household": household,
            "plots": plots,
            "areas": areas.select_related("crop", "commune").order_by("name"),
            "plots_geojson": _plot_features(actor, plots),
            "total_ha": sum(p.area_ha for p in plots),
            "show_national_id": can(actor, "see_personal_data"),
            "can_edit": can(actor, "edit_registry"),
            "organisation_form": organisation_form,
            "training_classes": classes_of(actor, household),
        },
    )


# ------------------------------------------------------------------ an area's households and plots


def _area_for_editing(actor: Actor, pk: int) -> PlantingArea:
    area = get_visible(
        actor, PlantingArea.objects.select_related("representative", "crop", "commune"), pk=pk
    )
    require(actor, "edit_registry")
    return area


def _member_choices(actor: Actor, area: PlantingArea) -> QuerySet:
    """Households that may join (or farm plots in) an area: its representative's."""
    return (
        visible(actor, Household.objects.all())
        .filter(representative_id=area.representative_id)
        .select_related("commune")
        .order_by("name", "pk")
    )


@login_required
@require_http_methods(["GET", "POST"])
def area_households(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    area = _area_for_editing(actor, pk)
    choices = _member_choices(actor, area)
    if request.method == "POST":
        form = AreaHouseholdsForm(request.POST, households=choices)
        if form.is_valid():
            ids = [h.pk for h in form.cleaned_data["households"]]
            try:
                change = services.set_area_households(
                    actor, area, ids, confirm=form.cleaned_data["confirm"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if change is not None and change.kind == "change":
                    messages.success(
                        request,
                        _(
                            "Member households saved. The change goes to the authority for "
                            "review: change application %(id)s."
                        )
                        % {"id": change.pk},
                    )
                else:
                    messages.success(request, _("Member households saved."))
                return redirect("area-detail", pk=area.pk)
    else:
        form = AreaHouseholdsForm(
            households=choices, initial={"households": list(area.households.all())}
        )
    return render(
        request,
        "records/area_households.html",
        {"area": area, "form": form, "issued": area.code_status in REVIEWED_STATUSES},
    )


def _plot_page(
    request: HttpRequest, actor: Actor, area: PlantingArea | None, plot: Plot | None
) -> HttpResponse:
    """The plot form (create when plot is None) and its POST."""
    if area is not None:
        households = _member_choices(actor, area)
    else:
        households = visible(actor, Household.objects.all()).filter(
            representative_id=plot.household.representative_id
        )
    if request.method == "POST":
        form = PlotForm(request.POST, request.FILES, households=households)
        if form.is_valid():
            data = form.service_data()
            if area is not None:
                data["area"] = area.pk
            try:
                saved = services.save_plot(actor, data, plot=plot)
            except ValidationError as exc:
                add_service_errors(form, exc)
                if form.cleaned_data.get("geometry_file"):
                    # Show the uploaded boundary in the editor so it can be corrected.
                    form.data = form.data.copy()
                    form.data["geometry"] = form.cleaned_data["geometry_file"]
            else:
                _report_plot(request, saved)
                if saved.area_id:
                    return redirect("area-detail", pk=saved.area_id)
                return redirect("household-detail", pk=saved.household_id)
    else:
        initial: dict = {}
        if plot is not None:
            initial = {
                "household": plot.household_id,
                "label": plot.label,
                "crop": plot.crop_id,
                "planting_year": plot.planting_year or "",
                "geometry": json.dumps(plot.geometry),
            }
        elif request.GET.get("household"):
            initial["household"] = request.GET["household"]
        form = PlotForm(initial=initial, households=households)
    context_area = area or (plot.area if plot else None)
    others = []
    if context_area is not None:
        others = (
            visible(actor, Plot.objects.all())
            .filter(area=context_area)
            .select_related("household", "area")
        )
        if plot is not None:
            others = others.exclude(pk=plot.pk)
    return render(
        request,
        "records/plot_form.html",
        {
            "form": form,
            "area": context_area,
            "plot": plot,
            "other_plots_geojson": _plot_features(actor, others),
            "map_data": map_view.map_data(actor, context_area, plot) if context_area else None,
        },
    )


def _report_plot(request: HttpRequest, plot: Plot) -> None:
    messages.success(
        request,
        _("Plot %(label)s saved: %(ha)s ha measured.")
        % {"label": plot.label, "ha": number(plot.area_ha, 2)},
    )
    for overlap in plot.overlaps.select_related("other__household", "other__area"):
        other = overlap.other
        messages.warning(
            request,
            _(
                "Plot %(label)s overlaps %(m2).0f m² of plot %(other)s of %(household)s "
                "(%(area)s). Check both boundaries."
            )
            % {
                "label": plot.label,
                "m2": overlap.overlap_m2,
                "other": other.label,
                "household": other.household.name,
                "area": other.area or _("no planting area"),
            },
        )


@login_required
@require_http_methods(["GET", "POST"])
def plot_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    area = _area_for_editing(actor, pk)
    return _plot_page(request, actor, area, None)


@login_required
@require_http_methods(["GET", "POST"])
def plot_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    plot = get_visible(
        actor, Plot.objects.select_related("household", "area__representative"), pk=pk
    )
    require(actor, "edit_registry")
    return _plot_page(request, actor, plot.area, plot)


# ------------------------------------------------------------------ inbox


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    qs = visible(actor, Notification.objects.all()).order_by("-created_at", "-pk")
    if request.GET.get("unread"):
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "records/inbox.html",
        {"page": page, "unread_only": bool(request.GET.get("unread"))},
    )


@login_required
@require_POST
def inbox_read(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    note = get_visible(actor, Notification.objects.all(), pk=pk)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.read_by = request.user
        note.save(update_fields=["read_at", "read_by"])
    if _is_htmx(request):
        return render(request, "records/_inbox_item.html", {"note": note})
    back = reverse("inbox")
    if request.POST.get("open") and note.url:
        return redirect(_safe_next(request, note.url, back))
    return redirect(_safe_next(request, request.POST.get("next"), back))


# ------------------------------------------------------------------ API tokens


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if actor.organisation is None:
        raise PermissionDenied(_("Your account does not belong to an organisation."))
    may_manage = actor.role != Role.VIEWER
    form = TokenForm()
    issued = None
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied(_("A read-only account cannot manage API tokens."))
        action = request.POST.get("action")
        if action == "create":
            form = TokenForm(request.POST)
            if form.is_valid():
                token, raw = ApiToken.issue(request.user, form.cleaned_data["name"])
                record(request.user, "token.issue", token, None, {"name": token.name})
                issued = {"token": token, "raw": raw}
                form = TokenForm()
        elif action == "revoke":
            try:
                token_id = int(request.POST.get("id", ""))
            except ValueError:
                raise Http404 from None
            token = get_object_or_404(ApiToken, pk=token_id, organisation_id=actor.organisation.pk)
            if token.revoked_at is None:
                token.revoke()
                record(request.user, "token.revoke", token, None, {"name": token.name})
            messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
            return redirect("tokens")
        else:
            return HttpResponse(_("Unknown action."), status=400)
    token_list = (
        ApiToken.objects.filter(organisation_id=actor.organisation.pk)
        .select_related("user")
        .order_by("revoked_at", "-created_at")
    )
    response = render(
        request,
        "records/tokens.html",
        {"tokens": token_list, "form": form, "issued": issued, "may_manage": may_manage},
    )
    if issued:
        response["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------ public code list


def _public_rows(request: HttpRequest) -> tuple[PublicCodeFilterForm, list[dict]]:
    form = PublicCodeFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    rows = services.public_code_list(filters)
    kinds = {"area": _("Planting area"), "packing_house": _("Packing house")}
    statuses = dict(CodeStatus.choices)
    for row in rows:
        row["kind_label"] = kinds.get(row["kind"], row["kind"])
        row["status_label"] = str(statuses.get(row["status"], row["status"]))
        approved = set(row["approved_markets"])
        row["market_marks"] = [{"code": m, "approved": m in approved} for m in row["markets"]]
    return form, rows


def public_codes(request: HttpRequest) -> HttpResponse:
    """The public register; in Chinese for who asks for it (web/chinese.py)."""
    asked = request.GET.get("lang", "")
    if wants_chinese(request):
        with chinese():
            response = _public_codes_page(request, "zh")
        response["Content-Language"] = "zh-Hans"
        return response
    if asked in ("vi", "en"):
        with translation.override(asked):
            return _public_codes_page(request, asked)
    return _public_codes_page(request, "")


def _public_codes_page(request: HttpRequest, lang: str) -> HttpResponse:
    form, rows = _public_rows(request)
    page = Paginator(rows, CODES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("lang", None)
    other = query.copy()
    if lang:
        query["lang"] = lang
    languages = []
    for code, name in (("vi", "Tiếng Việt"), ("en", "English"), ("zh", "中文")):
        other["lang"] = code
        languages.append(
            {"code": code, "name": name, "url": "?" + other.urlencode(), "current": code == lang}
        )
    response = render(
        request,
        "public/codes.html",
        {
            "form": form,
            "page": page,
            "total": len(rows),
            "query": query.urlencode(),
            "register_languages": languages,
        },
    )
    return response


#: Spreadsheet programs run cells starting with these as formulas: neutralise them.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _export_table(rows: list[dict]) -> tuple[list[str], list[list]]:
    header = [
        _("Code"),
        _("Kind"),
        _("Name"),
        _("Crop"),
        _("Province"),
        _("Commune / ward"),
        _("Area (ha)"),
        _("Status"),
        _("Markets"),
        _("Approved by importing country"),
        _("Issue date"),
    ]
    body = [
        [
            _cell(r["code"]),
            r["kind_label"],
            _cell(r["name"]),
            _cell(r["crop"]),
            r["province"],
            r["commune"],
            r["area_ha"],
            r["status_label"],
            ", ".join(r["markets"]),
            ", ".join(r["approved_markets"]),
            r["issued_at"] or "",
        ]
        for r in rows
    ]
    return header, body


def public_codes_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    _form, rows = _public_rows(request)
    header, body = _export_table(rows)
    filename = f"agritrace-codes-{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response.write("\ufeff")  # so spreadsheet programs read the Vietnamese as UTF-8
        writer = csv.writer(response)
        writer.writerow(header)
        for line in body:
            writer.writerow(["" if v is None else v for v in line])
    else:
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Codes"))
        sheet.append(header)
        for line in body:
            sheet.append(
                [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in line]
            )
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
