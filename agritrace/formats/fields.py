"""The date and date-time fields of every form. They read what is typed with the active
language's input formats (agritrace/formats/<lang>/formats.py, through Django's format
machinery): in Vietnamese 03/12/2026 is 3 December 2026, ISO 2026-12-03 is read in every
language, and a text that two of the language's forms read as different days (03/12/2026 in
English: 3 December or 12 March) is refused as ambiguous, with the message beside the field.

The widgets stay the browser's own pickers (`type="date"`, `type="datetime-local"`, whose
value is always ISO); where a browser shows no picker, the placeholder says the form to type.
"""

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import from_current_timezone
from django.utils import formats
from django.utils.translation import gettext

ISO_DATE = "%Y-%m-%d"
EXAMPLE = date(2026, 12, 3)


def _day_first() -> bool:
    """Whether the active language reads numeric dates day first and only so."""
    found = list(formats.get_format("DATE_INPUT_FORMATS"))
    return "%d/%m/%Y" in found and "%m/%d/%Y" not in found


def date_pattern() -> str:
    """The numeric form to type in the active language: dd/mm/yyyy or yyyy-mm-dd."""
    return "dd/mm/yyyy" if _day_first() else "yyyy-mm-dd"


def date_example() -> str:
    return EXAMPLE.strftime("%d/%m/%Y" if _day_first() else ISO_DATE)


def _readings(text: str, input_formats) -> set[datetime]:
    found = set()
    for fmt in input_formats:
        try:
            found.add(datetime.strptime(text, fmt))
        except (ValueError, TypeError):
            continue
    return found


def _shown(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _read(text: str, input_formats, *, with_time: bool) -> datetime:
    """The one reading of `text`, or a ValidationError: invalid, or ambiguous."""
    readings = _readings(text.strip(), input_formats)
    example = date_example() + (" 14:30" if with_time else "")
    pattern = date_pattern() + (" hh:mm" if with_time else "")
    if not readings:
        raise ValidationError(
            gettext("Enter a real date as %(pattern)s, for example %(example)s.")
            % {"pattern": pattern, "example": example},
            code="invalid",
        )
    if len({r.date() for r in readings}) > 1:
        first, second = sorted({r.date() for r in readings})[:2]
        raise ValidationError(
            gettext(
                "%(value)s can be read as %(first)s or as %(second)s: write it as "
                "%(pattern)s, for example %(example)s."
            )
            % {
                "value": text.strip(),
                "first": _shown(first),
                "second": _shown(second),
                "pattern": "yyyy-mm-dd" + (" hh:mm" if with_time else ""),
                "example": EXAMPLE.isoformat() + (" 14:30" if with_time else ""),
            },
            code="ambiguous",
        )
    return min(readings)


class DateInput(forms.DateInput):
    """The browser's date picker (ISO value); the placeholder for a browser without one."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None, format: str | None = None) -> None:
        super().__init__(attrs=attrs, format=format or ISO_DATE)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("placeholder", date_pattern())
        return context


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None, format: str | None = None) -> None:
        super().__init__(attrs=attrs, format=format or "%Y-%m-%dT%H:%M")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("placeholder", date_pattern() + " hh:mm")
        return context


class DateField(forms.DateField):
    """A date read in the active language's forms; ambiguous or unreal dates refused."""

    widget = DateInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return _read(str(value), self.input_formats, with_time=False).date()


class DateTimeField(forms.DateTimeField):
    """A date and time read in the active language's forms (a date alone is midnight)."""

    widget = DateTimeInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return from_current_timezone(value)
        if isinstance(value, date):
            return from_current_timezone(datetime(value.year, value.month, value.day))
        return from_current_timezone(_read(str(value), self.input_formats, with_time=True))
