"""Writing the farm diary and the rules checked when an entry is saved.

A diary records what happened, so an entry that breaks a rule is kept and flagged
(`DiaryFlag`), and the flag reaches the area's representative and the province's
plant-protection office. What cannot have happened (a date in the future, a harvest before
the planting, a negative quantity, litres of a granular fertiliser) is refused with a
ValidationError naming the field, and nothing is saved.

Units (UN/CEFACT Recommendation 20 codes) and what fits what, kept simple on purpose:

- a catalogue product is measured the way its physical form says: a liquid by volume
  (MLT, LTR, MTQ), a powder or granules by mass (GRM, KGM, TNE); so KGM for a spray is
  accepted only when the product is a powder or granules, LTR for a fertiliser only when it
  is liquid; a product named by hand (not in the catalogue) may be either;
- a harvest is weighed (GRM, KGM, TNE): the forecast adds harvests up in tonnes;
- irrigation is a volume; planting, pruning, bagging and other work a count of trees, fruits
  or bags (H87) or the hectares worked (HAR).

`dose_per_ha` is the product's kilograms or litres per hectare of the ground the entry is
about (the plot, or the area's measured surface).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, get_visible, require, visible
from agritrace.accounts.models import OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.formats import shown_date
from agritrace.numbers import number
from agritrace.registry.models import PlantingArea, Plot

from .forecasts import (  # noqa: F401  (the diary's services, as callers know them)
    FORECAST_READERS,
    HARVEST_TOLERANCE,
    SEASON_RE,
    forecast,
    forecast_warnings,
    harvested_tonnes,
    set_purchase_plan,
)
from .models import (
    AREA,
    COUNT,
    MASS,
    UNIT_SCALE,
    VOLUME,
    DiaryEntry,
    DiaryEntryRevision,
    DiaryFlag,
    EntryKind,
    Fertiliser,
    Pesticide,
    RegistrationStatus,
)
from .quantities import (  # noqa: F401
    ABSOLUTE_MAX,
    EARLIEST_DATE,
    FERTILISER_KINDS,
    SPRAY_KINDS,
    decimal_field,
    entry_date,
    to_base,
)
from .rules import (  # noqa: F401
    SprayWindow,
    _finding,
    _flag_recipients,
    _harvests_on,
    _notify_flags,
    _refresh_flags,
    _sprays_on,
    check_entry,
    earliest_lawful_harvest,
    harvest_window,
    phi_for,
    spray_windows,
)

QUANTITY_REQUIRED = (EntryKind.SPRAYING, EntryKind.FERTILISING, EntryKind.HARVEST)

#: The dimensions a quantity may have per kind of entry without a catalogue product.
KIND_DIMENSIONS: dict[str, tuple[str, ...]] = {
    EntryKind.PLANTING: (COUNT, AREA),
    EntryKind.IRRIGATION: (VOLUME,),
    EntryKind.PRUNING: (COUNT, AREA),
    EntryKind.FRUIT_BAGGING: (COUNT, AREA),
    EntryKind.FLOWER_FRUIT_TREATMENT: (COUNT, AREA, MASS, VOLUME),
    EntryKind.HARVEST: (MASS,),
    EntryKind.OTHER: (COUNT, AREA, MASS, VOLUME),
    EntryKind.SPRAYING: (MASS, VOLUME),
    EntryKind.FERTILISING: (MASS, VOLUME),
}

#: Above these amounts per hectare in one entry a quantity is taken for a typing mistake
#: (kg, litres, pieces or hectares per hectare; generous on purpose).
PLAUSIBLE_PER_HA: dict[str, Decimal] = {
    "harvest": Decimal("150000"),  # 150 t/ha in one entry
    "pesticide": Decimal("200"),  # 200 kg or l of product per ha
    "fertiliser": Decimal("50000"),  # 50 t/ha of manure
    "irrigation": Decimal("20000000"),  # 20,000 m³/ha
    "count": Decimal("100000"),  # trees, fruits or bags per ha
}

# ------------------------------------------------------------------ what an entry is about


def ground_area_ha(plot: Plot | None, area: PlantingArea | None) -> Decimal | None:
    """The surface an entry is about: the plot's measured area, or the whole area's."""
    if plot is not None:
        return Decimal(str(round(plot.area_m2 / 10_000, 4))) if plot.area_m2 else None
    if area is not None:
        surface = area.measured_area_ha or area.declared_area_ha
        return Decimal(surface) if surface else None
    return None


def _ground(actor: Actor, data: dict, instance: DiaryEntry | None, errors: dict):
    """The plot or whole area the actor records for (only their own)."""
    if instance is not None and "plot" not in data and "area" not in data:
        plot_id = instance.plot_id
        area_id = None if instance.plot_id else instance.area_id
    else:
        plot_id, area_id = data.get("plot"), data.get("area")
    if plot_id and area_id:
        errors["plot"] = _("Give a plot or a whole planting area, not both.")
        return None, None
    if plot_id:
        plot = (
            visible(actor, Plot.objects.select_related("household", "area", "crop"))
            .filter(pk=plot_id)
            .first()
            if str(plot_id).isdigit()
            else None
        )
        if plot is None:
            errors["plot"] = _("Choose one of your plots.")
            return None, None
        return plot, plot.area
    if area_id:
        if actor.kind == OrgKind.HOUSEHOLD:
            errors["area"] = _("A household records for its own plots: choose a plot.")
            return None, None
        area = (
            visible(actor, PlantingArea.objects.select_related("crop", "representative"))
            .filter(pk=area_id)
            .first()
            if str(area_id).isdigit()
            else None
        )
        if area is None:
            errors["area"] = _("Choose one of your planting areas.")
            return None, None
        return None, area
    errors["plot"] = _("Choose the plot (or the whole planting area) this is about.")
    return None, None


def _product(data: dict, instance: DiaryEntry | None, kind: str | None, errors: dict):
    def pick(model, field):
        raw = data.get(field, getattr(instance, f"{field}_id") if instance else None)
        if raw in (None, ""):
            return None
        found = model.objects.filter(pk=raw).first() if str(raw).isdigit() else None
        if found is None:
            errors[field] = _("Unknown product: choose one from the list.")
        return found

    pesticide = pick(Pesticide, "pesticide")
    fertiliser = pick(Fertiliser, "fertiliser")
    other = (data.get("other_product", instance.other_product if instance else "") or "").strip()
    if len(other) > 150:
        errors["other_product"] = _("The product name is too long.")
    if sum(1 for p in (pesticide, fertiliser, other) if p) > 1:
        errors["pesticide"] = _("Name one product per entry.")
        return None, None, ""
    if kind is None:
        return pesticide, fertiliser, other
    if pesticide and kind not in SPRAY_KINDS:
        errors["pesticide"] = _(
            "A plant-protection product goes with a spraying or a flower/fruit treatment."
        )
    if fertiliser and kind not in FERTILISER_KINDS:
        errors["fertiliser"] = _(
            "A fertiliser goes with a fertilising or a flower/fruit treatment."
        )
    if other and kind not in (*SPRAY_KINDS, *FERTILISER_KINDS):
        errors["other_product"] = _("Only sprays, fertilising and treatments name a product.")
    if kind == EntryKind.SPRAYING and not (pesticide or other):
        errors["pesticide"] = _("Choose the product sprayed (or type its name).")
    if kind == EntryKind.FERTILISING and not (fertiliser or other):
        errors["fertiliser"] = _("Choose the fertiliser (or type its name).")
    return pesticide, fertiliser, other


def _check_unit(kind: str, product, other: str, unit: str, errors: dict) -> None:
    dimension = UNIT_SCALE[unit][0]
    if product is not None:
        if dimension != product.measured_by:
            errors["unit"] = (
                _("%(p)s is a liquid: give its quantity in ml, l or m³.")
                if product.measured_by == VOLUME
                else _("%(p)s is a powder or granules: give its quantity in g, kg or t.")
            ) % {"p": product}
        return
    if other and dimension not in (MASS, VOLUME):
        errors["unit"] = _("Give the product's quantity by mass (g, kg, t) or volume (ml, l).")
        return
    allowed = KIND_DIMENSIONS[kind]
    if dimension not in allowed:
        if kind == EntryKind.HARVEST:
            errors["unit"] = _("A harvest is weighed: give it in kg or t.")
        elif kind == EntryKind.IRRIGATION:
            errors["unit"] = _("Irrigation is a volume of water: give it in l or m³.")
        else:
            errors["unit"] = _("This unit does not fit this kind of work.")


def _plausible(kind, product_kind, dimension, base: Decimal, ha: Decimal | None, errors) -> None:
    if not ha:
        return
    per_ha = base / ha
    if kind == EntryKind.HARVEST:
        limit = PLAUSIBLE_PER_HA["harvest"]
    elif product_kind == "pesticide":
        limit = PLAUSIBLE_PER_HA["pesticide"]
    elif product_kind == "fertiliser":
        limit = PLAUSIBLE_PER_HA["fertiliser"]
    elif dimension == VOLUME:
        limit = PLAUSIBLE_PER_HA["irrigation"]
    elif dimension == AREA:
        if base > ha * Decimal("1.05"):
            errors["quantity"] = _(
                "%(q)s ha is more than the %(ha)s ha of ground this entry is about."
            ) % {"q": base.normalize(), "ha": ha.normalize()}
        return
    else:
        limit = PLAUSIBLE_PER_HA["count"]
    if per_ha > limit:
        errors["quantity"] = _(
            "%(v)s per hectare is not plausible for %(ha)s ha: check the quantity and the unit."
        ) % {"v": number(per_ha, 0), "ha": number(ha)}


def _check_harvest_after_planting(day: date, plot, area, errors: dict, exclude=None) -> None:
    if plot is not None and plot.planting_year and day.year < plot.planting_year:
        errors["date"] = _("The harvest is before the planting year %(y)s of this plot.") % {
            "y": plot.planting_year
        }
        return
    plantings = DiaryEntry.objects.filter(kind=EntryKind.PLANTING)
    plantings = plantings.filter(plot=plot) if plot else plantings.filter(area=area, plot=None)
    if exclude is not None:
        plantings = plantings.exclude(pk=exclude)
    first = plantings.order_by("date").values_list("date", flat=True).first()
    if first is not None and day < first:
        errors["date"] = _("The harvest is before the planting recorded on %(d)s.") % {
            "d": shown_date(first)
        }


def clean_entry(actor: Actor, data: dict, instance: DiaryEntry | None = None) -> dict:
    """Check an entry's data; raise ValidationError {field: message} or return the values."""
    errors: dict[str, str] = {}
    kind = data.get("kind", instance.kind if instance else None)
    if kind not in EntryKind.values:
        errors["kind"] = _("Choose what was done.")
        kind = None
    day = entry_date(data.get("date", instance.date if instance else None), errors)
    plot, area = _ground(actor, data, instance, errors)
    pesticide, fertiliser, other = _product(data, instance, kind, errors)
    product = pesticide or fertiliser
    quantity = decimal_field(
        data.get("quantity", instance.quantity if instance else None),
        "quantity",
        _("The quantity"),
        errors,
    )
    unit = data.get("unit", instance.unit if instance else "") or ""
    spray_volume = decimal_field(
        data.get("spray_volume_l", instance.spray_volume_l if instance else None),
        "spray_volume_l",
        _("The spray water"),
        errors,
    )
    notes = str(data.get("notes", instance.notes if instance else "") or "").strip()
    if kind in QUANTITY_REQUIRED and quantity is None and "quantity" not in errors:
        errors["quantity"] = (
            _("Give the weight harvested.")
            if kind == EntryKind.HARVEST
            else _("Give the quantity of product used.")
        )
    if unit and unit not in UNIT_SCALE:
        errors["unit"] = _("Unknown unit “%(u)s”.") % {"u": unit}
    elif quantity is not None and not unit:
        errors["unit"] = _("Give the unit of the quantity.")
    elif unit and kind and "quantity" not in errors:
        _check_unit(kind, product, other, unit, errors)
    if spray_volume is not None and kind not in SPRAY_KINDS:
        errors["spray_volume_l"] = _("Spray water goes with a spraying or a treatment.")
    ha = ground_area_ha(plot, area)
    if quantity is not None and unit in UNIT_SCALE and not errors.get("unit"):
        dimension, base = to_base(quantity, unit)
        product_kind = (
            "pesticide"
            if (pesticide or (other and kind in SPRAY_KINDS))
            else ("fertiliser" if (fertiliser or other) else None)
        )
        _plausible(kind, product_kind, dimension, base, ha, errors)
    if kind == EntryKind.HARVEST and day and not errors.get("date") and (plot or area):
        _check_harvest_after_planting(
            day, plot, area, errors, exclude=instance.pk if instance else None
        )
    if errors:
        raise ValidationError(errors)
    dose = None
    if quantity is not None and ha and (product or other):
        dose = (to_base(quantity, unit)[1] / ha).quantize(Decimal("0.0001"))
    return {
        "kind": kind,
        "date": day,
        "plot": plot,
        "area": area,
        "recorded_for": plot.household if plot else None,
        "pesticide": pesticide,
        "fertiliser": fertiliser,
        "other_product": other,
        "quantity": quantity,
        "unit": unit if quantity is not None else "",
        "spray_volume_l": spray_volume,
        "treated_area_ha": ha,
        "dose_per_ha": dose,
        "notes": notes,
    }


