"""A real browser (Debian's Chromium driven by Playwright) walks the officer's side of misuse
detection on the demo province: the province's plant-protection officer opens the
early-warning dashboard, opens the borrowed code's case (A3, raised by the demo's scan from
what was captured through EPCIS), reads its evidence and chart, confirms it and suspends the
code; the commune officer sees only the cases on their land. Screenshots in English and
Vietnamese land in test-artifacts/screenshots/."""

import pytest
from playwright.sync_api import expect

from agritrace.demo import DEMO_PASSWORD, build_demo
from agritrace.misuse.models import Case
from agritrace.registry.models import CodeStatus
from agritrace.tests import browser as browser_kit

DESKTOP = browser_kit.DESKTOP
BORROWED = "VN-DLOR-0003"  # A3: packed about five times what it can grow

pytestmark = browser_kit.BROWSER_TEST


def shot(page, name: str) -> None:
    browser_kit.shot(page, f"misuse-{name}")


def session(browser, base: str, username: str, locale: str = "en-US", device: dict = DESKTOP):
    context, page = browser_kit.new_page(browser, locale=locale, **device)
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/dashboard/")
    return context, page


@pytest.fixture
def browser(chromium):
    return chromium


def test_the_officer_confirms_the_borrowed_code_and_suspends_it(live_server, browser):
    base = live_server.url
    build_demo()
    case = Case.objects.select_related("area", "commune").get(
        rule__code="area_volume_over_yield", code=BORROWED
    )
    elsewhere = Case.objects.exclude(commune=case.commune).exclude(commune__isnull=True).first()
    assert elsewhere is not None  # a case on another commune's land

    # The plant-protection officer opens the early warning: the borrowed code is in the
    # queue and on the map.
    context, page = session(browser, base, "inspector")
    page.get_by_role("link", name="Misuse").first.click()
    page.wait_for_url(f"{base}/misuse/")
    queue = page.locator("#queue")
    assert BORROWED in queue.inner_text() and elsewhere.code in queue.inner_text()
    page.wait_for_selector("#risk-map path.leaflet-interactive")
    shot(page, "dashboard-en")

    # Filtering swaps the map and the queue in place (htmx) and keeps the address.
    page.select_option("#f-rule", "house_over_capacity")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**rule=house_over_capacity**")
    # a locator assertion, not a string function: the pages' CSP forbids evaluating strings
    expect(page.locator("#queue")).not_to_contain_text(BORROWED)
    assert "VN-DLPH-0001" in page.locator("#queue").inner_text()
    page.wait_for_selector("#risk-map path.leaflet-interactive")
    page.goto(f"{base}/misuse/")
    queue = page.locator("#queue")

    # The borrowed code's case: evidence, explained score, the chart.
    row = queue.locator("tr").filter(has_text=BORROWED)
    row.get_by_role("link", name="Area code carries more than its area can grow").click()
    page.wait_for_url(f"{base}/misuse/cases/{case.pk}/")
    figures = page.locator("#evidence-figures").inner_text()
    assert "can_grow_kg" in figures and "times_can_grow" in figures
    assert "tolerance" in page.locator("#evidence-threshold").inner_text()
    assert page.locator("text=urn:agritrace:lot:").count() > 0
    page.wait_for_selector("#case-chart[data-drawn='true']")
    assert page.evaluate("document.getElementById('case-chart').chart.data.datasets.length") >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["viewport"]["width"]
    shot(page, "case-en")

    # Review, confirm, suspend.
    page.fill("#id_review-note", "Packed five times what the area can grow in three days")
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
    case.area.refresh_from_db()
    assert case.area.code_status == CodeStatus.SUSPENDED
    assert case.area.status_reason.startswith(f"Misuse case {case.pk}")

    # The rules page: the authority's thresholds.
    page.goto(f"{base}/misuse/rules/")
    assert page.input_value("#id_area_volume_over_yield-t_tolerance") == "1.2"
    shot(page, "rules-en")
    context.close()

    # The same pages in Vietnamese: the officer's saved language (the browser's is not read
    # once signed in).
    from django.contrib.auth import get_user_model

    from agritrace.accounts.preferences import set_language

    set_language(get_user_model().objects.get(username="officer"), "vi")
    context, page = session(browser, base, "officer", locale="vi-VN")
    page.goto(f"{base}/misuse/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.wait_for_selector("#risk-map path.leaflet-interactive")
    shot(page, "dashboard-vi")
    page.goto(f"{base}/misuse/cases/{case.pk}/")
    page.wait_for_selector("#case-chart[data-drawn='true']")
    shot(page, "case-vi")
    context.close()

    # The commune officer of the borrowed code's land, on a phone, sees only the cases on it.
    context, page = session(browser, base, "commune", device=browser_kit.PHONE)
    page.goto(f"{base}/misuse/?status=actioned")
    assert BORROWED in page.locator("#queue").inner_text()
    page.goto(f"{base}/misuse/")
    text = page.locator("#queue").inner_text()
    assert elsewhere.code not in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "dashboard-commune-phone-en")
    response = page.goto(f"{base}/misuse/cases/{elsewhere.pk}/")
    assert response.status == 404
    context.close()
