"""Pages of the farm diary: the actor's diary home, the quick entry form (made for a phone),
an entry with its flags and earlier versions, a plot's or an area's diary with its harvest
window, the flags, the harvest forecast against the purchase plan, season and catalogue
imports. Thin: scope through accounts.access, rules in diary.services."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from agritrace.accounts.access import Actor, can, get_visible, require, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.registry.models import PlantingArea, Plot

from . import services, transfer
from .forms import (
    EntryForm,
    PesticideForm,
    PlanFormSet,
    ResolveForm,
    UploadForm,
    add_service_errors,
    entry_initial,
    product_units,
)
from .models import (
    ActiveIngredient,
    CropYield,
    DiaryFlag,
    EntryKind,
    Fertiliser,
    MarketIngredientRule,
    Pesticide,
    RegistrationStatus,
)

ENTRIES_PER_PAGE = 50


def _actor(request: HttpRequest) -> Actor:
    current = getattr(request, "_actor", None)
    if current is None:
        current = Actor.of(request.user)
        request._actor = current
    return current


def _reads_diaries(actor: Actor) -> bool:
    return not services.entries(actor).query.is_empty()


def _require_reader(actor: Actor) -> None:
    if not _reads_diaries(actor):
        raise PermissionDenied(_("Your organisation does not keep or supervise farm diaries."))


def _flags_with_entries():
    return DiaryFlag.objects.select_related(
        "entry__plot__household", "entry__area", "market", "ingredient"
    )


# ------------------------------------------------------------------ home


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    reads = _reads_diaries(actor)
    context = {
        "reads": reads,
        "keeps": can(actor, "keep_diary"),
        "manages_catalogue": can(actor, "manage_catalogue"),
    }
    if reads:
        context["entries"] = services.entries(actor)[:15]
        context["open_flags"] = visible(actor, _flags_with_entries()).filter(
            resolved_at__isnull=True
        )[:15]
        context["open_flag_count"] = (
            visible(actor, DiaryFlag.objects.all()).filter(resolved_at__isnull=True).count()
        )
    if actor.kind == OrgKind.HOUSEHOLD:
        plots = visible(actor, Plot.objects.select_related("area", "crop")).order_by("label")
        context["plots"] = [(plot, services.earliest_lawful_harvest(plot)) for plot in plots[:30]]
        context["today"] = timezone.localdate()
    elif reads:
        context["areas"] = (
            visible(actor, PlantingArea.objects.select_related("crop"))
            .annotate(entry_count=Count("diary_entries"))
            .order_by("name")[:50]
        )
    return render(request, "diary/home.html", context)


# ------------------------------------------------------------------ entries


def _entry_form(actor: Actor, *args, **kwargs) -> EntryForm:
    plots, areas = services.recordable_grounds(actor)
    return EntryForm(*args, plots=plots, areas=areas, **kwargs)


def _flag_messages(request: HttpRequest, flags: list[DiaryFlag]) -> None:
    if flags:
        messages.warning(
            request,
            ngettext(
                "Kept, with %(n)d warning: see below. The representative and the "
                "plant-protection office have been told.",
                "Kept, with %(n)d warnings: see below. The representative and the "
                "plant-protection office have been told.",
                len(flags),
            )
            % {"n": len(flags)},
            extra_tags="diary-flag",
        )


@login_required
@require_http_methods(["GET", "POST"])
def entry_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, "keep_diary")
    if request.method == "POST":
        form = _entry_form(actor, request.POST)
        if form.is_valid():
            try:
                entry, flags = services.record_entry(actor, form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if flags:
                    _flag_messages(request, flags)
                else:
                    messages.success(request, _("Saved: %(entry)s.") % {"entry": entry})
                return redirect("diary-entry", pk=entry.pk)
    else:
        initial = {}
        if request.GET.get("kind") in EntryKind.values:
            initial["kind"] = request.GET["kind"]
        for key in ("plot", "area"):
            if request.GET.get(key, "").isdigit():
                initial["ground"] = f"{key}:{request.GET[key]}"
        form = _entry_form(actor, initial=initial)
    return render(
        request,
        "diary/entry_form.html",
        {"form": form, "entry": None, "product_units": product_units()},
    )


@login_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    entry = get_visible(
        actor,
        services.entries(actor).prefetch_related(
            Prefetch("flags", queryset=_flags_with_entries().select_related("related_entry"))
        ),
        pk=pk,
    )
    try:
        services.require_may_change(actor, entry)
        may_change = True
    except PermissionDenied:
        may_change = False
    return render(
        request,
        "diary/entry_detail.html",
        {
            "entry": entry,
            "flags": list(entry.flags.all()),
            "revisions": entry.revisions.select_related("replaced_by"),
            "may_change": may_change,
            "may_resolve": can(actor, "resolve_diary_flag"),
            "resolve_form": ResolveForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    entry = get_visible(actor, services.entries(actor), pk=pk)
    services.require_may_change(actor, entry)
    if request.method == "POST":
        form = _entry_form(actor, request.POST, editing=True)
        if form.is_valid():
            try:
                entry, flags = services.update_entry(actor, entry, form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The entry was changed; the earlier version is kept."))
                _flag_messages(request, flags)
                return redirect("diary-entry", pk=entry.pk)
    else:
        form = _entry_form(actor, initial=entry_initial(entry), editing=True)
    return render(
        request,
        "diary/entry_form.html",
        {"form": form, "entry": entry, "product_units": product_units()},
    )


# ------------------------------------------------------------------ a plot's or an area's diary


def _ground_page(request, actor, target, entries, flags) -> HttpResponse:
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "target": target,
        "is_area": isinstance(target, PlantingArea),
        "page": page,
        "open_flags": flags.filter(resolved_at__isnull=True),
        "keeps": can(actor, "keep_diary"),
        "reads_forecast": actor.kind in services.FORECAST_READERS,
    }
    context.update(services.harvest_window(target))
    return render(request, "diary/ground.html", context)


@login_required
def area_diary(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    _require_reader(actor)
    area = get_visible(actor, PlantingArea.objects.select_related("crop", "commune"), pk=pk)
    entries = services.entries(actor).filter(Q(area=area) | Q(plot__area=area))
    flags = visible(actor, _flags_with_entries()).filter(
        Q(entry__area=area) | Q(entry__plot__area=area)
    )
    return _ground_page(request, actor, area, entries, flags)


@login_required
def plot_diary(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    _require_reader(actor)
    plot = get_visible(actor, Plot.objects.select_related("household", "area", "crop"), pk=pk)
    q = Q(plot=plot)
    if plot.area_id:
        q |= Q(plot__isnull=True, area_id=plot.area_id)
    entries = services.entries(actor).filter(q)
    flags = visible(actor, _flags_with_entries()).filter(entry__plot=plot)
    return _ground_page(request, actor, plot, entries, flags)


# ------------------------------------------------------------------ flags


@login_required
def flag_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require_reader(actor)
    status = request.GET.get("status", "open")
    flags = visible(actor, _flags_with_entries())
    if status == "open":
        flags = flags.filter(resolved_at__isnull=True)
    elif status == "closed":
        flags = flags.filter(resolved_at__isnull=False)
    page = Paginator(flags, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "diary/flags.html",
        {
            "page": page,
            "status": status,
            "query": urlencode({"status": status}),
            "may_resolve": can(actor, "resolve_diary_flag"),
            "resolve_form": ResolveForm(),
        },
    )


@login_required
@require_POST
def flag_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    flag = get_visible(actor, DiaryFlag.objects.all(), pk=pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            services.resolve_flag(actor, flag, form.cleaned_data["resolution"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The flag is closed."))
    else:
        messages.error(request, _("Say what was done about it."))
    return redirect("diary-entry", pk=flag.entry_id)


# ------------------------------------------------------------------ forecast


@login_required
@require_http_methods(["GET", "POST"])
def forecast(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.select_related("crop"), pk=pk)
    season = (request.POST.get("season") or request.GET.get("season") or "").strip() or str(
        timezone.localdate().year
    )
    may_plan = actor.kind == OrgKind.REPRESENTATIVE and can(actor, "keep_diary")
    buyers = visible(
        actor, Organisation.objects.filter(kind__in=[OrgKind.EXPORTER, OrgKind.PACKING_HOUSE])
    )
    problems: list[str] = []
    formset = None
    if request.method == "POST":
        if not may_plan:
            raise PermissionDenied(_("The area's representative sets its purchase plan."))
        formset = PlanFormSet(request.POST, form_kwargs={"buyers": buyers})
        if formset.is_valid():
            rows, positions = [], []
            for i, form in enumerate(formset.forms):
                if form.is_blank():
                    continue
                data = form.cleaned_data
                rows.append(
                    {
                        "buyer": data.get("buyer")
                        or (str(data["buyer_org"]) if data.get("buyer_org") else ""),
                        "buyer_org": data["buyer_org"].pk if data.get("buyer_org") else None,
                        "tonnes": data.get("tonnes"),
                        "month": data.get("month"),
                    }
                )
                positions.append(i)
            try:
                services.set_purchase_plan(
                    actor,
                    area,
                    season,
                    rows,
                    request.POST.get("starts_on") or None,
                    request.POST.get("ends_on") or None,
                )
            except ValidationError as exc:
                problems = _plan_errors(exc, formset, positions)
            else:
                messages.success(request, _("The purchase plan is saved."))
                return redirect(f"{request.path}?season={season}")
    try:
        result = services.forecast(
            actor, area, season, request.GET.get("starts_on"), request.GET.get("ends_on")
        )
    except ValidationError as exc:
        problems += [m for ms in exc.message_dict.values() for m in ms]
        result = None
        season = str(timezone.localdate().year)
    if formset is None and may_plan:
        initial = []
        if result is not None and result.pk:
            initial = [
                {
                    "buyer": p.buyer,
                    "buyer_org": p.buyer_org_id,
                    "tonnes": f"{p.tonnes.normalize():f}",
                    "month": p.month.strftime("%Y-%m"),
                }
                for p in result.plan.all()
            ]
        formset = PlanFormSet(initial=initial, form_kwargs={"buyers": buyers})
    return render(
        request,
        "diary/forecast.html",
        {
            "area": area,
            "season": season,
            "forecast": result,
            "warnings": services.forecast_warnings(result) if result else [],
            "plan": list(result.plan.all()) if result is not None and result.pk else [],
            "formset": formset,
            "may_plan": may_plan,
            "problems": problems,
        },
    )


def _plan_errors(exc: ValidationError, formset, positions: list[int]) -> list[str]:
    """Put 'plan[i].field' errors beside row i of the formset; return the others."""
    import re

    others = []
    for key, msgs in exc.message_dict.items():
        match = re.match(r"^plan\[(\d+)\](?:\.(\w+))?$", key)
        if match and int(match.group(1)) < len(positions):
            form = formset.forms[positions[int(match.group(1))]]
            field = match.group(2)
            for message in msgs:
                form.add_error(field if field in form.fields else None, message)
        else:
            others += msgs
    return others


# ------------------------------------------------------------------ season import


@login_required
@require_http_methods(["GET", "POST"])
def season_import(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, "keep_diary")
    if actor.kind != OrgKind.REPRESENTATIVE:
        raise PermissionDenied(_("A representative imports a season for its members."))
    problems: list[str] = []
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = transfer.import_season(actor, form.cleaned_data["file"].read())
            except transfer.ImportFailed as exc:
                problems = exc.problems
            else:
                messages.success(
                    request,
                    _("Imported %(n)d diary entries; %(f)d warning(s).")
                    % {"n": result.entries, "f": result.flags},
                )
                return redirect("diary-home")
    else:
        form = UploadForm()
    return render(
        request,
        "diary/import.html",
        {
            "form": form,
            "problems": problems,
            "title": _("Import a season of diary entries"),
            "columns": transfer.SEASON_COLUMNS,
            "kinds": EntryKind.values,
        },
    )


# ------------------------------------------------------------------ the input catalogue

CATALOGUE_TABS = ("pesticides", "ingredients", "fertilisers", "markets", "yields")


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    tab = request.GET.get("tab", "pesticides")
    if tab not in CATALOGUE_TABS:
        raise Http404
    q = request.GET.get("q", "").strip()
    context = {"tab": tab, "q": q, "manages": can(actor, "manage_catalogue")}
    if tab == "pesticides":
        rows = Pesticide.objects.prefetch_related("composition__ingredient")
        if q:
            rows = rows.filter(
                Q(trade_name__icontains=q)
                | Q(registration_number__icontains=q)
                | Q(ingredients__name__icontains=q)
            ).distinct()
        status = request.GET.get("status", "")
        if status in RegistrationStatus.values:
            rows = rows.filter(status=status)
        context["status"] = status
        context["statuses"] = RegistrationStatus.choices
    elif tab == "ingredients":
        rows = ActiveIngredient.objects.prefetch_related("market_rules__market")
        if q:
            rows = rows.filter(Q(name__icontains=q) | Q(cas_number__icontains=q))
    elif tab == "fertilisers":
        rows = Fertiliser.objects.all()
        if q:
            rows = rows.filter(name__icontains=q)
    elif tab == "markets":
        rows = MarketIngredientRule.objects.select_related("market", "ingredient")
        if q:
            rows = rows.filter(Q(ingredient__name__icontains=q) | Q(market__code__iexact=q))
    else:
        rows = CropYield.objects.select_related("crop")
    context["page"] = Paginator(rows, 100).get_page(request.GET.get("page"))
    context["query"] = urlencode(
        {k: v for k, v in (("tab", tab), ("q", q), ("status", context.get("status"))) if v}
    )
    return render(request, "diary/catalogue.html", context)


@login_required
def pesticide_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    pesticide = get_object_or_404(
        Pesticide.objects.prefetch_related("composition__ingredient", "phis__crop"), pk=pk
    )
    return render(
        request,
        "diary/pesticide_detail.html",
        {"pesticide": pesticide, "manages": can(actor, "manage_catalogue")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def pesticide_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    require(actor, "manage_catalogue")
    pesticide = get_object_or_404(Pesticide, pk=pk)
    if request.method == "POST":
        form = PesticideForm(request.POST)
        if form.is_valid():
            try:
                services.update_pesticide(actor, pesticide, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The product's registration is saved."))
                return redirect("diary-pesticide", pk=pesticide.pk)
    else:
        form = PesticideForm(
            initial={
                "status": pesticide.status,
                "registration_number": pesticide.registration_number,
                "source": pesticide.source,
                "source_date": pesticide.source_date,
            }
        )
    return render(request, "diary/pesticide_form.html", {"form": form, "pesticide": pesticide})


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_import(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, "manage_catalogue")
    problems: list[str] = []
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = transfer.import_catalogue(actor, form.cleaned_data["file"].read())
            except transfer.ImportFailed as exc:
                problems = exc.problems
            else:
                messages.success(request, _("Catalogue imported: %(s)s.") % {"s": result.summary()})
                return redirect("diary-catalogue")
    else:
        form = UploadForm()
    return render(
        request,
        "diary/import.html",
        {
            "form": form,
            "problems": problems,
            "title": _("Import the input catalogue"),
            "sheets": transfer.CATALOGUE_SHEETS,
        },
    )


@login_required
def catalogue_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        transfer.export_catalogue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="agritrace-inputs.xlsx"'
    return response