# ------------------------------------------------------------------ writing entries


def _save_entry(
    actor: Actor, data: dict, notify_now: bool = True
) -> tuple[DiaryEntry, list[DiaryFlag]]:
    require(actor, "keep_diary")
    clean = clean_entry(actor, data)
    entry = DiaryEntry.objects.create(
        recorded_by=actor.user, recorded_by_org=actor.organisation, **clean
    )
    record(actor.user, "diary.create", entry, None, snapshot(entry))
    flags = _refresh_flags(entry)
    if notify_now:
        _notify_flags(entry, flags)
    if entry.kind in SPRAY_KINDS and entry.pesticide_id:
        flags += _recheck_harvests(entry, entry.date, notify_now)
    return entry, flags


def _recheck_harvests(spray: DiaryEntry, since: date, notify_now: bool) -> list[DiaryFlag]:
    """A spray recorded (or moved) after the harvest it concerns: check those harvests."""
    new = []
    for harvest in _harvests_on(spray).filter(date__gte=since).select_related("plot", "area"):
        flags = _refresh_flags(harvest)
        if notify_now:
            _notify_flags(harvest, flags)
        new += flags
    return new


@transaction.atomic
def record_entry(actor: Actor, data: dict) -> tuple[DiaryEntry, list[DiaryFlag]]:
    """Record what was done. Returns the entry and the flags it raised (new ones)."""
    return _save_entry(actor, data)


