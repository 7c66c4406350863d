"""The eight main tasks of the walk, each as its person does it in the browser on the demo
province (agritrace/tests/test_walk.py runs them). They find what they act on by the page
(ids, form values, links), not by English labels, so they run in Vietnamese; each returns
what the test checks and leaves screenshots in artifacts/walk/."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from urllib.parse import quote

from django.utils import timezone

from . import walk

#: The demo's cooperative area of the first chain and its packing house (agritrace.demo).
AREA_CODE = "VN-DLOR-0001"
HOUSE_CODE = "VN-DLPH-0001"
EXPORTER = "Công ty CP Xuất nhập khẩu Đắk Lắk"


def fill_date(page, selector: str, day: date) -> None:
    """A date as the person types it: ISO into a date picker, dd/mm/yyyy into a text field
    (Vietnamese dates are day first)."""
    kind = page.get_attribute(selector, "type")
    page.fill(selector, day.isoformat() if kind == "date" else day.strftime("%d/%m/%Y"))


def fill_moment(page, selector: str, moment: datetime) -> None:
    kind = page.get_attribute(selector, "type")
    text = (
        moment.strftime("%Y-%m-%dT%H:%M")
        if kind == "datetime-local"
        else moment.strftime("%d/%m/%Y %H:%M")
    )
    page.fill(selector, text)


def choose(page, selector: str, text: str) -> None:
    """Select the first option of `selector` whose text contains `text`."""
    option = page.locator(f"{selector} option", has_text=text).first
    page.select_option(selector, option.get_attribute("value"))


def submit(page, form_selector: str = "main form[method=post]") -> None:
    page.locator(form_selector).last.locator("button[type=submit]").last.click()
    page.wait_for_load_state()


def act(page, action: str) -> None:
    """Press the application page's button for the lifecycle step `action`."""
    form = page.locator(f"#next-actions form:has(input[type=hidden][value='{action}'])")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


@contextmanager
def person(browser, site, username: str, width: int = walk.DESKTOP_WIDTH, lang: str = "vi"):
    """A logged-in page of `username`; on a failure, a screenshot of where it stopped."""
    context, page = walk.open_context(browser, lang, width)
    walk.set_language(context, site.url, lang)
    try:
        walk.log_in(page, site.url, username, site.password)
        yield page
    except Exception:
        walk.shot(page, f"failed-{username}-{page.url.split('/', 3)[-1].replace('/', '_')[:60]}")
        raise
    finally:
        context.close()


def file_an_area_with_a_plot(browser, site) -> str:
    """The cooperative registers a household, a planting area in its commune, the member and
    a drawn plot, and submits the file. Returns the application's page."""
    base = site.url
    with person(browser, site, "coop") as page:
        page.goto(f"{base}/households/new/")
        page.fill("#id_name", "Trần Văn Walk")
        choose(page, "#id_commune", "Krông Pắc")
        commune_id = page.input_value("#id_commune")
        page.fill("#id_national_id", "066090009876")
        submit(page)
        page.goto(f"{base}/areas/new/")
        page.fill("#id_name", "Vùng sầu riêng đi bộ")
        page.select_option("#id_crop", index=1)
        page.select_option("#id_commune", commune_id)
        page.fill("#id_declared_area_ha", "1")
        page.fill("#id_expected_yield_t", "18")
        page.locator("input[name=markets]").first.check()
        walk.shot(page, "task-1-area-form")
        submit(page)
        page.wait_for_url(re.compile(r"/areas/\d+/$"))
        area_url = page.url
        page.goto(area_url + "households/")
        page.get_by_label("Trần Văn Walk").check()
        submit(page)
        page.goto(area_url + "plots/new/")
        choose(page, "#id_household", "Trần Văn Walk")
        page.fill("#id_label", "Thửa 1")
        lon, lat = 108.3217, 12.7231
        side = 100 / 111_320
        ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side]]
        polygon = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
        page.evaluate(
            "([id, v]) => { const el = document.getElementById(id); el.value = v;"
            " el.dispatchEvent(new Event('change')); }",
            ["id_geometry", json.dumps(polygon)],
        )
        walk.shot(page, "task-1-plot-form")
        submit(page)
        page.wait_for_url(area_url)
        walk.shot(page, "task-1-area-draft")
        page.locator("main a[href*='/applications/']").first.click()
        page.wait_for_url(re.compile(r"/applications/\d+/$"))
        act(page, "submit")
        walk.shot(page, "task-1-submitted")
        return page.url[len(base) :]


