"""The diary's web pages: each works for the people it is for, refuses the others, and
puts a service's complaint beside the field it is about."""

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from openpyxl import Workbook

from agritrace.diary.models import DiaryEntry, DiaryFlag, Pesticide, PurchasePlan

from .conftest import client_for, days_ago, spray

pytestmark = pytest.mark.django_db

YEAR = str(timezone.localdate().year)


def xlsx(rows, title="Sheet"):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "upload.xlsx"
    return out


def quick_form(farm, products, **extra) -> dict:
    return {
        "kind": "spraying",
        "date": days_ago(1).isoformat(),
        "ground": f"plot:{farm.plot.pk}",
        "product": f"p:{products['azoxy'].pk}",
        "quantity": "0,3",
        "unit": "LTR",
        **extra,
    }


# ------------------------------------------------------------------ home


def test_home_for_a_household_shows_its_plots(farm, products):
    spray(farm.actor("household"), farm.plot, products["azoxy"], 2)
    r = client_for(farm.world, "household").get("/diary/")
    assert r.status_code == 200
    page = r.content.decode()
    assert "Record what was done" in page
    assert f"/diary/new/?plot={farm.plot.pk}" in page
    assert farm.neighbour_plot.label not in page.split("My plots")[1].split("Recent entries")[0]
    assert "Do not harvest before" in page


def test_home_for_an_officer_shows_flags(farm, products):
    spray(farm.actor("household"), farm.plot, products["carbendazim"], 2)
    page = client_for(farm.world, "ppo").get("/diary/").content.decode()
    assert "Open flags" in page and "Demo Carbendazim 500SC is banned" in page
    assert "Record what was done" not in page


def test_a_flag_names_its_entry_with_the_date_in_the_page_language(farm, products):
    entry = spray(farm.actor("household"), farm.plot, products["carbendazim"], 2)[0]
    page = client_for(farm.world, "ppo").get("/diary/").content.decode()
    link = page.split(f'href="/diary/entries/{entry.pk}/"')[1].split("</a>")[0]
    assert date_format(entry.date, "SHORT_DATE_FORMAT") in link
    assert entry.date.isoformat() not in link


def test_home_for_those_without_diaries(world):
    r = client_for(world, "lab").get("/diary/")
    assert r.status_code == 200 and "does not keep or supervise" in r.content.decode()
    assert Client().get("/diary/").status_code == 302


# ------------------------------------------------------------------ the quick entry form


def test_the_quick_form_records_and_shows_the_warning(farm, products):
    client = client_for(farm.world, "household")
    r = client.get("/diary/new/")
    assert r.status_code == 200
    page = r.content.decode()
    assert 'type="radio"' in page and 'name="kind"' in page
    assert f'value="plot:{farm.plot.pk}"' in page
    assert f'value="plot:{farm.neighbour_plot.pk}"' not in page
    assert timezone.localdate().isoformat() in page  # today's date by default
    r = client.post(
        "/diary/new/",
        quick_form(farm, products, product=f"p:{products['carbendazim'].pk}"),
        follow=True,
    )
    entry = DiaryEntry.objects.get()
    assert r.redirect_chain[-1][0] == f"/diary/entries/{entry.pk}/"
    page = r.content.decode()
    assert "Warnings" in page and "is banned" in page
    n = DiaryFlag.objects.filter(entry=entry).count()
    assert f"Kept, with {n} warning{'s' if n > 1 else ''}: see below" in page
    assert entry.quantity == Decimal("0.3")


def test_the_quick_form_puts_errors_beside_the_fields(farm, products):
    client = client_for(farm.world, "household")
    r = client.post(
        "/diary/new/",
        quick_form(farm, products, unit="KGM", date=days_ago(-2).isoformat()),
    )
    assert r.status_code == 200
    form = r.context["form"]
    assert "unit" in form.errors and "date" in form.errors
    assert not DiaryEntry.objects.exists()
    r = client.post(
        "/diary/new/", quick_form(farm, products, ground=f"plot:{farm.neighbour_plot.pk}")
    )
    assert "ground" in r.context["form"].errors
    r = client.post("/diary/new/", quick_form(farm, products, product=""))
    assert "product" in r.context["form"].errors


@pytest.mark.parametrize("key", ["ppo", "commune", "lab", "packing"])
def test_the_quick_form_refuses(world, key):
    assert client_for(world, key).get("/diary/new/").status_code == 403


