"""A real browser (Debian's Chromium driven by Playwright) walks one application from draft
to an issued code: the cooperative files it, the province's plant-protection office appraises,
inspects and issues. Screenshots of each main page land in test-artifacts/screenshots/."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from agritrace.registry.lifecycle import INSPECTION_CHECKLIST
from agritrace.registry.models import PlantingArea
from agritrace.tests import browser as browser_kit
from conftest import square

pytestmark = browser_kit.BROWSER_TEST


@pytest.fixture
def browser_page(chromium):
    context, page = browser_kit.new_page(chromium, **browser_kit.DESKTOP)
    yield page
    context.close()


def shot(page, name: str) -> None:
    browser_kit.shot(page, name)


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-Secret-123")
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/dashboard/")


def logout(page) -> None:
    page.locator("form[action$='/logout/'] button").first.click()


def act(page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_load_state()


def test_officer_and_cooperative_walk_an_application_to_an_issued_code(
    live_server, world, browser_page
):
    page = browser_page
    base = live_server.url
    commune = world.orgs["coop"].unit

    # The cooperative registers a household, an area, its plot, and submits the file.
    login(page, base, "coop_user")
    shot(page, "dashboard-cooperative")
    page.goto(f"{base}/households/new/")
    page.fill("#id_name", "Nguyễn Văn Bình")
    page.select_option("#id_commune", str(commune.pk))
    page.fill("#id_national_id", "066090001234")
    page.fill("#id_phone", "0912345678")
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()

    page.goto(f"{base}/areas/new/")
    page.fill("#id_name", "Vùng sầu riêng Ea Tul 1")
    page.select_option("#id_crop", label="Durian")
    page.select_option("#id_commune", str(commune.pk))
    page.fill("#id_declared_area_ha", "1.0")
    page.fill("#id_expected_yield_t", "18")
    page.get_by_label("China").check()
    shot(page, "area-form")
    page.get_by_role("button", name="Create the planting area").click()
    page.wait_for_url("**/areas/*/")
    area = PlantingArea.objects.get(name="Vùng sầu riêng Ea Tul 1")

    page.goto(f"{base}/areas/{area.pk}/households/")
    page.get_by_label("Nguyễn Văn Bình").check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"**/areas/{area.pk}/")

    page.goto(f"{base}/areas/{area.pk}/plots/new/")
    household = area.households.get()
    assert household.name == "Nguyễn Văn Bình"
    page.select_option("#id_household", str(household.pk))
    page.fill("#id_label", "Thửa 12")
    # The map editor writes the drawn polygon into this field; type it as a surveyor would.
    page.evaluate(
        "([id, value]) => { const el = document.getElementById(id); el.value = value;"
        " el.dispatchEvent(new Event('input')); el.dispatchEvent(new Event('change')); }",
        ["id_geometry", json.dumps(square(108.05, 12.67, 100))],
    )
    shot(page, "plot-form")
    page.get_by_role("button", name="Save plot").click()
    page.wait_for_url(f"**/areas/{area.pk}/")
    area.refresh_from_db()
    assert area.plots.count() == 1
    assert 0.99 < float(area.measured_area_ha) < 1.01
    shot(page, "area-detail-draft")

    app = area.applications.get()
    page.goto(f"{base}/applications/{app.pk}/")
    act(page, "Submit")
    assert "Submitted" in page.content()
    logout(page)

    # The plant-protection office appraises, inspects, approves and issues.
    login(page, base, "ppo_user")
    shot(page, "dashboard-province")
    page.goto(f"{base}/applications/{app.pk}/")
    act(page, "Start appraisal")
    act(page, "Accept the file")
    page.fill(
        "#id_schedule_inspection_scheduled_for",
        (timezone.localdate() + timedelta(days=2)).isoformat(),
    )
    act(page, "Schedule the field inspection")
    shot(page, "application-detail")
    page.goto(f"{base}/applications/{app.pk}/inspection/")
    for key, _label in INSPECTION_CHECKLIST:
        page.locator(f"input[name='check_{key}'][value='pass']").check(force=True)
    page.fill("#id_notes", "Vườn 5 năm tuổi, nhật ký đầy đủ.")
    shot(page, "inspection-form")
    page.get_by_role("button", name="Record the inspection").click()
    page.wait_for_url(f"**/applications/{app.pk}/")
    act(page, "Approve")
    act(page, "Issue the code")
    area.refresh_from_db()
    assert area.code == "VN-DLOR-0001"
    assert area.code_status == "issued"

    page.goto(f"{base}/areas/{area.pk}/")
    assert "VN-DLOR-0001" in page.content()
    shot(page, "area-detail-issued")
    page.goto(f"{base}/inbox/")
    shot(page, "inbox")
    logout(page)

    # Anyone can find the new code in the public list.
    page.goto(f"{base}/codes/")
    assert "VN-DLOR-0001" in page.content()
    assert "066090001234" not in page.content()
    shot(page, "public-codes")
