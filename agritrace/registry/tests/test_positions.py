"""Issue 17, item 5: every typed position (a packing house, an official field inspection, a
supervision visit) is checked by one validator (registry/positions.py): range, inside Viet
Nam's configurable boxes, and near the area's plots when the area has them; on the form
(beside the field) and on the API (422 naming the field), nothing saved."""

import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agritrace.registry.lifecycle import INSPECTION_CHECKLIST, transition
from agritrace.registry.models import Inspection, PackingHouse
from agritrace.registry.positions import check_position
from agritrace.supervision import services as supervision
from agritrace.supervision.models import ChecklistTemplate, MonitoringVisit
from agritrace.supervision.tests.conftest import issue_area
from conftest import make_area

pytestmark = pytest.mark.django_db

ALL_PASS = {key: "pass" for key, _label in INSPECTION_CHECKLIST}
TODAY = timezone.localdate


def client_for(world, key: str) -> Client:
    c = Client()
    c.force_login(world.users[key])
    return c


def field_error(response, field_id: str) -> str:
    body = response.content.decode()
    marker = f'id="{field_id}_error">'
    assert marker in body, f"no error shown beside {field_id}"
    start = body.index(marker) + len(marker)
    return html.unescape(body[start : body.index("</span>", start)])


def checked(lon, lat, area=None) -> dict:
    errors: dict = {}
    check_position(lon, lat, errors, area=area)
    return errors


def test_the_one_validator(world, settings):
    assert checked(None, None) == {} and checked("", "") == {}
    assert checked(108.05, 12.67) == {} and checked("108,05", "12,67") == {}
    assert "between -90 and 90" in checked(108.05, 200)["lat"]
    assert "between -180 and 180" in checked(-400, 12.67)["lon"]
    assert "outside Viet Nam" in checked(0, 0)["lon"]  # the usual null island
    assert "between -90 and 90" in checked(12.67, 108.05)["lat"]  # swapped
    assert "outside Viet Nam" in checked(2.35, 48.85)["lon"]  # Paris
    assert checked(112.3, 16.5) == {}  # Hoàng Sa
    assert checked(108.05, None) == {"lat": "Give both longitude and latitude, or neither."}
    assert "decimal degrees" in checked("abc", 12.6)["lon"]
    assert "decimal degrees" in checked(float("nan"), 12.6)["lon"]
    assert "decimal degrees" in checked(True, 12.6)["lon"]
    settings.AGRITRACE_POSITION_BOXES = [(100.0, 0.0, 101.0, 1.0)]  # configurable
    assert checked(100.5, 0.5) == {} and "outside" in checked(108.05, 12.67)["lon"]


def test_near_the_area_when_its_plots_are_drawn(world, settings):
    area, _app = make_area(world)  # plots at about 108.05, 12.67
    assert checked(108.051, 12.6705, area) == {}
    assert checked(108.07, 12.68, area) == {}  # about 2 km away
    far = checked(108.5, 12.67, area)["lon"]  # about 49 km away
    assert "km from the area's plots" in far and "within 5 km" in far
    settings.AGRITRACE_POSITION_NEAR_KM = 60
    assert checked(108.5, 12.67, area) == {}


# ------------------------------------------------------------------ the official inspection


def to_inspection(world):
    area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    transition(app, "start_appraisal", world.actor("ppo"))
    transition(app, "accept", world.actor("ppo"))
    transition(app, "schedule_inspection", world.actor("ppo"), scheduled_for=TODAY())
    return area, app


def test_the_inspection_api_refuses_a_latitude_of_200(world):
    _area, app = to_inspection(world)
    url = f"/api/applications/{app.pk}/actions"
    ppo = client_for(world, "ppo")
    for position, field, words in (
        ({"lon": 108.05, "lat": 200}, "lat", "between -90 and 90"),
        ({"lon": 1000, "lat": 12.67}, "lon", "between -180 and 180"),
        ({"lon": 0, "lat": 0}, "lon", "outside Viet Nam"),
        ({"lon": 108.6, "lat": 12.67}, "lon", "km from the area's plots"),
    ):
        body = {"action": "record_inspection", "checklist": ALL_PASS, **position}
        r = ppo.post(url, body, content_type="application/json")
        assert r.status_code == 422, position
        assert words in r.json()["errors"][field][0], position
    assert Inspection.objects.get(application=app).recorded_at is None
    body = {"action": "record_inspection", "checklist": ALL_PASS, "lon": 108.0504, "lat": 12.67}
    assert ppo.post(url, body, content_type="application/json").status_code == 200


def test_the_inspection_form_shows_the_range_beside_the_field(world):
    _area, app = to_inspection(world)
    data = {f"check_{key}": "pass" for key, _label in INSPECTION_CHECKLIST}
    r = client_for(world, "ppo").post(
        reverse("inspection-form", args=[app.pk]), {**data, "lon": "108.05", "lat": "200"}
    )
    assert r.status_code == 200
    assert "between -90 and 90" in field_error(r, "id_lat")
    assert Inspection.objects.get(application=app).recorded_at is None


# ------------------------------------------------------------------ packing houses


def house_body(world, **position) -> dict:
    return {
        "name": "Kho lạnh Phúc Thịnh",
        "address": "Km 5",
        "commune": world.orgs["packing"].unit_id,
        "capacity_t_per_day": "25",
        **position,
    }


def test_a_packing_house_outside_viet_nam_is_refused_on_the_api_and_the_form(world):
    c = client_for(world, "packing")
    r = c.post(
        "/api/packing-houses",
        house_body(world, lon=108.05, lat=200),
        content_type="application/json",
    )
    assert r.status_code == 422 and "between -90 and 90" in r.json()["errors"]["lat"][0]
    r = c.post(
        "/api/packing-houses",
        house_body(world, lon=2.35, lat=48.85),
        content_type="application/json",
    )
    assert r.status_code == 422 and "outside Viet Nam" in r.json()["errors"]["lon"][0]
    r = c.post(reverse("packing-house-create"), house_body(world, lon="-190", lat="12.67"))
    assert r.status_code == 200
    assert "between -180 and 180" in field_error(r, "id_lon")
    assert not PackingHouse.objects.exists()


# ------------------------------------------------------------------ supervision visits


def test_a_supervision_visit_far_from_its_area_is_refused(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    area = issue_area(world)
    visit = supervision.schedule_visit(world.actor("ppo"), area, TODAY())
    items = {i.key: "pass" for i in ChecklistTemplate.current("area").items.all()}
    ppo = client_for(world, "ppo")
    url = f"/api/supervision/visits/{visit.pk}/record"
    for position, field, words in (
        ({"lon": 108.05, "lat": 200}, "lat", "between -90 and 90"),
        ({"lon": 108.9, "lat": 12.67}, "lon", "km from the area's plots"),
    ):
        r = ppo.post(url, {"items": items, **position}, content_type="application/json")
        assert r.status_code == 422 and words in r.json()["errors"][field][0], position
    form = {f"item_{k}": v for k, v in items.items()}
    r = ppo.post(
        reverse("supervision-visit-record", args=[visit.pk]),
        {**form, "outcome": "passed", "lon": "108.05", "lat": "95"},
    )
    assert r.status_code == 200 and "between -90 and 90" in field_error(r, "id_lat")
    assert MonitoringVisit.objects.get(pk=visit.pk).recorded_at is None
    r = ppo.post(
        url, {"items": items, "lon": 108.0505, "lat": 12.6705}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["lat"] == 12.6705
