"""Harvest forecasts and purchase plans: a season's expected tonnes from the plots and the
crop's yield, against what was harvested, and the inputs a cooperative plans to buy."""

import re
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, get_visible, require, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record
from agritrace.formats import shown_date
from agritrace.notifications.services import notify
from agritrace.registry.models import PlantingArea

from .models import (
    MASS,
    CropYield,
    DiaryEntry,
    EntryKind,
    Forecast,
    PurchasePlan,
)
from .quantities import decimal_field, plain_number, to_base

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
            % {"plan": plain_number(planned), "exp": plain_number(result.expected_t)}
        )
    if result.model_t and result.harvested_t > result.model_t * HARVEST_TOLERANCE:
        warnings.append(
            _("The harvests recorded (%(h)s t) exceed what %(ha)s ha can grow (%(m)s t).")
            % {
                "h": plain_number(result.harvested_t),
                "ha": plain_number(result.area_ha),
                "m": plain_number(result.model_t),
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
        tonnes = decimal_field(row.get("tonnes"), f"{key}.tonnes", _("Tonnes"), errors)
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
