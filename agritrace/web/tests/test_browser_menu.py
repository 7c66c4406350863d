"""Debian's Chromium (Playwright): a household's menu and a packing house's 403 page at phone
and desktop width, in Vietnamese: the role's own links only, the error page in the layout
with a way back, no horizontal overflow. Screenshots land in
test-artifacts/screenshots/menu-*.png."""

import pytest

from agritrace.tests import browser

pytestmark = browser.BROWSER_TEST


def _log_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-Secret-123")
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("device", ["PHONE", "DESKTOP"])
def test_a_households_menu_and_a_refusal_in_the_layout(
    live_server, world, chromium, device, settings
):
    settings.LANGUAGE_CODE = "vi"  # the site's default for signed-in people, as the service runs
    context, page = browser.new_page(chromium, locale="vi-VN", **getattr(browser, device))
    base = live_server.url
    try:
        _log_in(page, base, "household_user")
        if device == "PHONE":
            page.locator("label.nav-toggle-label").click()
        links = page.locator("#site-nav a").evaluate_all("els => els.map(e => e.pathname)")
        assert "/diary/" in links and "/inbox/" in links
        assert "/households/" in links or any(p.startswith("/households/") for p in links)
        assert "/areas/" not in links and "/misuse/" not in links and "/stamps/" not in links
        browser.shot(page, f"menu-household-{device.lower()}")
        page.context.clear_cookies()
        _log_in(page, base, "packing_user")
        response = page.goto(f"{base}/households/")
        assert response.status == 403
        assert page.locator("html").get_attribute("lang") == "vi"
        assert page.locator("#site-nav").count() == 1
        back = page.locator(".error-page a.btn-primary")
        assert back.get_attribute("href") == "/dashboard/"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], width
        browser.shot(page, f"menu-403-{device.lower()}")
        back.click()
        page.wait_for_url(f"{base}/dashboard/")
    finally:
        context.close()
