"""/api/households: member households of a representative. The national ID number is shown
only to those who may see personal data, and never otherwise."""

import pytest
from django.test import Client

from agritrace.accounts import access
from agritrace.accounts.models import OrgKind
from agritrace.audit.models import AuditEntry
from agritrace.registry.models import Household
from conftest import make_area

pytestmark = pytest.mark.django_db

NATIONAL_ID = "066190001234"


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def send(client: Client, method: str, url: str, data):
    return getattr(client, method)(url, data, content_type="application/json")


def payload(world, **extra) -> dict:
    return {
        "name": "Nguyễn Văn Bình",
        "commune": world.orgs["coop"].unit_id,
        "national_id": NATIONAL_ID,
        "phone": "0912 345 678",
        "address": "Thôn 3",
        **extra,
    }


@pytest.fixture
def household(world) -> Household:
    from agritrace.registry import services

    return services.create_household(world.actor("coop"), payload(world))


def counts() -> tuple[int, int]:
    return Household.objects.count(), AuditEntry.objects.count()


@pytest.fixture
def no_personal_data_for_communes(monkeypatch):
    """A rule where communes see households but not their ID numbers."""
    allowed = set(access.PERMISSIONS["see_personal_data"]) - {OrgKind.COMMUNE}
    monkeypatch.setitem(access.PERMISSIONS, "see_personal_data", allowed)


# ------------------------------------------------------------------ GET /api/households


def test_list_it_works(world, household):
    make_area(world, key="coop_b", lon=108.1)
    body = client_for(world, "coop").get("/api/households").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["id"] == household.pk
    assert item["national_id"] == NATIONAL_ID
    assert item["phone"] == "0912345678"
    assert item["representative"]["id"] == world.orgs["coop"].pk
    assert client_for(world, "province").get("/api/households").json()["count"] == 3
    assert client_for(world, "coop_b").get("/api/households").json()["count"] == 2
    assert client_for(world, "coop").get("/api/households?q=bình").json()["count"] == 1
    assert client_for(world, "coop").get("/api/households?q=zzz").json()["count"] == 0


def test_list_hides_national_ids_without_the_right(world, household, no_personal_data_for_communes):
    r = client_for(world, "commune").get("/api/households")
    assert r.json()["count"] == 1
    assert "national_id" not in r.json()["items"][0]
    assert NATIONAL_ID not in r.content.decode()


def test_list_it_rejects_bad_input(world):
    client = client_for(world, "coop")
    assert client.get("/api/households?offset=-1").status_code == 422
    assert client.get("/api/households?limit=many").status_code == 422


def test_list_it_checks_access(world, household):
    assert Client().get("/api/households").status_code == 401
    for key in ("coop_b", "commune_b", "other_ppo", "exporter", "packing", "lab"):
        body = client_for(world, key).get("/api/households").json()
        assert body["count"] == 0, key


# ------------------------------------------------------------------ POST /api/households


def test_create_it_works(world):
    before = AuditEntry.objects.count()
    r = send(client_for(world, "coop"), "post", "/api/households", payload(world))
    assert r.status_code == 201, r.content
    body = r.json()
    household = Household.objects.get(pk=body["id"])
    assert household.representative == world.orgs["coop"]
    assert household.national_id == NATIONAL_ID
    assert body["national_id"] == NATIONAL_ID
    assert body["commune"]["id"] == world.orgs["coop"].unit_id
    assert body["areas"] == []
    assert AuditEntry.objects.count() == before + 1
    # the audit log keeps no ID numbers
    assert NATIONAL_ID not in str(AuditEntry.objects.last().after)


def test_create_it_rejects_bad_input(world, household):
    client = client_for(world, "coop")
    before = counts()
    assert send(client, "post", "/api/households", {"commune": 1}).status_code == 422
    r = send(client, "post", "/api/households", payload(world, commune="Ea Tul"))
    assert r.status_code == 422
    r = send(client, "post", "/api/households", payload(world, national_id=123))
    assert r.status_code == 422
    r = send(client, "post", "/api/households", payload(world, national_id="123"))
    assert r.status_code == 422 and "national_id" in r.json()["errors"]
    r = send(client, "post", "/api/households", payload(world))  # same ID number again
    assert r.status_code == 422 and "national_id" in r.json()["errors"]
    r = send(client, "post", "/api/households", payload(world, national_id=None, phone="12"))
    assert r.status_code == 422 and "phone" in r.json()["errors"]
    r = send(client, "post", "/api/households", payload(world, national_id=None, name=" "))
    assert r.status_code == 422 and "name" in r.json()["errors"]
    r = send(
        client,
        "post",
        "/api/households",
        payload(world, national_id=None, commune=world.province.pk),
    )
    assert r.status_code == 422 and "commune" in r.json()["errors"]
    assert counts() == before


