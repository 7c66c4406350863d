"""Removing a household from an issued area in a phone's Chromium (issue 17 item 4): the page
warns, says what the change does beside a confirmation box, and saves it only when confirmed,
as a change the authority reviews. Screenshots: test-artifacts/screenshots/members-*.png."""

from agritrace.registry.models import AppStatus
from agritrace.tests import browser as browser_kit
from conftest import make_area, walk_to_issued

pytestmark = browser_kit.BROWSER_TEST


def test_removing_a_household_from_an_issued_area_is_confirmed(live_server, world, chromium):
    area, app = make_area(world)
    walk_to_issued(world, app)
    keep, leave = list(area.households.order_by("pk"))
    base = live_server.url
    context, page = browser_kit.new_page(chromium, "vi-VN", **browser_kit.PHONE)
    page.goto(f"{base}/login/")
    page.fill("#id_username", "coop_user")
    page.fill("#id_password", "pw-Secret-123")
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/dashboard/")
    page.goto(f"{base}/areas/{area.pk}/households/")
    assert page.locator("[data-testid=issued-warning]").is_visible()
    page.get_by_label(leave.name).uncheck()
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    error = page.locator("#id_confirm_error")
    assert error.is_visible() and leave.name in error.inner_text()
    browser_kit.shot(page, "members-confirm")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert area.households.count() == 2
    page.locator("#id_confirm").check()
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{base}/areas/{area.pk}/")
    browser_kit.shot(page, "members-saved")
    assert list(area.households.all()) == [keep]
    assert area.applications.filter(kind="change", status=AppStatus.SUBMITTED).exists()
    context.close()