def appraise_to_issue(browser, site, application: str) -> str:
    """The plant-protection office appraises the file, inspects the area and issues its
    code. Returns the text of the area's page at the end."""
    base = site.url
    with person(browser, site, "inspector") as page:
        page.goto(base + application)
        act(page, "start_appraisal")
        act(page, "accept")
        fill_date(
            page,
            "#id_schedule_inspection_scheduled_for",
            timezone.localdate() + timedelta(days=1),
        )
        act(page, "schedule_inspection")
        page.goto(base + application + "inspection/")
        for radio in page.locator("input[type=radio][value=pass]").all():
            radio.check(force=True)
        page.fill("#id_notes", "Vườn đạt yêu cầu.")
        walk.shot(page, "task-3-inspection-form")
        submit(page)
        page.wait_for_url(base + application)
        act(page, "approve")
        act(page, "issue")
        walk.shot(page, "task-3-issued")
        page.locator("main a[href*='/areas/']").first.click()
        page.wait_for_load_state()
        return page.inner_text("main")


def spray_on_the_phone(browser, site) -> str:
    """The household records a spray of a catalogue product on its phone. Returns the saved
    entry's page text."""
    base = site.url
    with person(browser, site, "household", walk.PHONE_WIDTH) as page:
        page.goto(f"{base}/diary/")
        walk.shot(page, "task-2-diary-phone")
        page.locator("main a[href*='/diary/new/']").first.click()
        page.wait_for_load_state()
        page.locator("input[name=kind][value=spraying]").check(force=True)
        fill_date(page, "#id_date", timezone.localdate() - timedelta(days=1))
        product = page.locator("#id_product option[value]:not([value=''])").first
        page.select_option("#id_product", product.get_attribute("value"))
        page.fill("#id_quantity", "0.3")
        walk.shot(page, "task-2-spray-form-phone")
        submit(page)
        page.wait_for_url(re.compile(r"/diary/entries/\d+/$"))
        walk.shot(page, "task-2-spray-saved-phone")
        assert page.evaluate(walk.OVERFLOW)[0] <= walk.PHONE_WIDTH
        return page.inner_text("main")


def an_inspection(browser, site) -> str:
    """The inspector opens the season's visits on a phone, records the first planned one as
    passed. Returns the visit page's text."""
    base = site.url
    with person(browser, site, "inspector", walk.PHONE_WIDTH) as page:
        page.goto(f"{base}/supervision/")
        page.locator("main a[href$='/record/']").first.click()
        page.wait_for_url(re.compile(r"/visits/\d+/record/$"))
        for radio in page.locator("input[type=radio][value=pass]").all():
            radio.check(force=True)
        page.fill("#id_lon", "108.3201")
        page.fill("#id_lat", "12.7202")
        walk.shot(page, "task-4-visit-form-phone")
        page.locator("form:has(input[name^=item_]) button[type=submit]").last.click()
        page.wait_for_url(re.compile(r"/visits/\d+/"))
        page.wait_for_load_state()
        walk.shot(page, "task-4-visit-recorded-phone")
        return page.inner_text("main")


def a_communes_areas(browser, site) -> tuple[list[str], str]:
    """The commune lists the planting areas in its commune and opens the first. Returns
    the list's area names and the first area's page text."""
    base = site.url
    with person(browser, site, "commune", walk.PHONE_WIDTH) as page:
        page.goto(f"{base}/areas/")
        walk.shot(page, "task-5-commune-areas-phone")
        rows = page.locator("main table tbody tr")
        names = [rows.nth(i).inner_text() for i in range(rows.count())]
        page.locator("main table tbody a[href*='/areas/']").first.click()
        page.wait_for_load_state()
        return names, page.inner_text("main")


