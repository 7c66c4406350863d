"""/api/plots: one plot at a time as GeoJSON, and many at once from a FeatureCollection
(all or nothing)."""

import pytest
from django.test import Client

from agritrace.audit.models import AuditEntry
from agritrace.registry.models import Plot
from conftest import make_area, square

pytestmark = pytest.mark.django_db

LON, LAT = 108.3, 12.7


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def send(client: Client, method: str, url: str, data):
    return getattr(client, method)(url, data, content_type="application/json")


@pytest.fixture
def area(world):
    area, _app = make_area(world)
    return area


@pytest.fixture
def household(area):
    return area.households.first()


def plot_payload(household, area=None, /, **extra) -> dict:
    return {
        "household": household.pk,
        "area": area.pk if area else None,
        "label": "T12",
        "planting_year": 2019,
        "geometry": square(LON, LAT, 50),
        **extra,
    }


def feature(household, area, label: str, lon: float) -> dict:
    return {
        "type": "Feature",
        "geometry": square(lon, LAT, 60),
        "properties": {"household": household.pk, "label": label, "area": area.pk},
    }


def counts() -> tuple[int, int]:
    return Plot.objects.count(), AuditEntry.objects.count()


# ------------------------------------------------------------------ POST /api/plots


def test_create_it_works(world, area, household):
    measured = area.measured_area_ha
    r = send(client_for(world, "coop"), "post", "/api/plots", plot_payload(household, area))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["type"] == "Feature"
    assert body["geometry"]["type"] == "Polygon"
    props = body["properties"]
    assert props["label"] == "T12"
    assert props["household"]["id"] == household.pk
    assert props["crop"]["code"] == "durian"  # the area's crop by default
    assert props["planting_year"] == 2019
    assert props["area_m2"] == pytest.approx(2500, rel=0.02)
    plot = Plot.objects.get(pk=body["id"])
    assert plot.area == area
    area.refresh_from_db()
    assert area.measured_area_ha > measured


def test_create_it_flags_overlaps(world, area, household):
    # lies over the second household's plot (P1 at lon + 0.002)
    data = plot_payload(
        household, None, crop=area.crop_id, geometry=square(108.0502 + 0.002, 12.6702, 50)
    )
    r = send(client_for(world, "coop"), "post", "/api/plots", data)
    assert r.status_code == 201, r.content
    assert r.json()["properties"]["overlap_count"] == 1


def test_create_it_rejects_bad_input(world, area, household):
    client = client_for(world, "coop")
    before = counts()
    # ninja's own checks: types and required fields
    for bad in (
        {"geometry": "POLYGON((108 12, 108.1 12, 108.1 12.1, 108 12))"},
        {"household": "Nguyễn Văn An"},
        {"planting_year": "long ago"},
    ):
        r = send(client, "post", "/api/plots", plot_payload(household, area, **bad))
        assert r.status_code == 422, bad
    data = plot_payload(household, area)
    del data["geometry"]
    assert send(client, "post", "/api/plots", data).status_code == 422
    # the services' rules, by field
    for field, bad in (
        ("geometry", {"geometry": square(2.35, 48.85)}),  # Paris
        ("geometry", {"geometry": {"type": "Point", "coordinates": [LON, LAT]}}),
        ("label", {"label": "  "}),
        ("planting_year", {"planting_year": 1800}),
        ("area", {"area": 999999}),
        ("crop", {"crop": 999999, "area": None}),
    ):
        r = send(client, "post", "/api/plots", plot_payload(household, area, **bad))
        assert r.status_code == 422, field
        assert field in r.json()["errors"], (field, r.json())
    assert counts() == before


def test_create_it_checks_access(world, area, household):
    before = counts()
    assert send(Client(), "post", "/api/plots", plot_payload(household, area)).status_code == 401
    for key in ("exporter", "packing", "commune", "household", "lab"):
        r = send(client_for(world, key), "post", "/api/plots", plot_payload(household, area))
        assert r.status_code == 403, key
    # another cooperative cannot draw on this cooperative's household or area
    r = send(client_for(world, "coop_b"), "post", "/api/plots", plot_payload(household, area))
    assert r.status_code == 422
    assert {"household", "area"} <= set(r.json()["errors"])
    assert counts() == before


# ------------------------------------------------------------------ GET /api/plots/{id}


def test_get_it_works(world, area):
    plot = area.plots.order_by("label").first()
    for key in ("coop", "commune", "province"):
        r = client_for(world, key).get(f"/api/plots/{plot.pk}")
        assert r.status_code == 200, key
        body = r.json()
        assert body["id"] == plot.pk
        assert body["geometry"] == plot.geometry
        assert body["properties"]["area"]["id"] == area.pk


def test_get_it_rejects_bad_input(world):
    assert client_for(world, "coop").get("/api/plots/999999").status_code == 404


