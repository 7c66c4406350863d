"""/api/areas: list, create, read, change, member households and the plots map."""

from decimal import Decimal

import pytest
from django.test import Client

from agritrace.audit.models import AuditEntry
from agritrace.registry.models import Application, Household, Market, PlantingArea
from conftest import make_area

pytestmark = pytest.mark.django_db

# A Đồng Tháp spot for the other province's area (Cao Lãnh).
DT = {"lon": 105.63, "lat": 10.46}


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def send(client: Client, method: str, url: str, data) -> object:
    return getattr(client, method)(url, data, content_type="application/json")


def area_payload(world, **extra) -> dict:
    from agritrace.registry.models import Crop

    durian = Crop.objects.get(code="durian")
    return {
        "name": "Vùng sầu riêng Ea Tul 2",
        "crop": durian.pk,
        "variety": durian.varieties.first().pk,
        "commune": world.orgs["coop"].unit_id,
        "declared_area_ha": "12.5",
        "expected_yield_t": 150,
        "markets": [Market.objects.get(code="CN").pk],
        **extra,
    }


def counts() -> tuple[int, int, int]:
    return PlantingArea.objects.count(), Application.objects.count(), AuditEntry.objects.count()


# ------------------------------------------------------------------ GET /api/areas


def test_list_it_works(world):
    area, _app = make_area(world)
    other, _ = make_area(world, key="other_coop", **DT)
    for key, expected in [("province", area), ("coop", area), ("other_ppo", other)]:
        r = client_for(world, key).get("/api/areas")
        assert r.status_code == 200
        body = r.json()
        assert body["count"] == 1
        item = body["items"][0]
        assert item["id"] == expected.pk
        assert item["crop"]["code"] == "durian"
    item = client_for(world, "ministry").get("/api/areas").json()
    assert item["count"] == 2
    page = client_for(world, "ministry").get("/api/areas?limit=1&offset=1").json()
    assert page["count"] == 2 and len(page["items"]) == 1


def test_list_it_filters(world):
    area, _app = make_area(world)
    client = client_for(world, "province")
    assert client.get("/api/areas?q=sầu").json()["count"] == 1
    assert client.get("/api/areas?q=nothing-like-it").json()["count"] == 0
    assert client.get("/api/areas?code_status=none").json()["count"] == 1
    assert client.get("/api/areas?code_status=issued").json()["count"] == 0


def test_list_it_rejects_bad_input(world):
    client = client_for(world, "province")
    assert client.get("/api/areas?limit=abc").status_code == 422
    assert client.get("/api/areas?limit=0").status_code == 422
    assert client.get("/api/areas?code_status=lost").status_code == 422


def test_list_it_checks_access(world):
    make_area(world)
    assert Client().get("/api/areas").status_code == 401
    for key in ("coop_b", "other_ppo", "exporter", "packing", "household", "lab"):
        body = client_for(world, key).get("/api/areas").json()
        assert body["count"] == 0, key


# ------------------------------------------------------------------ POST /api/areas


def test_create_it_works(world):
    before = AuditEntry.objects.count()
    r = send(client_for(world, "coop"), "post", "/api/areas", area_payload(world))
    assert r.status_code == 201, r.content
    body = r.json()
    area = PlantingArea.objects.get(pk=body["id"])
    assert area.representative == world.orgs["coop"]
    assert area.declared_area_ha == Decimal("12.5")
    assert body["application"]["status"] == "draft"
    assert body["representative"]["id"] == world.orgs["coop"].pk
    assert body["province"]["name"] == "Đắk Lắk"
    assert body["code"] is None and body["code_status"] == "none"
    assert [m["code"] for m in body["markets"]] == ["CN"]
    assert AuditEntry.objects.count() == before + 2


def test_create_an_officer_names_the_representative(world):
    payload = area_payload(world, representative=world.orgs["coop"].pk)
    r = send(client_for(world, "ppo"), "post", "/api/areas", payload)
    assert r.status_code == 201, r.content
    assert r.json()["representative"]["id"] == world.orgs["coop"].pk


