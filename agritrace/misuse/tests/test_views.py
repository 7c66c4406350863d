"""The misuse pages: who may open them, the dashboard's merged queue and map, the case page's
evidence, chart and forms (messages beside the fields), the rules page."""

import json
import re

import pytest
from django.test import Client

from agritrace.misuse.dashboard import MISUSE_POINTS_PER_SCORE
from agritrace.misuse.models import CaseStep, Rule
from agritrace.supervision import services as supervision

from .officer import cases_fixture  # noqa: F401  (the `cases` fixture)

pytestmark = pytest.mark.django_db

FIRMS = ("exporter", "packing", "coop", "household", "lab")


def client(world, key: str) -> Client:
    c = Client()
    c.force_login(world.users[key])
    return c


def features(response) -> list[dict]:
    found = re.search(
        rb'<script id="risk-data" type="application/json">(.*?)</script>', response.content, re.S
    )
    return json.loads(found.group(1))["features"]


def test_pages_refuse_firms_and_need_a_login(world, cases):
    for key in FIRMS:
        c = client(world, key)
        assert c.get("/misuse/").status_code == 403, key
        assert c.get(f"/misuse/cases/{cases['area'].pk}/").status_code == 403, key
        assert c.get("/misuse/rules/").status_code == 403, key
        assert b'href="/misuse/"' not in c.get("/dashboard/").content
    assert Client().get("/misuse/").status_code == 302
    assert b'href="/misuse/"' in client(world, "commune").get("/dashboard/").content


def test_dashboard_queue_merges_cases_with_supervision_risk(world, cases):
    c = client(world, "ppo")
    page = c.get("/misuse/")
    assert page.status_code == 200
    html = page.content.decode()
    area, house, other = cases["area"], cases["house"], cases["other_province"]
    # Highest priority first: the area (score 20), then the house (9), then commune B (5).
    assert html.index(area.code) < html.index(house.code) < html.index(cases["commune_b"].code)
    assert other.code not in html
    # Never visited (+10) and never trained (+5): the supervision risk is added to the
    # misuse points.
    assert f"<strong>{20 * MISUSE_POINTS_PER_SCORE + 15}.0</strong>" in html
    assert "No monitoring visit recorded yet" in html
    assert "Nobody behind the code has attended a training class" in html
    kinds = {f["properties"]["status"] for f in features(page)}
    assert kinds == {"risk_high", "risk_medium", "risk_low"}
    polygon = next(f for f in features(page) if f["geometry"]["type"] == "Polygon")
    assert area.code in polygon["properties"]["label"]


def test_a_code_with_only_supervision_risk_joins_the_queue(world, cases):
    from .officer import make_area

    quiet = make_area(world, "coop")
    from datetime import timedelta

    from django.utils import timezone

    supervision.schedule_visit(world.actor("ppo"), quiet, timezone.localdate() + timedelta(days=2))
    html = client(world, "ppo").get("/misuse/").content.decode()
    assert quiet.code in html
    assert (
        client(world, "ppo")
        .get("/misuse/", {"rule": "house_over_capacity"})
        .content.decode()
        .count(quiet.code)
        == 0
    )


def test_dashboard_filters_and_commune_scope(world, cases):
    html = client(world, "ppo").get("/misuse/", {"severity": "medium"}).content.decode()
    assert cases["house"].code in html and cases["area"].code not in html
    bad = client(world, "ppo").get("/misuse/", {"min_score": "lots"})
    assert bad.status_code == 200 and "min_score" in bad.content.decode()
    html = client(world, "commune_b").get("/misuse/").content.decode()
    assert cases["commune_b"].code in html
    assert cases["area"].code not in html and cases["house"].code not in html


