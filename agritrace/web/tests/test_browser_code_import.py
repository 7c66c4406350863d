"""Debian's Chromium (Playwright): the plant-protection office opens "Import existing codes"
from the menu, uploads the workbook of codes issued before AgriTrace, reads the report (what
would be created, with the history of each code), applies it, and sees the result. Screenshots
land in test-artifacts/screenshots/code-import-*.png."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from agritrace.registry import history
from agritrace.registry.models import CodeStatus, PackingHouse, PlantingArea
from agritrace.registry.tests.code_import_fixtures import local, sample_rows, workbook
from agritrace.tests import browser

pytestmark = browser.BROWSER_TEST


@pytest.fixture
def desktop(chromium):
    context, page = browser.new_page(chromium, **browser.DESKTOP)
    yield page
    context.close()


def test_import_the_existing_codes_workbook(live_server, world, commune, desktop, tmp_path):
    page, base = desktop, live_server.url
    rows = sample_rows(commune)
    bad = [row[:] for row in rows]
    bad[1][10] = "XX=2023-01-01"
    (tmp_path / "bad.xlsx").write_bytes(workbook(bad))
    (tmp_path / "codes.xlsx").write_bytes(workbook(rows))

    page.goto(f"{base}/login/")
    page.fill("#id_username", "ppo_user")
    page.fill("#id_password", "pw-Secret-123")
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/dashboard/")
    page.get_by_role("link", name="Import existing codes").first.click()
    page.wait_for_url(f"{base}/codes/import/")

    # a bad cell is named by row and column, and nothing can be applied
    page.set_input_files("#id_file", str(tmp_path / "bad.xlsx"))
    page.get_by_role("button", name="Check the file").click()
    problems = page.get_by_test_id("import-problems")
    problems.wait_for()
    assert "Unknown market: XX" in problems.inner_text()
    assert problems.locator("tbody tr td").first.inner_text() == "4"
    assert page.get_by_test_id("apply").count() == 0
    browser.shot(page, "code-import-1-bad-cell")

    # the right file: the report says what would change, row by row
    page.set_input_files("#id_file", str(tmp_path / "codes.xlsx"))
    page.get_by_role("button", name="Check the file").click()
    report = page.get_by_test_id("import-rows")
    report.wait_for()
    assert page.get_by_test_id("import-counts").inner_text().startswith("2 to create, 0 to update")
    assert report.locator("tr[data-action=create]").count() == 2
    assert "history: suspended from 2024-03-01" in report.inner_text()
    assert "new organisation: Công ty Phúc Thịnh mới" in report.inner_text()
    browser.shot(page, "code-import-2-report")
    assert not PlantingArea.objects.exists()

    page.get_by_test_id("apply").click()
    page.wait_for_url(f"{base}/codes/import/*/apply/")
    assert "Applied: 2 created, 0 updated, 0 unchanged." in page.content()
    browser.shot(page, "code-import-3-applied")
    area = PlantingArea.objects.get(code="VN-DLOR-017")
    assert history.status_at(area, local(date(2024, 4, 1))) == CodeStatus.SUSPENDED
    assert PackingHouse.objects.get(code="VN-DLPH-0036").code_status == CodeStatus.REVOKED

    # checking the same file again: every row unchanged
    page.set_input_files("#id_file", str(tmp_path / "codes.xlsx"))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_test_id("import-rows").wait_for()
    assert (
        page.get_by_test_id("import-counts")
        .inner_text()
        .startswith("0 to create, 0 to update, 2 unchanged")
    )

    # the imported code's page: a suspension decided ten days ago, entered today
    day = timezone.localdate() - timedelta(days=10)
    page.goto(f"{base}/areas/{area.pk}/")
    page.fill("#id_suspend_reason", "Quarantine pest found at the inspection")
    page.fill("#id_suspend_effective_date", day.isoformat())
    browser.shot(page, "code-import-4-back-dated-suspension")
    page.get_by_role("button", name="Suspend", exact=True).click()
    page.wait_for_url(f"{base}/areas/{area.pk}/")
    assert "Code VN-DLOR-017 suspended." in page.content()
    status_history = page.get_by_test_id("status-history").inner_text()
    assert f"{browser.shown(day)} 00:00" in status_history
    assert f"{browser.shown(date(2022, 9, 12))} 00:00" in status_history
    assert f"back-dated: effective from {day.isoformat()}" in page.content()
    browser.shot(page, "code-import-5-status-over-time")
    assert history.status_at(area, local(day, 9)) == CodeStatus.SUSPENDED
    assert history.status_at(area, local(day) - timedelta(hours=1)) == CodeStatus.ISSUED
