"""/api/misuse/: every route's good path, its refused roles (403 for those who see no case,
404 for a case outside one's land) and its bad input (422 naming the field, nothing
changed)."""

import io

import pytest
from django.test import Client

from agritrace.audit.models import AuditEntry
from agritrace.misuse.models import Case, CaseStep, Rule

from .officer import cases_fixture  # noqa: F401  (the `cases` fixture)

pytestmark = pytest.mark.django_db

API = "/api/misuse"
FIRMS = ("exporter", "packing", "coop", "household", "lab")


def client(world, key: str | None) -> Client:
    c = Client()
    if key:
        c.force_login(world.users[key])
    return c


def post(c: Client, url: str, data=None):
    return c.post(f"{API}{url}", data or {}, content_type="application/json")


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {c["id"] for c in response.json()["items"]}


def test_case_list_is_scoped_to_the_land(world, cases):
    ours = {cases["area"].pk, cases["house"].pk, cases["commune_b"].pk}
    assert ids(client(world, "ppo").get(f"{API}/cases")) == ours
    assert ids(client(world, "ministry").get(f"{API}/cases")) == ours | {cases["other_province"].pk}
    assert ids(client(world, "commune").get(f"{API}/cases")) == {
        cases["area"].pk,
        cases["house"].pk,
    }
    body = client(world, "ppo").get(f"{API}/cases").json()
    assert body["count"] == 3
    assert [c["id"] for c in body["items"]][0] == cases["area"].pk  # highest score first
    assert body["items"][0]["party"]["name"] == world.orgs["exporter"].name


def test_case_routes_refuse_firms_and_the_public(world, cases):
    case = cases["area"].pk
    for key in FIRMS:
        c = client(world, key)
        assert c.get(f"{API}/cases").status_code == 403, key
        assert c.get(f"{API}/cases/{case}").status_code == 403, key
        assert c.get(f"{API}/cases.xlsx").status_code == 403, key
        assert c.get(f"{API}/rules").status_code == 403, key
        for step in ("review", "confirm", "dismiss", "notes"):
            assert post(c, f"/cases/{case}/{step}", {"note": "x", "reason": "x"}).status_code == 403
        assert post(c, f"/cases/{case}/act", {"action": "warning"}).status_code == 403
        assert (
            c.put(
                f"{API}/rules/area_volume_over_yield", {"enabled": False}, "application/json"
            ).status_code
            == 403
        )
    anonymous = client(world, None)
    assert anonymous.get(f"{API}/cases").status_code == 401
    assert not CaseStep.objects.exists()


def test_filters(world, cases):
    c = client(world, "ppo")
    assert ids(c.get(f"{API}/cases", {"rule": "house_over_capacity"})) == {cases["house"].pk}
    assert ids(c.get(f"{API}/cases", {"severity": "low"})) == {cases["commune_b"].pk}
    assert ids(c.get(f"{API}/cases", {"min_score": 9})) == {cases["area"].pk, cases["house"].pk}
    assert ids(c.get(f"{API}/cases", {"commune": world.communes[1].pk})) == {cases["commune_b"].pk}
    assert ids(c.get(f"{API}/cases", {"q": cases["house"].code})) == {cases["house"].pk}
    assert ids(c.get(f"{API}/cases", {"q": "Tây Nguyên"})) == {cases["area"].pk}
    assert ids(c.get(f"{API}/cases", {"season": "2025"})) == set()
    assert ids(c.get(f"{API}/cases", {"status": "open", "limit": 1})) == {cases["area"].pk}
    bad = c.get(f"{API}/cases", {"status": "closed"})
    assert bad.status_code == 422 and "status" in bad.json()["errors"]


def test_case_detail_has_evidence_steps_and_series(world, cases):
    c = client(world, "ppo")
    body = c.get(f"{API}/cases/{cases['area'].pk}").json()
    assert body["evidence"]["figures"]["ratio"] == 5.0
    assert body["explanation"][0]["feature"] == "ratio"
    assert body["steps"] == [] and body["allowed_steps"] == ["review", "note"]
    assert set(body["series"]) == {"labels", "datasets", "notes"}
    assert c.get(f"{API}/cases/{cases['other_province'].pk}").status_code == 404
    commune = client(world, "commune")
    assert commune.get(f"{API}/cases/{cases['commune_b'].pk}").status_code == 404
    assert commune.get(f"{API}/cases/{cases['area'].pk}").status_code == 200