def test_create_it_rejects_bad_input(world):
    client = client_for(world, "coop")
    before = counts()
    # wrong types and missing fields: ninja's own 422
    r = send(client, "post", "/api/areas", area_payload(world, declared_area_ha="lots"))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "declared_area_ha"
    payload = area_payload(world)
    del payload["name"]
    assert send(client, "post", "/api/areas", payload).status_code == 422
    r = send(client, "post", "/api/areas", area_payload(world, markets="CN"))
    assert r.status_code == 422
    # the services' rules: 422 naming the field
    r = send(client, "post", "/api/areas", area_payload(world, declared_area_ha=0))
    assert r.status_code == 422
    assert "declared_area_ha" in r.json()["errors"]
    r = send(client, "post", "/api/areas", area_payload(world, crop=999999, markets=[999999]))
    assert r.status_code == 422
    assert {"crop", "markets"} <= set(r.json()["errors"])
    r = send(client, "post", "/api/areas", area_payload(world, commune=world.province.pk))
    assert r.status_code == 422
    assert "commune" in r.json()["errors"]
    assert counts() == before


def test_create_it_checks_access(world):
    before = counts()
    assert send(Client(), "post", "/api/areas", area_payload(world)).status_code == 401
    for key in ("exporter", "packing", "commune", "household", "lab", "ministry"):
        r = send(client_for(world, key), "post", "/api/areas", area_payload(world))
        assert r.status_code == 403, key
    # an officer cannot place an area in another province
    payload = area_payload(
        world, commune=world.other_commune.pk, representative=world.orgs["other_coop"].pk
    )
    r = send(client_for(world, "ppo"), "post", "/api/areas", payload)
    assert r.status_code == 422
    assert "commune" in r.json()["errors"]
    assert counts() == before


# ------------------------------------------------------------------ GET /api/areas/{id}