def require_may_change(actor: Actor, entry: DiaryEntry) -> None:
    """A household changes its own entries; a representative any entry of its members."""
    require(actor, "keep_diary")
    if actor.kind == OrgKind.HOUSEHOLD and (
        entry.recorded_for is None or entry.recorded_for.organisation_id != actor.organisation.pk
    ):
        raise PermissionDenied(_("A household changes only the entries of its own plots."))


@transaction.atomic
def update_entry(actor: Actor, entry: DiaryEntry, data: dict) -> tuple[DiaryEntry, list[DiaryFlag]]:
    """Change an entry; the version it replaces is kept as a revision."""
    entry = get_visible(
        actor,
        DiaryEntry.objects.select_for_update(of=("self",)).select_related(
            "plot", "area", "recorded_for"
        ),
        pk=entry.pk,
    )
    require_may_change(actor, entry)
    clean = clean_entry(actor, data, entry)
    if all(getattr(entry, key) == value for key, value in clean.items()):
        return entry, []
    before = snapshot(entry)
    old_date = entry.date
    for key, value in clean.items():
        setattr(entry, key, value)
    DiaryEntryRevision.objects.create(
        entry=entry,
        number=entry.revision,
        data=before,
        replaced_by=actor.user,
        reason=str(data.get("reason", "") or ""),
    )
    entry.revision += 1
    entry.save()
    record(actor.user, "diary.update", entry, before, snapshot(entry), data.get("reason", ""))
    flags = _refresh_flags(entry)
    _notify_flags(entry, flags)
    if entry.kind in SPRAY_KINDS:
        flags += _recheck_harvests(entry, min(old_date, entry.date), True)
    return entry, flags


