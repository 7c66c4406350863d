"""The farm diary's JSON API (mounted at /api/diary/): thin endpoints over diary.services and
diary.transfer. Reads go through access.visible() (an entry outside one's scope is a 404);
service errors become JSON through the handlers in agritrace/api.py (422 naming the fields,
403 for a role that may not)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from agritrace.accounts.access import Actor, get_visible
from agritrace.apiutil import actor as _actor
from agritrace.paging import Paging
from agritrace.registry.models import PlantingArea, Plot

from . import services, transfer
from .models import (
    ActiveIngredient,
    DiaryEntry,
    DiaryFlag,
    EntryKind,
    Fertiliser,
    FlagKind,
    MarketIngredientRule,
    Pesticide,
)
from .schemas import (
    CatalogueFilters,
    CatalogueImportOut,
    DiaryFlagOut,
    DiaryPlanIn,
    EntryCreatedOut,
    EntryFilters,
    EntryIn,
    EntryOut,
    EntryPatch,
    FertiliserOut,
    FlagFilters,
    ForecastOut,
    ForecastQuery,
    HarvestWindowOut,
    IngredientOut,
    PesticideOut,
    ResolveIn,
    RevisionOut,
    SeasonImportOut,
)

router = Router(tags=["diary"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _read_upload(file: UploadedFile) -> bytes:
    if file.size and file.size > transfer.MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    return file.read()


def _require_diary_reader(actor: Actor) -> None:
    if services.entries(actor).query.is_empty():
        raise PermissionDenied(_("Your organisation does not read farm diaries."))


# ------------------------------------------------------------------ entries


def _entries(actor: Actor):
    return services.entries(actor).prefetch_related(
        Prefetch("flags", queryset=DiaryFlag.objects.select_related("market", "ingredient"))
    )


@router.get("/entries", response=list[EntryOut], tags=["diary"])
@paginate(Paging)
def list_entries(request: HttpRequest, filters: Query[EntryFilters]):
    """The diary entries you may see, newest first."""
    actor = _actor(request)
    _require_diary_reader(actor)
    qs = _entries(actor)
    if filters.area:
        qs = qs.filter(Q(area_id=filters.area) | Q(plot__area_id=filters.area))
    if filters.plot:
        qs = qs.filter(plot_id=filters.plot)
    if filters.kind:
        if filters.kind not in EntryKind.values:
            raise ValidationError({"kind": _("Unknown kind of entry.")})
        qs = qs.filter(kind=filters.kind)
    if filters.since:
        qs = qs.filter(date__gte=filters.since)
    if filters.until:
        qs = qs.filter(date__lte=filters.until)
    if filters.flagged:
        qs = qs.filter(flags__resolved_at__isnull=True, flags__isnull=False).distinct()
    return qs


@router.post("/entries", response={201: EntryCreatedOut}, tags=["diary"])
def create_entry(request: HttpRequest, payload: EntryIn):
    """Record what was done. The entry is kept even when it breaks a rule; `new_flags` are
    the warnings to show to the person entering it."""
    actor = _actor(request)
    entry, flags = services.record_entry(actor, payload.model_dump())
    entry = get_visible(actor, _entries(actor), pk=entry.pk)
    entry.new_flags = flags
    return Status(201, entry)


@router.post("/entries/import", response=SeasonImportOut, tags=["diary"])
def import_season(request: HttpRequest, file: File[UploadedFile]):
    """A season of diary entries from an Excel workbook, all or nothing (columns: date, kind,
    household, plot, area, product, quantity, unit, spray_volume_l, notes)."""
    actor = _actor(request)
    return transfer.import_season(actor, _read_upload(file))


@router.get("/entries/{entry_id}", response=EntryOut, tags=["diary"])
def get_entry(request: HttpRequest, entry_id: int):
    return get_visible(_actor(request), _entries(_actor(request)), pk=entry_id)


@router.patch("/entries/{entry_id}", response=EntryCreatedOut, tags=["diary"])
def update_entry(request: HttpRequest, entry_id: int, payload: EntryPatch):
    """Correct an entry; the version it replaces is kept (GET .../revisions)."""
    actor = _actor(request)
    entry = get_visible(actor, DiaryEntry.objects.all(), pk=entry_id)
    _entry, flags = services.update_entry(actor, entry, payload.model_dump(exclude_unset=True))
    entry = get_visible(actor, _entries(actor), pk=entry_id)
    entry.new_flags = flags
    return entry


@router.get("/entries/{entry_id}/revisions", response=list[RevisionOut], tags=["diary"])
def entry_revisions(request: HttpRequest, entry_id: int):
    """Earlier versions of an entry, newest first."""
    entry = get_visible(_actor(request), DiaryEntry.objects.all(), pk=entry_id)
    return list(entry.revisions.select_related("replaced_by"))


# ------------------------------------------------------------------ flags


@router.get("/flags", response=list[DiaryFlagOut], tags=["diary"])
@paginate(Paging)
def list_flags(request: HttpRequest, filters: Query[FlagFilters]):
    """Diary flags you may see (open ones by default)."""
    actor = _actor(request)
    _require_diary_reader(actor)
    qs = services.flags(actor)
    if filters.status == "open":
        qs = qs.filter(resolved_at__isnull=True)
    elif filters.status == "closed":
        qs = qs.filter(resolved_at__isnull=False)
    elif filters.status != "all":
        raise ValidationError({"status": _("open, closed or all.")})
    if filters.area:
        qs = qs.filter(Q(entry__area_id=filters.area) | Q(entry__plot__area_id=filters.area))
    if filters.kind:
        if filters.kind not in FlagKind.values:
            raise ValidationError({"kind": _("Unknown kind of flag.")})
        qs = qs.filter(kind=filters.kind)
    return qs


@router.post("/flags/{flag_id}/resolve", response=DiaryFlagOut, tags=["diary"])
def resolve_flag(request: HttpRequest, flag_id: int, payload: ResolveIn):
    """An officer closes a flag, saying what was done about it."""
    actor = _actor(request)
    flag = get_visible(actor, DiaryFlag.objects.all(), pk=flag_id)
    return services.resolve_flag(actor, flag, payload.resolution)


# ------------------------------------------------------------------ harvest windows


def _window(target) -> dict:
    windows = services.spray_windows(target)
    earliest = services.earliest_lawful_harvest(target)
    today = timezone.localdate()
    return {
        "earliest_lawful_harvest": earliest,
        "lawful_now": earliest is None or earliest <= today,
        "days_left": (earliest - today).days if earliest and earliest > today else 0,
        "sprays": [
            {
                "entry_id": w.spray.pk,
                "date": w.spray.date,
                "product": str(w.spray.pesticide),
                "phi_days": w.phi_days,
                "lawful_from": w.lawful_from,
            }
            for w in windows
        ],
    }


@router.get("/plots/{plot_id}/harvest-window", response=HarvestWindowOut, tags=["diary"])
def plot_harvest_window(request: HttpRequest, plot_id: int):
    """The earliest lawful harvest of a plot: every spray's pre-harvest interval run out."""
    actor = _actor(request)
    _require_diary_reader(actor)
    return _window(get_visible(actor, Plot.objects.select_related("crop"), pk=plot_id))