def test_get_it_works(world):
    area, app = make_area(world)
    r = client_for(world, "commune").get(f"/api/areas/{area.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == area.name
    assert body["commune"]["id"] == area.commune_id
    assert body["province"]["name"] == "Đắk Lắk"
    assert body["variety"]["id"] == area.variety_id
    assert body["declared_area_ha"] == 2.0
    assert body["measured_area_ha"] == pytest.approx(2.0, rel=0.02)
    assert body["expected_yield_t"] == 20.0
    assert body["plots"]["count"] == 2
    assert body["plots"]["overlap_count"] == 0
    assert sorted(h["id"] for h in body["households"]) == sorted(
        area.households.values_list("pk", flat=True)
    )
    assert body["flags"] == []
    assert body["applications"] == [
        {"id": app.pk, "kind": "new", "status": "draft", "deadline": None}
    ]


def test_get_it_shows_flags(world):
    area, _app = make_area(world, declared=Decimal("5"))
    body = client_for(world, "coop").get(f"/api/areas/{area.pk}").json()
    assert len(body["flags"]) == 1
    assert "Declared 5" in body["flags"][0]


def test_get_it_never_shows_national_ids(world):
    area, _app = make_area(world)
    ids = list(area.households.values_list("national_id", flat=True))
    for key in ("coop", "province", "commune"):
        text = client_for(world, key).get(f"/api/areas/{area.pk}").content.decode()
        assert "national_id" not in text
        assert not any(i in text for i in ids)


def test_get_it_checks_access(world):
    area, _app = make_area(world)
    assert Client().get(f"/api/areas/{area.pk}").status_code == 401
    for key in ("other_ppo", "coop_b", "commune_b", "exporter", "packing", "household", "lab"):
        assert client_for(world, key).get(f"/api/areas/{area.pk}").status_code == 404, key
    assert client_for(world, "coop").get("/api/areas/999999").status_code == 404


# ------------------------------------------------------------------ PATCH /api/areas/{id}


def test_patch_it_works(world):
    area, _app = make_area(world)
    before = AuditEntry.objects.count()
    r = send(
        client_for(world, "coop"),
        "patch",
        f"/api/areas/{area.pk}",
        {"name": "Vùng mới", "village": "Buôn Ko", "markets": []},
    )
    assert r.status_code == 200, r.content
    area.refresh_from_db()
    assert area.name == "Vùng mới" and area.village == "Buôn Ko"
    assert area.declared_area_ha == Decimal("2")  # untouched fields stay
    assert area.markets.count() == 0
    assert r.json()["markets"] == []
    entry = AuditEntry.objects.last()
    assert AuditEntry.objects.count() == before + 1
    assert entry.action == "area.update"


def test_patch_it_rejects_bad_input(world):
    area, _app = make_area(world)
    client = client_for(world, "coop")
    before = AuditEntry.objects.count()
    r = send(client, "patch", f"/api/areas/{area.pk}", {"harvests_per_year": "often"})
    assert r.status_code == 422
    r = send(client, "patch", f"/api/areas/{area.pk}", {"declared_area_ha": -1, "name": "X"})
    assert r.status_code == 422
    assert "declared_area_ha" in r.json()["errors"]
    r = send(client, "patch", f"/api/areas/{area.pk}", {"variety": 999999})
    assert r.status_code == 422
    assert "variety" in r.json()["errors"]
    area.refresh_from_db()
    assert area.name != "X" and area.declared_area_ha == Decimal("2")
    assert AuditEntry.objects.count() == before


def test_patch_it_checks_access(world):
    area, _app = make_area(world)
    url = f"/api/areas/{area.pk}"
    assert send(Client(), "patch", url, {"name": "X"}).status_code == 401
    for key in ("other_ppo", "coop_b", "exporter"):
        assert send(client_for(world, key), "patch", url, {"name": "X"}).status_code == 404, key
    # the commune sees the area but may not change it
    assert send(client_for(world, "commune"), "patch", url, {"name": "X"}).status_code == 403
    area.refresh_from_db()
    assert area.name != "X"


# ------------------------------------------------------------------ PUT /api/areas/{id}/households


def test_households_it_works(world):
    area, _app = make_area(world)
    keep = area.households.first()
    r = send(
        client_for(world, "coop"),
        "put",
        f"/api/areas/{area.pk}/households",
        {"household_ids": [keep.pk]},
    )
    assert r.status_code == 200, r.content
    assert [h["id"] for h in r.json()["households"]] == [keep.pk]
    assert list(area.households.all()) == [keep]
    assert AuditEntry.objects.last().action == "area.households"


def test_households_it_rejects_bad_input(world):
    area, _app = make_area(world)
    other, _ = make_area(world, key="coop_b", lon=108.1)
    foreign = other.households.first()
    client = client_for(world, "coop")
    url = f"/api/areas/{area.pk}/households"
    members = sorted(area.households.values_list("pk", flat=True))
    before = AuditEntry.objects.count()
    assert send(client, "put", url, {"household_ids": "all"}).status_code == 422
    assert send(client, "put", url, {}).status_code == 422
    for ids in ([999999], [foreign.pk]):
        r = send(client, "put", url, {"household_ids": ids})
        assert r.status_code == 422
        assert "households" in r.json()["errors"]
    assert sorted(area.households.values_list("pk", flat=True)) == members
    assert AuditEntry.objects.count() == before


def test_households_it_checks_access(world):
    area, _app = make_area(world)
    url = f"/api/areas/{area.pk}/households"
    assert send(Client(), "put", url, {"household_ids": []}).status_code == 401
    assert send(client_for(world, "coop_b"), "put", url, {"household_ids": []}).status_code == 404
    assert (
        send(client_for(world, "other_ppo"), "put", url, {"household_ids": []}).status_code == 404
    )
    assert send(client_for(world, "commune"), "put", url, {"household_ids": []}).status_code == 403
    assert area.households.count() == 2


# ------------------------------------------------------------------ GET plots.geojson


def test_plots_geojson_it_works(world):
    area, _app = make_area(world)
    r = client_for(world, "province").get(f"/api/areas/{area.pk}/plots.geojson")
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 2
    feature = body["features"][0]
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["label"] == "P0"
    assert feature["properties"]["area"]["id"] == area.pk
    assert feature["properties"]["area_m2"] == pytest.approx(10_000, rel=0.02)


def test_plots_geojson_it_rejects_bad_input(world):
    client = client_for(world, "province")
    assert client.get("/api/areas/not-a-number/plots.geojson").status_code in (404, 422)
    assert client.get("/api/areas/999999/plots.geojson").status_code == 404


def test_plots_geojson_it_checks_access(world):
    area, _app = make_area(world)
    url = f"/api/areas/{area.pk}/plots.geojson"
    assert Client().get(url).status_code == 401
    for key in ("other_ppo", "coop_b", "exporter", "lab"):
        assert client_for(world, key).get(url).status_code == 404, key


def test_households_outside_scope_are_not_listed_in_an_area(world):
    """The area's page lists member households only to those who may see them."""
    area, _app = make_area(world)
    hh = Household.objects.filter(areas=area).first()
    hh.organisation = world.orgs["household"]
    hh.save()
    body = client_for(world, "household").get(f"/api/areas/{area.pk}").json()
    assert [h["id"] for h in body["households"]] == [hh.pk]
