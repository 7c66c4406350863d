"""/api/packing-houses: list, register, read, and the code's suspend, reinstate, revoke."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agritrace.audit.models import AuditEntry
from agritrace.registry import services
from agritrace.registry.models import Application, CodeStatus, Crop, Market, PackingHouse
from conftest import walk_to_issued

pytestmark = pytest.mark.django_db


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def post(client: Client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


def payload(world, **extra) -> dict:
    return {
        "name": "Kho đóng gói Phúc Thịnh 2",
        "address": "Quốc lộ 14, Km 12",
        "commune": world.orgs["packing"].unit_id,
        "lon": 108.06,
        "lat": 12.68,
        "capacity_t_per_day": "40.5",
        "crops": [Crop.objects.get(code="durian").pk],
        "markets": [Market.objects.get(code="CN").pk],
        **extra,
    }


@pytest.fixture
def house(world) -> PackingHouse:
    house, _app = services.create_packing_house(world.actor("packing"), payload(world))
    return house


@pytest.fixture
def issued(world, house) -> PackingHouse:
    walk_to_issued(world, house.applications.get())
    house.refresh_from_db()
    return house


def counts() -> tuple[int, int, int]:
    return PackingHouse.objects.count(), Application.objects.count(), AuditEntry.objects.count()


# ------------------------------------------------------------------ GET /api/packing-houses


def test_list_it_works(world, house):
    for key in ("packing", "ppo", "commune", "ministry"):
        body = client_for(world, key).get("/api/packing-houses").json()
        assert body["count"] == 1, key
        item = body["items"][0]
        assert item["id"] == house.pk
        assert item["operator"]["id"] == world.orgs["packing"].pk
        assert item["capacity_t_per_day"] == 40.5
        assert [c["code"] for c in item["crops"]] == ["durian"]
    client = client_for(world, "ppo")
    assert client.get("/api/packing-houses?q=Phúc").json()["count"] == 1
    assert client.get("/api/packing-houses?code_status=issued").json()["count"] == 0


def test_list_it_rejects_bad_input(world):
    client = client_for(world, "ppo")
    assert client.get("/api/packing-houses?code_status=closed").status_code == 422
    assert client.get("/api/packing-houses?limit=-5").status_code == 422


def test_list_it_checks_access(world, house):
    assert Client().get("/api/packing-houses").status_code == 401
    for key in ("other_ppo", "exporter", "coop", "commune_b", "lab", "household"):
        assert client_for(world, key).get("/api/packing-houses").json()["count"] == 0, key


def test_list_shows_published_codes_to_laboratories(world, issued):
    assert client_for(world, "lab").get("/api/packing-houses").json()["count"] == 1


# ------------------------------------------------------------------ POST /api/packing-houses


def test_create_it_works(world):
    before = AuditEntry.objects.count()
    r = post(client_for(world, "packing"), "/api/packing-houses", payload(world))
    assert r.status_code == 201, r.content
    body = r.json()
    house = PackingHouse.objects.get(pk=body["id"])
    assert house.operator == world.orgs["packing"]
    assert (house.lon, house.lat) == (108.06, 12.68)
    assert body["application"]["status"] == "draft"
    assert body["code_status"] == "none"
    assert [m["code"] for m in body["markets"]] == ["CN"]
    assert AuditEntry.objects.count() == before + 2


def test_create_an_officer_names_the_operator(world):
    data = payload(world, operator=world.orgs["exporter"].pk)
    r = post(client_for(world, "province"), "/api/packing-houses", data)
    assert r.status_code == 201, r.content
    assert r.json()["operator"]["id"] == world.orgs["exporter"].pk


def test_create_it_rejects_bad_input(world):
    client = client_for(world, "packing")
    before = counts()
    assert (
        post(client, "/api/packing-houses", payload(world, capacity_t_per_day="lots")).status_code
        == 422
    )
    data = payload(world)
    del data["address"]
    assert post(client, "/api/packing-houses", data).status_code == 422
    assert post(client, "/api/packing-houses", payload(world, lon="east")).status_code == 422
    for field, bad in (
        ("capacity_t_per_day", {"capacity_t_per_day": -1}),
        ("lat", {"lat": None}),
        ("lon", {"lon": 2.35, "lat": 48.85}),
        ("name", {"name": " "}),
    ):
        r = post(client, "/api/packing-houses", payload(world, **bad))
        assert r.status_code == 422, field
        assert field in r.json()["errors"], (field, r.json())
    r = post(client, "/api/packing-houses", payload(world, commune=world.province.pk))
    assert r.status_code == 422 and "commune" in r.json()["errors"]
    r = post(client_for(world, "ppo"), "/api/packing-houses", payload(world))  # no operator
    assert r.status_code == 422 and "operator" in r.json()["errors"]
    assert counts() == before


def test_create_it_checks_access(world):
    before = counts()
    assert post(Client(), "/api/packing-houses", payload(world)).status_code == 401
    for key in ("household", "lab", "commune", "ministry"):
        assert (
            post(client_for(world, key), "/api/packing-houses", payload(world)).status_code == 403
        )
    data = payload(world, commune=world.other_commune.pk, operator=world.orgs["packing"].pk)
    r = post(client_for(world, "ppo"), "/api/packing-houses", data)
    assert r.status_code == 422 and "commune" in r.json()["errors"]
    assert counts() == before


# ------------------------------------------------------------------ GET /api/packing-houses/{id}


def test_get_it_works(world, house):
    r = client_for(world, "ppo").get(f"/api/packing-houses/{house.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == house.name
    assert body["province"]["name"] == "Đắk Lắk"
    assert body["applications"][0]["status"] == "draft"


def test_get_it_rejects_bad_input(world):
    assert client_for(world, "ppo").get("/api/packing-houses/999999").status_code == 404


def test_get_it_checks_access(world, house):
    url = f"/api/packing-houses/{house.pk}"
    assert Client().get(url).status_code == 401
    for key in ("other_ppo", "exporter", "coop", "lab", "commune_b"):
        assert client_for(world, key).get(url).status_code == 404, key


# ------------------------------------------------------------------ suspend / reinstate / revoke


def test_code_actions_work(world, issued):
    client = client_for(world, "ppo")
    base = f"/api/packing-houses/{issued.pk}"
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    r = post(client, f"{base}/suspend", {"reason": "Không đảm bảo vệ sinh", "until": until})
    assert r.status_code == 200, r.content
    assert r.json()["code_status"] == "suspended"
    assert r.json()["suspended_until"] == until
    r = post(client, f"{base}/reinstate", {"reason": "Đã khắc phục"})
    assert r.status_code == 200 and r.json()["code_status"] == "issued"
    r = post(client, f"{base}/revoke", {"reason": "Ngừng hoạt động"})
    assert r.status_code == 200 and r.json()["code_status"] == "revoked"
    issued.refresh_from_db()
    assert issued.code_status == CodeStatus.REVOKED
    actions = list(issued.steps.filter(application=None).values_list("action", flat=True))
    assert actions == ["suspend", "reinstate", "revoke"]


def test_code_actions_reject_bad_input(world, issued):
    client = client_for(world, "ppo")
    base = f"/api/packing-houses/{issued.pk}"
    before = AuditEntry.objects.count()
    assert post(client, f"{base}/suspend", {}).status_code == 422
    assert post(client, f"{base}/suspend", {"reason": "x", "until": 5}).status_code == 422
    r = post(client, f"{base}/suspend", {"reason": ""})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    r = post(client, f"{base}/reinstate", {"reason": "x"})  # not suspended
    assert r.status_code == 422 and "action" in r.json()["errors"]
    assert post(client, f"{base}/revoke", {}).status_code == 422
    r = post(client, f"{base}/revoke", {"reason": " "})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    issued.refresh_from_db()
    assert issued.code_status == CodeStatus.ISSUED
    assert AuditEntry.objects.count() == before


def test_code_actions_check_access(world, issued):
    base = f"/api/packing-houses/{issued.pk}"
    for action in ("suspend", "reinstate", "revoke"):
        url = f"{base}/{action}"
        assert post(Client(), url, {"reason": "x"}).status_code == 401
        # the operator sees its house but may not decide on its code
        assert post(client_for(world, "packing"), url, {"reason": "x"}).status_code == 403
        assert post(client_for(world, "commune"), url, {"reason": "x"}).status_code == 403
        assert post(client_for(world, "other_ppo"), url, {"reason": "x"}).status_code == 404
        assert post(client_for(world, "exporter"), url, {"reason": "x"}).status_code == 404
    issued.refresh_from_db()
    assert issued.code_status == CodeStatus.ISSUED
