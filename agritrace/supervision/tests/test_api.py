"""/api/supervision/: each endpoint's good path, its bad input (422 naming the field) and
its refused roles (403 for a role, 404 outside one's scope)."""

import pytest
from django.test import Client

from agritrace.accounts.models import ApiToken
from agritrace.registry.models import CodeStatus
from agritrace.supervision import services
from agritrace.supervision.models import (
    ChecklistTemplate,
    LabResult,
    MonitoringVisit,
    Notice,
    PestObservation,
    Sample,
)

from .conftest import days

API = "/api/supervision"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def client(world, key: str) -> Client:
    c = Client()
    c.force_login(world.users[key])
    return c


def post(c: Client, url: str, data) -> object:
    return c.post(f"{API}{url}", data, content_type="application/json")


def items(value="pass") -> dict:
    return {i.key: value for i in ChecklistTemplate.current("area").items.all()}


@pytest.fixture
def visit(world, area):
    return services.schedule_visit(world.actor("ppo"), area, days(0))


@pytest.fixture
def sample(world, area):
    return services.register_sample(
        world.actor("ppo"),
        {
            "area": area.pk,
            "sampled_on": days(-2),
            "laboratory": world.orgs["lab"].pk,
            "analyses": ["chlorpyrifos"],
        },
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# ------------------------------------------------------------------ plans


def test_plans_generate_list_and_visits(world, area, house):
    today = days(0)
    body = {
        "province": world.province.pk,
        "season": "2026",
        "start": f"{today.year}-01-01",
        "end": f"{today.year}-12-31",
    }
    r = post(client(world, "ppo"), "/plans", body)
    assert r.status_code == 201, r.content
    plan = r.json()
    assert plan["visit_count"] == 2 and plan["province"]["id"] == world.province.pk
    assert post(client(world, "ppo"), "/plans", body).json()["visit_count"] == 2  # idempotent
    r = client(world, "ppo").get(f"{API}/plans/{plan['id']}/visits")
    assert {v["holder"]["code"] for v in r.json()} == {area.code, house.code}
    assert client(world, "commune").get(f"{API}/plans").json()[0]["id"] == plan["id"]
    assert client(world, "other_ppo").get(f"{API}/plans/{plan['id']}").status_code == 404
    assert client(world, "lab").get(f"{API}/plans").json() == []


def test_plans_bad_input_and_roles(world):
    r = post(
        client(world, "ppo"),
        "/plans",
        {"province": world.province.pk, "season": "x", "start": "2099-02-01", "end": "2099-01-01"},
    )
    assert r.status_code == 422 and "end" in r.json()["errors"]
    r = post(
        client(world, "ppo"),
        "/plans",
        {"province": world.province.pk, "season": "x", "start": "soon", "end": "2099-01-01"},
    )
    assert r.status_code == 422  # ninja refuses a date that is not one
    r = post(
        client(world, "ppo"),
        "/plans",
        {
            "province": world.other_commune.parent_id,
            "season": "x",
            "start": "2099-01-01",
            "end": "2099-12-31",
        },
    )
    assert r.status_code == 422 and "province" in r.json()["errors"]
    for key in ("commune", "lab", "household", "coop"):
        r = post(client(world, key), "/plans", {"province": world.province.pk, "season": "x"})
        assert r.status_code == 403, key


# ------------------------------------------------------------------ visits


def test_record_a_visit_with_a_token_and_a_photo(world, visit):
    _token, raw = ApiToken.issue(world.users["ppo"], "tablet")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = items()
    body["diary_complete"] = {"result": "fail", "note": "two months missing"}
    r = c.post(
        f"{API}/visits/{visit.pk}/record",
        {"items": body, "lon": 108.05, "lat": 12.67, "corrective_deadline": days(14).isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["status"] == "done" and out["outcome"] == "corrective"
    assert out["corrective_actions"][0]["item_key"] == "diary_complete"
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = c.post(
        f"{API}/visits/{visit.pk}/photos",
        {"photo": SimpleUploadedFile("p.png", PNG), "item_key": "diary_complete"},
    )
    assert r.status_code == 201, r.content
    photo_url = r.json()["url"]
    r = c.post(f"{API}/visits/{visit.pk}/photos", {"photo": SimpleUploadedFile("p.txt", b"hello")})
    assert r.status_code == 422 and "photo" in r.json()["errors"]
    assert client(world, "commune").get(photo_url).status_code == 200
    assert client(world, "other_ppo").get(photo_url).status_code == 404
    assert client(world, "lab").get(photo_url).status_code == 404


def test_record_a_visit_bad_input_names_the_field(world, visit):
    body = items()
    body.pop("boundaries")
    r = post(client(world, "ppo"), f"/visits/{visit.pk}/record", {"items": body})
    assert r.status_code == 422 and "items.boundaries" in r.json()["errors"]
    r = post(
        client(world, "ppo"),
        f"/visits/{visit.pk}/record",
        {"items": items(), "lon": 2.3, "lat": 48.8},
    )
    assert r.status_code == 422 and "lon" in r.json()["errors"]
    r = post(client(world, "ppo"), f"/visits/{visit.pk}/record", {"notes": "no items"})
    assert r.status_code == 422
    assert MonitoringVisit.objects.get(pk=visit.pk).recorded_at is None


def test_record_a_visit_refused_roles(world, visit):
    for key, status in (
        ("lab", 403),
        ("commune", 403),
        ("household", 403),
        ("coop", 403),
        ("other_ppo", 404),
    ):
        r = post(client(world, key), f"/visits/{visit.pk}/record", {"items": items()})
        assert r.status_code == status, key
    assert client(world, "other_ppo").get(f"{API}/visits/{visit.pk}").status_code == 404
    assert client(world, "household").get(f"{API}/visits").json() == []
    assert client(world, "commune").get(f"{API}/visits").json()[0]["id"] == visit.pk
    # a planned surprise visit is the authority's only (test_surprise_secrecy.py)
    assert client(world, "coop").get(f"{API}/visits").json() == []


def test_surprise_visit_assign_and_decide(world, area):
    c = client(world, "province")
    r = post(c, "/visits", {"area": area.pk, "due_date": days(3).isoformat(), "reason": "tip-off"})
    assert r.status_code == 201, r.content
    vid = r.json()["id"]
    assert r.json()["kind"] == "surprise"
    r = post(c, f"/visits/{vid}/assign", {"inspector": world.users["ppo"].pk})
    assert r.json()["inspector"]["username"] == "ppo_user"
    r = post(c, f"/visits/{vid}/assign", {"inspector": world.users["coop"].pk})
    assert r.status_code == 422 and "inspector" in r.json()["errors"]
    r = post(c, "/visits", {"due_date": days(3).isoformat()})
    assert r.status_code == 422 and "area" in r.json()["errors"]
    assert (
        post(
            client(world, "lab"), "/visits", {"area": area.pk, "due_date": days(3).isoformat()}
        ).status_code
        == 403
    )
    r = post(
        client(world, "ppo"),
        f"/visits/{vid}/record",
        {"items": items(), "outcome": "suspend", "notes": "code rented out"},
    )
    assert r.json()["outcome"] == "suspend"
    assert (
        post(client(world, "commune"), f"/visits/{vid}/decide", {"accept": True}).status_code == 403
    )
    r = post(c, f"/visits/{vid}/decide", {"accept": True, "reason": "confirmed"})
    assert r.status_code == 200 and r.json()["proposal_decision"] == "suspended"
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED


def test_checklists_and_quarantine_pests(world, area):
    r = client(world, "coop").get(f"{API}/checklists/packing_house")
    assert r.status_code == 200 and "labels" in {i["key"] for i in r.json()["items"]}
    assert client(world, "coop").get(f"{API}/checklists/farm").status_code == 404
    r = client(world, "coop").get(f"{API}/quarantine-pests", {"area": area.pk})
    assert {p["market"]["code"] for p in r.json()} == {"CN"}
    assert (
        client(world, "other_ppo").get(f"{API}/quarantine-pests", {"area": area.pk}).status_code
        == 404
    )


# ------------------------------------------------------------------ observations


def test_observations(world, area):
    body = {
        "area": area.pk,
        "observed_on": days(0).isoformat(),
        "pest": "planococcus-minor",
        "count_per_tree": "4",
    }
    r = post(client(world, "coop"), "/observations", body)
    assert r.status_code == 201, r.content
    assert r.json()["pest"]["scientific_name"] == "Planococcus minor"
    r = post(client(world, "coop"), "/observations", {**body, "count_per_tree": "-4"})
    assert r.status_code == 422 and "count_per_tree" in r.json()["errors"]
    assert post(client(world, "household"), "/observations", body).status_code == 403
    assert post(client(world, "lab"), "/observations", body).status_code == 403
    assert post(client(world, "other_ppo"), "/observations", body).status_code == 404
    assert client(world, "commune").get(f"{API}/observations").json()[0]["area"] == area.pk
    assert client(world, "commune_b").get(f"{API}/observations").json() == []
    assert PestObservation.objects.count() == 1


# ------------------------------------------------------------------ residues


def test_lab_results_through_the_api(world, area, sample):
    lab = client(world, "lab")
    r = post(
        lab,
        f"/samples/{sample.pk}/results",
        {
            "ingredient": "chlorpyrifos",
            "value_mg_kg": "0.3",
            "loq_mg_kg": "0.01",
            "analysed_on": days(0).isoformat(),
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["sample_status"] == "analysed"
    (case,) = body["cases"]
    assert case["market"]["code"] == "CN" and case["follow_up"].endswith("-F1")
    r = client(world, "ppo").get(f"{API}/risk/areas/{area.pk}")
    assert r.status_code == 200 and [f["market"]["code"] for f in r.json()["flags"]] == ["CN"]
    assert client(world, "coop").get(f"{API}/risk/areas/{area.pk}").status_code == 403
    assert (
        client(world, "ppo").get(f"{API}/cases", {"status": "open"}).json()[0]["id"] == case["id"]
    )
    r = post(
        client(world, "province"), f"/cases/{case['id']}/close", {"resolution": "lot destroyed"}
    )
    assert r.json()["status"] == "closed"
    r = client(world, "ppo").get(f"{API}/risk/areas/{area.pk}")
    assert r.json()["flags"] == []


def test_lab_results_bad_input_and_refused_roles(world, area, sample, lab_b):
    url = f"/samples/{sample.pk}/results"
    good = {"ingredient": "chlorpyrifos", "value_mg_kg": "0.01", "analysed_on": days(0).isoformat()}
    for change, field in (
        ({"analysed_on": days(-9).isoformat()}, "analysed_on"),
        ({"ingredient": "carbendazim"}, "ingredient"),
        ({"value_mg_kg": "-1"}, "value_mg_kg"),
    ):
        r = post(client(world, "lab"), url, {**good, **change})
        assert r.status_code == 422 and field in r.json()["errors"], change
    assert post(client(world, "lab"), url, {"ingredient": "x"}).status_code == 422
    assert post(client(world, "commune"), url, good).status_code == 403
    assert post(client(world, "ppo"), url, good).status_code == 403
    assert post(client(world, "household"), url, good).status_code == 403
    other_lab = Client()
    other_lab.force_login(lab_b.memberships.get().user)
    assert post(other_lab, url, good).status_code == 404
    assert other_lab.get(f"{API}/samples/{sample.pk}").status_code == 404
    assert other_lab.get(f"{API}/samples").json() == []
    assert client(world, "lab").get(f"{API}/samples").json()[0]["code"] == sample.code
    assert not LabResult.objects.exists()


def test_samples_register_take_and_import(world, area):
    c = client(world, "ppo")
    r = post(
        c,
        "/samples",
        {
            "area": area.pk,
            "planned_for": days(5).isoformat(),
            "laboratory": world.orgs["lab"].pk,
            "analyses": ["Chlorpyrifos"],
        },
    )
    assert r.status_code == 201, r.content
    planned = r.json()
    assert planned["status"] == "planned" and planned["analyses"] == ["Chlorpyrifos ethyl"]
    r = post(c, "/samples", {"area": area.pk, "laboratory": world.orgs["lab"].pk, "analyses": []})
    assert r.status_code == 422 and {"sampled_on", "analyses"} <= set(r.json()["errors"])
    assert (
        post(
            client(world, "lab"), "/samples", {"area": area.pk, "laboratory": 1, "analyses": ["x"]}
        ).status_code
        == 403
    )
    r = post(c, f"/samples/{planned['id']}/take", {"sampled_on": days(0).isoformat()})
    assert r.json()["status"] == "sent"
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = (
        f"sample_code,ingredient,value_mg_kg,loq_mg_kg,analysed_on\n"
        f"{planned['code']},chlorpyrifos,0.001,0.01,{days(0).isoformat()}\n"
    ).encode()
    r = client(world, "lab").post(
        f"{API}/results/import", {"file": SimpleUploadedFile("r.csv", csv)}
    )
    assert r.status_code == 201 and r.json() == {"results": 1, "cases": 0}
    r = client(world, "commune").post(
        f"{API}/results/import", {"file": SimpleUploadedFile("r.csv", csv)}
    )
    assert r.status_code == 403


def test_residue_plans_and_limits(world, area):
    r = post(
        client(world, "ppo"),
        "/residue-plans",
        {"province": world.province.pk, "year": 2026, "target_samples": 100, "source": "seeds 003"},
    )
    assert r.status_code == 201 and r.json()["progress"]["target"] == 100
    r = post(
        client(world, "ppo"),
        "/residue-plans",
        {"province": world.province.pk, "year": 1800, "target_samples": 100},
    )
    assert r.status_code == 422 and "year" in r.json()["errors"]
    assert (
        post(
            client(world, "lab"),
            "/residue-plans",
            {"province": world.province.pk, "year": 2026, "target_samples": 1},
        ).status_code
        == 403
    )
    limits = client(world, "lab").get(f"{API}/limits", {"market": "eu"}).json()
    assert {row["ingredient"] for row in limits} == {"*", "Chlorpyrifos ethyl"}
    assert all(not row["is_demo"] for row in limits)


# ------------------------------------------------------------------ notices


def test_notices_through_the_api(world, area):
    c = client(world, "ppo")
    r = post(
        c,
        "/notices",
        {
            "market": "CN",
            "reference": "N-1",
            "received_on": days(-1).isoformat(),
            "codes": [area.code.replace("-", "", 1)],
            "hazard": "cadmium",
        },
    )
    assert r.status_code == 201, r.content
    notice = r.json()
    assert notice["holders"][0]["code"] == area.code
    r = post(
        c,
        "/notices",
        {
            "market": "CN",
            "received_on": days(-1).isoformat(),
            "codes": ["VN-DLOR-7777"],
            "hazard": "cadmium",
        },
    )
    assert r.status_code == 422 and "codes" in r.json()["errors"]
    assert (
        post(
            client(world, "lab"),
            "/notices",
            {"market": "CN", "received_on": "2026-01-01", "codes": [], "hazard": "pest"},
        ).status_code
        == 403
    )
    r = post(c, f"/notices/{notice['id']}/investigate", {"visit_due": days(2).isoformat()})
    assert r.status_code == 200 and len(r.json()["visits"]) == 1
    r = post(
        client(world, "province"),
        f"/notices/{notice['id']}/decide",
        {"decision": "suspension", "reason": "cadmium above the limit"},
    )
    assert r.status_code == 200 and r.json()["decision"] == "suspension"
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED
    r = post(c, f"/notices/{notice['id']}/reply", {"reply_text": "Suspended, investigating."})
    assert r.json()["status"] == "replied"
    assert client(world, "other_ppo").get(f"{API}/notices/{notice['id']}").status_code == 404
    assert client(world, "household").get(f"{API}/notices").json() == []
    assert Notice.objects.count() == 1 and Sample.objects.count() == 0
