"""/api/accounts: who am I, and machine tokens (bearer authentication)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from agritrace.accounts.models import ApiToken, Membership
from conftest import make_area, make_user

pytestmark = pytest.mark.django_db


def client_for(world, key: str, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(world.users[key])
    return client


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def create(client: Client, data: dict):
    return client.post("/api/accounts/tokens", data, content_type="application/json")


# ------------------------------------------------------------------ GET /api/accounts/me


def test_me_it_works(world):
    r = client_for(world, "ppo").get("/api/accounts/me")
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["username"] == "ppo_user"
    assert body["organisation"]["id"] == world.orgs["ppo"].pk
    assert body["organisation"]["unit"]["name"] == "Đắk Lắk"
    assert body["role"] == "inspector"
    assert body["kind"] == "plant_protection_office"
    _token, raw = ApiToken.issue(world.users["coop"], "erp")
    body = Client().get("/api/accounts/me", **bearer(raw)).json()
    assert body["user"]["username"] == "coop_user"
    assert body["kind"] == "representative"


def test_me_without_an_organisation(db):
    user = get_user_model().objects.create_user("loner", password="pw-Secret-123")
    client = Client()
    client.force_login(user)
    body = client.get("/api/accounts/me").json()
    assert body["organisation"] is None and body["role"] is None and body["kind"] is None


def test_me_it_rejects_bad_input(world):
    assert client_for(world, "coop").post("/api/accounts/me").status_code == 405


def test_me_it_checks_access(db):
    assert Client().get("/api/accounts/me").status_code == 401
    assert Client().get("/api/accounts/me", **bearer("agt_made-up")).status_code == 401


# ------------------------------------------------------------------ GET /api/accounts/tokens


def test_list_it_works(world):
    mine, raw = ApiToken.issue(world.users["coop"], "erp")
    colleague = make_user("coop_clerk", world.orgs["coop"])
    theirs, _ = ApiToken.issue(colleague, "clerk's laptop")
    ApiToken.issue(world.users["coop_b"], "other cooperative")
    r = client_for(world, "coop").get("/api/accounts/tokens")
    assert r.status_code == 200
    body = r.json()
    assert [t["id"] for t in body] == [mine.pk, theirs.pk]
    assert body[0] == {
        "id": mine.pk,
        "name": "erp",
        "prefix": raw[:12],
        "user": "coop_user",
        "created_at": body[0]["created_at"],
        "last_used_at": None,
        "revoked_at": None,
    }
    # the token itself is never listed, nor its hash
    assert raw not in r.content.decode()
    assert mine.token_hash not in r.content.decode()


def test_list_it_rejects_bad_input(world):
    assert client_for(world, "coop").delete("/api/accounts/tokens").status_code == 405


def test_list_it_checks_access(world):
    ApiToken.issue(world.users["coop"], "erp")
    assert Client().get("/api/accounts/tokens").status_code == 401
    assert client_for(world, "coop_b").get("/api/accounts/tokens").json() == []
    loner = get_user_model().objects.create_user("loner", password="pw-Secret-123")
    client = Client()
    client.force_login(loner)
    assert client.get("/api/accounts/tokens").status_code == 403


# ------------------------------------------------------------------ POST /api/accounts/tokens


def test_create_it_works(world):
    client = client_for(world, "coop")
    r = create(client, {"name": "  Phần mềm kế toán  "})
    assert r.status_code == 201, r.content
    body = r.json()
    raw = body["token"]
    assert raw.startswith("agt_") and body["prefix"] == raw[:12]
    token = ApiToken.objects.get(pk=body["id"])
    assert token.name == "Phần mềm kế toán"
    assert token.organisation == world.orgs["coop"] and token.user == world.users["coop"]
    assert token.token_hash != raw
    # it works, and it is shown only this once
    assert Client().get("/api/accounts/me", **bearer(raw)).status_code == 200
    listed = client.get("/api/accounts/tokens")
    assert "token" not in listed.json()[0]
    assert raw not in listed.content.decode()


def test_create_it_rejects_bad_input(world):
    client = client_for(world, "coop")
    for data in ({}, {"name": ""}, {"name": "   "}, {"name": 42}, {"name": "x" * 101}):
        assert create(client, data).status_code == 422, data
    assert not ApiToken.objects.exists()


def test_create_it_checks_access(world):
    assert create(Client(), {"name": "x"}).status_code == 401
    # a token cannot mint tokens that would outlive its own revocation
    _token, raw = ApiToken.issue(world.users["coop"], "erp")
    r = Client().post(
        "/api/accounts/tokens", {"name": "x"}, content_type="application/json", **bearer(raw)
    )
    assert r.status_code == 401
    loner = get_user_model().objects.create_user("loner", password="pw-Secret-123")
    client = Client()
    client.force_login(loner)
    assert create(client, {"name": "x"}).status_code == 403
    assert ApiToken.objects.count() == 1


# ------------------------------------------------------------------ POST .../revoke


def test_revoke_it_works(world):
    token, raw = ApiToken.issue(world.users["coop"], "erp")
    r = client_for(world, "coop").post(f"/api/accounts/tokens/{token.pk}/revoke")
    assert r.status_code == 200
    assert r.json()["revoked_at"] is not None
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/areas", **bearer(raw)).status_code == 401


def test_revoke_a_colleagues_token(world):
    colleague = make_user("coop_clerk", world.orgs["coop"])
    token, _raw = ApiToken.issue(colleague, "clerk's laptop")
    r = client_for(world, "coop").post(f"/api/accounts/tokens/{token.pk}/revoke")
    assert r.status_code == 200


def test_a_token_revokes_itself(world):
    token, raw = ApiToken.issue(world.users["coop"], "erp")
    r = Client().post(f"/api/accounts/tokens/{token.pk}/revoke", **bearer(raw))
    assert r.status_code == 200
    assert Client().get("/api/accounts/me", **bearer(raw)).status_code == 401


def test_revoke_it_rejects_bad_input(world):
    client = client_for(world, "coop")
    assert client.post("/api/accounts/tokens/999999/revoke").status_code == 404
    assert client.post("/api/accounts/tokens/first/revoke").status_code in (404, 422)
    token, _raw = ApiToken.issue(world.users["coop"], "erp")
    assert client.get(f"/api/accounts/tokens/{token.pk}/revoke").status_code == 405


def test_revoke_it_checks_access(world):
    token, raw = ApiToken.issue(world.users["coop"], "erp")
    url = f"/api/accounts/tokens/{token.pk}/revoke"
    assert Client().post(url).status_code == 401
    for key in ("coop_b", "province", "ministry"):
        assert client_for(world, key).post(url).status_code == 404, key
    token.refresh_from_db()
    assert token.revoked_at is None
    assert Client().get("/api/accounts/me", **bearer(raw)).status_code == 200


# ------------------------------------------------------------------ bearer authentication


def test_bearer_it_works(world):
    area, _app = make_area(world)
    make_area(world, key="coop_b", lon=108.1)
    token, raw = ApiToken.issue(world.users["coop"], "erp")
    r = Client().get("/api/areas", **bearer(raw))
    assert r.status_code == 200
    assert [a["id"] for a in r.json()["items"]] == [area.pk]  # the user's scope applies
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_bearer_writes_need_no_csrf_token(world):
    """Machines send no CSRF token; the bearer token is the proof. A session still needs one."""
    from agritrace.registry.models import Crop

    _token, raw = ApiToken.issue(world.users["coop"], "erp")
    durian = Crop.objects.get(code="durian")
    data = {
        "name": "Vùng từ ERP",
        "crop": durian.pk,
        "commune": world.orgs["coop"].unit_id,
        "declared_area_ha": 3,
    }
    machine = Client(enforce_csrf_checks=True)
    r = machine.post("/api/areas", data, content_type="application/json", **bearer(raw))
    assert r.status_code == 201, r.content
    browser = client_for(world, "coop", enforce_csrf_checks=True)
    r = browser.post("/api/areas", data, content_type="application/json")
    assert r.status_code == 403


def test_bearer_it_rejects_bad_input(world):
    _token, raw = ApiToken.issue(world.users["coop"], "erp")
    client = Client()
    for header in (f"Token {raw}", "Bearer", f"Bearer {raw}x", "Bearer agt_nothing", raw):
        r = client.get("/api/areas", HTTP_AUTHORIZATION=header)
        assert r.status_code == 401, header


def test_bearer_it_checks_access(world):
    make_area(world)
    # revoked
    revoked, raw_revoked = ApiToken.issue(world.users["coop"], "old")
    revoked.revoke()
    assert Client().get("/api/areas", **bearer(raw_revoked)).status_code == 401
    # the user has since moved to another organisation
    _token, raw_moved = ApiToken.issue(world.users["coop"], "erp")
    assert Client().get("/api/areas", **bearer(raw_moved)).status_code == 200
    Membership.objects.filter(user=world.users["coop"]).update(organisation=world.orgs["coop_b"])
    assert Client().get("/api/areas", **bearer(raw_moved)).status_code == 401
    # the user was deactivated
    _token, raw_inactive = ApiToken.issue(world.users["province"], "dashboard")
    get_user_model().objects.filter(pk=world.users["province"].pk).update(is_active=False)
    assert Client().get("/api/areas", **bearer(raw_inactive)).status_code == 401
    # the user's role applies to the token: a commune's token cannot create areas
    _token, raw_commune = ApiToken.issue(world.users["commune"], "gis")
    r = Client().post("/api/areas", {}, content_type="application/json", **bearer(raw_commune))
    assert r.status_code == 422  # the body is checked first ...
    from agritrace.registry.models import Crop

    data = {
        "name": "X",
        "crop": Crop.objects.get(code="durian").pk,
        "commune": world.orgs["commune"].unit_id,
        "declared_area_ha": 1,
    }
    r = Client().post("/api/areas", data, content_type="application/json", **bearer(raw_commune))
    assert r.status_code == 403  # ... then the role