def test_get_it_checks_access(world, area):
    url = f"/api/plots/{area.plots.first().pk}"
    assert Client().get(url).status_code == 401
    for key in ("coop_b", "commune_b", "other_ppo", "exporter", "packing", "lab", "household"):
        assert client_for(world, key).get(url).status_code == 404, key


# ------------------------------------------------------------------ PATCH /api/plots/{id}


def test_patch_it_works(world, area):
    plot = area.plots.order_by("label").first()
    r = send(
        client_for(world, "coop"),
        "patch",
        f"/api/plots/{plot.pk}",
        {"label": "P0-a", "geometry": square(108.05, 12.67, 150)},
    )
    assert r.status_code == 200, r.content
    plot.refresh_from_db()
    assert plot.label == "P0-a"
    assert plot.area_m2 == pytest.approx(22_500, rel=0.02)
    assert plot.area == area  # untouched fields stay


def test_patch_it_rejects_bad_input(world, area):
    plot = area.plots.order_by("label").first()
    client = client_for(world, "coop")
    url = f"/api/plots/{plot.pk}"
    before = counts()
    assert send(client, "patch", url, {"geometry": [1, 2]}).status_code == 422
    r = send(client, "patch", url, {"label": "New", "planting_year": 3000})
    assert r.status_code == 422 and "planting_year" in r.json()["errors"]
    r = send(client, "patch", url, {"geometry": square(LON, 48.0)})
    assert r.status_code == 422 and "geometry" in r.json()["errors"]
    plot.refresh_from_db()
    assert plot.label == "P0"
    assert counts() == before


def test_patch_it_checks_access(world, area):
    plot = area.plots.order_by("label").first()
    url = f"/api/plots/{plot.pk}"
    assert send(Client(), "patch", url, {"label": "X"}).status_code == 401
    for key in ("coop_b", "other_ppo", "exporter"):
        assert send(client_for(world, key), "patch", url, {"label": "X"}).status_code == 404, key
    assert send(client_for(world, "commune"), "patch", url, {"label": "X"}).status_code == 403
    plot.refresh_from_db()
    assert plot.label == "P0"


# ------------------------------------------------------------------ POST /api/plots/import


def test_import_it_works(world, area, household):
    before = Plot.objects.count()
    data = {
        "type": "FeatureCollection",
        "features": [feature(household, area, f"I{i}", LON + i * 0.001) for i in range(3)],
    }
    r = send(client_for(world, "coop"), "post", "/api/plots/import", data)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["label"] for f in body["features"]] == ["I0", "I1", "I2"]
    assert Plot.objects.count() == before + 3
    assert set(area.plots.values_list("label", flat=True)) >= {"I0", "I1", "I2"}


def test_import_it_is_all_or_nothing(world, area, household):
    before = counts()
    area.refresh_from_db()
    measured = area.measured_area_ha
    features = [feature(household, area, f"I{i}", LON + i * 0.001) for i in range(4)]
    features[1]["properties"]["label"] = ""
    features[3]["geometry"] = square(2.35, 48.85)  # not in Vietnam
    data = {"type": "FeatureCollection", "features": features}
    r = send(client_for(world, "coop"), "post", "/api/plots/import", data)
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["features[1].label", "features[3].geometry"]
    assert r.json()["detail"].startswith("features[1].label: ")
    assert counts() == before
    area.refresh_from_db()
    assert area.measured_area_ha == measured


def test_import_it_rejects_bad_input(world, area, household):
    client = client_for(world, "coop")
    before = counts()
    good = [feature(household, area, "I0", LON)]
    # not a FeatureCollection, no features, a feature without its household
    assert send(client, "post", "/api/plots/import", {"type": "Feature"}).status_code == 422
    r = send(client, "post", "/api/plots/import", {"type": "FeatureCollection", "features": []})
    assert r.status_code == 422
    missing = feature(household, area, "I1", LON + 0.001)
    del missing["properties"]["household"]
    r = send(
        client,
        "post",
        "/api/plots/import",
        {"type": "FeatureCollection", "features": [*good, missing]},
    )
    assert r.status_code == 422
    loc = r.json()["detail"][0]["loc"]
    assert loc[-4:] == ["features", 1, "properties", "household"]
    # a label the service refuses, on the second feature
    blank = feature(household, area, " ", LON + 0.001)
    r = send(
        client,
        "post",
        "/api/plots/import",
        {"type": "FeatureCollection", "features": [*good, blank]},
    )
    assert r.status_code == 422
    assert "features[1].label" in r.json()["errors"]
    assert counts() == before


def test_import_it_checks_access(world, area, household):
    data = {"type": "FeatureCollection", "features": [feature(household, area, "I0", LON)]}
    before = counts()
    assert send(Client(), "post", "/api/plots/import", data).status_code == 401
    for key in ("exporter", "commune", "household"):
        assert send(client_for(world, key), "post", "/api/plots/import", data).status_code == 403
    r = send(client_for(world, "coop_b"), "post", "/api/plots/import", data)
    assert r.status_code == 422
    assert "features[0].household" in r.json()["errors"]
    assert counts() == before
