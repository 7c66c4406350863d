"""Where a planting area's map opens (registry/map_view.py, issue 17 item 10): a new area's
plot form opens on its commune (centre and area from the places data), else on the
commune's other plots, else the province, and only as a last resort on the country; it draws
the neighbouring plots the person may see. A browser draws a plot on a new area's map and
measures a plausible number of hectares."""

import json
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from agritrace.places.geography import place_of
from agritrace.places.models import AdminUnit, Level, Tree
from agritrace.registry import map_view, services
from agritrace.registry.models import Crop, Market
from agritrace.tests import browser as browser_kit
from conftest import make_area


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def new_area(world, key="coop", name="Vùng mới"):
    durian = Crop.objects.get(code="durian")
    area, _app = services.create_area(
        world.actor(key),
        {
            "name": name,
            "crop": durian.pk,
            "variety": durian.varieties.first().pk,
            "commune": world.orgs[key].unit_id,
            "declared_area_ha": Decimal("1"),
            "expected_yield_t": 10,
            "markets": [Market.objects.get(code="CN").pk],
        },
    )
    return area


def page_map_data(response) -> dict:
    found = re.search(
        r'<script id="map-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, "the page carries no map data"
    return json.loads(found.group(1))


def inside(bounds, lat, lon) -> bool:
    (s, w), (n, e) = bounds
    return s <= lat <= n and w <= lon <= e


@pytest.mark.django_db
def test_a_new_areas_plot_form_opens_on_its_commune_from_the_places_data(world):
    area = new_area(world)
    commune = area.commune
    response = client_for(world, "coop").get(reverse("plot-create", args=[area.pk]))
    assert response.status_code == 200
    data = page_map_data(response)
    place = place_of(commune)
    assert place is not None
    assert data["view"]["source"] == "commune" and data["view"]["place"] == commune.name
    assert data["view"]["bounds"] == [list(corner) for corner in place.bounds()]
    assert inside(data["view"]["bounds"], place.lat, place.lon)
    (s, w), (n, e) = data["view"]["bounds"]
    # A box of the commune's land area (33.77 km² here), not the country's 15° of latitude.
    assert 0.01 < n - s < 0.2 and 0.01 < e - w < 0.2
    assert data["view"]["data_source"].startswith("vietnamadminunits")
    html = response.content.decode()
    assert 'id="map-caption" data-map-source="commune"' in html and commune.name in html
    assert "AgriMap.openOn(map, around.view)" in html


@pytest.mark.django_db
def test_the_area_page_opens_on_its_plots_and_a_new_one_on_its_commune(world):
    area, _app = make_area(world, households=2)
    data = client_for(world, "coop").get(reverse("area-detail", args=[area.pk])).context["map_data"]
    assert data["view"]["source"] == "area"
    for plot in area.plots.all():
        assert inside(data["view"]["bounds"], plot.centroid_lat, plot.centroid_lon)
    fresh = new_area(world, name="Vùng khác")
    data = (
        client_for(world, "coop").get(reverse("area-detail", args=[fresh.pk])).context["map_data"]
    )
    assert data["view"]["source"] == "commune"
    # The first area's plots are the new area's neighbours only if they lie in its view.
    place = place_of(fresh.commune)
    expected = [
        p.pk for p in area.plots.all() if inside(place.bounds(), p.centroid_lat, p.centroid_lon)
    ]
    assert [f["properties"]["area"] for f in data["neighbours"]["features"]] == [area.pk] * len(
        expected
    )


@pytest.mark.django_db
def test_without_places_data_the_map_opens_on_the_communes_plots_then_the_province(
    world, monkeypatch
):
    monkeypatch.setattr(map_view, "place_of", lambda unit: None)
    area = new_area(world)
    assert map_view.area_view(area)["source"] == "country"
    other, _app = make_area(world, households=1, lon=108.2, lat=12.8)
    view = map_view.area_view(area)
    plot = other.plots.get()
    assert view["source"] == "commune_plots" and view["place"] == area.commune.name
    assert inside(view["bounds"], plot.centroid_lat, plot.centroid_lon)
    (s, w), (n, e) = view["bounds"]
    assert n - s >= map_view.MIN_SIDE_KM / map_view.KM_PER_DEGREE * 0.99  # one plot, widened
    # A commune without plots of its own: the province's plots.
    elsewhere = AdminUnit.objects.filter(
        tree=Tree.CURRENT, level=Level.COMMUNE, parent=world.province
    ).exclude(pk=area.commune_id)[5]
    area.commune = elsewhere
    area.save(update_fields=["commune"])
    view = map_view.area_view(area)
    assert view["source"] == "province_plots" and view["place"] == world.province.name


@pytest.mark.django_db
def test_the_province_from_the_places_data_when_the_commune_is_not_in_it(world, monkeypatch):
    real = place_of
    monkeypatch.setattr(
        map_view, "place_of", lambda unit: real(unit) if unit.level == Level.PROVINCE else None
    )
    view = map_view.area_view(new_area(world))
    assert view["source"] == "province"
    assert view["bounds"] == real(world.province).bounds()


@pytest.mark.django_db
def test_neighbouring_plots_are_only_those_the_person_may_see(world):
    area = new_area(world)
    place = place_of(area.commune)
    own_other, _ = make_area(world, households=1, lon=place.lon, lat=place.lat)
    foreign, _ = make_area(world, households=1, lon=place.lon + 0.003, lat=place.lat, key="coop_b")
    far, _ = make_area(world, households=1, lon=place.lon - 1.0, lat=place.lat)

    def neighbours(key):
        response = client_for(world, key).get(reverse("area-detail", args=[area.pk]))
        assert response.status_code == 200
        return {f["properties"]["area"] for f in page_map_data(response)["neighbours"]["features"]}

    assert neighbours("coop") == {own_other.pk}  # not coop_b's plot, not the far one
    assert neighbours("ppo") == {own_other.pk, foreign.pk}  # the province sees both
    assert neighbours("coop") and far.pk not in neighbours("ppo")
    features = page_map_data(client_for(world, "ppo").get(reverse("area-detail", args=[area.pk])))[
        "neighbours"
    ]["features"]
    assert all("popup" not in f["properties"] for f in features)  # read-only: no edit link


@pytest.mark.django_db
def test_a_wrong_role_gets_no_plot_form_and_a_stranger_no_area_map(world):
    area = new_area(world)
    assert client_for(world, "lab").get(reverse("plot-create", args=[area.pk])).status_code in (
        403,
        404,
    )
    assert client_for(world, "other_coop").get(
        reverse("area-detail", args=[area.pk])
    ).status_code in (403, 404)


@pytest.mark.django_db
def test_nearly_every_current_commune_has_a_place_in_the_data():
    communes = AdminUnit.objects.filter(tree=Tree.CURRENT, level=Level.COMMUNE).select_related(
        "parent"
    )
    missing = [c for c in communes if place_of(c) is None]
    assert communes.count() > 3000
    assert len(missing) < 30, missing[:10]


# ---- in a browser ---------------------------------------------------------------------------


@browser_kit.BROWSER_TEST[0]
@browser_kit.BROWSER_TEST[1]
def test_a_plot_drawn_on_a_new_areas_map_measures_a_plausible_size(live_server, world, chromium):
    area = new_area(world)
    context, page = browser_kit.new_page(chromium, **browser_kit.DESKTOP)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "coop_user")
        page.fill("#id_password", "pw-Secret-123")
        page.locator("form").filter(has=page.locator("#id_password")).locator(
            "button[type=submit]"
        ).click()
        page.wait_for_load_state()
        page.goto(f"{live_server.url}/areas/{area.pk}/plots/new/")
        page.wait_for_selector("#plot-map[data-map-source=commune]")
        # As a person would: zoom in three steps from where the map opens, then draw.
        for _ in range(3):
            page.locator(".leaflet-control-zoom-in").click()
            page.wait_for_timeout(350)
        page.locator(".leaflet-draw-draw-rectangle").click()
        box = page.locator("#plot-map").bounding_box()
        x, y = box["x"] + box["width"] / 2 - 50, box["y"] + box["height"] / 2 - 50
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 50, y + 50, steps=5)
        page.mouse.move(x + 100, y + 100, steps=5)
        page.mouse.up()
        from playwright.sync_api import expect

        expect(page.locator("#plot-area-ha")).to_have_text(re.compile(r"ha$"))
        browser_kit.shot(page, "map-new-area-drawn")
        text = page.locator("#plot-area-ha").inner_text()
        # The page's number form: English here ("5.414 ha"), Vietnamese "5,414 ha".
        hectares = float(text.split()[0].replace(",", ""))
        # 100 px at the commune's zoom + 3: some hectares (at the country's zoom it would be
        # about 192,000 ha, as the walk found).
        assert 0.5 < hectares < 200, text
        scale = page.locator(".leaflet-control-scale-line").first.inner_text()
        assert re.search(r"\d+ (m|km)$", scale), scale
    finally:
        context.close()