def test_a_representative_records_for_a_whole_area(farm):
    client = client_for(farm.world, "coop")
    r = client.post(
        "/diary/new/",
        {
            "kind": "irrigation",
            "date": days_ago(1).isoformat(),
            "ground": f"area:{farm.area.pk}",
            "quantity": "25",
            "unit": "MTQ",
        },
    )
    assert r.status_code == 302
    assert DiaryEntry.objects.get().plot is None


# ------------------------------------------------------------------ an entry


def test_entry_page_and_edit(farm, products):
    entry, _ = spray(farm.actor("household"), farm.plot, products["carbendazim"], 2)
    client = client_for(farm.world, "household")
    assert client.get(f"/diary/entries/{entry.pk}/").status_code == 200
    r = client.get(f"/diary/entries/{entry.pk}/edit/")
    assert r.status_code == 200
    data = quick_form(farm, products, date=entry.date.isoformat(), reason="wrong product noted")
    r = client.post(f"/diary/entries/{entry.pk}/edit/", data, follow=True)
    assert r.status_code == 200
    entry.refresh_from_db()
    assert entry.pesticide == products["azoxy"] and entry.revision == 2
    page = r.content.decode()
    assert "Earlier versions" in page and "wrong product noted" in page


def test_entry_page_refuses(farm, products):
    entry, _ = spray(farm.actor("coop"), farm.neighbour_plot, products["azoxy"], 2)
    assert client_for(farm.world, "household").get(f"/diary/entries/{entry.pk}/").status_code == 404
    assert client_for(farm.world, "coop_b").get(f"/diary/entries/{entry.pk}/").status_code == 404
    assert client_for(farm.world, "ppo").get(f"/diary/entries/{entry.pk}/").status_code == 200
    assert client_for(farm.world, "ppo").get(f"/diary/entries/{entry.pk}/edit/").status_code == 403


# ------------------------------------------------------------------ plots, areas, flags


def test_plot_and_area_diaries_show_the_harvest_window(farm, products):
    spray(farm.actor("household"), farm.plot, products["azoxy"], 4)
    page = client_for(farm.world, "household").get(f"/diary/plots/{farm.plot.pk}/").content.decode()
    assert (
        "Do not harvest before" in page and date_format(days_ago(-10), "SHORT_DATE_FORMAT") in page
    )
    page = client_for(farm.world, "commune").get(f"/diary/areas/{farm.area.pk}/").content.decode()
    assert date_format(days_ago(-10), "SHORT_DATE_FORMAT") in page


def test_plot_and_area_diaries_refuse(farm):
    assert (
        client_for(farm.world, "household")
        .get(f"/diary/plots/{farm.neighbour_plot.pk}/")
        .status_code
        == 404
    )
    assert client_for(farm.world, "coop_b").get(f"/diary/areas/{farm.area.pk}/").status_code == 404
    assert client_for(farm.world, "lab").get(f"/diary/areas/{farm.area.pk}/").status_code == 403


def test_an_officer_closes_a_flag_on_the_web(farm, products):
    entry, flags = spray(farm.actor("household"), farm.plot, products["carbendazim"], 2)
    ppo = client_for(farm.world, "ppo")
    assert "Close the flag" in ppo.get("/diary/flags/").content.decode()
    r = ppo.post(f"/diary/flags/{flags[0].pk}/resolve/", {"resolution": "checked on site"})
    assert r.status_code == 302
    assert DiaryFlag.objects.get().resolution == "checked on site"
    r = client_for(farm.world, "coop").post(
        f"/diary/flags/{flags[0].pk}/resolve/", {"resolution": "x"}
    )
    assert r.status_code == 403
    assert client_for(farm.world, "lab").get("/diary/flags/").status_code == 403


# ------------------------------------------------------------------ forecast


def test_the_forecast_page_warns_when_the_plan_exceeds_it(farm):
    coop = client_for(farm.world, "coop")
    r = coop.get(f"/diary/areas/{farm.area.pk}/forecast/")
    assert r.status_code == 200 and "Expected harvest" in r.content.decode()
    data = {
        "season": YEAR,
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "0",
        "form-0-buyer": "Công ty XNK Tây Nguyên",
        "form-0-tonnes": "900",
        "form-0-month": days_ago(0).strftime("%Y-%m"),
    }
    r = coop.post(f"/diary/areas/{farm.area.pk}/forecast/", data, follow=True)
    assert PurchasePlan.objects.get().tonnes == 900
    page = r.content.decode()
    assert 'data-testid="forecast-warning"' in page and "more than the area can give" in page
    data["form-0-month"] = f"{int(YEAR) + 1}-01"
    r = coop.post(f"/diary/areas/{farm.area.pk}/forecast/", data)
    assert "outside the season" in r.content.decode()
    assert PurchasePlan.objects.get().month.year == int(YEAR)


