"""Harvest season calendars kept by the authority (API, page, import, command) and the
`in_season` helper for misuse detection (issue 19)."""

import csv
import io
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from agritrace.audit.models import AuditEntry
from agritrace.places.models import AdminUnit
from agritrace.supervision import calendar
from agritrace.supervision.models import SeasonCalendar

pytestmark = pytest.mark.django_db

URL = "/api/supervision/season-calendars"


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def season(**changes) -> dict:
    data = {
        "crop": "avocado",
        "region": "Đắk Lắk",
        "provinces": ["Đắk Lắk"],
        "label": "main",
        "harvest_start_month": 11,
        "harvest_end_month": 2,
        "source": "Sở NN&MT Đắk Lắk, letter 12/2026",
        "source_date": "2026-01-15",
    }
    data.update(changes)
    return data


@pytest.fixture
def avocado(db):
    from agritrace.registry.models import Crop

    return Crop.objects.get_or_create(
        code="avocado", defaults={"name_vi": "Bơ", "name_en": "Avocado"}
    )[0]


# ------------------------------------------------------------------ in_season


def test_in_season_reads_the_shipped_calendar(province):
    # durian in Đắk Lắk: August to September (press sources, in the data)
    assert calendar.in_season("durian", province, date(2026, 8, 15)) is True
    assert calendar.in_season("durian", province, date(2026, 7, 20)) is False
    assert calendar.in_season("durian", province, date(2026, 7, 20), margin_days=15) is True
    assert calendar.in_season("durian", "Đắk Lắk", date(2026, 10, 10), margin_days=5) is False
    commune = AdminUnit.objects.filter(parent=province, level="commune").first()
    assert calendar.in_season("durian", commune, date(2026, 9, 30)) is True


def test_pepper_has_no_calendar_and_gets_no_answer(province):
    assert not SeasonCalendar.objects.filter(crop__code="pepper").exists()
    assert calendar.in_season("pepper", province, date(2026, 3, 1)) is None
    assert calendar.in_season("durian", "Hà Giang nowhere", date(2026, 8, 1)) is None


def test_a_season_across_the_new_year(world, avocado):
    r = post(client_for(world, "ppo"), URL, season())
    assert r.status_code == 201, r.content
    province = world.province
    assert calendar.in_season(avocado, province, date(2026, 12, 31)) is True
    assert calendar.in_season(avocado, province, date(2027, 2, 28)) is True
    assert calendar.in_season(avocado, province, date(2026, 3, 1)) is False
    # another province: no calendar covers it
    assert calendar.in_season(avocado, "Đồng Tháp", date(2026, 12, 31)) is None
    r = client_for(world, "coop").get(
        f"{URL}/in-season", {"crop": "avocado", "province": "Đắk Lắk", "day": "2027-01-10"}
    )
    assert r.json()["in_season"] is True and len(r.json()["calendars"]) == 1


# ------------------------------------------------------------------ the API


def test_the_province_adds_changes_and_deletes_its_own(world, avocado):
    client = client_for(world, "ppo")
    r = post(client, URL, season())
    assert r.status_code == 201, r.content
    cal_id = r.json()["id"]
    assert r.json()["source"].startswith("Sở NN&MT")
    r = client.patch(f"{URL}/{cal_id}", {"harvest_end_month": 3}, content_type="application/json")
    assert r.status_code == 200 and r.json()["harvest_end_month"] == 3
    listed = client_for(world, "household").get(URL, {"crop": "avocado"}).json()
    assert [c["id"] for c in listed] == [cal_id]
    assert client.delete(f"{URL}/{cal_id}?reason=wrong").status_code == 204
    assert not SeasonCalendar.objects.filter(pk=cal_id).exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"season_calendar.create", "season_calendar.update", "season_calendar.delete"} <= actions


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"harvest_start_month": 13}, "harvest_start_month"),
        ({"source": ""}, "source"),
        ({"crop": "unicorn"}, "crop"),
        ({"provinces": ["Atlantis"]}, "provinces"),
        ({"region": ""}, "region"),
        ({"source_date": "2999-01-01"}, "source_date"),
    ],
)
def test_bad_seasons_are_refused_by_field(world, avocado, changes, field):
    before = SeasonCalendar.objects.count()
    r = post(client_for(world, "ppo"), URL, season(**changes))
    assert r.status_code == 422, r.content
    assert field in r.json()["errors"]
    assert SeasonCalendar.objects.count() == before


def test_who_may_edit(world, avocado):
    assert post(Client(), URL, season()).status_code == 401
    for key in ("coop", "commune", "exporter", "lab"):
        assert post(client_for(world, key), URL, season()).status_code == 403, key
    # another province's office may not write Đắk Lắk's calendar, nor one for any province
    assert post(client_for(world, "other_ppo"), URL, season()).status_code == 403
    assert post(client_for(world, "ppo"), URL, season(provinces=[])).status_code == 403
    # the ministry may
    assert post(client_for(world, "ministry"), URL, season(provinces=[])).status_code == 201
    shipped = SeasonCalendar.objects.get(crop__code="durian", region__startswith="Mekong")
    r = client_for(world, "ppo").patch(
        f"{URL}/{shipped.pk}", {"note": "x"}, content_type="application/json"
    )
    assert r.status_code == 403
    assert client_for(world, "ppo").delete(f"{URL}/{shipped.pk}").status_code == 403
    assert SeasonCalendar.objects.filter(pk=shipped.pk).exists()


