"""What the diary's modules share: the kinds of entry that apply products, quantities as typed
and converted to base units, the dates an entry may have."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from .models import (
    UNIT_SCALE,
    EntryKind,
)

#: Kinds of entry that apply a plant-protection product (growth regulators used to induce
#: or hold flowers and fruit are plant-protection products in Vietnam's list too).
SPRAY_KINDS = (EntryKind.SPRAYING, EntryKind.FLOWER_FRUIT_TREATMENT)
FERTILISER_KINDS = (EntryKind.FERTILISING, EntryKind.FLOWER_FRUIT_TREATMENT)
#: Kinds that need a quantity.
#: Quantities above this are refused whatever the area.
ABSOLUTE_MAX = Decimal("100000000")
EARLIEST_DATE = date(1950, 1, 1)


def to_base(quantity: Decimal, unit: str) -> tuple[str, Decimal]:
    """(dimension, amount in kg, litres, pieces or hectares)."""
    dimension, factor = UNIT_SCALE[unit]
    return dimension, quantity * factor


def decimal_field(raw, field: str, label: str, errors: dict) -> Decimal | None:
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


def entry_date(raw, errors: dict) -> date | None:
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


def q4(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"))


def plain_number(value: Decimal) -> str:
    text = f"{q4(value):f}".rstrip("0").rstrip(".")
    return text or "0"
