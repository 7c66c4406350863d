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

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, get_visible, require, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.formats import shown_date
from agritrace.notifications.services import notify
from agritrace.numbers import number
from agritrace.registry.models import Crop, PlantingArea, Plot

from .models import (
    AREA,
    COUNT,
    MASS,
    UNIT_SCALE,
    VOLUME,
    CropYield,
    DiaryEntry,
    DiaryEntryRevision,
    DiaryFlag,
    DoseBasis,
    EntryKind,
    Fertiliser,
    FlagKind,
    Forecast,
    MarketIngredientRule,
    Pesticide,
    PesticidePHI,
    PurchasePlan,
    RegistrationStatus,
)

#: Kinds of entry that apply a plant-protection product (growth regulators used to induce
#: or hold flowers and fruit are plant-protection products in Vietnam's list too).
SPRAY_KINDS = (EntryKind.SPRAYING, EntryKind.FLOWER_FRUIT_TREATMENT)
FERTILISER_KINDS = (EntryKind.FERTILISING, EntryKind.FLOWER_FRUIT_TREATMENT)
#: Kinds that need a quantity.
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
#: Quantities above this are refused whatever the area.
ABSOLUTE_MAX = Decimal("100000000")
EARLIEST_DATE = date(1950, 1, 1)


# ------------------------------------------------------------------ units


def to_base(quantity: Decimal, unit: str) -> tuple[str, Decimal]:
    """(dimension, amount in kg, litres, pieces or hectares)."""
    dimension, factor = UNIT_SCALE[unit]
    return dimension, quantity * factor


def _decimal(raw, field: str, label: str, errors: dict) -> Decimal | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, bool):
        errors[field] = _("%(label)s must be a number.") % {"label": label}
        return None
    try:
        text = str(raw).strip().replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        value = Decimal(text)
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = _("%(label)s must be a number.") % {"label": label}
        return None
    if value <= 0:
        errors[field] = _("%(label)s must be more than zero.") % {"label": label}
        return None
    if value > ABSOLUTE_MAX:
        errors[field] = _("%(label)s of %(v)s is not plausible.") % {"label": label, "v": value}
        return None
    return value


