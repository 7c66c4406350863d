"""Debian's Chromium (Playwright): the plant-protection office imports paper authorisations,
sees a bad row named by row and column with nothing recorded, then records a clean file and
finds it in the list; it also records a harvest season on the calendars' page. Screenshots
land in test-artifacts/screenshots/authorisations-*.png."""

import pytest

from agritrace.registry.models import CodeAuthorisation
from agritrace.registry.tests.test_api_authorisations import area, row, workbook  # noqa: F401
from agritrace.tests import browser

pytestmark = browser.BROWSER_TEST


@pytest.fixture
def desktop(chromium):
    context, page = browser.new_page(chromium, **browser.DESKTOP)
    yield page
    context.close()


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-Secret-123")
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/dashboard/")


def test_import_paper_authorisations_in_the_browser(live_server, world, area, desktop, tmp_path):  # noqa: F811
    page, base = desktop, live_server.url
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([row(world, area), row(world, area, "A-2", market="US")]))
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook([row(world, area), row(world, area, "A-2", market="CN")]))
    login(page, base, "ppo_user")
    page.goto(f"{base}/authorisations/import/")
    page.set_input_files("#id_file", str(bad))
    page.check("#id_apply")
    page.get_by_role("button", name="Send").click()
    problems = page.get_by_test_id("import-problems")
    problems.wait_for()
    text = problems.inner_text()
    assert "3" in text and "market" in text and "target markets" in text
    browser.shot(page, "authorisations-1-bad-row")
    assert not CodeAuthorisation.objects.exists()
    page.set_input_files("#id_file", str(good))
    page.uncheck("#id_apply")  # the form keeps the choice made before
    page.get_by_role("button", name="Send").click()
    page.get_by_test_id("import-rows").wait_for()
    assert "Checked: nothing was written yet" in page.content()
    assert not CodeAuthorisation.objects.exists()
    page.set_input_files("#id_file", str(good))
    page.check("#id_apply")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Imported: 2 recorded, 0 already recorded.").wait_for()
    browser.shot(page, "authorisations-2-imported")
    assert CodeAuthorisation.objects.filter(origin="paper").count() == 2
    page.goto(f"{base}/authorisations/")
    table = page.get_by_test_id("authorisations")
    assert table.inner_text().count(area.code) == 2
    browser.shot(page, "authorisations-3-list")


def test_add_a_harvest_season_in_the_browser(live_server, world, desktop):
    from agritrace.registry.models import Crop
    from agritrace.supervision.models import SeasonCalendar

    page, base = desktop, live_server.url
    login(page, base, "ppo_user")
    page.goto(f"{base}/supervision/calendars/")
    assert "Black pepper" in page.get_by_test_id("uncovered").inner_text()
    page.select_option("#id_crop", str(Crop.objects.get(code="pepper").pk))
    page.fill("#id_region", "Đắk Lắk")
    page.fill("#id_provinces", "Đắk Lắk")
    page.select_option("#id_harvest_start_month", "2")
    page.select_option("#id_harvest_end_month", "4")
    page.get_by_role("button", name="Add").click()
    page.get_by_text("Say where this comes from").wait_for()  # no source: refused
    assert not SeasonCalendar.objects.filter(crop__code="pepper").exists()
    page.fill("#id_source", "Sở NN&MT Đắk Lắk, test letter")
    page.get_by_role("button", name="Add").click()
    page.get_by_text("added").wait_for()
    assert SeasonCalendar.objects.filter(crop__code="pepper", harvest_end_month=4).exists()
    browser.shot(page, "authorisations-4-calendars")
