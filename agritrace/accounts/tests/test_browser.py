"""In Chromium: a plant-protection officer imports the province's organisations from a
workbook (a bad row first, then a dry run, then applied), invites a person into one of them,
and the invitee chooses a password from the e-mailed link and logs in; the province
abbreviations page. Screenshots land in test-artifacts/screenshots/orgs-*.png."""

import io
import re
from urllib.parse import urlsplit

from django.core import mail
from openpyxl import Workbook

from agritrace.accounts.models import Organisation
from agritrace.accounts.org_import import COLUMNS
from agritrace.tests import browser

pytestmark = browser.BROWSER_TEST


def workbook(tmp_path, rows) -> str:
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row.get(c, "") for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    path = tmp_path / f"orgs-{len(rows)}.xlsx"
    path.write_bytes(out.getvalue())
    return str(path)


def login(page, base, username, password="pw-Secret-123"):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form").filter(has=page.locator("#id_password")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(f"{base}/dashboard/")


def test_import_invite_and_set_password(live_server, world, communes, chromium, tmp_path):
    base = live_server.url
    context, page = browser.new_page(chromium, **browser.DESKTOP)
    good = [
        {
            "kind": "cooperative",
            "name": "HTX Sầu riêng Krông Pắc",
            "commune_code": communes[1].code,
        },
        {
            "kind": "exporter",
            "name": "Công ty XNK Ea Tul",
            "commune_name": "ea tul",
            "province_name": "66",
        },
    ]
    login(page, base, "ppo_user")
    page.goto(f"{base}/accounts/organisations/")
    page.get_by_role("link", name="Import from a workbook").click()
    page.wait_for_url("**/accounts/organisations/import/")

    bad = [*good, {"kind": "exporter", "name": "X", "commune_code": "99999"}]
    page.set_input_files("#id_file", workbook(tmp_path, bad))
    page.check("#id_apply")
    page.get_by_role("button", name="Check (or apply)").click()
    page.wait_for_selector("#import-errors")
    assert "commune_code (C4)" in page.inner_text("#import-errors")
    browser.shot(page, "orgs-import-errors")
    assert not Organisation.objects.filter(name="Công ty XNK Ea Tul").exists()

    page.set_input_files("#id_file", workbook(tmp_path, good))
    page.get_by_role("button", name="Check (or apply)").click()
    page.wait_for_selector("#import-rows")
    assert "Dry run" in page.inner_text("#report")
    browser.shot(page, "orgs-import-dry-run")
    page.set_input_files("#id_file", workbook(tmp_path, good))
    page.check("#id_apply")
    page.get_by_role("button", name="Check (or apply)").click()
    page.wait_for_selector("#import-rows")
    assert "Imported" in page.inner_text("#report")
    exporter = Organisation.objects.get(name="Công ty XNK Ea Tul")

    page.goto(f"{base}/accounts/organisations/?q=xnk+ea+tul")
    page.get_by_role("link", name="Công ty XNK Ea Tul").click()
    page.wait_for_url(f"**/accounts/organisations/{exporter.identifier}/")
    page.fill("#id_email", "hoa@example.org")
    page.select_option("#id_role", "manager")
    page.fill("#id_first_name", "Hoa")
    page.get_by_role("button", name="Send the invitation").click()
    page.wait_for_selector("#members")
    assert "Invited" in page.inner_text("#members")
    browser.shot(page, "orgs-detail-invited")
    context.close()

    link = re.search(r"http\S+/accounts/invitations/\S+/", mail.outbox[-1].body).group(0)
    context, page = browser.new_page(chromium, **browser.PHONE)
    page.goto(base + urlsplit(link).path)
    page.fill("#id_new_password1", "Sầu-riêng-2026!")
    page.fill("#id_new_password2", "Sầu-riêng-2026!")
    browser.shot(page, "orgs-set-password")
    page.get_by_role("button", name="Set the password").click()
    page.wait_for_url(f"{base}/login/")
    login(page, base, "hoa", "Sầu-riêng-2026!")
    context.close()


def test_abbreviations_page(live_server, world, chromium):
    base = live_server.url
    context, page = browser.new_page(chromium, **browser.DESKTOP)
    login(page, base, "ministry_user")
    page.goto(f"{base}/places/abbreviations/")
    page.select_option("#id_province", label="Lâm Đồng")
    page.fill("#id_abbreviation", "L1")
    page.fill("#id_source", "Decision 1/2026")
    page.get_by_role("button", name="Save").click()
    assert "Two or three letters" in page.inner_text("[data-field=abbreviation]")
    page.fill("#id_abbreviation", "LD")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=abbreviation LD saved")
    assert "LD" in page.inner_text("#abbreviations")
    browser.shot(page, "orgs-abbreviations")
    context.close()
