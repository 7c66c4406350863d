"""The demo province's plan, training and reports, and the pages over them: targets seeded
from the plans with their sources, the achieved page with its chart data and map, the drill-
down, the report list, a generated report's files, the forms' errors beside their fields, and
the household page's classes; built once for the module."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation
from openpyxl import load_workbook

from agritrace.demo import build_demo
from agritrace.reports.models import PeriodicReport, Target, TrainingClass


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), translation.override("en"), transaction.atomic():
        build_demo(seed=2026)
        yield
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def login(username: str) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def test_the_plans_targets_are_seeded_with_their_sources(demo):
    an_giang = Target.objects.filter(province__name="An Giang")
    assert (
        an_giang.filter(unit__isnull=True, metric="hectares", cumulative=True)
        .get(crop_group="")
        .value
        == 115623
    )
    assert an_giang.get(metric="packing_houses").value == 30
    per_district = an_giang.filter(metric="training_classes", unit__isnull=False)
    assert sum(t.value for t in per_district) == 356
    assert {t.unit.tree for t in per_district} == {"2008"}
    assert all("1753/QĐ-UBND" in t.source for t in an_giang)
    dak_lak = Target.objects.filter(province__name="Đắk Lắk", kind="baseline")
    assert {(t.metric, float(t.value)) for t in dak_lak} == {
        ("area_codes", 47), ("packing_houses", 28), ("hectares", 2308.6)
    }  # fmt: skip
    assert all("001_1cb7843486435e91" in t.source for t in dak_lak)
    demo_rows = Target.objects.filter(source__startswith="Demo:")
    assert demo_rows.exists() and all(t.year == timezone.localdate().year for t in demo_rows)


def test_the_achieved_page_counts_the_demo_codes(demo, settings):
    settings.LANGUAGE_CODE = "en"
    r = login("officer").get("/reports/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="achieved-chart"' in html and 'id="achieved-map"' in html
    series = r.context["series"]
    assert series["labels"] and len(series["labels"]) == len(series["achieved"])
    codes = next(f for f in r.context["figures"] if f.target.metric == "area_codes")
    assert codes.achieved >= 1 and codes.codes
    assert r.context["features"]["features"]
    # An Giang's figures are not Đắk Lắk's officer's
    assert "Chợ Mới" not in html
    drill = login("officer").get(f"/reports/targets/{codes.target.pk}/")
    assert codes.codes[0]["code"] in drill.content.decode()
    # the ministry sees An Giang's plan
    assert "Chợ Mới" in login("ministry").get("/reports/?year=2025").content.decode()


def test_the_demo_reports_are_listed_and_the_half_year_is_frozen(demo):
    reports = PeriodicReport.objects.filter(province__name="Đắk Lắk")
    assert {(r.kind, r.status) for r in reports} == {
        ("half_year", "submitted"), ("annual", "generated")
    }  # fmt: skip
    page = login("officer").get("/reports/periodic/").content.decode()
    assert 'id="report-list"' in page and "Half-year report" in page
    half = reports.get(kind="half_year")
    r = login("officer").get(f"/reports/periodic/{half.pk}/file.xlsx")
    book = load_workbook(io.BytesIO(r.content))
    assert "Chỉ tiêu" in book.sheetnames
    assert login("commune").get("/reports/periodic/").status_code == 403


def test_forms_show_the_rule_beside_the_field(demo, settings):
    settings.LANGUAGE_CODE = "en"
    c = login("officer")
    year = timezone.localdate().year
    r = c.post("/reports/periodic/", {"action": "generate", "kind": "annual", "year": year,
               "period_end": f"{year + 1}-01-01"})  # fmt: skip
    assert r.status_code == 200
    assert "cannot end in the future" in r.content.decode()
    r = c.post("/reports/targets/", {"action": "set", "metric": "hectares", "year": year,
               "kind": "target", "value": "-1", "source": "x"})  # fmt: skip
    assert r.status_code == 200 and "0 or more" in r.content.decode()
    r = c.post("/reports/training/", {"topic": "gap", "title": "", "place": "",
               "planned_on": "", "trainer": ""})  # fmt: skip
    assert r.status_code == 200 and not TrainingClass.objects.filter(title="").exists()
    assert login("viewer").post("/reports/targets/", {"action": "set"}).status_code == 403


def test_a_household_page_lists_the_classes_it_attended(demo, settings):
    settings.LANGUAGE_CODE = "en"
    held = TrainingClass.objects.filter(held_on__isnull=False).first()
    household = held.households.first()
    page = login("coop").get(f"/households/{household.pk}/").content.decode()
    assert held.title in page