def test_case_page_shows_evidence_chart_and_the_allowed_forms(world, cases):
    case = cases["area"]
    page = client(world, "ppo").get(f"/misuse/cases/{case.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "can_grow_kg" in html and "tolerance" in html
    assert "misuse/vendor/chartjs/chart.umd.min.js" in html
    assert 'id="case-series"' in html
    assert 'name="step" value="review"' in html and 'name="step" value="act"' not in html
    assert (
        client(world, "ppo").get(f"/misuse/cases/{cases['other_province'].pk}/").status_code == 404
    )
    commune = client(world, "commune").get(f"/misuse/cases/{case.pk}/").content.decode()
    assert 'value="review"' in commune and 'value="dismiss"' not in commune
    assert (
        client(world, "commune").get(f"/misuse/cases/{cases['commune_b'].pk}/").status_code == 404
    )


def test_case_forms_take_the_steps_and_show_errors_beside_fields(world, cases):
    case = cases["area"]
    c = client(world, "ppo")
    url = f"/misuse/cases/{case.pk}/"
    assert c.post(url, {"step": "review", "review-note": "Looking"}).status_code == 302
    page = c.post(url, {"step": "dismiss", "dismiss-reason": ""})
    assert page.status_code == 200
    assert re.search(
        r'id="id_dismiss-reason_error">Say why the case is dismissed', page.content.decode()
    )
    assert c.post(url, {"step": "confirm", "confirm-note": "Borrowed"}).status_code == 302
    page = c.post(url, {"step": "act", "act-action": "inspection", "act-due_date": "2000-01-01"})
    assert 'id="id_act-due_date_error"' in page.content.decode()
    response = c.post(url, {"step": "act", "act-action": "suspension", "act-reason": "Borrowed"})
    assert response.status_code == 302
    case.area.refresh_from_db()
    assert case.area.code_status == "suspended"
    assert list(CaseStep.objects.filter(case=case).values_list("to_status", flat=True)) == [
        "under_review",
        "confirmed",
        "actioned",
    ]
    # Out of order now (dismissing an actioned case): a message, nothing changed.
    page = c.post(url, {"step": "dismiss", "dismiss-reason": "x"})
    assert page.status_code == 200 and "cannot be taken" in page.content.decode()
    assert CaseStep.objects.filter(case=case).count() == 3
    # The commune may not confirm: 403.
    commune = client(world, "commune")
    assert (
        commune.post(f"/misuse/cases/{cases['house'].pk}/", {"step": "confirm"}).status_code == 403
    )


def test_rules_page_edits_for_the_authority_only(world, cases):
    page = client(world, "commune").get("/misuse/rules/")
    assert page.status_code == 200 and b'name="rule"' not in page.content
    assert (
        client(world, "commune").post("/misuse/rules/", {"rule": "house_over_capacity"}).status_code
        == 403
    )
    c = client(world, "ppo")
    assert b'name="house_over_capacity-t_window_days"' in c.get("/misuse/rules/").content
    data = {
        "rule": "house_over_capacity",
        "house_over_capacity-enabled": "on",
        "house_over_capacity-t_window_days": "10",
        "house_over_capacity-t_tolerance": "0",
    }
    page = c.post("/misuse/rules/", data)
    assert (
        page.status_code == 200 and "tolerance must be a positive number" in page.content.decode()
    )
    data["house_over_capacity-t_tolerance"] = "1.25"
    assert c.post("/misuse/rules/", data).status_code == 302
    rule = Rule.objects.get(code="house_over_capacity")
    assert rule.thresholds == {"window_days": 10, "tolerance": 1.25} and rule.enabled


def test_the_ministry_reads_every_case_and_a_viewer_only_reads(world, cases):
    from agritrace.accounts.models import Role
    from conftest import make_user

    ministry = client(world, "ministry")
    html = ministry.get("/misuse/").content.decode()
    assert cases["other_province"].code in html and cases["area"].code in html
    page = ministry.get(f"/misuse/cases/{cases['area'].pk}/").content.decode()
    assert 'name="step"' not in page  # the ministry does not take the province's steps
    viewer = Client()
    viewer.force_login(make_user("ppo_viewer", world.orgs["ppo"], Role.VIEWER))
    page = viewer.get(f"/misuse/cases/{cases['area'].pk}/")
    assert page.status_code == 200 and b'name="step"' not in page.content
    url = f"/misuse/cases/{cases['area'].pk}/"
    assert viewer.post(url, {"step": "review"}).status_code == 403
    assert not CaseStep.objects.exists()
