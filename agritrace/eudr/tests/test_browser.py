"""A real browser (Debian's Chromium driven by Playwright): the exporter opens /eudr/, chooses
its coffee lot for the EU, previews its plots on the map (the plot under the forest layer
flagged) and downloads the GeoJSON, which is valid RFC 7946 with the EU's properties.
Screenshots land in test-artifacts/screenshots/."""

from playwright.sync_api import expect

from agritrace.demo import DEMO_PASSWORD, build_demo
from agritrace.eudr.demo import EXPORT_LOT
from agritrace.eudr.tests.geojson_check import problems_of, schema_problems
from agritrace.tests import browser as browser_kit
from agritrace.trace.models import Lot

pytestmark = browser_kit.BROWSER_TEST


def test_the_exporter_previews_its_lot_and_downloads_the_geojson(live_server, chromium):
    base = live_server.url
    build_demo()
    lot = Lot.objects.get(uri__endswith=f":{EXPORT_LOT}")
    context, page = browser_kit.new_page(chromium, locale="en-US", **browser_kit.DESKTOP)
    page.goto(f"{base}/login/")
    page.fill("#id_username", "exporter")
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/**")

    page.get_by_role("link", name="EUDR export").first.click()
    page.wait_for_url(f"{base}/eudr/")
    page.locator("#f-lot").select_option(lot.uri)
    page.locator("#preview-lot").click()
    page.wait_for_url(f"{base}/eudr/?lot=**")
    expect(page.locator("#eudr-statement")).to_contain_text("0901")
    expect(page.locator("#eudr-map[data-drawn=true]")).to_have_count(1)
    page.wait_for_selector("#eudr-map .leaflet-interactive")
    expect(page.locator("#eudr-plots tr[data-flagged=true]")).to_have_count(1)
    expect(page.locator("#eudr-plots")).to_contain_text("Polygon")
    browser_kit.shot(page, "eudr-preview")

    with page.expect_download() as download:
        page.locator("#download-geojson").click()
    assert download.value.suggested_filename.endswith(".geojson")
    text = open(download.value.path(), encoding="utf-8").read()
    assert problems_of(text) == [] and schema_problems(text) == []
    context.close()
