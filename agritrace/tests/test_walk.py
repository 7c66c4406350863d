"""The walk: every kind of demo person (and the public) in Debian's Chromium, on the demo
province built once for this module. Each opens every page its menu offers (the links are
read from the rendered menu, so the walk follows the menu as it changes) at 390 px and at
1280 px: no status of 400 or more, no sideways scroll of the page, no console error. The
Vietnamese pages' words are checked apart (no English word of a short list, no raw msgid). Then the
main tasks end to end (agritrace/tests/walk_tasks.py). Screenshots of each person's main page
at both widths land in artifacts/walk/ (git-ignored; CI keeps it)."""

import pytest

from agritrace.tests import browser as browser_kit
from agritrace.tests import walk
from agritrace.tests import walk_tasks as tasks

# Not BROWSER_TEST's django_db mark: the demo stays in the database for the whole module.
pytestmark = [browser_kit.BROWSER_TEST[0]]


@pytest.fixture(autouse=True)
def _vietnamese_for_staff(settings):
    """The site's default language, as the service runs it: signed-in people who saved none get
    Vietnamese (accounts.preferences), whatever the tests' English default says."""
    settings.LANGUAGE_CODE = "vi"


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    with walk.demo_site(django_db_blocker) as site:
        yield site


@pytest.fixture(scope="module")
def chromium_once(site):
    with browser_kit.launch() as browser:
        yield browser


_walked: dict[str, list[walk.Visit]] = {}


def walk_person(site, browser, person: str) -> list[walk.Visit]:
    """Log in as `person` (the public: no log-in), screenshot the page the log-in lands on at
    both widths, then open every page of the menu. Done once per person per module."""
    if person in _walked:
        return _walked[person]
    context, page = walk.open_context(browser, "vi", walk.PHONE_WIDTH)
    walk.set_language(context, site.url, "vi")
    try:
        if person == "anonymous":
            page.goto(f"{site.url}/")
        else:
            walk.log_in(page, site.url, person, site.password)
        main = page.url[len(site.url) :]
        walk.shot(page, f"{person}-main-390")
        page.set_viewport_size({"width": walk.DESKTOP_WIDTH, "height": walk.HEIGHT})
        walk.settle(page)
        walk.shot(page, f"{person}-main-1280")
        page.set_viewport_size({"width": walk.PHONE_WIDTH, "height": walk.HEIGHT})
        paths = walk.menu_links(page, site.url)
        assert paths, f"{person} sees no menu on {main}"
        visits = []
        widths = (walk.PHONE_WIDTH, walk.DESKTOP_WIDTH)
        for path in [main, *[p for p in paths if p != main]]:
            visits.append(walk.visit(page, site.url, path, widths))
            widths = widths[::-1]
    finally:
        context.close()
    _walked[person] = visits
    return visits


@pytest.mark.parametrize("person", walk.PEOPLE)
def test_every_menu_page_opens_and_fits_both_widths(site, chromium_once, person):
    visits = walk_person(site, chromium_once, person)
    problems = [p for v in visits for p in v.problems()]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("person", walk.PEOPLE)
def test_vietnamese_pages_show_no_english_or_raw_msgid(site, chromium_once, person):
    visits = walk_person(site, chromium_once, person)
    english = [e for v in visits for e in v.english()]
    assert not english, "\n".join(english)


# ---- the eight main tasks ------------------------------------------------------------------


@pytest.fixture(scope="module")
def _db(django_db_blocker):
    """The tests' own ORM reads (the walk's tests carry no django_db mark)."""
    with django_db_blocker.unblock():
        yield


def test_task_file_an_area_with_a_plot_and_appraise_it_to_an_issued_code(site, chromium_once, _db):
    from agritrace.registry.models import PlantingArea

    application = tasks.file_an_area_with_a_plot(chromium_once, site)
    area = PlantingArea.objects.get(name="Vùng sầu riêng đi bộ")
    assert area.plots.count() == 1 and 0.9 < float(area.measured_area_ha) < 1.1
    assert area.applications.get().status == "submitted"
    page_text = tasks.appraise_to_issue(chromium_once, site, application)
    area.refresh_from_db()
    assert area.code_status == "issued" and area.code in page_text


def test_task_a_spray_on_the_phone(site, chromium_once, _db):
    from agritrace.diary.models import DiaryEntry

    before = DiaryEntry.objects.filter(kind="spraying").count()
    text = tasks.spray_on_the_phone(chromium_once, site)
    assert DiaryEntry.objects.filter(kind="spraying").count() == before + 1
    assert "0,3" in text


def test_task_an_inspection(site, chromium_once, _db):
    from agritrace.supervision.models import MonitoringVisit

    done = MonitoringVisit.objects.exclude(visited_on=None).count()
    tasks.an_inspection(chromium_once, site)
    assert MonitoringVisit.objects.exclude(visited_on=None).count() == done + 1


def test_task_a_communes_areas(site, chromium_once, _db):
    from agritrace.accounts.models import Membership
    from agritrace.registry.models import PlantingArea

    commune = Membership.objects.get(user__username="commune").organisation.unit
    names, first = tasks.a_communes_areas(chromium_once, site)
    own = PlantingArea.objects.filter(commune=commune)
    assert len(names) == own.count() > 0
    assert all(commune.name in row for row in names)
    assert commune.name in first


def test_task_receive_pack_ship_and_get_stamps(site, chromium_once, _db):
    from agritrace.stamps.models import StampBatch

    lot = tasks.receive_and_pack(chromium_once, site)
    assert lot.endswith(f"{tasks.HOUSE_CODE}:WALKP1")
    shipped = tasks.ship(chromium_once, site, lot)
    assert "Hữu Nghị" in shipped
    batch = tasks.get_stamps(chromium_once, site, lot, "packing")
    assert "WALKP1" in batch
    assert StampBatch.objects.filter(lot__uri=lot, lot_code="WALKP1").exists()


def test_task_the_exporter_gets_stamps_for_the_lot_it_owns(site, chromium_once, _db):
    lot = tasks.receive_and_pack(chromium_once, site, code="WALKP2")
    tasks.ship(chromium_once, site, lot)
    assert "WALKP2" in tasks.get_stamps(chromium_once, site, lot, "exporter")


@pytest.mark.parametrize("lang", ["vi", "en", "zh"])
def test_task_scan_a_printed_stamp(site, chromium_once, lang):
    html_lang, verdict, width = tasks.scan_a_stamp(chromium_once, site, lang)
    assert html_lang.startswith(lang)
    assert verdict == "genuine"
    assert width <= walk.PHONE_WIDTH
