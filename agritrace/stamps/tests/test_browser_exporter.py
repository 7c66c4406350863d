"""The exporter's way to stamps in a phone's Chromium (issue 17 item 7): /stamps/ offers the
packed lot it owns; a mistyped lot is a sentence beside the field with what was typed kept;
the offered one gets stamps. Screenshots: test-artifacts/screenshots/stamps-exporter-*.png."""

from agritrace.stamps.models import StampBatch
from agritrace.tests import browser as browser_kit
from agritrace.trace import builders

from .conftest import build_chain
from .test_issuers import ship_to_exporter

pytestmark = browser_kit.BROWSER_TEST


def test_the_exporter_gets_stamps_for_the_lot_it_owns(live_server, world, chromium):
    chain = build_chain(world)
    ship_to_exporter(world, chain)
    base = live_server.url
    context, page = browser_kit.new_page(chromium, "vi-VN", **browser_kit.PHONE)
    page.goto(f"{base}/login/")
    page.fill("#id_username", "exporter_user")
    page.fill("#id_password", "pw-Secret-123")
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/dashboard/")
    page.goto(f"{base}/stamps/")
    code = builders.lot_code(chain.own_lot)
    assert page.locator(f"#stampable-lots option[value='{code}']").count() == 1
    browser_kit.shot(page, "stamps-exporter-offered")
    page.fill("#id_lot", "VN-DLPH-0001:NOPE-1")
    page.fill("#id_count", "5")
    page.locator("form.form-grid button[type=submit]").click()
    page.wait_for_load_state()
    error = page.locator("#id_lot_error")
    assert error.is_visible() and "VN-DLPH-0001:NOPE-1" in error.inner_text()
    assert page.input_value("#id_lot") == "VN-DLPH-0001:NOPE-1"
    assert "Not Found" not in page.content()
    browser_kit.shot(page, "stamps-exporter-unknown-lot")
    page.fill("#id_lot", code)
    page.locator("form.form-grid button[type=submit]").click()
    page.wait_for_url(f"{base}/stamps/batches/*/")
    assert page.locator("figure.qr-preview svg").count() == 1
    browser_kit.shot(page, "stamps-exporter-batch")
    batch = StampBatch.objects.get()
    assert batch.requested_by == world.orgs["exporter"] and batch.packing_house == chain.house
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    context.close()
