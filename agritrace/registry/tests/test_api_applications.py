"""/api/applications: the files asking for a code, their steps, and the moves of the
lifecycle."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agritrace.audit.models import AuditEntry
from agritrace.registry.lifecycle import INSPECTION_CHECKLIST, transition
from agritrace.registry.models import Application, ApplicationStep, Inspection
from conftest import make_area

pytestmark = pytest.mark.django_db

ALL_PASS = {key: "pass" for key, _label in INSPECTION_CHECKLIST}


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def act(client: Client, app: Application, data: dict):
    return client.post(f"/api/applications/{app.pk}/actions", data, content_type="application/json")


@pytest.fixture
def app(world) -> Application:
    _area, app = make_area(world)
    return app


@pytest.fixture
def submitted(world, app) -> Application:
    return transition(app, "submit", world.actor("coop"))


def state(app: Application) -> tuple:
    app.refresh_from_db()
    return (
        app.status,
        app.deadline,
        ApplicationStep.objects.count(),
        Inspection.objects.count(),
        AuditEntry.objects.count(),
    )


# ------------------------------------------------------------------ GET /api/applications


def test_list_it_works(world, app):
    make_area(world, key="other_coop", lon=105.63, lat=10.46)
    for key in ("coop", "ppo", "commune", "ministry"):
        body = client_for(world, key).get("/api/applications").json()
        expected = 2 if key == "ministry" else 1
        assert body["count"] == expected, key
    item = client_for(world, "coop").get("/api/applications").json()["items"][0]
    assert item["id"] == app.pk
    assert item["status"] == "draft"
    assert item["subject"] == {
        "type": "area",
        "id": app.area_id,
        "name": app.area.name,
        "code": None,
        "code_status": "none",
    }
    assert item["applicant"]["id"] == world.orgs["coop"].pk


def test_list_it_filters(world, submitted):
    client = client_for(world, "ppo")
    assert client.get("/api/applications?status=submitted").json()["count"] == 1
    assert client.get("/api/applications?status=draft").json()["count"] == 0
    assert client.get("/api/applications?overdue=true").json()["count"] == 0
    Application.objects.filter(pk=submitted.pk).update(
        deadline=timezone.localdate() - timedelta(days=1)
    )
    body = client.get("/api/applications?overdue=true").json()
    assert body["count"] == 1 and body["items"][0]["is_overdue"] is True
    assert client.get("/api/applications?overdue=false").json()["count"] == 0


def test_list_it_rejects_bad_input(world):
    client = client_for(world, "ppo")
    assert client.get("/api/applications?status=lost").status_code == 422
    assert client.get("/api/applications?overdue=perhaps").status_code == 422


def test_list_it_checks_access(world, submitted):
    assert Client().get("/api/applications").status_code == 401
    for key in ("other_ppo", "coop_b", "commune_b", "household", "exporter", "packing", "lab"):
        assert client_for(world, key).get("/api/applications").json()["count"] == 0, key


# ------------------------------------------------------------------ GET /api/applications/{id}


def test_get_it_works(world, submitted):
    ppo = world.actor("ppo")
    transition(submitted, "start_appraisal", ppo)
    transition(submitted, "accept", ppo)
    day = timezone.localdate() + timedelta(days=2)
    transition(submitted, "schedule_inspection", ppo, scheduled_for=day)
    body = client_for(world, "ppo").get(f"/api/applications/{submitted.pk}").json()
    assert body["status"] == "field_inspection"
    assert [s["action"] for s in body["steps"]] == [
        "submit",
        "start_appraisal",
        "accept",
        "schedule_inspection",
    ]
    first = body["steps"][0]
    assert (first["from_status"], first["to_status"]) == ("draft", "submitted")
    assert first["actor"] == "coop_user"
    assert first["actor_org"]["id"] == world.orgs["coop"].pk
    assert first["deadline"] is not None
    assert body["inspections"][0]["scheduled_for"] == day.isoformat()
    assert body["inspections"][0]["inspector"] == "ppo_user"
    assert body["inspections"][0]["result"] == ""
    assert body["allowed_actions"] == [
        "approve",
        "reject",
        "schedule_inspection",
        "record_inspection",
    ]
    # the applicant sees the same file with nothing to do
    body = client_for(world, "coop").get(f"/api/applications/{submitted.pk}").json()
    assert body["allowed_actions"] == []


def test_get_it_lists_the_applicants_actions(world, app):
    body = client_for(world, "coop").get(f"/api/applications/{app.pk}").json()
    assert body["allowed_actions"] == ["submit", "withdraw"]
    body = client_for(world, "ppo").get(f"/api/applications/{app.pk}").json()
    assert body["allowed_actions"] == []


def test_get_it_rejects_bad_input(world):
    assert client_for(world, "ppo").get("/api/applications/999999").status_code == 404


def test_get_it_checks_access(world, app):
    url = f"/api/applications/{app.pk}"
    assert Client().get(url).status_code == 401
    for key in ("other_ppo", "coop_b", "commune_b", "household", "exporter", "lab"):
        assert client_for(world, key).get(url).status_code == 404, key


# ------------------------------------------------------------------ POST .../actions


def test_actions_walk_a_file_to_an_issued_code(world, app):
    coop, ppo = client_for(world, "coop"), client_for(world, "ppo")
    r = act(coop, app, {"action": "submit"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "submitted"
    assert act(ppo, app, {"action": "start_appraisal"}).json()["status"] == "under_appraisal"
    assert act(ppo, app, {"action": "accept"}).json()["status"] == "field_inspection"
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    r = act(ppo, app, {"action": "schedule_inspection", "scheduled_for": day})
    assert r.status_code == 200, r.content
    assert "record_inspection" in r.json()["allowed_actions"]
    r = act(
        ppo,
        app,
        {
            "action": "record_inspection",
            "checklist": ALL_PASS,
            "notes": "Vườn đạt",
            "lon": 108.0504,
            "lat": 12.6704,
        },
    )
    assert r.status_code == 200, r.content
    inspection = r.json()["inspections"][0]
    assert inspection["result"] == "passed"
    assert (inspection["lon"], inspection["lat"]) == (108.0504, 12.6704)
    assert act(ppo, app, {"action": "approve"}).json()["status"] == "approved"
    r = act(ppo, app, {"action": "issue"})
    assert r.json()["status"] == "issued"
    assert r.json()["subject"]["code"] == "VN-DLOR-0001"
    assert r.json()["subject"]["code_status"] == "issued"


def test_actions_return_with_a_reason(world, submitted):
    r = act(client_for(world, "ppo"), submitted, {"action": "return", "reason": "Thiếu bản đồ"})
    assert r.status_code == 200
    assert r.json()["status"] == "returned"
    assert r.json()["steps"][-1]["reason"] == "Thiếu bản đồ"


def test_actions_reject_bad_input(world, submitted):
    ppo = client_for(world, "ppo")
    before = state(submitted)
    assert act(ppo, submitted, {}).status_code == 422
    assert act(ppo, submitted, {"action": ["accept"]}).status_code == 422
    r = act(ppo, submitted, {"action": "bless"})
    assert r.status_code == 422 and "action" in r.json()["errors"]
    r = act(ppo, submitted, {"action": "return", "reason": " "})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    r = act(ppo, submitted, {"action": "issue"})  # not approved yet
    assert r.status_code == 422 and "action" in r.json()["errors"]
    assert state(submitted) == before


def test_actions_reject_bad_inspections(world, submitted):
    ppo_actor = world.actor("ppo")
    transition(submitted, "start_appraisal", ppo_actor)
    transition(submitted, "accept", ppo_actor)
    ppo = client_for(world, "ppo")
    before = state(submitted)
    r = act(ppo, submitted, {"action": "schedule_inspection", "scheduled_for": "tomorrow"})
    assert r.status_code == 422
    r = act(ppo, submitted, {"action": "schedule_inspection"})
    assert r.status_code == 422 and "scheduled_for" in r.json()["errors"]
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    r = act(ppo, submitted, {"action": "schedule_inspection", "scheduled_for": past})
    assert r.status_code == 422 and "scheduled_for" in r.json()["errors"]
    r = act(ppo, submitted, {"action": "record_inspection", "checklist": ALL_PASS})
    assert r.status_code == 422 and "action" in r.json()["errors"]  # nothing scheduled
    assert state(submitted) == before
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    act(ppo, submitted, {"action": "schedule_inspection", "scheduled_for": day})
    before = state(submitted)
    r = act(ppo, submitted, {"action": "record_inspection", "checklist": {"tree_age": "ok"}})
    assert r.status_code == 422
    assert {"checklist.tree_age", "checklist.boundaries"} <= set(r.json()["errors"])
    r = act(ppo, submitted, {"action": "record_inspection", "checklist": {"tree_age": 1}})
    assert r.status_code == 422  # not a string: ninja's own
    r = act(ppo, submitted, {"action": "record_inspection", "checklist": ALL_PASS, "lon": 108.0})
    assert r.status_code == 422 and "lat" in r.json()["errors"]
    assert state(submitted) == before


def test_actions_refuse_an_incomplete_file(world):
    from agritrace.registry import services
    from agritrace.registry.models import Crop

    durian = Crop.objects.get(code="durian")
    _area, app = services.create_area(
        world.actor("coop"),
        {
            "name": "Vùng trống",
            "crop": durian.pk,
            "commune": world.orgs["coop"].unit_id,
            "declared_area_ha": 3,
        },
    )
    before = state(app)
    r = act(client_for(world, "coop"), app, {"action": "submit"})
    assert r.status_code == 422
    assert {"households", "plots"} <= set(r.json()["errors"])
    assert state(app) == before


def test_actions_check_access(world, submitted):
    before = state(submitted)
    assert act(Client(), submitted, {"action": "start_appraisal"}).status_code == 401
    # these see the file but may not appraise it
    for key in ("coop", "commune", "ministry"):
        r = act(client_for(world, key), submitted, {"action": "start_appraisal"})
        assert r.status_code == 403, key
    for key in ("other_ppo", "coop_b", "household", "exporter"):
        r = act(client_for(world, key), submitted, {"action": "start_appraisal"})
        assert r.status_code == 404, key
    # only the applicant withdraws its file, and only its own
    r = act(client_for(world, "other_coop"), submitted, {"action": "withdraw"})
    assert r.status_code == 404
    assert state(submitted) == before