def receive_and_pack(browser, site, code: str = "WALKP1") -> str:
    """The cooperative records a harvest of its area; the packing house receives that lot
    and packs it. Returns the packed lot's identifier (from the trace page it lands on)."""
    base = site.url
    yesterday = timezone.localdate() - timedelta(days=1)
    with person(browser, site, "coop") as page:
        page.goto(f"{base}/trace/record/harvest/")
        choose(page, "#id_area", AREA_CODE)
        fill_date(page, "#id_harvest_date", yesterday)
        page.fill("#id_quantity", "900")
        page.locator("input[name=plots]").first.check()
        page.locator("details:has(#id_lot_code) summary").click()
        page.fill("#id_lot_code", f"H{code}")
        submit(page)
        page.wait_for_url("**/trace/lot/?uri=*")
    harvest = f"{AREA_CODE}:H{code}"
    with person(browser, site, "packing") as page:
        page.goto(f"{base}/trace/record/receiving/")
        choose(page, "#id_location", HOUSE_CODE)
        choose(page, "#id_source", AREA_CODE)
        fill_moment(page, "#id_when", timezone.localtime() - timedelta(hours=3))
        page.fill("#id_lot_0_lot", harvest)
        page.fill("#id_lot_0_quantity", "900")
        walk.shot(page, "task-6-receiving-form")
        submit(page)
        page.wait_for_url("**/trace/lot/?uri=*")
        page.goto(f"{base}/trace/record/packing/")
        fill_moment(page, "#id_when", timezone.localtime() - timedelta(hours=2))
        page.fill("#id_in_0_lot", harvest)
        page.fill("#id_in_0_quantity", "900")
        page.fill("#id_out_0_lot", code)
        page.fill("#id_out_0_quantity", "850")
        walk.shot(page, "task-6-packing-form")
        submit(page)
        page.wait_for_url("**/trace/lot/?uri=*")
        walk.shot(page, "task-6-packed-trace")
        return page.locator("[data-testid=trace-lot]").inner_text().strip()


def ship(browser, site, lot: str) -> str:
    """The packing house ships the packed lot to the border for the exporter, who owns it
    from then on. Returns the shipped lot's trace page text."""
    base = site.url
    with person(browser, site, "packing") as page:
        page.goto(f"{base}/trace/record/shipping/")
        choose(page, "#id_origin", HOUSE_CODE)
        page.fill("#id_lot_0_lot", lot)
        page.fill("#id_lot_0_quantity", "850")
        choose(page, "#id_owner", EXPORTER)
        page.fill("#id_destination_name", "Cửa khẩu Hữu Nghị, Lạng Sơn")
        page.select_option("#id_destination_country", "CN")
        page.fill("#id_transport_doc", "BL-WALK-1")
        walk.shot(page, "task-7-shipping-form")
        submit(page)
        page.wait_for_url("**/trace/lot/?uri=*")
        return page.inner_text("main")


def get_stamps(browser, site, lot: str, username: str) -> str:
    """`username` requests four stamps for the lot on the stamps page. Returns the batch
    page's text."""
    base = site.url
    with person(browser, site, username) as page:
        page.goto(f"{base}/stamps/")
        page.fill("#id_lot", lot)
        page.fill("#id_count", "4")
        page.locator("form:has(#id_lot) button[type=submit]").click()
        page.wait_for_url(f"{base}/stamps/batches/*/")
        walk.shot(page, f"task-7-stamps-{username}")
        return page.inner_text("main")


def scan_a_stamp(browser, site, lang: str) -> tuple[str, str, int]:
    """Anyone scans a printed stamp on a phone whose language is `lang`. Returns the page's
    language, its verdict (data-status) and its width."""
    uri = site.summary["stamp_uris"][0]
    path = uri[uri.index("/p/") :]
    context, page = walk.open_context(browser, lang, walk.PHONE_WIDTH)
    try:
        response = page.goto(site.url + path)
        assert response.status == 200, response.status
        walk.shot(page, f"task-8-stamp-{lang}-phone")
        verdict = page.locator("[data-status]").first.get_attribute("data-status")
        return page.locator("html").get_attribute("lang"), verdict, page.evaluate(walk.OVERFLOW)[0]
    finally:
        context.close()


def lot_trace_path(lot: str) -> str:
    return f"/trace/lot/?uri={quote(lot, safe='')}"