def _date(raw, errors: dict) -> date | None:
    if raw in (None, ""):
        errors["date"] = _("Give the date.")
        return None
    if isinstance(raw, date):
        day = raw
    else:
        try:
            day = parse_date(str(raw).strip())
        except ValueError:
            day = None
        if day is None:
            errors["date"] = _("The date must look like 2026-03-15.")
            return None
    if day > timezone.localdate():
        errors["date"] = _("The date is in the future: record what has been done.")
    elif day < EARLIEST_DATE:
        errors["date"] = _("The date is too far in the past.")
    return day


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
    day = _date(data.get("date", instance.date if instance else None), errors)
    plot, area = _ground(actor, data, instance, errors)
    pesticide, fertiliser, other = _product(data, instance, kind, errors)
    product = pesticide or fertiliser
    quantity = _decimal(
        data.get("quantity", instance.quantity if instance else None),
        "quantity",
        _("The quantity"),
        errors,
    )
    unit = data.get("unit", instance.unit if instance else "") or ""
    spray_volume = _decimal(
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


# ------------------------------------------------------------------ the rules


def phi_for(pesticide: Pesticide, crop: Crop | None) -> PesticidePHI | None:
    if crop is None:
        return None
    return PesticidePHI.objects.filter(pesticide=pesticide, crop=crop).first()


def _sprays_on(target: Plot | PlantingArea) -> QuerySet:
    """Sprays with a catalogue product that reach the ground of `target`: for a plot, those
    on the plot and those on its whole area; for an area, all of them."""
    sprays = DiaryEntry.objects.filter(kind__in=SPRAY_KINDS, pesticide__isnull=False)
    if isinstance(target, Plot):
        q = Q(plot=target)
        if target.area_id:
            q |= Q(plot__isnull=True, area_id=target.area_id)
        return sprays.filter(q)
    return sprays.filter(Q(plot__area=target) | Q(plot__isnull=True, area=target))


def _harvests_on(spray: DiaryEntry) -> QuerySet:
    """Harvests on ground a spray reaches."""
    harvests = DiaryEntry.objects.filter(kind=EntryKind.HARVEST)
    if spray.plot_id:
        q = Q(plot_id=spray.plot_id)
        if spray.plot.area_id:
            q |= Q(plot__isnull=True, area_id=spray.plot.area_id)
        return harvests.filter(q)
    return harvests.filter(Q(plot__area_id=spray.area_id) | Q(area_id=spray.area_id))


@dataclass
class SprayWindow:
    spray: DiaryEntry
    phi_days: int | None
    lawful_from: date | None


def spray_windows(target: Plot | PlantingArea) -> list[SprayWindow]:
    """Each spray on the ground with the day its pre-harvest interval ends (None when the
    label gives no interval for this crop)."""
    crop = target.crop
    windows = []
    sprays = _sprays_on(target).select_related("pesticide", "plot").order_by("-date", "-pk")
    for spray in sprays:
        phi = phi_for(spray.pesticide, spray.plot.crop if spray.plot_id else crop)
        lawful = spray.date + timedelta(days=phi.phi_days) if phi else None
        windows.append(SprayWindow(spray, phi.phi_days if phi else None, lawful))
    return windows


def earliest_lawful_harvest(target: Plot | PlantingArea) -> date | None:
    """The first day on which every recorded spray's pre-harvest interval has run out; None
    when no spray with a known interval is recorded (nothing holds the harvest back)."""
    days = [w.lawful_from for w in spray_windows(target) if w.lawful_from]
    return max(days) if days else None


def harvest_window(target: Plot | PlantingArea) -> dict:
    """Context for the template include diary/_harvest_window.html."""
    today = timezone.localdate()
    windows = spray_windows(target)
    earliest = max((w.lawful_from for w in windows if w.lawful_from), default=None)
    return {
        "harvest_window": {
            "target": target,
            "earliest": earliest,
            "today": today,
            "lawful_now": earliest is None or earliest <= today,
            "days_left": (earliest - today).days if earliest and earliest > today else 0,
            "holding": [w for w in windows if w.lawful_from and w.lawful_from > today],
            "unknown": [w for w in windows if w.phi_days is None][:5],
            "recent": windows[:5],
        }
    }


def _finding(entry: DiaryEntry, kind: str, message: str, **extra) -> DiaryFlag:
    return DiaryFlag(entry=entry, kind=kind, message=message, **extra)


def check_entry(entry: DiaryEntry) -> list[DiaryFlag]:
    """The rules an entry breaks, as unsaved DiaryFlags (the caller keeps the new ones)."""
    findings: list[DiaryFlag] = []
    day = entry.date
    if entry.kind in SPRAY_KINDS:
        pesticide = entry.pesticide
        if pesticide is None and entry.other_product:
            findings.append(
                _finding(
                    entry,
                    FlagKind.UNREGISTERED_PRODUCT,
                    _("“%(p)s” is not in the catalogue of products permitted in Vietnam.")
                    % {"p": entry.other_product},
                )
            )
        if pesticide is not None:
            findings += _product_findings(entry, pesticide, day)
    if entry.kind == EntryKind.HARVEST:
        findings += _phi_findings(entry)
    return findings


def _lower_first(text: str) -> str:
    """'Banned in Vietnam' → 'banned in Vietnam' (lower() would lose the capital V)."""
    return text[:1].lower() + text[1:]


def _product_findings(entry: DiaryEntry, pesticide: Pesticide, day: date) -> list[DiaryFlag]:
    findings = []
    if pesticide.status in (RegistrationStatus.BANNED, RegistrationStatus.WITHDRAWN):
        findings.append(
            _finding(
                entry,
                FlagKind.BANNED_PRODUCT,
                _("%(p)s is %(s)s.")
                % {"p": pesticide, "s": _lower_first(str(pesticide.get_status_display()))},
                details={"source": pesticide.source},
            )
        )
    elif pesticide.status == RegistrationStatus.UNREGISTERED:
        findings.append(
            _finding(
                entry,
                FlagKind.UNREGISTERED_PRODUCT,
                _("%(p)s is not registered in Vietnam.") % {"p": pesticide},
                details={"source": pesticide.source},
            )
        )
    ingredients = [c.ingredient for c in pesticide.composition.select_related("ingredient")]
    if pesticide.status == RegistrationStatus.REGISTERED:
        for ingredient in ingredients:
            if ingredient.banned_on(day):
                findings.append(
                    _finding(
                        entry,
                        FlagKind.BANNED_PRODUCT,
                        _("%(p)s contains %(i)s, banned in Vietnam since %(d)s.")
                        % {
                            "p": pesticide,
                            "i": ingredient,
                            "d": shown_date(ingredient.banned_from)
                            if ingredient.banned_from
                            else "?",
                        },
                        ingredient=ingredient,
                        details={"source": ingredient.source},
                    )
                )
    area = entry.area or (entry.plot.area if entry.plot_id else None)
    if area is not None and ingredients:
        rules = MarketIngredientRule.objects.filter(
            market__in=area.markets.all(), ingredient__in=ingredients, allowed=False
        ).select_related("market", "ingredient")
        for rule in rules:
            findings.append(
                _finding(
                    entry,
                    FlagKind.MARKET_INGREDIENT,
                    _("%(i)s (in %(p)s) is not allowed for %(m)s, a target market of this area.")
                    % {"i": rule.ingredient, "p": pesticide, "m": rule.market},
                    market=rule.market,
                    ingredient=rule.ingredient,
                    details={"source": rule.source, "note": rule.note},
                )
            )
    dose = _dose_finding(entry, pesticide)
    if dose is not None:
        findings.append(dose)
    return findings


def _dose_finding(entry: DiaryEntry, pesticide: Pesticide) -> DiaryFlag | None:
    label = phi_for(pesticide, entry.crop)
    if label is None or label.max_dose is None or not label.max_dose_unit or not entry.quantity:
        return None
    used_dim, used = to_base(entry.quantity, entry.unit)
    max_dim, maximum = to_base(label.max_dose, label.max_dose_unit)
    if used_dim != max_dim:
        return None
    if label.dose_basis == DoseBasis.PER_HA:
        if not entry.treated_area_ha:
            return None
        dose = used / entry.treated_area_ha
        basis = _("per hectare")
    else:
        if not entry.spray_volume_l:
            return None
        dose = used / entry.spray_volume_l
        basis = _("per litre of spray water")
    if dose <= maximum:
        return None
    unit = "l" if used_dim == VOLUME else "kg"
    return _finding(
        entry,
        FlagKind.DOSE,
        _("%(dose)s %(unit)s %(basis)s is above the label's maximum of %(max)s %(unit)s.")
        % {
            "dose": _fmt(dose),
            "unit": unit,
            "basis": basis,
            "max": _fmt(maximum),
        },
        details={"dose": str(_q(dose)), "max": str(_q(maximum)), "basis": label.dose_basis},
    )


def _q(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"))


def _fmt(value: Decimal) -> str:
    text = f"{_q(value):f}".rstrip("0").rstrip(".")
    return text or "0"


def _phi_findings(harvest: DiaryEntry) -> list[DiaryFlag]:
    target = harvest.plot if harvest.plot_id else harvest.area
    if target is None:
        return []
    findings = []
    for window in spray_windows(target):
        spray = window.spray
        if window.lawful_from is None or spray.pk == harvest.pk:
            continue
        if spray.date <= harvest.date < window.lawful_from:
            findings.append(
                _finding(
                    harvest,
                    FlagKind.PHI,
                    _(
                        "Harvested on %(h)s, inside the %(n)d-day pre-harvest interval of "
                        "%(p)s sprayed on %(s)s: the earliest lawful harvest date is %(e)s."
                    )
                    % {
                        "h": shown_date(harvest.date),
                        "n": window.phi_days,
                        "p": spray.pesticide,
                        "s": shown_date(spray.date),
                        "e": shown_date(window.lawful_from),
                    },
                    related_entry=spray,
                    details={
                        "phi_days": window.phi_days,
                        "sprayed_on": spray.date.isoformat(),
                        "earliest_lawful_harvest": window.lawful_from.isoformat(),
                    },
                )
            )
    return findings


def _refresh_flags(entry: DiaryEntry) -> list[DiaryFlag]:
    """Keep the flags of an entry in step with the rules: new findings are saved, open flags
    that no longer apply are closed. A finding an officer has closed is not raised again.
    Returns the new flags."""
    findings = check_entry(entry)
    existing = list(entry.flags.all())
    open_by_key = {f.key: f for f in existing if f.is_open}
    closed_by_officer = {f.key for f in existing if not f.is_open and f.resolved_by_id}
    new = []
    for finding in findings:
        if finding.key in open_by_key:
            open_by_key.pop(finding.key)
        elif finding.key not in closed_by_officer:
            finding.save()
            new.append(finding)
    now = timezone.now()
    for stale in open_by_key.values():
        stale.resolved_at = now
        stale.resolution = _("No longer applies after the diary was changed.")
        stale.save(update_fields=["resolved_at", "resolution"])
    return new


def _flag_recipients(entry: DiaryEntry) -> list[Organisation]:
    area = entry.area or (entry.plot.area if entry.plot_id else None)
    if area is not None:
        representative, commune = area.representative, area.commune
    else:
        household = entry.plot.household
        representative, commune = household.representative, household.commune
    offices = Organisation.objects.filter(
        kind=OrgKind.PLANT_PROTECTION, unit_id=commune.province.pk
    )
    return [representative, *offices]


def _notify_flags(entry: DiaryEntry, flags: list[DiaryFlag]) -> None:
    if not flags:
        return
    notify(
        _flag_recipients(entry),
        _("Diary warning: %(entry)s") % {"entry": entry},
        "\n".join(f"- {f.message}" for f in flags),
        reverse("diary-entry", args=[entry.pk]),
    )


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


# ------------------------------------------------------------------ forecast and plan

SEASON_RE = re.compile(r"^(\d{4})(?:-([1-9]))?$")
#: Readers of a forecast and its purchase plan (commercial information).
FORECAST_READERS = {
    OrgKind.MINISTRY,
    OrgKind.PROVINCE,
    OrgKind.PLANT_PROTECTION,
    OrgKind.COMMUNE,
    OrgKind.REPRESENTATIVE,
}
#: Harvests recorded above this share of what the area can grow are suspicious.
HARVEST_TOLERANCE = Decimal("1.2")


def _season_dates(season: str, starts_on, ends_on, existing: Forecast | None):
    errors = {}
    match = SEASON_RE.match(season or "")
    if not match:
        raise ValidationError({"season": _("A season looks like 2026, or 2026-1 for the first.")})
    year = int(match.group(1))
    if not 2000 <= year <= timezone.localdate().year + 2:
        raise ValidationError({"season": _("The season's year is not plausible.")})
    for name, raw in (("starts_on", starts_on), ("ends_on", ends_on)):
        if raw not in (None, "") and not isinstance(raw, date):
            try:
                parsed = parse_date(str(raw))
            except ValueError:
                parsed = None
            if parsed is None:
                errors[name] = _("The date must look like 2026-03-15.")
            if name == "starts_on":
                starts_on = parsed
            else:
                ends_on = parsed
    if errors:
        raise ValidationError(errors)
    starts_on = starts_on or (existing.starts_on if existing else None)
    ends_on = ends_on or (existing.ends_on if existing else None)
    if starts_on is None and ends_on is None and match.group(2) is None:
        starts_on, ends_on = date(year, 1, 1), date(year, 12, 31)
    if starts_on is None:
        errors["starts_on"] = _("Give the day the season starts.")
    if ends_on is None:
        errors["ends_on"] = _("Give the day the season ends.")
    if not errors and ends_on < starts_on:
        errors["ends_on"] = _("The season ends before it starts.")
    elif not errors and (ends_on - starts_on).days > 400:
        errors["ends_on"] = _("A season lasts a year at most.")
    if errors:
        raise ValidationError(errors)
    return starts_on, ends_on


def harvested_tonnes(area: PlantingArea, starts_on: date, ends_on: date) -> Decimal:
    total = Decimal(0)
    harvests = DiaryEntry.objects.filter(
        Q(plot__area=area) | Q(plot__isnull=True, area=area),
        kind=EntryKind.HARVEST,
        date__range=(starts_on, ends_on),
        quantity__isnull=False,
    )
    for quantity, unit in harvests.values_list("quantity", "unit"):
        dimension, kg = to_base(quantity, unit)
        if dimension == MASS:
            total += kg
    return (total / 1000).quantize(Decimal("0.001"))


def _compute(forecast: Forecast) -> Forecast:
    area = forecast.area
    forecast.area_ha = area.measured_area_ha or area.declared_area_ha
    per_season = (
        Decimal(1)
        if SEASON_RE.match(forecast.season).group(2) is None
        else Decimal(max(area.harvests_per_year, 1))
    )
    data = CropYield.objects.filter(crop=area.crop).first()
    if data is not None:
        forecast.yield_t_per_ha = (data.tonnes_per_ha / per_season).quantize(Decimal("0.001"))
        forecast.yield_source = data.source[:300]
        forecast.model_t = (forecast.area_ha * forecast.yield_t_per_ha).quantize(Decimal("0.001"))
    elif area.expected_yield_t:
        forecast.yield_t_per_ha = Decimal(0)
        forecast.yield_source = _("no yield data for the crop: the yield declared for the area")
        forecast.model_t = Decimal(area.expected_yield_t)
    else:
        forecast.yield_t_per_ha = Decimal(0)
        forecast.yield_source = ""
        forecast.model_t = Decimal(0)
    forecast.harvested_t = harvested_tonnes(area, forecast.starts_on, forecast.ends_on)
    forecast.expected_t = max(forecast.model_t, forecast.harvested_t)
    forecast.computed_at = timezone.now()
    return forecast


def _forecast_area(actor: Actor, area: PlantingArea) -> PlantingArea:
    if actor.kind not in FORECAST_READERS:
        raise PermissionDenied(
            _("Harvest forecasts are for the representative and the authorities.")
        )
    return get_visible(actor, PlantingArea.objects.select_related("crop"), pk=area.pk)


def forecast(
    actor: Actor, area: PlantingArea, season: str, starts_on=None, ends_on=None
) -> Forecast:
    """The season's forecast, computed now (not saved: reading changes nothing)."""
    area = _forecast_area(actor, area)
    existing = Forecast.objects.filter(area=area, season=season).first()
    starts_on, ends_on = _season_dates(season, starts_on, ends_on, existing)
    result = existing or Forecast(area=area, season=season)
    result.starts_on, result.ends_on = starts_on, ends_on
    return _compute(result)


def forecast_warnings(result: Forecast) -> list[str]:
    warnings = []
    planned = result.planned_t if result.pk else Decimal(0)
    if planned > result.expected_t:
        warnings.append(
            _(
                "The purchase plan (%(plan)s t) is more than the area can give this season "
                "(%(exp)s t): produce from elsewhere must not be sold under this code."
            )
            % {"plan": _fmt(planned), "exp": _fmt(result.expected_t)}
        )
    if result.model_t and result.harvested_t > result.model_t * HARVEST_TOLERANCE:
        warnings.append(
            _("The harvests recorded (%(h)s t) exceed what %(ha)s ha can grow (%(m)s t).")
            % {
                "h": _fmt(result.harvested_t),
                "ha": _fmt(result.area_ha),
                "m": _fmt(result.model_t),
            }
        )
    if not result.model_t:
        warnings.append(_("No yield per hectare is known for this crop: the forecast is empty."))
    return warnings


def _month(raw, errors: dict, key: str) -> date | None:
    if isinstance(raw, date):
        return raw.replace(day=1)
    match = re.match(r"^(\d{4})-(\d{1,2})(?:-\d{1,2})?$", str(raw or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        errors[key] = _("A month looks like 2026-06.")
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


@transaction.atomic
def set_purchase_plan(
    actor: Actor,
    area: PlantingArea,
    season: str,
    rows: list[dict],
    starts_on=None,
    ends_on=None,
) -> Forecast:
    """Replace the representative's purchase plan for a season (all rows or none)."""
    require(actor, "keep_diary")
    if actor.kind != OrgKind.REPRESENTATIVE:
        raise PermissionDenied(_("The area's representative sets its purchase plan."))
    area = get_visible(actor, PlantingArea.objects.select_for_update(), pk=area.pk)
    existing = Forecast.objects.filter(area=area, season=season).first()
    starts_on, ends_on = _season_dates(season, starts_on, ends_on, existing)
    errors: dict[str, str] = {}
    clean_rows = []
    for i, row in enumerate(rows):
        key = f"plan[{i}]"
        if not isinstance(row, dict):
            errors[key] = _("Each row has a buyer, tonnes and a month.")
            continue
        buyer = str(row.get("buyer") or "").strip()
        if not buyer:
            errors[f"{key}.buyer"] = _("Name the buyer.")
        elif len(buyer) > 200:
            errors[f"{key}.buyer"] = _("The buyer's name is too long.")
        tonnes = _decimal(row.get("tonnes"), f"{key}.tonnes", _("Tonnes"), errors)
        if row.get("tonnes") in (None, ""):
            errors[f"{key}.tonnes"] = _("Give the tonnes to buy.")
        if tonnes is not None and tonnes > Decimal("1000000"):
            errors[f"{key}.tonnes"] = _("%(label)s of %(v)s is not plausible.") % {
                "label": _("Tonnes"),
                "v": tonnes,
            }
        month = _month(row.get("month"), errors, f"{key}.month")
        if month and not (starts_on.replace(day=1) <= month <= ends_on):
            errors[f"{key}.month"] = _("%(m)s is outside the season (%(a)s to %(b)s).") % {
                "m": month.strftime("%Y-%m"),
                "a": shown_date(starts_on),
                "b": shown_date(ends_on),
            }
        buyer_org = None
        if row.get("buyer_org"):
            buyer_org = (
                visible(actor, Organisation.objects.all())
                .filter(pk=row["buyer_org"], kind__in=[OrgKind.EXPORTER, OrgKind.PACKING_HOUSE])
                .first()
            )
            if buyer_org is None:
                errors[f"{key}.buyer_org"] = _("Choose an exporter or a packing house.")
        clean_rows.append((buyer, buyer_org, tonnes, month))
    if errors:
        raise ValidationError(errors)
    result = existing or Forecast(area=area, season=season)
    before = (
        {"plan": [[p.buyer, str(p.tonnes), p.month.isoformat()] for p in result.plan.all()]}
        if result.pk
        else None
    )
    result.starts_on, result.ends_on = starts_on, ends_on
    _compute(result)
    result.save()
    result.plan.all().delete()
    PurchasePlan.objects.bulk_create(
        PurchasePlan(forecast=result, buyer=b, buyer_org=o, tonnes=t, month=m)
        for b, o, t, m in clean_rows
    )
    after = {"plan": [[b, str(t), m.isoformat()] for b, _o, t, m in clean_rows]}
    record(actor.user, "forecast.plan", result, before, after)
    if result.over_capacity:
        offices = Organisation.objects.filter(
            kind=OrgKind.PLANT_PROTECTION, unit_id=area.commune.province.pk
        )
        notify(
            offices,
            _("Purchase plan above the harvest forecast: %(area)s") % {"area": area},
            forecast_warnings(result)[0],
            reverse("diary-forecast", args=[area.pk]) + f"?season={season}",
        )
    return result


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
