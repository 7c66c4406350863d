"""Areas, households and packing houses name their commune by official code or by name
(commune_code, or commune_name + province_name), not only by database id."""

import pytest
from django.test import Client

from agritrace.registry.models import Crop, Household, Market, PackingHouse, PlantingArea

pytestmark = pytest.mark.django_db


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def area(world, **place) -> dict:
    durian = Crop.objects.get(code="durian")
    return {
        "name": "Vùng sầu riêng theo tên",
        "crop": durian.pk,
        "declared_area_ha": "5",
        "markets": [Market.objects.get(code="CN").pk],
        **place,
    }


def test_area_by_code_by_name_and_still_by_id(world):
    commune = world.orgs["coop"].unit
    client = client_for(world, "coop")
    r = post(client, "/api/areas", area(world, commune_code=commune.code))
    assert r.status_code == 201, r.content
    assert r.json()["commune"]["id"] == commune.pk
    folded = commune.name.replace("Xã ", "").lower()
    r = post(
        client,
        "/api/areas",
        area(world, name="B", commune_name=folded, province_name="dak lak"),
    )
    assert r.status_code == 201, r.content
    assert r.json()["commune"]["id"] == commune.pk
    r = post(client, "/api/areas", area(world, name="C", commune=commune.pk))
    assert r.status_code == 201
    assert PlantingArea.objects.filter(commune=commune).count() == 3


def test_household_and_packing_house_by_code(world):
    commune = world.orgs["coop"].unit
    r = post(
        client_for(world, "coop"),
        "/api/households",
        {"name": "Hộ Y Niê", "commune_code": commune.code, "national_id": "066190000001"},
    )
    assert r.status_code == 201, r.content
    assert Household.objects.get(name="Hộ Y Niê").commune == commune
    r = post(
        client_for(world, "packing"),
        "/api/packing-houses",
        {
            "name": "Nhà đóng gói A",
            "address": "Thôn 1",
            "commune_name": commune.name,
            "province_name": "66",
            "capacity_t_per_day": "20",
        },
    )
    assert r.status_code == 201, r.content
    assert PackingHouse.objects.get(name="Nhà đóng gói A").commune == commune


def test_unknown_or_ambiguous_is_a_clear_422(world):
    client = client_for(world, "ppo")
    before = PlantingArea.objects.count()
    rep = {"representative": world.orgs["coop"].pk}
    cases = [
        (area(world, commune_code="99999", **rep), "commune_code", "code"),
        (
            area(world, commune_name="Nowhere", province_name="66", **rep),
            "commune_name",
            "No commune",
        ),
        (area(world, commune_name="Ea Tul", **rep), "province_name", "province"),
        (
            area(world, commune_name="Ea Tul", province_name="Atlantis", **rep),
            "province_name",
            "Atlantis",
        ),
        (area(world, province_name="66", **rep), "commune_name", "commune"),
        (area(world, **rep), "commune", "commune"),
        # a code and a name that disagree
        (
            area(
                world,
                commune_code=world.communes[1].code,
                commune_name=world.communes[0].name,
                **rep,
            ),
            "commune_name",
            "not the name",
        ),
    ]
    for data, field, words in cases:
        r = post(client, "/api/areas", data)
        assert r.status_code == 422, (data, r.content)
        assert words in r.json()["errors"][field][0], r.json()
    r = post(
        client_for(world, "ministry"),
        "/api/households",
        {"name": "H", "commune_name": "tan thanh", "province_name": "Đồng Tháp"},
    )
    assert r.status_code in (403, 422)
    r = post(
        client_for(world, "other_ppo"),
        "/api/households",
        {
            "name": "H",
            "commune_name": "tan thanh",
            "province_name": "Đồng Tháp",
            "representative": world.orgs["other_coop"].pk,
        },
    )
    assert r.status_code == 422
    assert "ambiguous" in r.json()["errors"]["commune_name"][0]
    assert PlantingArea.objects.count() == before


def test_by_name_keeps_the_scope(world, other_commune):
    r = post(
        client_for(world, "ppo"),
        "/api/areas",
        area(world, commune_code=other_commune.code, representative=world.orgs["coop"].pk),
    )
    assert r.status_code == 422 and "outside your province" in r.json()["errors"]["commune"][0]