@transaction.atomic
def resolve_flag(actor: Actor, flag: DiaryFlag, resolution: str) -> DiaryFlag:
    """An officer closes a flag, saying what was done about it."""
    require(actor, "resolve_diary_flag")
    flag = get_visible(actor, DiaryFlag.objects.select_for_update(), pk=flag.pk)
    if not flag.is_open:
        raise ValidationError({"flag": _("This flag is already closed.")})
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("Say what was done about it.")})
    before = snapshot(flag)
    flag.resolved_at = timezone.now()
    flag.resolved_by = actor.user
    flag.resolution = resolution
    flag.save()
    record(actor.user, "diary.flag_resolve", flag, before, snapshot(flag), resolution)
    return flag


def open_flags(area: PlantingArea) -> QuerySet:
    """Open diary flags on an area (entries on its plots and on the whole area); the risk
    score reads these. Not scoped: callers decide who sees the result."""
    return DiaryFlag.objects.filter(resolved_at__isnull=True).filter(
        Q(entry__plot__area=area) | Q(entry__plot__isnull=True, entry__area=area)
    )


def entries(actor: Actor) -> QuerySet:
    """The diary entries the actor may see."""
    return visible(
        actor,
        DiaryEntry.objects.select_related(
            "plot__household",
            "plot__crop",
            "area__crop",
            "pesticide",
            "fertiliser",
            "recorded_by",
            "recorded_for",
        ),
    )