@router.get("/areas/{area_id}/harvest-window", response=HarvestWindowOut, tags=["diary"])
def area_harvest_window(request: HttpRequest, area_id: int):
    actor = _actor(request)
    _require_diary_reader(actor)
    return _window(get_visible(actor, PlantingArea.objects.select_related("crop"), pk=area_id))


# ------------------------------------------------------------------ forecast


@router.get("/areas/{area_id}/forecast", response=ForecastOut, tags=["diary"])
def get_forecast(request: HttpRequest, area_id: int, query: Query[ForecastQuery]):
    """The season's expected harvest (area × yield, and the harvests recorded) against the
    representative's purchase plan."""
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=area_id)
    season = query.season or str(timezone.localdate().year)
    return services.forecast(actor, area, season, query.starts_on, query.ends_on)


@router.put("/areas/{area_id}/forecast/plan", response=ForecastOut, tags=["diary"])
def put_plan(request: HttpRequest, area_id: int, payload: DiaryPlanIn):
    """Replace the season's purchase plan (all rows); a plan above the forecast is kept and
    reported to the plant-protection office."""
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=area_id)
    rows = [r.model_dump() for r in payload.rows]
    return services.set_purchase_plan(
        actor, area, payload.season, rows, payload.starts_on, payload.ends_on
    )


# ------------------------------------------------------------------ catalogue


def _require_login(actor: Actor) -> None:
    if actor.is_public:
        raise PermissionDenied(_("Log in to read the input catalogue."))


@router.get("/catalogue/pesticides", response=list[PesticideOut], tags=["inputs"])
@paginate(Paging)
def list_pesticides(request: HttpRequest, filters: Query[CatalogueFilters]):
    _require_login(_actor(request))
    qs = Pesticide.objects.prefetch_related("composition__ingredient", "phis__crop")
    if filters.q:
        qs = qs.filter(
            Q(trade_name__icontains=filters.q)
            | Q(registration_number__icontains=filters.q)
            | Q(ingredients__name__icontains=filters.q)
        ).distinct()
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


@router.get("/catalogue/pesticides/{pesticide_id}", response=PesticideOut, tags=["inputs"])
def get_pesticide(request: HttpRequest, pesticide_id: int):
    from django.shortcuts import get_object_or_404

    _require_login(_actor(request))
    return get_object_or_404(
        Pesticide.objects.prefetch_related("composition__ingredient", "phis__crop"),
        pk=pesticide_id,
    )


@router.get("/catalogue/ingredients", response=list[IngredientOut], tags=["inputs"])
@paginate(Paging)
def list_ingredients(request: HttpRequest, filters: Query[CatalogueFilters]):
    """Active ingredients, whether banned in Vietnam, and the markets that do not accept
    them."""
    _require_login(_actor(request))
    qs = ActiveIngredient.objects.prefetch_related(
        Prefetch("market_rules", queryset=MarketIngredientRule.objects.select_related("market"))
    )
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    return qs


@router.get("/catalogue/fertilisers", response=list[FertiliserOut], tags=["inputs"])
@paginate(Paging)
def list_fertilisers(request: HttpRequest, filters: Query[CatalogueFilters]):
    _require_login(_actor(request))
    qs = Fertiliser.objects.all()
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    return qs


@router.post("/catalogue/import", response=CatalogueImportOut, tags=["inputs"])
def import_catalogue(request: HttpRequest, file: File[UploadedFile]):
    """Import the input catalogue from an Excel workbook (one sheet per table: ingredients,
    pesticides, phi, fertilisers, market_rules, crop_yields), all or nothing."""
    actor = _actor(request)
    result = transfer.import_catalogue(actor, _read_upload(file))
    return {
        "created": dict(result.created),
        "updated": dict(result.updated),
        "unchanged": result.unchanged,
        "summary": result.summary(),
    }


@router.get("/catalogue/export.xlsx", tags=["inputs"])
def export_catalogue(request: HttpRequest):
    """The whole catalogue as a workbook that the import reads back."""
    _require_login(_actor(request))
    response = HttpResponse(transfer.export_catalogue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="agritrace-inputs.xlsx"'
    return response
