"""A real browser (Debian's Chromium driven by Playwright) walks the supervision of a season:
an inspector completes a scheduled visit on a phone-sized screen (the form keeps a draft on
the phone across a reload and refuses to send while offline), a laboratory enters a failing
residue result and the area shows as flagged for that market, and the officer suspends the
code. Screenshots land in test-artifacts/screenshots/."""

import pytest
from django.utils import timezone

from agritrace.registry.models import CodeStatus
from agritrace.supervision import services
from agritrace.supervision.models import (
    ChecklistTemplate,
    MonitoringVisit,
    Outcome,
    ResidueCase,
)
from agritrace.tests import browser as browser_kit

from .conftest import days, issue_area

PHONE, DESKTOP = browser_kit.PHONE, browser_kit.DESKTOP

pytestmark = browser_kit.BROWSER_TEST


@pytest.fixture
def browser(chromium):
    return chromium


def shot(page, name: str) -> None:
    browser_kit.shot(page, f"supervision-{name}")


def session(browser, base: str, username: str, device: dict):
    context, page = browser_kit.new_page(browser, **device)
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-Secret-123")
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    # Each person's start page (web/menu.start_url): a laboratory's is its samples.
    page.wait_for_url(lambda url: "/login/" not in url)
    return context, page


def test_a_season_of_supervision(live_server, world, browser):
    base = live_server.url
    area = issue_area(world)
    today = timezone.localdate()
    plan = services.generate_plan(
        world.actor("ppo"),
        world.province,
        str(today.year),
        today.replace(month=1, day=1),
        today.replace(month=12, day=31),
    )
    visit = plan.visits.get(area=area)
    MonitoringVisit.objects.filter(pk=visit.pk).update(due_date=today)
    keys = [i.key for i in ChecklistTemplate.current("area").items.all()]

    # The inspector, on a phone, opens the day's visits and starts the scheduled visit.
    context, page = session(browser, base, "ppo_user", PHONE)
    page.goto(f"{base}/supervision/")
    assert area.code in page.content()
    shot(page, "inspector-day-phone")
    page.get_by_role("link", name="Inspect").first.click()
    page.wait_for_url(f"**/visits/{visit.pk}/record/")
    for key in keys[:4]:
        page.locator(f"input[name='item_{key}'][value='pass']").check(force=True)
    page.fill("#id_note_records_kept", "Hồ sơ đầy đủ")
    # The connection drops and the page is opened again: the draft comes back from the phone.
    page.reload()
    assert page.locator("#draft-restored").is_visible()
    for key in keys[:4]:
        assert page.locator(f"input[name='item_{key}'][value='pass']").is_checked()
    assert page.input_value("#id_note_records_kept") == "Hồ sơ đầy đủ"
    for key in keys[4:]:
        page.locator(f"input[name='item_{key}'][value='pass']").check(force=True)
    page.fill("#id_lon", "108.0512")
    page.fill("#id_lat", "12.6705")
    # Offline, the form refuses to send and says the visit is kept on the phone.
    context.set_offline(True)
    page.get_by_role("button", name="Record the visit").click()
    assert page.locator("#draft-offline").is_visible()
    assert page.url.endswith(f"/visits/{visit.pk}/record/")
    shot(page, "visit-form-offline-phone")
    context.set_offline(False)
    page.get_by_role("button", name="Record the visit").click()
    page.wait_for_url(f"**/visits/{visit.pk}/?recorded=1")
    assert page.locator("#visit-outcome").inner_text() == "Passed"
    shot(page, "visit-recorded-phone")
    assert page.evaluate(f"localStorage.getItem('agritrace-visit-draft-{visit.pk}')") is None
    visit.refresh_from_db()
    assert visit.outcome == Outcome.PASSED and (visit.lon, visit.lat) == (108.0512, 12.6705)
    assert visit.items.count() == len(keys)
    sample = services.register_sample(
        world.actor("ppo"),
        {
            "area": area.pk,
            "plot_or_lot": "P0",
            "sampled_on": days(-1),
            "laboratory": world.orgs["lab"].pk,
            "analyses": ["chlorpyrifos", "cypermethrin"],
        },
    )
    context.close()

    # The laboratory enters a result above China's limit: the area is flagged for China.
    context, page = session(browser, base, "lab_user", DESKTOP)
    page.goto(f"{base}/supervision/")
    page.wait_for_url("**/supervision/samples/")
    page.get_by_role("link", name=sample.code).click()
    page.select_option("#id_ingredient", "Chlorpyrifos ethyl")
    page.fill("#id_value_mg_kg", "0.35")
    page.fill("#id_loq_mg_kg", "0.01")
    page.fill("#id_analysed_on", today.isoformat())
    shot(page, "lab-result-form")
    page.get_by_role("button", name="Save the result").click()
    page.wait_for_url(f"**/samples/{sample.pk}/")
    assert "above the limit for CN" in page.content()
    shot(page, "lab-result-above-limit")
    context.close()
    case = ResidueCase.objects.get()
    assert case.market.code == "CN" and case.follow_up.status == "planned"

    # The officer sees the flag on the area's supervision history and suspends the code.
    context, page = session(browser, base, "province_user", DESKTOP)
    page.goto(f"{base}/supervision/areas/{area.pk}/")
    flags = page.locator("#market-flags")
    assert flags.is_visible() and "China" in flags.inner_text()
    shot(page, "area-flagged-for-china")
    page.goto(f"{base}/areas/{area.pk}/")
    page.fill("#id_suspend_reason", "Chlorpyrifos above China's limit; follow-up sample planned")
    page.get_by_role("button", name="Suspend", exact=True).click()
    page.wait_for_url(f"**/areas/{area.pk}/")
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED
    page.goto(f"{base}/supervision/residues/")
    shot(page, "residue-programme")
    page.goto(f"{base}/supervision/areas/{area.pk}/")
    shot(page, "area-history-suspended")
    context.close()
