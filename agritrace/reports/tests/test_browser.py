"""A real browser (Debian's Chromium driven by Playwright) walks the province officer from the
dashboard's report deadline to a generated half-year report, and reads the achieved-against-
target page with its chart and map. Screenshots land in test-artifacts/screenshots/."""

from playwright.sync_api import expect

from agritrace.demo import DEMO_PASSWORD, build_demo
from agritrace.reports.models import PeriodicReport
from agritrace.tests import browser as browser_kit

pytestmark = browser_kit.BROWSER_TEST


def test_the_officer_goes_from_the_deadline_to_a_generated_half_year_report(live_server, chromium):
    base = live_server.url
    build_demo()
    before = PeriodicReport.objects.filter(kind="half_year").count()
    context, page = browser_kit.new_page(chromium, locale="en-US", **browser_kit.DESKTOP)
    page.goto(f"{base}/login/")
    page.fill("#id_username", "officer")
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/dashboard/")

    # The dashboard names both reports' deadlines; the half-year one leads to the reports.
    deadlines = page.locator("#report-deadlines")
    expect(deadlines).to_be_visible()
    deadlines.locator("a[href*='kind=half_year']").click()
    page.wait_for_url(f"{base}/reports/periodic/**")
    expect(page.locator("#report-list")).to_be_visible()
    browser_kit.shot(page, "reports-list")

    # Generate a new version of the half-year report (the demo's first is submitted).
    form = page.locator("#generate form")
    form.locator("select[name=kind]").select_option("half_year")
    # The deadline's link proposes the next report due; its period may not have begun yet, so
    # the officer types the year of the demo's submitted half-year report.
    submitted = PeriodicReport.objects.filter(kind="half_year").latest("pk")
    form.locator("input[name=year]").fill(str(submitted.year))
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/reports/periodic/*/")
    expect(page.locator("#report-status")).to_have_text("Generated")
    expect(page.locator("#report-codes")).to_be_visible()
    assert PeriodicReport.objects.filter(kind="half_year").count() == before + 1
    browser_kit.shot(page, "reports-half-year")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").first.click()
    assert download.value.suggested_filename.endswith(".pdf")

    # Achieved against target: the chart is drawn (Chart.js) and the map shows the areas.
    page.goto(f"{base}/reports/")
    expect(page.locator("#achieved-chart[data-drawn=true]")).to_have_count(1)
    expect(page.locator("#achieved-map[data-drawn=true]")).to_have_count(1)
    page.wait_for_selector("#achieved-map .leaflet-interactive")
    expect(page.locator("#achieved-table")).to_contain_text("Planting-area codes")
    browser_kit.shot(page, "reports-achieved")
    page.locator("#achieved-table a").first.click()
    page.wait_for_url(f"{base}/reports/targets/*/")
    expect(page.locator("#achieved-value")).to_be_visible()
    context.close()