def test_the_forecast_page_refuses(farm):
    url = f"/diary/areas/{farm.area.pk}/forecast/"
    assert client_for(farm.world, "household").get(url).status_code == 403
    assert client_for(farm.world, "coop_b").get(url).status_code == 404
    assert client_for(farm.world, "ppo").get(url).status_code == 200
    assert client_for(farm.world, "ppo").post(url, {"season": YEAR}).status_code == 403


# ------------------------------------------------------------------ imports and catalogue


def test_season_import_page(farm):
    coop = client_for(farm.world, "coop")
    assert coop.get("/diary/import/").status_code == 200
    rows = [
        ["date", "kind", "household", "plot", "quantity", "unit"],
        [days_ago(2), "harvest", farm.own.name, "P0", 1, "t"],
        [days_ago(-2), "harvest", farm.own.name, "P0", 1, "t"],
    ]
    r = coop.post("/diary/import/", {"file": xlsx(rows)})
    assert r.status_code == 200 and "row 3" in r.content.decode()
    assert not DiaryEntry.objects.exists()
    r = coop.post("/diary/import/", {"file": xlsx(rows[:2])})
    assert r.status_code == 302 and DiaryEntry.objects.count() == 1
    for key in ("household", "ppo"):
        assert client_for(farm.world, key).get("/diary/import/").status_code == 403


def test_catalogue_pages(world):
    client = client_for(world, "household")
    for tab in ("pesticides", "ingredients", "fertilisers", "markets", "yields"):
        assert client.get(f"/diary/inputs/?tab={tab}").status_code == 200
    assert client.get("/diary/inputs/?tab=nope").status_code == 404
    page = client.get("/diary/inputs/?tab=ingredients&q=carbendazim").content.decode()
    assert "10605-21-7" in page and "03/QĐ-BNN-BVTV" in page
    pesticide = Pesticide.objects.get(trade_name="Demo Azoxystrobin 250SC")
    assert client.get(f"/diary/inputs/pesticides/{pesticide.pk}/").status_code == 200
    assert client.get("/diary/inputs/export.xlsx").status_code == 200


def test_the_authority_edits_and_imports_the_catalogue(world):
    ppo = client_for(world, "ppo")
    pesticide = Pesticide.objects.get(trade_name="Demo Azoxystrobin 250SC")
    url = f"/diary/inputs/pesticides/{pesticide.pk}/edit/"
    r = ppo.post(url, {"status": "withdrawn", "registration_number": "", "source": ""})
    assert r.status_code == 200 and "source" in r.context["form"].errors
    r = ppo.post(
        url,
        {
            "status": "withdrawn",
            "source": "Decision 999/QĐ-BNN-BVTV (test)",
            "source_date": "2025-01-02",
        },
    )
    assert r.status_code == 302
    pesticide.refresh_from_db()
    assert pesticide.status == "withdrawn"
    rows = [["crop", "tonnes_per_ha", "source"], ["coffee", "x", "test"]]
    r = ppo.post("/diary/inputs/import/", {"file": xlsx(rows, "crop_yields")})
    assert r.status_code == 200 and "row 2" in r.content.decode()
    rows[1][1] = 3.1
    r = ppo.post("/diary/inputs/import/", {"file": xlsx(rows, "crop_yields")})
    assert r.status_code == 302


@pytest.mark.parametrize("key", ["coop", "household", "commune"])
def test_catalogue_edits_refuse(world, key):
    pesticide = Pesticide.objects.first()
    client = client_for(world, key)
    assert client.get(f"/diary/inputs/pesticides/{pesticide.pk}/edit/").status_code == 403
    assert client.get("/diary/inputs/import/").status_code == 403


def test_the_harvest_window_tag_for_other_pages(farm, products):
    from django.template import Context, Template

    template = Template("{% load diary_tags %}{% harvest_window area %}")
    html = template.render(Context({"area": farm.area}))
    assert "No waiting time" in html
    spray(farm.actor("household"), farm.plot, products["azoxy"], 4)
    html = template.render(Context({"area": farm.area}))
    assert (
        "Do not harvest before" in html and date_format(days_ago(-10), "SHORT_DATE_FORMAT") in html
    )


def test_a_representatives_home_lists_its_areas(farm):
    page = client_for(farm.world, "coop").get("/diary/").content.decode()
    assert f"/diary/areas/{farm.area.pk}/forecast/" in page and "Import a season" in page