def test_the_workflow_through_the_api(world, cases):
    c = client(world, "ppo")
    case = cases["area"]
    body = post(c, f"/cases/{case.pk}/review", {"note": "Looking"}).json()
    assert body["status"] == "under_review"
    assert body["steps"][0]["by"] == "ppo_user"
    assert post(c, f"/cases/{case.pk}/confirm", {"note": "Borrowed"}).json()["status"] == (
        "confirmed"
    )
    body = post(c, f"/cases/{case.pk}/act", {"action": "suspension", "reason": "Borrowed"}).json()
    assert (body["status"], body["action"]) == ("actioned", "suspension")
    case.area.refresh_from_db()
    assert case.area.code_status == "suspended"
    assert post(c, f"/cases/{case.pk}/notes", {"note": "Told the firm"}).status_code == 200
    assert CaseStep.objects.filter(case=case).count() == 4


def test_out_of_order_and_bad_input_are_422_and_change_nothing(world, cases):
    c = client(world, "ppo")
    case = cases["area"]
    audit = AuditEntry.objects.count()
    r = post(c, f"/cases/{case.pk}/act", {"action": "warning"})
    assert r.status_code == 422 and "status" in r.json()["errors"]
    r = post(c, f"/cases/{case.pk}/dismiss", {"reason": "lawful"})
    assert r.status_code == 422 and "status" in r.json()["errors"]
    post(c, f"/cases/{case.pk}/review")
    r = post(c, f"/cases/{case.pk}/dismiss", {"reason": " "})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    post(c, f"/cases/{case.pk}/confirm")
    r = post(c, f"/cases/{case.pk}/act", {"action": "fine"})
    assert r.status_code == 422
    r = post(c, f"/cases/{case.pk}/act", {"action": "inspection", "due_date": "2000-01-01"})
    assert r.status_code == 422 and "due_date" in r.json()["errors"]
    case.refresh_from_db()
    assert case.status == "confirmed" and case.action == ""
    assert CaseStep.objects.filter(case=case).count() == 2
    assert AuditEntry.objects.count() == audit + 2


def test_the_commune_reviews_but_does_not_decide(world, cases):
    c = client(world, "commune")
    case = cases["area"]
    assert post(c, f"/cases/{case.pk}/review", {"note": "Known to us"}).status_code == 200
    assert post(c, f"/cases/{case.pk}/confirm").status_code == 403
    assert post(c, f"/cases/{case.pk}/dismiss", {"reason": "x"}).status_code == 403
    assert post(c, f"/cases/{case.pk}/act", {"action": "warning"}).status_code == 403
    assert post(c, f"/cases/{cases['commune_b'].pk}/review").status_code == 404
    ministry = client(world, "ministry")
    assert post(ministry, f"/cases/{case.pk}/confirm").status_code == 403
    assert Case.objects.get(pk=case.pk).status == "under_review"


def test_rules_read_and_edit(world, cases):
    c = client(world, "commune")
    assert {r["code"] for r in c.get(f"{API}/rules").json()} >= {"area_volume_over_yield"}
    put = lambda cl, code, body: cl.put(f"{API}/rules/{code}", body, "application/json")  # noqa: E731
    assert put(c, "area_volume_over_yield", {"enabled": False}).status_code == 403
    ppo = client(world, "ppo")
    r = put(ppo, "house_over_capacity", {"thresholds": {"tolerance": 1.3}, "enabled": False})
    assert r.status_code == 200
    assert r.json()["thresholds"] == {"window_days": 7, "tolerance": 1.3}
    rule = Rule.objects.get(code="house_over_capacity")
    assert not rule.enabled and rule.updated_by == world.users["ppo"]
    assert AuditEntry.objects.filter(action="misuse_rule.update", object_id=str(rule.pk)).exists()
    r = put(ppo, "house_over_capacity", {"thresholds": {"tolerance": -1, "radius": 3}})
    assert r.status_code == 422 and len(r.json()["errors"]["thresholds"]) == 2
    assert put(ppo, "no_such_rule", {"enabled": True}).status_code == 404
    rule.refresh_from_db()
    assert rule.thresholds == {"window_days": 7, "tolerance": 1.3}


def test_cases_workbook_opens_with_the_rows_and_a_chart(world, cases):
    from openpyxl import load_workbook

    r = client(world, "ppo").get(f"{API}/cases.xlsx", {"min_score": 6})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(r.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("Case", "Score", "Severity")
    assert [row[0] for row in rows[1:]] == [cases["area"].pk, cases["house"].pk]
    assert rows[1][6] == cases["area"].code and rows[1][7] == world.orgs["exporter"].name
    per_rule = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(per_rule) == 3  # header + two rules
    assert len(book.worksheets[1]._charts) == 1
    commune = client(world, "commune_b").get(f"{API}/cases.xlsx")
    rows = list(
        load_workbook(io.BytesIO(commune.content)).worksheets[0].iter_rows(values_only=True)
    )
    assert [row[0] for row in rows[1:]] == [cases["commune_b"].pk]
