"""A real browser (Debian's Chromium driven by Playwright): a plant-protection office's manager
opens /exchange/ in Vietnamese, reads a dead letter's error and sends it again; the officer of
the same office gets no menu entry and a refusal. Screenshots in test-artifacts/screenshots/."""

from playwright.sync_api import expect

from agritrace.accounts.models import Role
from agritrace.exchange.models import Delivery, DeliveryState
from agritrace.exchange.outbox import record
from agritrace.tests import browser as browser_kit
from conftest import make_user

from .conftest import connector

pytestmark = browser_kit.BROWSER_TEST
PASSWORD = "exchange-walk-1"


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_load_state()


def test_the_manager_reads_a_dead_letter_and_sends_it_again(live_server, chromium, world, settings):
    settings.LANGUAGE_CODE = "vi"  # the site's default (the test settings use English)
    manager = make_user("ppo_manager", world.orgs["ppo"], Role.MANAGER)
    manager.set_password(PASSWORD)
    manager.save()
    portal = connector("webhook", name="Cổng truy xuất quốc gia", url="http://x.test/h", secret="s")
    message = record("code.issued", "VN-DLOR-0001", {"code": "VN-DLOR-0001"}, "walk-key-1")
    Delivery.objects.filter(message=message).update(
        state=DeliveryState.DEAD, attempts=10, last_error="HTTP 503: cổng đang bảo trì"
    )
    base = live_server.url
    context, page = browser_kit.new_page(chromium, locale="vi-VN", **browser_kit.DESKTOP)
    _log_in(page, base, "ppo_manager")
    page.get_by_role("link", name="Trao đổi dữ liệu quốc gia").first.click()
    page.wait_for_url(f"{base}/exchange/")
    expect(page.locator("body")).to_contain_text("Cổng truy xuất quốc gia")
    expect(page.locator("body")).to_contain_text("HTTP 503: cổng đang bảo trì")
    browser_kit.shot(page, "exchange-dead-letter")
    page.get_by_role("button", name="Gửi lại").first.click()
    page.wait_for_load_state()
    delivery = Delivery.objects.get(message=message, connector=portal)
    assert delivery.state == DeliveryState.PENDING
    browser_kit.shot(page, "exchange-sent-again")
    context.close()

    officer = make_user("ppo_officer_walk", world.orgs["ppo"], Role.OFFICER)
    officer.set_password(PASSWORD)
    officer.save()
    context, page = browser_kit.new_page(chromium, locale="vi-VN", **browser_kit.DESKTOP)
    _log_in(page, base, "ppo_officer_walk")
    expect(page.get_by_role("link", name="Trao đổi dữ liệu quốc gia")).to_have_count(0)
    answer = page.goto(f"{base}/exchange/")
    assert answer.status == 403
    context.close()