# ------------------------------------------------------------------ the import


def workbook(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([c.name for c in calendar.COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = ["avocado", "Đắk Lắk", "Đắk Lắk", "main", 11, 2, "Sở NN&MT letter", "2026-01-15", ""]


def send(world, data: bytes, apply=False, key="ppo", name="c.xlsx"):
    upload = io.BytesIO(data)
    upload.name = name
    url = f"{URL}/import" + ("?apply=true" if apply else "")
    return client_for(world, key).post(url, {"file": upload})


def test_the_import_checks_first_applies_then_changes_nothing(world, avocado):
    data = workbook([GOOD, [*GOOD[:3], "second", 5, 6, "unknown", "", ""]])
    r = send(world, data)
    assert r.status_code == 200 and r.json()["counts"] == {"create": 2}
    assert not SeasonCalendar.objects.filter(crop=avocado).exists()
    assert send(world, data, apply=True).json()["applied"] is True
    assert SeasonCalendar.objects.filter(crop=avocado).count() == 2
    assert send(world, data, apply=True).json()["counts"] == {"unchanged": 2}
    changed = workbook([[*GOOD[:5], 3, *GOOD[6:]]])
    assert send(world, changed, apply=True).json()["counts"] == {"update": 1}
    assert SeasonCalendar.objects.get(crop=avocado, label="main").harvest_end_month == 3


def test_bad_rows_by_row_and_column_change_nothing(world, avocado):
    data = workbook(
        [
            GOOD,
            ["unicorn", *GOOD[1:]],
            [*GOOD[:4], 14, *GOOD[5:]],
            [*GOOD[:6], "", *GOOD[7:]],
            [GOOD[0], "Mekong", "Đồng Tháp", *GOOD[3:]],
        ]
    )
    r = send(world, data, apply=True)
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {
        "row 3.crop",
        "row 4.harvest_start_month",
        "row 5.source",
        "row 6.provinces",
    }
    assert not SeasonCalendar.objects.filter(crop=avocado).exists()
    assert send(world, workbook([GOOD]), key="coop").status_code == 403


def test_a_csv_imports_and_the_command_works(world, avocado, tmp_path):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.name for c in calendar.COLUMNS])
    writer.writerow(GOOD)
    target = tmp_path / "c.csv"
    target.write_text(out.getvalue())
    stdout = io.StringIO()
    call_command("calendars", "import", str(target), "--as=ppo_user", stdout=stdout)
    assert "Dry run" in stdout.getvalue()
    call_command("calendars", "import", str(target), "--as=ppo_user", "--apply", stdout=stdout)
    assert SeasonCalendar.objects.filter(crop=avocado).count() == 1
    with pytest.raises(CommandError):
        call_command("calendars", "import", str(target), "--as=coop_user", stdout=stdout)
    template = tmp_path / "t.xlsx"
    call_command("calendars", "template", str(template), stderr=io.StringIO())
    assert load_workbook(template).worksheets[0]["A1"].value == "crop*"


# ------------------------------------------------------------------ the page


def test_the_page_lists_adds_edits_and_imports(world, avocado):
    client = client_for(world, "ppo")
    page = client.get(reverse("supervision-calendars")).content.decode()
    assert "Mekong Delta" in page and "Black pepper" in page  # pepper: no calendar
    response = client.post(
        reverse("supervision-calendars"),
        {**season(provinces="Đắk Lắk"), "crop": avocado.pk},
        follow=True,
    )
    assert "added" in response.content.decode()
    cal = SeasonCalendar.objects.get(crop=avocado)
    page = client.post(
        reverse("supervision-calendar", args=[cal.pk]),
        {**season(provinces="Đắk Lắk", source=""), "crop": avocado.pk},
    ).content.decode()
    assert "Say where this comes from" in page
    upload = io.BytesIO(workbook([[*GOOD[:3], "late", 5, 6, "unknown", "", ""]]))
    upload.name = "c.xlsx"
    page = client.post(
        reverse("supervision-calendars"), {"op": "import", "file": upload}
    ).content.decode()
    assert "Checked: nothing was written yet" in page
    # others read but do not edit
    coop = client_for(world, "coop")
    assert coop.get(reverse("supervision-calendars")).status_code == 200
    assert coop.post(reverse("supervision-calendars"), {}).status_code == 403
    assert coop.get(reverse("supervision-calendar", args=[cal.pk])).status_code == 403
    other = client_for(world, "other_ppo")
    r = other.post(reverse("supervision-calendar", args=[cal.pk]), {"op": "delete"})
    assert r.status_code == 403
    assert SeasonCalendar.objects.filter(pk=cal.pk).exists()
