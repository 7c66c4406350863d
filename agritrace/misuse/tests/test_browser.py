"""A real browser (Debian's Chromium driven by Playwright) walks the officer's side of misuse
detection: the province officer opens the early-warning dashboard, opens the borrowed code's
case (raised by the detection from captured harvests), reads its evidence and chart,
confirms it and suspends the code; the commune officer sees only the cases on their land.
Screenshots in English and Vietnamese land in test-artifacts/screenshots/."""

import pytest

from agritrace.misuse.models import Case
from agritrace.misuse.scan import run_scan
from agritrace.registry.models import CodeStatus
from agritrace.tests import browser as browser_kit

from .conftest import capture, harvest, make_area

DESKTOP = browser_kit.DESKTOP

pytestmark = browser_kit.BROWSER_TEST


def shot(page, name: str) -> None:
    browser_kit.shot(page, f"misuse-{name}")


def session(browser, base: str, username: str, locale: str = "en-US"):
    context, page = browser_kit.new_page(browser, locale=locale, **DESKTOP)
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-Secret-123")
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/dashboard/")
    return context, page


def borrowed(world, key: str, lon: float):
    """A 1 ha durian area whose code carries five times what it can grow."""
    area = make_area(world, ha=1, key=key, lon=lon)
    events = [harvest(area, f"H{i}", 22_700, day=f"2026-0{6 + i // 3}-1{i}")[0] for i in range(5)]
    capture(world, key, *events)
    return area


@pytest.fixture
def browser(chromium):
    return chromium


def test_the_officer_confirms_a_borrowed_code_and_suspends_it(live_server, world, browser):
    base = live_server.url
    area = borrowed(world, "coop", 108.05)
    elsewhere = borrowed(world, "coop_b", 108.10)  # on the second commune's land
    run_scan(world.province, "2026")
    case = Case.objects.get(rule__code="area_volume_over_yield", area=area)
    other = Case.objects.get(rule__code="area_volume_over_yield", area=elsewhere)

    # The province officer opens the early warning: both codes, riskiest first, on the map.
    context, page = session(browser, base, "ppo_user")
    page.get_by_role("link", name="Misuse").first.click()
    page.wait_for_url(f"{base}/misuse/")
    queue = page.locator("#queue")
    assert area.code in queue.inner_text() and elsewhere.code in queue.inner_text()
    page.wait_for_selector("#risk-map path.leaflet-interactive")
    shot(page, "dashboard-en")

    # The borrowed code's case: evidence, explained score, the chart.
    row = queue.locator("tr").filter(has_text=area.code)
    row.get_by_role("link", name="Area code carries more than its area can grow").click()
    page.wait_for_url(f"{base}/misuse/cases/{case.pk}/")
    figures = page.locator("#evidence-figures").inner_text()
    assert "can_grow_kg" in figures and "113,500" in figures and "22,700" in figures
    assert "tolerance" in page.locator("#evidence-threshold").inner_text()
    page.wait_for_selector("#case-chart[data-drawn='true']")
    assert page.evaluate("document.getElementById('case-chart').chart.data.datasets.length") >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["viewport"]["width"]
    shot(page, "case-en")

    # Review, confirm, suspend.
    page.fill("#id_review-note", "Five harvests of a full year's crop in five weeks")
    page.locator("#step-review button[type=submit]").click()
    page.wait_for_selector("#step-confirm")
    page.fill("#id_confirm-note", "Produce of other orchards sold under this code")
    page.locator("#step-confirm button[type=submit]").click()
    page.wait_for_selector("#step-act")
    page.select_option("#id_act-action", "suspension")
    page.fill("#id_act-reason", "Borrowed code: five times what the area can grow")
    page.locator("#step-act button[type=submit]").click()
    page.wait_for_selector("text=The action is taken.")
    assert page.locator("#case-status").inner_text() == "Action taken"
    shot(page, "case-suspended-en")
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED
    assert area.status_reason.startswith(f"Misuse case {case.pk}")
    context.close()

    # The same pages in Vietnamese.
    context, page = session(browser, base, "province_user", locale="vi-VN")
    page.goto(f"{base}/misuse/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.wait_for_selector("#risk-map path.leaflet-interactive")
    shot(page, "dashboard-vi")
    page.goto(f"{base}/misuse/cases/{other.pk}/")
    page.wait_for_selector("#case-chart[data-drawn='true']")
    shot(page, "case-vi")
    context.close()

    # The commune officer sees only the cases on their land.
    context, page = session(browser, base, "commune_user")
    page.goto(f"{base}/misuse/")
    text = page.locator("#queue").inner_text()
    assert area.code in text and elsewhere.code not in text
    shot(page, "dashboard-commune-en")
    response = page.goto(f"{base}/misuse/cases/{other.pk}/")
    assert response.status == 404
    context.close()
