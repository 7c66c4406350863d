"""Debian's Chromium (Playwright) on a phone-sized screen: the cooperative records a harvest,
the packing house records a packing and a shipment through the forms, then opens the backward
trace of the shipped lot from the event list and sees the planting area, the packing house and
the harvest date; a residue sample of the area then fails and the plant-protection office
starts a recall from the sample's page. Screenshots land in
test-artifacts/screenshots/trace-*.png."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agritrace.tests import browser
from agritrace.trace import services
from agritrace.trace.models import Event

from .test_recall import failed_sample
from .ui_fixtures import AREA_CODE, HOUSE_CODE, make_farm

pytestmark = browser.BROWSER_TEST


@pytest.fixture
def phone(chromium):
    context, page = browser.new_page(chromium, device_scale_factor=2, **browser.PHONE)
    yield page
    context.close()


def shot(page, name: str) -> None:
    browser.shot(page, f"trace-{name}")


def login(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-Secret-123")
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/dashboard/")


def test_harvest_packing_shipment_then_backward_trace(live_server, world, phone):
    farm = make_farm(world)
    page = phone
    base = live_server.url
    harvest_day = timezone.localdate() - timedelta(days=1)
    packed_at = timezone.localtime() - timedelta(hours=2)

    # The cooperative records the harvest.
    login(page, base, "coop_user")
    page.goto(f"{base}/trace/record/")
    shot(page, "1-record-menu")
    page.get_by_role("link", name="Record a harvest").click()
    page.wait_for_url("**/trace/record/harvest/")
    page.select_option("#id_area", str(farm.area.pk))
    page.fill("#id_harvest_date", harvest_day.isoformat())
    page.fill("#id_quantity", "1200")
    page.get_by_label(f"{AREA_CODE} · {farm.plots[0].household.name} · P0").check()
    page.locator("summary").click()
    page.fill("#id_lot_code", "H1")
    shot(page, "2-harvest-form")
    page.get_by_role("button", name="Record").click()
    page.wait_for_url("**/trace/lot/?uri=*")
    assert "Recorded: VN-DLOR-0101:H1." in page.content()
    harvest = Event.objects.get(biz_step="commissioning")
    assert harvest.area == farm.area

    # The packing house packs it; a wrong quantity is shown beside the field first.
    login(page, base, "packing_user")
    page.goto(f"{base}/trace/record/packing/")
    assert page.input_value("#id_packing_house") == str(farm.house.pk)
    page.fill("#id_when", packed_at.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_in_0_lot", f"{AREA_CODE}:H1")
    page.fill("#id_in_0_quantity", "1200")
    page.fill("#id_out_0_lot", "P1")
    page.fill("#id_out_0_quantity", "-3")
    page.get_by_role("button", name="Record").click()
    error = page.locator("[data-field=out_0_quantity] .field-error")
    assert error.is_visible()
    shot(page, "3-packing-error")
    assert Event.objects.filter(biz_step="packing").count() == 0
    page.fill("#id_out_0_quantity", "1000")
    shot(page, "4-packing-form")
    page.get_by_role("button", name="Record").click()
    page.wait_for_url("**/trace/lot/?uri=*")
    assert Event.objects.filter(biz_step="packing", packing_house=farm.house).count() == 1

    # ... and ships the packed lot.
    page.goto(f"{base}/trace/record/shipping/")
    page.select_option("#id_origin", services.location_uri(HOUSE_CODE))
    page.fill("#id_lot_0_lot", f"{HOUSE_CODE}:P1")
    page.fill("#id_lot_0_quantity", "1000")
    page.fill("#id_destination_name", "Hữu Nghị border gate, Lạng Sơn")
    page.select_option("#id_destination_country", "CN")
    page.fill("#id_transport_doc", "BL-2025-001")
    page.fill("#id_customs_declaration", "305123456")
    shot(page, "5-shipping-form")
    page.get_by_role("button", name="Record").click()
    page.wait_for_url("**/trace/lot/?uri=*")
    assert Event.objects.filter(biz_step="shipping").count() == 1

    # The backward trace of the shipped lot, from the event list.
    page.goto(f"{base}/trace/")
    shot(page, "6-event-list")
    page.locator("tbody tr").first.get_by_role("link", name="Trace").click()
    page.wait_for_url("**/trace/lot/?uri=*")
    assert page.locator("[data-testid=trace-lot]").inner_text() == services.lot_uri(
        HOUSE_CODE, "P1"
    )
    assert AREA_CODE in page.locator("[data-testid=trace-areas]").inner_text()
    assert HOUSE_CODE in page.locator("[data-testid=trace-houses]").inner_text()
    assert browser.shown(harvest_day) in page.locator("[data-testid=trace-harvests]").inner_text()
    timeline = page.locator("[data-testid=trace-timeline]").inner_text().lower()
    assert timeline.index("commissioning") < timeline.index("packing") < timeline.index("shipping")
    assert page.locator("svg .g-node").count() >= 3
    shot(page, "7-backward-trace")
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "8-backward-trace-desktop")

    # A residue sample of the area fails; the plant-protection office recalls from its page.
    sample = failed_sample(world, farm, sampled_on=harvest_day)
    login(page, base, "ppo_user")
    page.goto(f"{base}/supervision/samples/{sample.pk}/")
    page.fill("#recall-reason", "Chlorpyrifos above China's limit")
    shot(page, "9-sample-start-recall")
    page.get_by_role("button", name="Start a recall").click()
    page.wait_for_url("**/trace/recalls/*/")
    recalled = page.locator("#lots").inner_text()
    assert services.lot_uri(AREA_CODE, "H1") in recalled
    assert services.lot_uri(HOUSE_CODE, "P1") in recalled
    assert world.orgs["packing"].name in page.locator("#notified").inner_text()
    shipments = page.locator("#shipments tbody tr")
    assert shipments.count() == 1
    assert "Hữu Nghị border gate" in shipments.inner_text()
    assert "BL-2025-001" in shipments.inner_text()
    shot(page, "10-recall")

    # Once the lots are destroyed, the office closes the recall; they stay recalled.
    page.get_by_label("Completed: the lots were withdrawn (they stay recalled)").check()
    page.fill("#id_note", "Destroyed at the packing house on the inspector's order")
    page.get_by_role("button", name="Close the recall").click()
    page.wait_for_url("**/trace/recalls/*/")
    assert "Destroyed at the packing house" in page.content()
    assert page.locator("#close").count() == 0
    shot(page, "11-recall-closed")
