"""A phone (Debian's Chromium driven by Playwright) opens stamps' URIs and sees the right status:
a genuine, a recalled, a forged and a copied stamp, in Vietnamese and in English, and the page
with scripts off. The copy is made the way it happens: the same label scanned in Hà Nội and,
minutes later, in Hồ Chí Minh City, each person sharing their place with the button.
Screenshots land in test-artifacts/screenshots/stamps-*.png."""

import pytest

from agritrace.stamps import services, strings
from agritrace.tests import browser as browser_kit

from .conftest import DOMAIN, GTIN_LOT_URN, build_chain, recall

pytestmark = browser_kit.BROWSER_TEST


@pytest.fixture
def browser(chromium):
    return chromium


def phone(browser, locale: str, **options):
    return browser_kit.new_page(
        browser, locale, viewport=browser_kit.PHONE["viewport"], is_mobile=True, **options
    )


def shot(page, name: str) -> None:
    browser_kit.shot(page, f"stamps-{name}")


def local(base: str, uri: str) -> str:
    return base + uri[len(DOMAIN) :]


def expect_status(page, status: str, lang: str) -> None:
    verdict = page.locator("[data-status]").first
    assert verdict.get_attribute("data-status") == status
    assert verdict.locator("h1").inner_text().strip() == strings.texts(lang)[f"status_{status}"]


def test_a_phone_sees_genuine_recalled_forged_and_copied_stamps(live_server, world, browser):
    chain = build_chain(world)
    packer = world.actor("packing")
    genuine, copied = [
        services.stamp_uri(s)
        for s in services.request_stamps(packer, GTIN_LOT_URN, 2).stamps.order_by("pk")
    ]
    recalled = services.stamp_uri(services.request_stamps(packer, chain.own_lot, 1).stamps.get())
    recall(world, chain.own_lot)
    serial = genuine.split("/21/")[1].split("?")[0]
    forged = genuine.replace(serial, "abcdefghijklm")
    base = live_server.url

    # The copy: scanned in Hà Nội, then in Hồ Chí Minh City, each sharing their place.
    for city, (lat, lon) in (("hanoi", (21.03, 105.85)), ("saigon", (10.78, 106.70))):
        context, page = phone(
            browser,
            "en-US",
            geolocation={"latitude": lat, "longitude": lon},
            permissions=["geolocation"],
        )
        page.goto(local(base, copied))
        page.get_by_role("button", name=strings.texts("en")["share_place"]).click()
        page.wait_for_selector(".thanks")
        shot(page, f"copy-shared-from-{city}")
        context.close()

    cases = {"genuine": genuine, "recalled": recalled, "forged": forged, "copy": copied}
    for locale, lang in (("vi-VN", "vi"), ("en-US", "en")):
        context, page = phone(browser, locale)
        for status, uri in cases.items():
            response = page.goto(local(base, uri))
            assert response.status == (422 if status == "forged" else 200)
            assert page.locator("html").get_attribute("lang") == lang
            expect_status(page, status, lang)
            shot(page, f"{status}-{lang}")
        # the genuine page shows the lot, its area and the map
        page.goto(local(base, genuine))
        assert chain.area.code in page.content()
        assert page.locator("#area-map").is_visible()
        # switch language on the page itself
        page.get_by_role("link", name="中文").click()
        expect_status(page, "genuine", "zh")
        context.close()
    context, page = phone(browser, "zh-CN")
    page.goto(local(base, genuine))
    expect_status(page, "genuine", "zh")
    shot(page, "genuine-zh")
    context.close()

    # With scripts off the verdict and the facts are all there; only the map is text.
    context, page = phone(browser, "en-US", java_script_enabled=False)
    page.goto(local(base, recalled))
    expect_status(page, "recalled", "en")
    page.goto(local(base, genuine))
    expect_status(page, "genuine", "en")
    assert page.locator("#area-map-text").is_visible()
    assert not page.locator("[data-share-place]").is_visible()
    shot(page, "genuine-en-noscript")
    # A truncated QR code and a typed serial
    page.goto(local(base, genuine)[:-4])
    expect_status(page, "malformed", "en")
    shot(page, "truncated-en")
    page.goto(f"{base}/lookup/?lang=en")
    page.fill("#serial-input", serial.upper())
    page.locator("#serial-input ~ button").click()
    expect_status(page, "genuine", "en")
    # The public code lookup
    page.goto(f"{base}/lookup/?lang=vi")
    page.fill("#code-input", chain.area.code.lower())
    page.locator("#code-input ~ button").click()
    assert page.locator("[data-code-status]").get_attribute("data-code-status") == "issued"
    shot(page, "code-lookup-vi")
    context.close()


def test_a_packing_house_requests_and_voids_stamps_in_the_browser(live_server, world, browser):
    build_chain(world)
    base = live_server.url
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login/")
    page.fill("#id_username", "packing_user")
    page.fill("#id_password", "pw-Secret-123")
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/dashboard/")
    page.goto(f"{base}/stamps/")
    page.fill("#id_lot", "https://id.gs1.org/01/08930000123459/10/P-77")
    page.fill("#id_count", "12")
    page.get_by_role("button", name="Request stamps").click()
    page.wait_for_url(f"{base}/stamps/batches/*/")
    assert page.locator("figure.qr-preview svg").count() == 1
    shot(page, "staff-batch")
    serial = page.locator("table code").first.inner_text().strip()
    page.fill("#id_serials", serial)
    page.fill("#id_reason", "label torn at packing")
    page.get_by_role("button", name="Void").click()
    page.wait_for_load_state()
    assert "1 stamp voided." in page.content()
    assert services.lookup_serial(serial).status == "voided"
    shot(page, "staff-batch-voided")
    context.close()
