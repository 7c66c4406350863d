"""Under the Content-Security-Policy the pages' own scripts still run in a real browser (the
dashboard's inline map script carries the nonce; the API docs load from local static files)
and nothing is refused, while a script injected without the nonce does not run."""

import pytest

from agritrace.tests import browser as browser_kit

pytestmark = browser_kit.BROWSER_TEST

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture
def page(chromium):
    context, page = browser_kit.new_page(chromium, **browser_kit.DESKTOP)
    context.add_init_script(WATCH)
    yield page
    context.close()


def test_inline_scripts_with_the_nonce_run_and_injected_ones_do_not(live_server, world, page):
    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", "ppo_user")
    page.fill("#id_password", "pw-Secret-123")
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/dashboard/")
    # the dashboard's inline script made the Leaflet map
    page.wait_for_selector("#areas-map.leaflet-container")
    assert page.evaluate("window.__csp") == []
    browser_kit.shot(page, "csp-dashboard")
    # the header's link to the profile page, where the language is saved
    page.get_by_role("link", name="Your profile").click()
    page.wait_for_url(f"{base}/accounts/profile/")
    browser_kit.shot(page, "profile")

    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__injected = 1'; document.body.appendChild(s); }"""
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__injected") is None
    assert any(v.startswith("script-src") for v in page.evaluate("window.__csp"))


def test_the_api_docs_render_under_the_policy(live_server, world, page):
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector("#swagger-ui .info .title")
    assert page.evaluate("window.__csp") == []
