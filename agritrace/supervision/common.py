"""What the supervision services share: the codes watched, typed dates and numbers, the holder of a
code and its organisations, the province of the actor, active ingredients by name."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from agritrace.accounts.access import (
    Actor,
    get_visible,
)
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.diary.models import ActiveIngredient
from agritrace.places.models import AdminUnit, Level, Tree
from agritrace.registry.models import CodeStatus, PackingHouse, PlantingArea

from .catalogue import ingredient_for

Holder = PlantingArea | PackingHouse

#: Codes that are watched: issued ones, and suspended ones until they are reinstated or revoked.
WATCHED = [CodeStatus.ISSUED, CodeStatus.SUSPENDED]


def _today() -> date:
    return timezone.localdate()


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # pages not wired (e.g. in a stripped-down URLconf)
        return ""


def _as_date(value: Any, field: str, errors: dict, required: bool = True) -> date | None:
    if value in (None, ""):
        if required:
            errors[field] = _("This date is required.")
        return None
    if isinstance(value, date):
        return value
    parsed = parse_date(str(value)) if isinstance(value, str) else None
    if parsed is None:
        errors[field] = _("Give a date as YYYY-MM-DD.")
    return parsed


def _as_decimal(value: Any, field: str, errors: dict, required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            errors[field] = _("This number is required.")
        return None
    if isinstance(value, bool):
        errors[field] = _("Give a number.")
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        errors[field] = _("Give a number.")
        return None
    if not number.is_finite():
        errors[field] = _("Give a number.")
        return None
    return number


def _visible_holder(actor: Actor, holder: Holder) -> Holder:
    return get_visible(actor, type(holder).objects.all(), pk=holder.pk)


def _authorities(province: AdminUnit) -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            kind__in=[OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION], unit=province
        )
    )


def _holder_orgs(holder: Holder) -> list[Organisation]:
    """Who hears about findings at a code: its holder and the commune it lies in."""
    orgs = list(Organisation.objects.filter(kind=OrgKind.COMMUNE, unit_id=holder.commune_id))
    orgs.append(holder.representative if isinstance(holder, PlantingArea) else holder.operator)
    return orgs


def _holder_filter(holder: Holder, prefix: str = "") -> Q:
    if isinstance(holder, PlantingArea):
        return Q(**{f"{prefix}area": holder})
    return Q(**{f"{prefix}packing_house": holder})


def _own_province(actor: Actor, province: AdminUnit | int | None) -> AdminUnit:
    """The province an officer works in; naming another one is refused by field."""
    if isinstance(province, AdminUnit):
        unit = province
    else:
        unit = AdminUnit.objects.filter(
            pk=province, tree=Tree.CURRENT, level=Level.PROVINCE
        ).first()
    if unit is None or unit.level != Level.PROVINCE:
        raise ValidationError({"province": _("Choose a province of the current map.")})
    if actor.province_id is not None and unit.pk != actor.province_id:
        raise ValidationError({"province": _("This province is not yours.")})
    return unit


def normalise_ingredient(name: Any) -> str:
    return " ".join(str(name or "").split()).lower()


def find_ingredient(ref: Any) -> ActiveIngredient | None:
    """The input catalogue's active ingredient named `ref` (any case, or a known synonym
    such as chlorpyrifos for chlorpyrifos ethyl), or with that id; None when there is none."""
    if isinstance(ref, ActiveIngredient):
        return ref
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        return ActiveIngredient.objects.filter(pk=int(ref)).first()
    return ingredient_for(ActiveIngredient, ref, create=False)
