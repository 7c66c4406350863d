"""/api/diary: every endpoint does its job, and refuses the role that may not use it."""

import io
import json

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from agritrace.accounts.models import ApiToken
from agritrace.diary.models import DiaryEntry, DiaryFlag, Pesticide

from .conftest import client_for, days_ago, harvest, spray

pytestmark = pytest.mark.django_db

YEAR = str(timezone.localdate().year)


def send(client: Client, method: str, url: str, data) -> object:
    return getattr(client, method)(
        url, json.dumps(data, default=str), content_type="application/json"
    )


def xlsx(rows: list[list], title: str = "Sheet") -> io.BytesIO:
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


def entry_payload(farm, products, **extra) -> dict:
    return {
        "kind": "spraying",
        "date": days_ago(1).isoformat(),
        "plot": farm.plot.pk,
        "pesticide": products["azoxy"].pk,
        "quantity": "0.3",
        "unit": "LTR",
        **extra,
    }


# ------------------------------------------------------------------ entries


def test_create_an_entry_and_see_its_warnings(farm, products):
    client = client_for(farm.world, "household")
    r = send(
        client,
        "post",
        "/api/diary/entries",
        entry_payload(farm, products, pesticide=products["carbendazim"].pk),
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "spraying" and body["plot"]["id"] == farm.plot.pk
    assert body["recorded_for"]["id"] == farm.own.pk
    assert [f["kind"] for f in body["new_flags"]] == ["banned_product"]
    assert body["flags"][0]["is_open"] is True
    assert body["dose_per_ha"] > 0


def test_create_refuses_bad_input_with_the_field(farm, products):
    client = client_for(farm.world, "household")
    r = send(client, "post", "/api/diary/entries", entry_payload(farm, products, unit="KGM"))
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["unit"]
    r = send(client, "post", "/api/diary/entries", entry_payload(farm, products, quantity="many"))
    assert r.status_code == 422  # ninja refuses a non-number itself
    r = send(client, "post", "/api/diary/entries", {"kind": "spraying"})
    assert r.status_code == 422
    assert not DiaryEntry.objects.exists()


@pytest.mark.parametrize("key", ["ppo", "commune", "packing", "lab"])
def test_create_refuses_roles_that_do_not_keep_diaries(farm, products, key):
    r = send(
        client_for(farm.world, key), "post", "/api/diary/entries", entry_payload(farm, products)
    )
    assert r.status_code == 403
    assert (
        send(Client(), "post", "/api/diary/entries", entry_payload(farm, products)).status_code
        == 401
    )


def test_a_token_works(farm, products):
    _token, raw = ApiToken.issue(farm.world.users["coop"], "farm app")
    r = Client().post(
        "/api/diary/entries",
        json.dumps(entry_payload(farm, products)),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert r.status_code == 201


def test_list_entries_is_scoped_and_filtered(farm, products):
    spray(farm.actor("household"), farm.plot, products["azoxy"], 3)
    spray(farm.actor("coop"), farm.neighbour_plot, products["carbendazim"], 2)
    assert client_for(farm.world, "household").get("/api/diary/entries").json()["count"] == 1
    coop = client_for(farm.world, "coop")
    assert coop.get("/api/diary/entries").json()["count"] == 2
    assert coop.get(f"/api/diary/entries?plot={farm.neighbour_plot.pk}").json()["count"] == 1
    assert coop.get("/api/diary/entries?flagged=true").json()["count"] == 1
    assert coop.get(f"/api/diary/entries?area={farm.area.pk}&kind=harvest").json()["count"] == 0
    assert coop.get("/api/diary/entries?kind=dance").status_code == 422
    assert client_for(farm.world, "coop_b").get("/api/diary/entries").json()["count"] == 0


@pytest.mark.parametrize("key", ["lab", "packing", "exporter"])
def test_list_entries_refuses_those_who_read_no_diaries(farm, key):
    assert client_for(farm.world, key).get("/api/diary/entries").status_code == 403
    assert Client().get("/api/diary/entries").status_code == 401


def test_get_an_entry(farm, products):
    entry, _ = spray(farm.actor("household"), farm.plot, products["azoxy"], 3)
    assert client_for(farm.world, "ppo").get(f"/api/diary/entries/{entry.pk}").status_code == 200
    for key in ("coop_b", "other_ppo", "commune_b", "lab"):
        r = client_for(farm.world, key).get(f"/api/diary/entries/{entry.pk}")
        assert r.status_code == 404, key


def test_patch_an_entry_keeps_a_revision(farm, products):
    entry, _ = spray(farm.actor("household"), farm.plot, products["azoxy"], 3)
    client = client_for(farm.world, "household")
    r = send(
        client,
        "patch",
        f"/api/diary/entries/{entry.pk}",
        {"quantity": "0.4", "reason": "re-measured"},
    )
    assert r.status_code == 200, r.content
    assert r.json()["revision"] == 2 and r.json()["quantity"] == 0.4
    revisions = client.get(f"/api/diary/entries/{entry.pk}/revisions").json()
    assert revisions[0]["number"] == 1 and revisions[0]["reason"] == "re-measured"
    r = send(client, "patch", f"/api/diary/entries/{entry.pk}", {"date": days_ago(-2).isoformat()})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["date"]


def test_patch_refuses(farm, products):
    neighbours, _ = spray(farm.actor("coop"), farm.neighbour_plot, products["azoxy"], 3)
    url = f"/api/diary/entries/{neighbours.pk}"
    assert (
        send(client_for(farm.world, "household"), "patch", url, {"notes": "x"}).status_code == 404
    )
    assert send(client_for(farm.world, "ppo"), "patch", url, {"notes": "x"}).status_code == 403
    assert send(client_for(farm.world, "coop_b"), "patch", url, {"notes": "x"}).status_code == 404


def test_revisions_refuse_other_scopes(farm, products):
    entry, _ = spray(farm.actor("household"), farm.plot, products["azoxy"], 3)
    r = client_for(farm.world, "coop_b").get(f"/api/diary/entries/{entry.pk}/revisions")
    assert r.status_code == 404


def test_import_a_season(farm):
    rows = [
        ["date", "kind", "household", "plot", "product", "quantity", "unit"],
        [days_ago(3), "fertilising", farm.own.name, "P0", "Urea (46% N)", 40, "kg"],
    ]
    r = client_for(farm.world, "coop").post("/api/diary/entries/import", {"file": xlsx(rows)})
    assert r.status_code == 200, r.content
    assert r.json()["entries"] == 1
    rows.append([days_ago(-3), "harvest", farm.own.name, "P0", None, 40, "kg"])
    r = client_for(farm.world, "coop").post("/api/diary/entries/import", {"file": xlsx(rows)})
    assert r.status_code == 422
    assert "row 3" in r.json()["detail"]
    assert DiaryEntry.objects.count() == 1


def test_import_a_season_refuses(farm):
    rows = [["date", "kind", "plot"], [days_ago(3), "pruning", "P0"]]
    r = client_for(farm.world, "ppo").post("/api/diary/entries/import", {"file": xlsx(rows)})
    assert r.status_code == 403


# ------------------------------------------------------------------ flags


def test_list_and_resolve_flags(farm, products):
    spray(farm.actor("household"), farm.plot, products["carbendazim"], 3)
    ppo = client_for(farm.world, "ppo")
    body = ppo.get("/api/diary/flags").json()
    assert body["count"] == 1
    flag = body["items"][0]
    r = send(ppo, "post", f"/api/diary/flags/{flag['id']}/resolve", {"resolution": "stock seized"})
    assert r.status_code == 200 and r.json()["is_open"] is False
    assert ppo.get("/api/diary/flags").json()["count"] == 0
    assert ppo.get("/api/diary/flags?status=closed").json()["count"] == 1
    assert ppo.get("/api/diary/flags?status=maybe").status_code == 422
    assert (
        client_for(farm.world, "other_ppo").get("/api/diary/flags?status=all").json()["count"] == 0
    )


def test_flags_refuse(farm, products):
    spray(farm.actor("household"), farm.plot, products["carbendazim"], 3)
    flag = DiaryFlag.objects.get()
    assert client_for(farm.world, "lab").get("/api/diary/flags").status_code == 403
    url = f"/api/diary/flags/{flag.pk}/resolve"
    assert (
        send(client_for(farm.world, "household"), "post", url, {"resolution": "x"}).status_code
        == 403
    )
    assert send(client_for(farm.world, "coop"), "post", url, {"resolution": "x"}).status_code == 403
    assert (
        send(client_for(farm.world, "other_ppo"), "post", url, {"resolution": "x"}).status_code
        == 404
    )


# ------------------------------------------------------------------ harvest windows


def test_harvest_windows(farm, products):
    spray(farm.actor("household"), farm.plot, products["azoxy"], 4)
    client = client_for(farm.world, "household")
    body = client.get(f"/api/diary/plots/{farm.plot.pk}/harvest-window").json()
    assert body["earliest_lawful_harvest"] == days_ago(-10).isoformat()
    assert body["lawful_now"] is False and body["days_left"] == 10
    assert body["sprays"][0]["phi_days"] == 14
    body = (
        client_for(farm.world, "coop").get(f"/api/diary/areas/{farm.area.pk}/harvest-window").json()
    )
    assert body["days_left"] == 10


def test_harvest_windows_refuse(farm):
    lab = client_for(farm.world, "lab")
    assert lab.get(f"/api/diary/plots/{farm.plot.pk}/harvest-window").status_code == 403
    assert lab.get(f"/api/diary/areas/{farm.area.pk}/harvest-window").status_code == 403
    other = client_for(farm.world, "household")
    assert other.get(f"/api/diary/plots/{farm.neighbour_plot.pk}/harvest-window").status_code == 404


# ------------------------------------------------------------------ forecast


def test_forecast_and_plan(farm):
    harvest(farm.actor("household"), farm.plot, 0, kg="2000")
    coop = client_for(farm.world, "coop")
    body = coop.get(f"/api/diary/areas/{farm.area.pk}/forecast?season={YEAR}").json()
    assert body["harvested_t"] == 2.0 and body["over_capacity"] is False and body["plan"] == []
    plan = {
        "season": YEAR,
        "rows": [{"buyer": "A", "tonnes": "500", "month": days_ago(0).strftime("%Y-%m")}],
    }
    r = send(coop, "put", f"/api/diary/areas/{farm.area.pk}/forecast/plan", plan)
    assert r.status_code == 200, r.content
    assert r.json()["over_capacity"] is True and r.json()["warnings"]
    body = client_for(farm.world, "ppo").get(f"/api/diary/areas/{farm.area.pk}/forecast").json()
    assert body["planned_t"] == 500.0 and body["plan"][0]["buyer"] == "A"
    plan["rows"][0]["month"] = "someday"
    r = send(coop, "put", f"/api/diary/areas/{farm.area.pk}/forecast/plan", plan)
    assert r.status_code == 422 and "plan[0].month" in r.json()["errors"]


def test_forecast_refuses(farm):
    url = f"/api/diary/areas/{farm.area.pk}/forecast"
    assert client_for(farm.world, "household").get(url).status_code == 403
    assert client_for(farm.world, "coop_b").get(url).status_code == 404
    assert client_for(farm.world, "coop").get(url + "?season=soon").status_code == 422
    plan = {"season": YEAR, "rows": []}
    assert send(client_for(farm.world, "ppo"), "put", url + "/plan", plan).status_code == 403
    assert send(client_for(farm.world, "household"), "put", url + "/plan", plan).status_code == 403


# ------------------------------------------------------------------ catalogue


def test_catalogue_lists(world):
    client = client_for(world, "household")
    body = client.get("/api/diary/catalogue/pesticides?q=azoxy").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["composition"][0]["ingredient"]["name"] == "Azoxystrobin"
    assert item["phis"][0] == {
        "crop": "durian",
        "phi_days": 14,
        "max_dose": 0.5,
        "max_dose_unit": "LTR",
        "dose_basis": "HAR",
        "source": item["phis"][0]["source"],
    }
    assert client.get("/api/diary/catalogue/pesticides?status=banned").json()["count"] == 2
    pid = Pesticide.objects.get(trade_name="Demo Carbendazim 500SC").pk
    assert client.get(f"/api/diary/catalogue/pesticides/{pid}").json()["status"] == "banned"
    assert client.get("/api/diary/catalogue/pesticides/999999").status_code == 404
    ingredients = client.get("/api/diary/catalogue/ingredients?q=chlorpyrifos").json()["items"]
    assert (
        ingredients[0]["banned_in_vietnam"] and ingredients[0]["market_rules"][0]["market"] == "EU"
    )
    assert client.get("/api/diary/catalogue/fertilisers?q=urea").json()["count"] == 1
    r = client.get("/api/diary/catalogue/export.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")


@pytest.mark.parametrize(
    "url",
    [
        "/api/diary/catalogue/pesticides",
        "/api/diary/catalogue/pesticides/1",
        "/api/diary/catalogue/ingredients",
        "/api/diary/catalogue/fertilisers",
        "/api/diary/catalogue/export.xlsx",
    ],
)
def test_catalogue_reads_need_a_login(world, url):
    assert Client().get(url).status_code == 401


def test_catalogue_import(world):
    rows = [["crop", "tonnes_per_ha", "source"], ["coffee", 3.2, "test source"]]
    r = client_for(world, "ppo").post(
        "/api/diary/catalogue/import", {"file": xlsx(rows, "crop_yields")}
    )
    assert r.status_code == 200, r.content
    assert r.json()["updated"] == {"crop_yields": 1}
    rows.append(["coffee", "lots", "x"])
    r = client_for(world, "ppo").post(
        "/api/diary/catalogue/import", {"file": xlsx(rows, "crop_yields")}
    )
    assert r.status_code == 422 and "row 3" in r.json()["detail"]


@pytest.mark.parametrize("key", ["coop", "household", "commune", "lab"])
def test_catalogue_import_refuses(world, key):
    rows = [["crop", "tonnes_per_ha", "source"], ["coffee", 3.2, "test"]]
    r = client_for(world, key).post(
        "/api/diary/catalogue/import", {"file": xlsx(rows, "crop_yields")}
    )
    assert r.status_code == 403