def test_create_it_checks_access(world):
    before = counts()
    assert send(Client(), "post", "/api/households", payload(world)).status_code == 401
    for key in ("exporter", "packing", "commune", "household", "lab"):
        r = send(client_for(world, key), "post", "/api/households", payload(world))
        assert r.status_code == 403, key
    # an officer may not register a household in another province
    data = payload(
        world, commune=world.other_commune.pk, representative=world.orgs["other_coop"].pk
    )
    r = send(client_for(world, "ppo"), "post", "/api/households", data)
    assert r.status_code == 422 and "commune" in r.json()["errors"]
    assert counts() == before


# ------------------------------------------------------------------ GET /api/households/{id}


def test_get_it_works(world):
    area, _app = make_area(world)
    household = area.households.first()
    household.organisation = world.orgs["household"]
    household.save()
    for key in ("coop", "commune", "province", "household"):
        r = client_for(world, key).get(f"/api/households/{household.pk}")
        assert r.status_code == 200, key
        body = r.json()
        assert body["national_id"] == household.national_id
        assert body["areas"] == [
            {"id": area.pk, "name": area.name, "code": None, "code_status": "none"}
        ]


def test_get_hides_national_ids_without_the_right(world, household, no_personal_data_for_communes):
    r = client_for(world, "commune").get(f"/api/households/{household.pk}")
    assert r.status_code == 200
    assert "national_id" not in r.json()
    assert NATIONAL_ID not in r.content.decode()


def test_get_it_rejects_bad_input(world):
    assert client_for(world, "coop").get("/api/households/999999").status_code == 404


def test_get_it_checks_access(world, household):
    url = f"/api/households/{household.pk}"
    assert Client().get(url).status_code == 401
    for key in ("coop_b", "commune_b", "other_ppo", "exporter", "packing", "household", "lab"):
        assert client_for(world, key).get(url).status_code == 404, key


# ------------------------------------------------------------------ PATCH /api/households/{id}


def test_patch_it_works(world, household):
    r = send(
        client_for(world, "coop"),
        "patch",
        f"/api/households/{household.pk}",
        {"phone": "+84987654321", "address": "Thôn 5"},
    )
    assert r.status_code == 200, r.content
    household.refresh_from_db()
    assert household.phone == "+84987654321" and household.address == "Thôn 5"
    assert household.name == "Nguyễn Văn Bình"  # untouched
    assert household.national_id == NATIONAL_ID
    assert AuditEntry.objects.last().action == "household.update"


def test_patch_it_rejects_bad_input(world, household):
    client = client_for(world, "coop")
    url = f"/api/households/{household.pk}"
    before = counts()
    assert send(client, "patch", url, {"phone": 912345678}).status_code == 422
    r = send(client, "patch", url, {"phone": "12", "address": "Elsewhere"})
    assert r.status_code == 422 and "phone" in r.json()["errors"]
    r = send(client, "patch", url, {"national_id": "0661"})
    assert r.status_code == 422 and "national_id" in r.json()["errors"]
    household.refresh_from_db()
    assert household.phone == "0912345678" and household.address == "Thôn 3"
    assert counts() == before


def test_patch_it_checks_access(world, household):
    url = f"/api/households/{household.pk}"
    assert send(Client(), "patch", url, {"address": "X"}).status_code == 401
    for key in ("coop_b", "other_ppo", "exporter"):
        assert send(client_for(world, key), "patch", url, {"address": "X"}).status_code == 404
    assert send(client_for(world, "commune"), "patch", url, {"address": "X"}).status_code == 403
    household.refresh_from_db()
    assert household.address == "Thôn 3"
