"""Debian's Chromium (Playwright): the Lai Châu chain of the demo (demo_laichau) up to the
tea the processing facility has bought; its operator records the drying on the page (a
quantity above the ratio is refused beside the field first), sees the dried tea's trace with
the plan's minimum data, requests stamps, and the public scans one: the page shows the
product and the stages (harvested, received, processed). Screenshots land in
test-artifacts/screenshots/products-*.png."""

import time

import pytest

from agritrace.demo_laichau import laichau_steps
from agritrace.stamps import services as stamps
from agritrace.tests import browser
from agritrace.trace.models import Event

pytestmark = browser.BROWSER_TEST
PASSWORD = "pw-Secret-123"


@pytest.fixture
def desktop(chromium):
    context, page = browser.new_page(chromium, **browser.DESKTOP)
    yield page
    context.close()


def test_facility_processes_tea_and_the_public_scans_its_stamp(live_server, desktop, chromium):
    steps = laichau_steps(PASSWORD)
    chain = steps[0][1].chain
    for _days, step in steps[:-2]:  # everything up to the facility's purchase of the tea
        step()
        time.sleep(1.1)  # event times are to the second: after the code's issue, not before
    fresh = chain.lots["fresh"].rsplit(":", 2)
    page, base = desktop, live_server.url

    page.goto(f"{base}/login/")
    page.fill("#id_username", "laichau_processor")
    page.fill("#id_password", PASSWORD)
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_load_state()
    page.goto(f"{base}/products/processing/")
    page.fill("#id_inputs\\[0\\]\\.lot", f"{fresh[1]}:{fresh[2]}")
    page.fill("#id_inputs\\[0\\]\\.quantity", "1500")
    page.select_option("#id_product", "dried-tea")
    page.fill("#id_output_quantity", "600")
    page.get_by_role("button", name="Record the processing").click()
    error = page.locator("#id_output_quantity_error")
    assert "at most" in error.inner_text()
    browser.shot(page, "products-1-processing-refused")
    assert not Event.objects.filter(event_type="TransformationEvent").exists()
    page.fill("#id_output_quantity", "360")
    page.get_by_role("button", name="Record the processing").click()
    page.wait_for_url("**/trace/lot/?uri=*")
    panel = page.locator("#minimum-data")
    assert panel.locator('[data-key="origin"]').get_attribute("data-complete") == "true"
    assert panel.locator('[data-key="stamp"]').get_attribute("data-complete") == "false"
    browser.shot(page, "products-2-dried-tea-trace")

    dried = Event.objects.get(event_type="TransformationEvent").epcs.get(role="output_qty")
    batch = stamps.request_stamps(chain.actor("processor"), dried.lot.uri, 5)
    page.reload()
    assert panel.get_attribute("data-complete") == "true"

    uri = stamps.stamp_uri(batch.stamps.order_by("pk").first(), batch)
    context, public = browser.new_page(chromium, locale="vi-VN", **browser.PHONE)
    public.goto(base + "/" + uri.split("/", 3)[3])
    text = public.content()
    assert "Chè khô" in text
    assert "Chế biến" in text and chain.facility.identifier in text
    chain.area.refresh_from_db()
    assert chain.area.code == "VN-LCOR-0001" and chain.area.code in text
    browser.shot(public, "products-3-public-stamp")
    context.close()
