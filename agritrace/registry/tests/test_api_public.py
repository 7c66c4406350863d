"""/api/public: the code list (JSON, CSV, Excel) and the catalogue, without a login and
without personal data."""

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from agritrace.registry import services
from agritrace.registry.models import Household, PlantingArea
from conftest import make_area, walk_to_issued

pytestmark = pytest.mark.django_db

COLUMNS = [
    "code",
    "kind",
    "name",
    "crop",
    "province",
    "commune",
    "area_ha",
    "status",
    "markets",
    "approved_markets",
    "issued_at",
]


@pytest.fixture
def registry(world) -> dict:
    """An issued area, a draft area and an issued packing house."""
    issued, app = make_area(world, markets=("CN", "VN"))
    walk_to_issued(world, app)
    draft, _app = make_area(world, lon=108.2)
    house, house_app = services.create_packing_house(
        world.actor("packing"),
        {
            "name": "Kho Phúc Thịnh",
            "address": "Km 12",
            "commune": world.orgs["packing"].unit_id,
            "capacity_t_per_day": 30,
        },
    )
    walk_to_issued(world, house_app)
    issued.refresh_from_db()
    house.refresh_from_db()
    return {"issued": issued, "draft": draft, "house": house}


def personal_strings() -> list[str]:
    values = []
    for h in Household.objects.all():
        values += [h.national_id, h.name]
    return [v for v in values if v]


# ------------------------------------------------------------------ GET /api/public/codes


def test_codes_it_works(registry):
    r = Client().get("/api/public/codes")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2
    rows = {row["kind"]: row for row in body["items"]}
    area = rows["area"]
    assert list(area) == COLUMNS
    assert area["code"] == registry["issued"].code == "VN-DLOR-0001"
    assert area["province"] == "Đắk Lắk"
    assert area["crop"] == "Durian"
    assert area["markets"] == ["CN", "VN"]
    assert area["status"] == "issued"
    assert rows["packing_house"]["code"] == registry["house"].code


def test_codes_it_filters(world, registry):
    client = Client()
    province = world.province.pk

    def count(query: str) -> int:
        return client.get(f"/api/public/codes?{query}").json()["count"]

    assert count("kind=area") == 1
    assert count("kind=packing_house") == 1
    assert count(f"province={province}") == 2
    assert count(f"province={world.other_commune.parent_id}") == 0
    assert count("crop=durian&kind=area") == 1
    assert count("crop=coffee") == 0
    assert count("market=CN&kind=area") == 1
    assert count("market=US") == 0
    assert count("q=DLOR") == 1
    assert count("status=suspended") == 0
    assert (
        count("limit=1") == 2 and len(client.get("/api/public/codes?limit=1").json()["items"]) == 1
    )


def test_codes_show_suspended_and_revoked_codes(world, registry):
    from agritrace.registry.lifecycle import revoke

    revoke(registry["issued"], world.actor("ppo"), "Gian lận")
    body = Client().get("/api/public/codes?status=revoked").json()
    assert [row["code"] for row in body["items"]] == ["VN-DLOR-0001"]


def test_codes_it_rejects_bad_input(registry):
    client = Client()
    assert client.get("/api/public/codes?status=draft").status_code == 422
    assert client.get("/api/public/codes?kind=household").status_code == 422
    assert client.get("/api/public/codes?province=Dak+Lak").status_code == 422
    assert client.get("/api/public/codes?limit=0").status_code == 422


def test_codes_it_checks_access(registry):
    """Public, but only published codes and never personal data."""
    r = Client().get("/api/public/codes")
    text = r.content.decode()
    assert registry["draft"].name not in text
    assert "national_id" not in text
    for value in personal_strings():
        assert value not in text
    assert PlantingArea.objects.filter(code_status="none").exists()


# ------------------------------------------------------------------ CSV


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_it_works(registry):
    r = Client().get("/api/public/codes.csv")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    rows = read_csv(r)
    assert rows[0] == COLUMNS
    assert len(rows) == 3
    area = next(row for row in rows if row[1] == "area")
    assert area[0] == "VN-DLOR-0001"
    assert area[8] == "CN, VN"
    assert area[4] == "Đắk Lắk"


