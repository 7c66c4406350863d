"""Issue 17, item 2: typed dates are read day/month/year in Vietnamese (ISO always), shown so,
and an ambiguous or unreal date is refused with a message beside the field, on every form."""

import ast
from datetime import date, datetime
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.utils import formats, timezone, translation

from agritrace.formats.fields import DateField, DateTimeField


class OneDate(forms.Form):
    day = DateField()
    when = DateTimeField(required=False)


def read(value: str, lang: str, field: str = "day"):
    with translation.override(lang):
        form = OneDate({"day": "2026-01-01", field: value})
        return form.is_valid(), form.cleaned_data.get(field), form.errors.get(field, [])


def test_vietnamese_dates_are_day_first_and_iso_always():
    assert read("03/12/2026", "vi")[1] == date(2026, 12, 3)
    assert read("3/12/2026", "vi")[1] == date(2026, 12, 3)
    assert read("03-12-2026", "vi")[1] == date(2026, 12, 3)
    assert read("03.12.2026", "vi")[1] == date(2026, 12, 3)
    assert read("2026-12-03", "vi")[1] == date(2026, 12, 3)
    assert read(" 25/12/2026 ", "vi")[1] == date(2026, 12, 25)
    assert read("2026-12-03", "en")[1] == date(2026, 12, 3)
    assert read("3 Dec 2026", "en")[1] == date(2026, 12, 3)


@pytest.mark.parametrize("value", ["12/25/2026", "31/02/2026", "03/12/26", "hôm qua", "2026-13-01"])
def test_unreal_dates_are_refused_in_vietnamese_saying_the_form(value):
    ok, _day, errors = read(value, "vi")
    assert not ok
    assert errors == ["Hãy nhập một ngày có thật theo dạng dd/mm/yyyy, ví dụ 03/12/2026."]


def test_a_date_english_and_vietnamese_read_differently_is_refused_in_english():
    ok, _day, errors = read("03/12/2026", "en")
    assert not ok and errors[0].startswith("03/12/2026 can be read as March 12, 2026 or as")
    assert "Dec. 3, 2026" in errors[0] and "2026-12-03" in errors[0]
    assert read("12/25/2026", "en")[1] == date(2026, 12, 25)  # only one reading
    assert read("25/12/2026", "en")[1] == date(2026, 12, 25)
    assert read("05/05/2026", "en")[1] == date(2026, 5, 5)  # both readings agree


def test_date_and_time():
    ok, when, _e = read("03/12/2026 14:30", "vi", "when")
    assert ok and timezone.localtime(when).replace(tzinfo=None) == datetime(2026, 12, 3, 14, 30)
    assert read("2026-12-03T14:30", "en", "when")[1] is not None
    ok, _w, errors = read("03/12/2026 14:30", "en", "when")
    assert not ok and "can be read as" in errors[0]
    ok, _w, errors = read("14:30", "vi", "when")
    assert errors == [
        "Hãy nhập một ngày có thật theo dạng dd/mm/yyyy hh:mm, ví dụ 03/12/2026 14:30."
    ]


def test_dates_are_shown_day_first_in_vietnamese():
    day = date(2026, 12, 3)
    with translation.override("vi"):
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "03/12/2026"
        html = str(OneDate(initial={"day": day})["day"])
    assert 'type="date"' in html and 'value="2026-12-03"' in html  # the picker's value is ISO
    assert 'placeholder="dd/mm/yyyy"' in html  # what to type without a picker
    with translation.override("en"):
        # Not Django's en 12/03/2026, which a day-first reader takes for 12 March.
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "3 Dec 2026"
        assert 'placeholder="yyyy-mm-dd"' in str(OneDate()["day"])


def test_every_form_uses_the_shared_date_fields():
    """No form builds Django's own DateField/DateTimeField (which read 03/12/2026 as
    12 March in the default formats)."""
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts or path.name == "fields.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "forms"
                and node.attr in ("DateField", "DateTimeField", "DateInput", "DateTimeInput")
            ):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []
