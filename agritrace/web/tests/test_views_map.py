"""The dashboard's map: one point per planting area at its plots' centroid (kind "area") and
the plots themselves (kind "plot"); in a browser, points far out and plots when zoomed in.
Also the approval buttons of the area page, which come from allowed_approval_moves."""

import html
import os
import shutil

import pytest
from django.test import Client
from django.urls import reverse

from agritrace.registry import services
from agritrace.registry.lifecycle import transition
from agritrace.registry.models import Market, Plot
from conftest import make_area, walk_to_issued

CHROMIUM = os.environ.get("AGRITRACE_CHROMIUM", "/usr/bin/chromium")


def login(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def features(world, key="ppo", **params) -> list[dict]:
    response = login(world, key).get(reverse("areas-geojson"), params)
    assert response.status_code == 200
    return response.json()["features"]


@pytest.mark.django_db
def test_each_area_has_one_point_at_its_plots_centroid(world):
    area, app = make_area(world, households=3)
    walk_to_issued(world, app)
    area.refresh_from_db()
    plots = list(Plot.objects.filter(area=area))
    points = [f for f in features(world) if f["properties"]["kind"] == "area"]
    assert len(points) == 1
    point = points[0]
    assert point["geometry"]["type"] == "Point"
    lon, lat = point["geometry"]["coordinates"]
    total = sum(p.area_m2 for p in plots)
    assert lon == pytest.approx(sum(p.centroid_lon * p.area_m2 for p in plots) / total, abs=1e-6)
    assert lat == pytest.approx(sum(p.centroid_lat * p.area_m2 for p in plots) / total, abs=1e-6)
    assert min(p.min_lon for p in plots) < lon < max(p.max_lon for p in plots)
    props = point["properties"]
    assert (props["area"], props["code"], props["status"]) == (area.pk, area.code, "issued")
    assert props["label"] == f"{area.name} ({area.code})"
    popup = html.unescape(props["popup"])
    assert area.name in popup and area.code in popup and "3 plot(s)" in popup
    assert reverse("area-detail", args=[area.pk]) in popup
    kinds = sorted(f["properties"]["kind"] for f in features(world))
    assert kinds == ["area", "plot", "plot", "plot"]


@pytest.mark.django_db
def test_points_are_coloured_like_plots_and_scoped(world):
    _area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    found = features(world, key="coop")
    assert {f["properties"]["status"] for f in found} == {"submitted"}
    assert {f["properties"]["kind"] for f in found} == {"area", "plot"}
    point = next(f for f in found if f["properties"]["kind"] == "area")
    assert "<" not in point["properties"]["label"]  # plain text tooltip
    assert features(world, key="other_ppo") == []
    assert features(world, key="ppo", area="x") == []


@pytest.mark.django_db
def test_an_area_without_plots_has_no_point(world):
    area, _ = make_area(world, households=1)
    Plot.objects.filter(area=area).update(area=None)
    assert [f for f in features(world) if f["properties"]["kind"] == "area"] == []


@pytest.mark.django_db
def test_the_area_page_map_shows_plots_only(world):
    area, _ = make_area(world)
    response = login(world, "coop").get(reverse("area-detail", args=[area.pk]))
    data = response.context["plots_geojson"]
    assert {f["properties"]["kind"] for f in data["features"]} == {"plot"}


@pytest.mark.django_db
def test_the_dashboard_uses_the_area_map(world):
    page = login(world, "ppo").get(reverse("dashboard")).content.decode()
    assert "AgriMap.addAreaMap(map, data, {zoomLabel: el.dataset.zoomLabel})" in page
    assert 'data-zoom-label="Show its plots"' in page
    assert "zoom in to see its plots" in page


@pytest.mark.django_db
def test_approval_buttons_are_the_allowed_moves(world):
    area, app = make_area(world)
    url = reverse("area-detail", args=[area.pk])
    cn = Market.objects.get(code="CN")
    # No code yet: nothing to file.
    assert 'name="move"' not in login(world, "ppo").get(url).content.decode()
    walk_to_issued(world, app)
    page = login(world, "ppo").get(url).content.decode()
    assert 'name="move" value="submit"' in page
    services.move_market_approval(world.actor("ppo"), area, cn, "submit")
    page = login(world, "ppo").get(url).content.decode()
    assert 'value="withdraw"' in page and 'value="send"' not in page
    page = login(world, "ministry").get(url).content.decode()
    assert 'value="send"' in page and 'value="withdraw"' in page
    assert 'name="move"' not in login(world, "coop").get(url).content.decode()


# ------------------------------------------------------------------ in a browser


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}")
@pytest.mark.django_db(transaction=True)
def test_the_map_shows_areas_far_out_and_plots_close_in(live_server, world):
    pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import sync_playwright

    # Two areas 30 km apart, so that the map opens at province zoom.
    for lon in (108.05, 108.32):
        area, app = make_area(world, lon=lon, households=2)
        walk_to_issued(world, app)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", "ppo_user")
            page.fill("#id_password", "pw-Secret-123")
            page.locator("form").filter(has=page.locator("#id_password")).locator(
                "button[type=submit]"
            ).click()
            page.wait_for_url(f"{live_server.url}/dashboard/")
            shapes = "#areas-map path.leaflet-interactive"
            # a selector, not a string function: the pages' CSP forbids evaluating strings
            page.wait_for_selector(shapes, timeout=15_000)
            state = page.evaluate(
                """() => {
                  const el = document.getElementById('areas-map');
                  return {zoomedIn: el.classList.contains('map-zoomed-in'),
                          shapes: el.querySelectorAll('path.leaflet-interactive').length};
                }"""
            )
            assert state == {"zoomedIn": False, "shapes": 2}  # one circle per area
            # The area's popup zooms to its plots: they appear instead of the circles.
            page.locator(shapes).first.click()
            popup = page.locator("#areas-map .leaflet-popup-content")
            assert "Open the planting area" in popup.inner_text()
            popup.get_by_role("button", name="Show its plots").click()
            page.wait_for_selector("#areas-map.map-zoomed-in")
            state = page.evaluate(
                """() => {
                  const el = document.getElementById('areas-map');
                  const m = el.getBoundingClientRect();
                  const paths = [...el.querySelectorAll('path.leaflet-interactive')];
                  const inView = paths.filter((p) => {
                    const r = p.getBoundingClientRect();
                    return r.width > 0 && r.right > m.left && r.left < m.right
                      && r.bottom > m.top && r.top < m.bottom;
                  });
                  return {zoomedIn: el.classList.contains('map-zoomed-in'),
                          shapes: paths.length, inView: inView.length};
                }"""
            )
            # The plots (no circles), and in view the two of the chosen area.
            assert state == {"zoomedIn": True, "shapes": 4, "inView": 2}
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
