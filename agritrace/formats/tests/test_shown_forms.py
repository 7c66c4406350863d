"""Issue 17, item 11: numbers and dates on pages in the language's form, never both forms on
one page. Vietnamese: 1,20 ha, 10.000 ha, 03/12/2026; English: 1.20 ha, 10,000 ha,
3 Dec 2026 (which no reader takes for 12 March)."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from agritrace.numbers import number
from agritrace.registry import geometry
from conftest import make_area, square

TEMPLATES = Path(__file__).resolve().parents[2]

#: English forms that a Vietnamese page must not show: grouped thousands with a decimal point,
#: three or more groups, a decimal point before a unit.
ENGLISH_NUMBER = re.compile(
    r"\b\d{1,3}(?:,\d{3})+\.\d+\b|\b\d{1,3}(?:,\d{3}){2,}\b|\b\d+\.\d{1,2} ?(?:ha|kg|t)\b"
)
ISO_DAY = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_number_writes_the_languages_form():
    with translation.override("vi"):
        assert number(Decimal("10000")) == "10.000"
        assert number(Decimal("1.20")) == "1,2" and number(Decimal("1.2"), 2) == "1,20"
        assert number(192_362.4, 0) == "192.362" and number(1_234_567) == "1.234.567"
        assert number(Decimal("0.30")) == "0,3" and number(Decimal("1E+4")) == "10.000"
    with translation.override("en"):
        assert number(Decimal("10000")) == "10,000" and number(1.2, 2) == "1.20"
    assert number(None) == "" and number("lô 1") == "lô 1"


def test_a_too_large_plot_is_measured_in_the_languages_form():
    huge = square(108.0, 12.5, 60_000)  # 60 km a side: about 360,000 ha
    for lang, form in (("vi", r"\d{3}\.\d{3} ha"), ("en", r"\d{3},\d{3} ha")):
        with translation.override(lang), pytest.raises(geometry.GeometryError) as caught:
            geometry.parse_geojson(huge)
        assert re.search(form, str(caught.value.message)), caught.value.message


@pytest.mark.django_db
def test_the_area_page_in_vietnamese_shows_numbers_and_dates_in_one_form(world, settings):
    settings.LANGUAGE_CODE = "vi"  # staff pages in the site's language, as the service runs
    area, app = make_area(world, households=2, declared=Decimal("12500"))
    client = Client()
    client.force_login(world.users["coop"])
    html = client.get(reverse("area-detail", args=[area.pk])).content.decode()
    text = visible_text(html)
    assert "12.500,00 ha" in text  # declared: thousands with a full stop, decimals a comma
    assert re.search(r"\b[012],\d\d ha\b", text), re.findall(r".{40} ha\b", text)  # measured
    assert not ENGLISH_NUMBER.findall(text), ENGLISH_NUMBER.findall(text)
    today = timezone.localdate()
    assert today.strftime("%d/%m/%Y") in text  # the history's steps, day first
    assert not ISO_DAY.findall(text), ISO_DAY.findall(text)


@pytest.mark.django_db
def test_the_same_page_in_english_writes_the_english_forms(world):
    area, app = make_area(world, households=1, declared=Decimal("12500"))
    client = Client()
    client.force_login(world.users["coop"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    text = visible_text(client.get(reverse("area-detail", args=[area.pk])).content.decode())
    assert "12,500.00 ha" in text
    today = timezone.localdate()
    assert f"{today.day} {today.strftime('%b')} {today.year}" in text
    assert not ISO_DAY.findall(text)


@pytest.mark.django_db
def test_the_dashboard_groups_its_counts_in_vietnamese(world, settings, monkeypatch):
    from agritrace.web import views_dashboard

    settings.LANGUAGE_CODE = "vi"
    make_area(world, households=1)
    real = views_dashboard.render

    def with_many(request, template, context):
        context["area_total"] = 12_345  # as in a province of many areas
        return real(request, template, context)

    monkeypatch.setattr(views_dashboard, "render", with_many)
    client = Client()
    client.force_login(world.users["ppo"])
    text = visible_text(client.get(reverse("dashboard")).content.decode())
    assert "12.345" in text and "12,345" not in text


def test_no_template_shows_an_iso_date_to_people():
    """Pages show dates through the language's SHORT_DATE(TIME)_FORMAT; ISO stays for the
    values of date inputs and datetime attributes (the public stamp page has its own words)."""
    found = []
    for path in TEMPLATES.rglob("templates/**/*.html"):
        if "stamps/public" in str(path):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in re.finditer(r"\|date:[\"']Y-m-d", line):
                before = line[: match.start()]
                if re.search(r"(value|min|max|datetime)=[\"'][^\"']*\{\{[^}]*$", before):
                    continue  # an input's value or a machine-readable attribute
                found.append(f"{path.relative_to(TEMPLATES)}:{n}")
    assert not found, found


def test_dates_of_a_day_ago_read_day_first_in_vietnamese():
    from django.template import Context, Template

    day = timezone.localdate() - timedelta(days=1)
    template = Template('{{ d|date:"SHORT_DATE_FORMAT" }}')
    with translation.override("vi"):
        assert template.render(Context({"d": day})) == day.strftime("%d/%m/%Y")
