"""A household keeps its diary on a phone (Debian's Chromium, a phone-sized viewport): it
records a spray, then a harvest inside the spray's pre-harvest interval, and sees the
warning. Screenshots land in test-artifacts/screenshots/diary-*.png."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agritrace.diary.models import DiaryEntry, DiaryFlag, FlagKind
from agritrace.notifications.models import Notification
from agritrace.tests import browser

pytestmark = browser.BROWSER_TEST


@pytest.fixture
def phone(chromium):
    context, page = browser.new_page(chromium, device_scale_factor=2, **browser.PHONE)
    yield page
    context.close()


def shot(page, name: str) -> None:
    browser.shot(page, f"diary-{name}")


def test_a_household_records_a_spray_and_an_early_harvest_on_a_phone(live_server, farm, phone):
    page = phone
    base = live_server.url
    today = timezone.localdate()
    sprayed_on = today - timedelta(days=5)

    page.goto(f"{base}/login/")
    page.fill("#id_username", "household_user")
    page.fill("#id_password", "pw-Secret-123")
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/diary/")  # a household lands on its diary (web/menu.start_url)

    shot(page, "home-household")
    page.get_by_role("link", name="Record", exact=True).first.click()
    page.wait_for_url(f"**/diary/new/?plot={farm.plot.pk}")
    # The date is today's by default, the household's only plot is chosen already.
    assert page.input_value("#id_date") == today.isoformat()
    assert page.input_value("#id_ground") == f"plot:{farm.plot.pk}"

    # A spray five days ago: tap the big button, find the product, the unit follows it.
    page.get_by_label("Spraying").check()
    page.fill("#id_date", sprayed_on.isoformat())
    page.fill("#product-search", "azoxy")
    assert page.locator("#id_product option:checked").inner_text().startswith("Demo Azoxystrobin")
    assert page.input_value("#id_unit") == "LTR"
    page.fill("#id_quantity", "0.3")
    shot(page, "quick-form-spray")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/diary/entries/*/")
    spray = DiaryEntry.objects.get(kind="spraying")
    assert spray.date == sprayed_on and spray.pesticide.trade_name == "Demo Azoxystrobin 250SC"
    assert "Warnings" not in page.content()

    # Then a harvest today, inside the product's 14-day pre-harvest interval.
    page.get_by_role("link", name="Record another").click()
    page.get_by_label("Harvest").check()
    assert page.input_value("#id_unit") == "KGM"
    page.fill("#id_quantity", "850")
    shot(page, "quick-form-harvest")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/diary/entries/*/")
    lawful = browser.shown(sprayed_on + timedelta(days=14))
    warning = page.locator(".diary-flags li").first
    assert "pre-harvest interval" in warning.inner_text()
    assert lawful in warning.inner_text()
    assert page.get_by_role("heading", name="Warnings").is_visible()
    shot(page, "entry-phi-warning")

    flag = DiaryFlag.objects.get()
    assert flag.kind == FlagKind.PHI and flag.related_entry == spray
    told = set(Notification.objects.values_list("organisation__kind", flat=True))
    assert told == {"representative", "plant_protection_office"}

    page.goto(f"{base}/diary/plots/{farm.plot.pk}/")
    assert "Do not harvest before" in page.content() and lawful in page.content()
    shot(page, "plot-diary")