def test_csv_it_filters_and_rejects_bad_input(registry):
    client = Client()
    assert len(read_csv(client.get("/api/public/codes.csv?kind=packing_house"))) == 2
    assert client.get("/api/public/codes.csv?status=draft").status_code == 422


def test_csv_it_checks_access(registry):
    text = Client().get("/api/public/codes.csv").content.decode()
    assert registry["draft"].name not in text
    for value in personal_strings():
        assert value not in text


def test_csv_keeps_formulas_as_text(world, registry):
    PlantingArea.objects.filter(pk=registry["issued"].pk).update(name="=HYPERLINK(1)")
    rows = read_csv(Client().get("/api/public/codes.csv?kind=area"))
    assert rows[1][2] == "'=HYPERLINK(1)"


# ------------------------------------------------------------------ Excel


def read_xlsx(response) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(response.content))
    return list(workbook.active.iter_rows(values_only=True))


def test_xlsx_it_works(registry):
    r = Client().get("/api/public/codes.xlsx")
    assert r.status_code == 200
    assert r["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = read_xlsx(r)
    assert list(rows[0]) == COLUMNS
    assert len(rows) == 3
    area = next(row for row in rows if row[1] == "area")
    assert area[0] == "VN-DLOR-0001"
    assert area[2] == registry["issued"].name
    assert area[6] == 2.0
    assert area[8] == "CN, VN"


def test_xlsx_it_filters_and_rejects_bad_input(registry):
    client = Client()
    assert len(read_xlsx(client.get("/api/public/codes.xlsx?kind=area"))) == 2
    assert len(read_xlsx(client.get("/api/public/codes.xlsx?q=nothing"))) == 1
    assert client.get("/api/public/codes.xlsx?kind=people").status_code == 422


def test_xlsx_it_checks_access(registry):
    rows = read_xlsx(Client().get("/api/public/codes.xlsx"))
    cells = {str(c) for row in rows for c in row}
    assert registry["draft"].name not in cells
    for value in personal_strings():
        assert value not in cells


def test_xlsx_keeps_formulas_as_text(registry):
    PlantingArea.objects.filter(pk=registry["issued"].pk).update(name="=1+1")
    r = Client().get("/api/public/codes.xlsx?kind=area")
    cell = load_workbook(io.BytesIO(r.content)).active.cell(row=2, column=3)
    assert cell.value == "=1+1"
    assert cell.data_type == "s"


def test_xlsx_drops_control_characters(registry):
    PlantingArea.objects.filter(pk=registry["issued"].pk).update(name="Vùng\x0b Ea Tul")
    r = Client().get("/api/public/codes.xlsx?kind=area")
    assert r.status_code == 200
    assert read_xlsx(r)[1][2] == "Vùng Ea Tul"


# ------------------------------------------------------------------ catalogue


def test_catalogue_it_works(db):
    r = Client().get("/api/public/catalogue")
    assert r.status_code == 200
    body = r.json()
    crops = {c["code"]: c for c in body["crops"]}
    assert crops["durian"]["name_en"] == "Durian"
    assert sorted(v["name"] for v in crops["durian"]["varieties"]) == [
        "Chuồng bò",
        "Monthong (Dona)",
        "Musang King",
        "Ri6",
    ]
    markets = {m["code"]: m for m in body["markets"]}
    assert markets["CN"]["needs_importer_approval"] is True
    assert markets["VN"]["needs_importer_approval"] is False
    assert markets["CN"]["source"].startswith("../shared/design/codes.md")
    assert markets["CN"]["source_date"] == "2025-12-01"
    assert "GACC" in markets["CN"]["requirements"]
    rule = markets["CN"]["rules"][0]
    assert rule["crop"] == "mango"
    assert rule["min_area_ha"] == 10.0
    assert rule["required_certificates"] == ["vietgap", "globalgap"]
    assert rule["source"]


def test_catalogue_it_checks_access(world):
    # public for everyone, the same with or without a login
    anonymous = Client().get("/api/public/catalogue").json()
    client = Client()
    client.force_login(world.users["coop"])
    assert client.get("/api/public/catalogue").json() == anonymous
    assert Client().post("/api/public/catalogue").status_code == 405