def flags(actor: Actor) -> QuerySet:
    return visible(
        actor,
        DiaryFlag.objects.select_related(
            "entry__plot__household", "entry__area", "market", "ingredient"
        ),
    )


def recordable_grounds(actor: Actor) -> tuple[QuerySet, QuerySet]:
    """Plots and whole areas the actor may write diary entries for."""
    if actor.kind not in (OrgKind.HOUSEHOLD, OrgKind.REPRESENTATIVE):
        return Plot.objects.none(), PlantingArea.objects.none()
    plots = visible(actor, Plot.objects.select_related("household", "area")).order_by(
        "household__name", "label"
    )
    areas = (
        visible(actor, PlantingArea.objects.all()).order_by("name")
        if actor.kind == OrgKind.REPRESENTATIVE
        else PlantingArea.objects.none()
    )
    return plots, areas


# ------------------------------------------------------------------ catalogue edits


@transaction.atomic
def update_pesticide(actor: Actor, pesticide: Pesticide, data: dict) -> Pesticide:
    """The authority changes a product's registration: its status, number, source."""
    require(actor, "manage_catalogue")
    pesticide = Pesticide.objects.select_for_update().get(pk=pesticide.pk)
    errors = {}
    status = data.get("status", pesticide.status)
    if status not in RegistrationStatus.values:
        errors["status"] = _("Choose a registration status.")
    number = str(data.get("registration_number", pesticide.registration_number) or "").strip()
    if len(number) > 60:
        errors["registration_number"] = _("The registration number is too long.")
    source = str(data.get("source", "") or "").strip()
    if not source:
        errors["source"] = _("Say where this comes from (the decision or list, with its date).")
    elif len(source) > 300:
        errors["source"] = _("Keep the source under 300 characters.")
    source_date = data.get("source_date")
    if source_date and not isinstance(source_date, date):
        try:
            source_date = parse_date(str(source_date))
        except ValueError:
            source_date = None
        if source_date is None:
            errors["source_date"] = _("The date must look like 2026-03-15.")
    if isinstance(source_date, date) and source_date > timezone.localdate():
        errors["source_date"] = _("The date is in the future.")
    if errors:
        raise ValidationError(errors)
    before = snapshot(pesticide)
    pesticide.status = status
    pesticide.registration_number = number
    pesticide.source = source
    pesticide.source_date = source_date or None
    pesticide.save()
    record(
        actor.user,
        "inputs.pesticides.update",
        pesticide,
        before,
        snapshot(pesticide),
        data.get("reason", ""),
    )
    return pesticide
