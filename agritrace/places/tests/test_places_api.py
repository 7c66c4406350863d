"""/api/places: provinces and communes (public, read-only), current and earlier trees."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def get(url: str, **params):
    return Client().get(url, params)


def test_provinces_current_and_earlier():
    r = get("/api/places/provinces")
    assert r.status_code == 200
    body = r.json()
    assert len(body) == 34
    dong_thap = next(p for p in body if p["name"] == "Đồng Tháp")
    assert dong_thap["code"] == "82" and dong_thap["tree"] == "2025"
    assert {"Đồng Tháp", "Tiền Giang"} <= {e["name"] for e in dong_thap["earlier"]}
    earlier = get("/api/places/provinces", tree="2008").json()
    assert len(earlier) == 63
    ben_tre = next(p for p in earlier if p["name"] == "Bến Tre")
    assert [n["name"] for n in ben_tre["now_in"]] == ["Vĩnh Long"]
    # seeded from a code seen in the design notes, with its source
    assert ben_tre["abbreviation"] == "BT"


def test_communes_by_province_and_name():
    r = get("/api/places/communes", province="dak lak", q="ea tul")
    assert r.status_code == 200
    items = r.json()["items"]
    assert [(c["name"], c["province"]["name"]) for c in items] == [("Xã Ea Tul", "Đắk Lắk")]
    code = items[0]["code"]
    assert items[0]["earlier"], "a current commune lists the earlier ones it was made of"
    by_code = get("/api/places/communes", q=code).json()["items"]
    assert [c["name"] for c in by_code] == ["Xã Ea Tul"]
    by_province_code = get("/api/places/communes", province="66").json()
    assert by_province_code["count"] > 50
    assert all(c["province"]["code"] == "66" for c in by_province_code["items"])


def test_communes_word_start_not_inside_a_word():
    names = [c["name"] for c in get("/api/places/communes", province="66", q="ea").json()["items"]]
    assert names and all(" ea" in f" {n.lower()}" for n in names)


def test_communes_earlier_tree_with_district_and_mapping():
    r = get("/api/places/communes", province="Bến Tre", tree="2008", q="an hiep")
    items = r.json()["items"]
    assert items
    first = items[0]
    assert first["tree"] == "2008" and first["province"]["name"] == "Bến Tre"
    assert first["district"] is not None
    assert first["now_in"] and all(n["code"] for n in first["now_in"])


def test_communes_it_rejects_bad_input():
    r = get("/api/places/communes", province="Atlantis")
    assert r.status_code == 422
    assert "province" in r.json()["errors"]
    # Neither a province nor a name: the whole tree, paged.
    r = get("/api/places/communes", limit=5)
    assert r.status_code == 200 and len(r.json()["items"]) == 5 and r.json()["count"] > 3000
    assert get("/api/places/communes", province="66", tree="1999").status_code == 422


def test_places_are_public_and_read_only():
    assert get("/api/places/provinces").status_code == 200
    assert Client().post("/api/places/provinces").status_code == 405
