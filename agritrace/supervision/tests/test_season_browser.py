"""The issue's "done when": Debian's Chromium (driven by Playwright) walks one season through
the web pages only. A household logs in on a phone, records two sprays and a harvest inside
the pre-harvest interval and sees the warning; the inspector completes the scheduled
inspection; the inspector sends a residue sample, the laboratory enters a result above
China's limit and the area is shown flagged for China; the province's officer suspends the
code and its status shows suspended. Screenshots go to
test-artifacts/screenshots/season-*.png."""

from datetime import timedelta

from django.utils import timezone

from agritrace.diary.models import DiaryEntry, DiaryFlag, FlagKind
from agritrace.registry.models import CodeStatus
from agritrace.supervision import services
from agritrace.supervision.models import (
    AreaMarketFlag,
    ChecklistTemplate,
    MonitoringVisit,
    Outcome,
    Sample,
    SampleStatus,
)
from agritrace.tests import browser as browser_kit

from .conftest import issue_area
from .test_browser import DESKTOP, PHONE, browser, session  # noqa: F401

pytestmark = browser_kit.BROWSER_TEST


def shot(page, name: str) -> None:
    browser_kit.shot(page, f"season-{name}")


def record_entry(page, base: str, plot_pk: int, kind: str, day, product="", quantity=""):
    page.goto(f"{base}/diary/new/?plot={plot_pk}")
    page.get_by_label(kind).check()
    page.fill("#id_date", day.isoformat())
    if product:
        page.fill("#product-search", product)
    if quantity:
        page.fill("#id_quantity", quantity)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/diary/entries/*/")


def test_a_season_walked_in_the_browser(live_server, world, browser):  # noqa: F811
    base = live_server.url
    today = timezone.localdate()
    area = issue_area(world)
    plot = area.plots.order_by("label").first()
    household = plot.household
    household.organisation = world.orgs["household"]
    household.save()
    plan = services.generate_plan(
        world.actor("ppo"), world.province, str(today.year), today, today + timedelta(days=364)
    )
    visit = plan.visits.get(area=area)
    MonitoringVisit.objects.filter(pk=visit.pk).update(due_date=today)

    # 1. The household, on a phone: two sprays, then a harvest four days after the second,
    #    inside its 14-day pre-harvest interval. The entry is kept, with a warning.
    context, page = session(browser, base, "household_user", PHONE)
    record_entry(page, base, plot.pk, "Spraying", today - timedelta(days=30), "metalaxyl", "0.5")
    record_entry(page, base, plot.pk, "Spraying", today - timedelta(days=4), "azoxy", "0.3")
    assert "Warnings" not in page.content()
    shot(page, "1-household-spray")
    record_entry(page, base, plot.pk, "Harvest", today, quantity="900")
    warning = page.locator(".diary-flags li").first
    lawful = browser_kit.shown(today + timedelta(days=10))
    assert "pre-harvest interval" in warning.inner_text() and lawful in warning.inner_text()
    shot(page, "2-household-harvest-warning")
    page.goto(f"{base}/diary/plots/{plot.pk}/")
    assert "Do not harvest before" in page.content() and lawful in page.content()
    shot(page, "3-household-plot")
    context.close()
    assert DiaryEntry.objects.filter(recorded_for=household).count() == 3
    flag = DiaryFlag.objects.get()
    assert flag.kind == FlagKind.PHI and flag.entry.kind == "harvest"

    # 2. The inspector completes the scheduled inspection from the day's list.
    context, page = session(browser, base, "ppo_user", PHONE)
    page.goto(f"{base}/supervision/")
    assert area.code in page.content()
    shot(page, "4-inspector-day")
    page.get_by_role("link", name="Inspect").first.click()
    page.wait_for_url(f"**/visits/{visit.pk}/record/")
    # no draft yet, and online: neither notice shows
    assert not page.locator("#draft-restored").is_visible()
    assert not page.locator("#draft-offline").is_visible()
    for item in ChecklistTemplate.current("area").items.all():
        page.locator(f"input[name='item_{item.key}'][value='pass']").check(force=True)
    page.fill("#id_lon", "108.0512")
    page.fill("#id_lat", "12.6705")
    shot(page, "5-inspection-form")
    page.get_by_role("button", name="Record the visit").click()
    page.wait_for_url(f"**/visits/{visit.pk}/?recorded=1")
    assert page.locator("#visit-outcome").inner_text() == "Passed"
    shot(page, "6-inspection-recorded")

    #    and sends a residue sample to the laboratory.
    page.goto(f"{base}/supervision/samples/")
    page.select_option("#id_area", str(area.pk))
    page.fill("#id_plot_or_lot", plot.label)
    page.fill("#id_sampled_on", today.isoformat())
    page.select_option("#id_laboratory", str(world.orgs["lab"].pk))
    page.fill("#id_analyses", "chlorpyrifos, azoxystrobin")
    page.get_by_role("button", name="Register the sample").click()
    page.wait_for_url("**/samples/*/")
    context.close()
    visit.refresh_from_db()
    assert visit.outcome == Outcome.PASSED and visit.recorded_by == world.users["ppo"]
    sample = Sample.objects.get()
    assert sample.analyses == ["Chlorpyrifos ethyl", "Azoxystrobin"]

    # 3. The laboratory enters a result above China's limit: the area is flagged for China.
    context, page = session(browser, base, "lab_user", DESKTOP)
    page.goto(f"{base}/supervision/samples/{sample.pk}/")
    page.select_option("#id_ingredient", "Chlorpyrifos ethyl")
    page.fill("#id_value_mg_kg", "0.35")
    page.fill("#id_loq_mg_kg", "0.01")
    page.fill("#id_analysed_on", today.isoformat())
    shot(page, "7-lab-result-form")
    page.get_by_role("button", name="Save the result").click()
    page.wait_for_url(f"**/samples/{sample.pk}/")
    assert "above the limit for CN" in page.content()
    shot(page, "8-lab-result-above-limit")
    context.close()
    assert AreaMarketFlag.objects.get(area=area, lifted_at=None).market.code == "CN"

    # 4. The province's officer sees the flag and suspends the code.
    context, page = session(browser, base, "province_user", DESKTOP)
    page.goto(f"{base}/supervision/areas/{area.pk}/")
    flags = page.locator("#market-flags")
    assert flags.is_visible() and "China" in flags.inner_text()
    shot(page, "9-area-flagged-for-china")
    page.goto(f"{base}/areas/{area.pk}/")
    page.fill("#id_suspend_reason", "Chlorpyrifos above China's limit; harvest inside the PHI")
    page.get_by_role("button", name="Suspend", exact=True).click()
    page.wait_for_url(f"**/areas/{area.pk}/")
    assert "Suspended" in page.locator("main").inner_text()
    shot(page, "10-code-suspended")
    page.goto(f"{base}/supervision/areas/{area.pk}/")
    shot(page, "11-supervision-history")
    context.close()
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED
    assert Sample.objects.filter(follow_up_of=sample, status=SampleStatus.PLANNED).exists()
