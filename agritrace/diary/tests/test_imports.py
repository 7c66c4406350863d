"""Spreadsheet imports: the input catalogue (authority) and a season of diary entries
(representative). All or nothing, with sheet and row numbers in the errors."""

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from agritrace.audit.models import AuditEntry
from agritrace.diary import transfer
from agritrace.diary.models import (
    ActiveIngredient,
    CropYield,
    DiaryEntry,
    DiaryFlag,
    Fertiliser,
    MarketIngredientRule,
    Pesticide,
    PesticidePHI,
)
from agritrace.notifications.models import Notification

from .conftest import days_ago

pytestmark = pytest.mark.django_db


def workbook(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def catalogue_counts() -> tuple:
    return tuple(
        m.objects.count()
        for m in (
            ActiveIngredient,
            Pesticide,
            PesticidePHI,
            Fertiliser,
            MarketIngredientRule,
            CropYield,
            AuditEntry,
        )
    )


GOOD = {
    "ingredients": [
        ["name", "cas_number", "banned_in_vietnam", "banned_from", "source", "source_date"],
        ["Spinetoram", "", "no", None, "test list 2026", "2026-01-05"],
        [
            "Carbendazim",
            "10605-21-7",
            "yes",
            "03/01/2019",
            "Decision 03/QĐ-BNN-BVTV",
            date(2017, 1, 3),
        ],
    ],
    "pesticides": [
        ["trade_name", "status", "form", "formulation", "active_ingredients", "source"],
        ["Radiant 60SC", "registered", "liquid", "SC", "Spinetoram 60 g/L", "test list 2026"],
        ["Demo Metalaxyl 35WP", "withdrawn", "powder", "WP", "Metalaxyl 35%", "test list 2026"],
    ],
    "phi": [
        ["pesticide", "crop", "phi_days", "max_dose", "max_dose_unit", "dose_basis", "source"],
        ["Radiant 60SC", "durian", 7, 0.4, "LTR", "HAR", "label"],
    ],
    "fertilisers": [
        ["name", "type", "form", "n", "p", "k", "source"],
        ["NPK 15-15-15", "inorganic", "granule", 15, 15, 15, "nominal grade"],
    ],
    "market_rules": [
        ["market", "ingredient", "allowed", "note", "source"],
        ["KR", "Spinetoram", "no", "test", "test rule"],
    ],
    "crop_yields": [
        ["crop", "tonnes_per_ha", "source"],
        ["Mango", 12.5, "test source"],
    ],
}


# ------------------------------------------------------------------ the catalogue


def test_a_catalogue_import_creates_and_updates(world):
    result = transfer.import_catalogue(world.actor("ppo"), workbook(GOOD))
    assert result.created["ingredients"] == 1 and result.created["pesticides"] == 1
    assert result.updated["pesticides"] == 1  # Demo Metalaxyl withdrawn
    radiant = Pesticide.objects.get(trade_name="Radiant 60SC")
    assert [str(c) for c in radiant.composition.all()] == ["Spinetoram 60 g/L"]
    assert radiant.phis.get().phi_days == 7
    assert Pesticide.objects.get(trade_name="Demo Metalaxyl 35WP").status == "withdrawn"
    assert Fertiliser.objects.get(name="NPK 15-15-15").npk == "15-15-15"
    assert MarketIngredientRule.objects.get(market__code="KR").allowed is False
    assert CropYield.objects.get(crop__code="mango").tonnes_per_ha == 12.5
    assert AuditEntry.objects.filter(action="inputs.pesticides.update").count() == 1
    assert "pesticides: 1 new, 1 changed" in result.summary()


def test_a_bad_row_changes_nothing(world):
    sheets = {
        **GOOD,
        "pesticides": [
            *GOOD["pesticides"],
            ["Broken 1EC", "legal", "gas", "", "Nothing 5 g/L", ""],
        ],
    }
    before = catalogue_counts()
    with pytest.raises(transfer.ImportFailed) as exc:
        transfer.import_catalogue(world.actor("ppo"), workbook(sheets))
    assert catalogue_counts() == before
    assert Pesticide.objects.get(trade_name="Demo Metalaxyl 35WP").status == "registered"
    problems = exc.value.problems
    assert len(problems) == 1
    assert problems[0].startswith("Sheet “pesticides”, row 4, status")


def test_every_bad_row_is_reported(world):
    sheets = {
        "phi": [
            ["pesticide", "crop", "phi_days", "max_dose", "max_dose_unit", "source"],
            ["Demo Azoxystrobin 250SC", "durian", -3, None, None, "x"],
            ["No such product", "durian", 7, None, None, "x"],
            ["Demo Azoxystrobin 250SC", "cabbage", 7, None, None, "x"],
            ["Demo Azoxystrobin 250SC", "durian", 7, 2, "KGM", "x"],
            ["Demo Azoxystrobin 250SC", "durian", 7, None, None, ""],
        ]
    }
    with pytest.raises(transfer.ImportFailed) as exc:
        transfer.import_catalogue(world.actor("ppo"), workbook(sheets))
    rows = [p.split(",")[1].strip() for p in exc.value.problems]
    assert rows == ["row 2", "row 3", "row 4", "row 5", "row 6"]
    assert "phi_days" in exc.value.problems[0]
    assert "max_dose_unit" in exc.value.problems[3]
    assert "source" in exc.value.problems[4]


@pytest.mark.parametrize(
    "sheets, expected",
    [
        ({"pesticides": [["trade_name", "colour"]]}, "unknown column"),
        ({"pesticides": [["trade_name", "status"]]}, "missing column"),
        ({"weather": [["a"]]}, "not one of"),
        ({"crop_yields": []}, "empty"),
    ],
)
def test_a_bad_sheet(world, sheets, expected):
    with pytest.raises(transfer.ImportFailed) as exc:
        transfer.import_catalogue(world.actor("ppo"), workbook(sheets))
    assert expected in " ".join(exc.value.problems)


def test_not_a_workbook(world):
    with pytest.raises(transfer.ImportFailed) as exc:
        transfer.import_catalogue(world.actor("ppo"), b"name,source\nX,y\n")
    assert "not an Excel workbook" in exc.value.problems[0]


@pytest.mark.parametrize("key", ["coop", "household", "commune", "lab", "packing"])
def test_only_the_authority_imports_the_catalogue(world, key):
    with pytest.raises(PermissionDenied):
        transfer.import_catalogue(world.actor(key), workbook(GOOD))


def test_the_export_reads_back_unchanged(world):
    data = transfer.export_catalogue()
    sheets = load_workbook(io.BytesIO(data)).sheetnames
    assert sheets == list(transfer.CATALOGUE_SHEETS)
    before = catalogue_counts()
    result = transfer.import_catalogue(world.actor("ppo"), data)
    assert not result.created and not result.updated
    assert result.unchanged == sum(before[:6])
    assert catalogue_counts() == before


def test_the_command_imports_and_refuses(world, tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook(GOOD))
    out = io.StringIO()
    call_command("inputs", "import", str(good), stdout=out)
    assert "Imported" in out.getvalue()
    assert Pesticide.objects.filter(trade_name="Radiant 60SC").exists()

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        workbook({"crop_yields": [["crop", "tonnes_per_ha", "source"], ["durian", -1, "x"]]})
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("inputs", "import", str(bad), stderr=err)
    assert "row 2" in err.getvalue()
    with pytest.raises(CommandError):
        call_command("inputs", "import", str(good), "--as", "coop_user")
    exported = tmp_path / "out.xlsx"
    call_command("inputs", "export", str(exported), stdout=io.StringIO())
    assert load_workbook(exported).sheetnames[0] == "ingredients"


# ------------------------------------------------------------------ a season of diary entries

SEASON_HEADER = [
    "date",
    "kind",
    "household",
    "plot",
    "area",
    "product",
    "quantity",
    "unit",
    "notes",
]


def season_rows(farm, *rows) -> bytes:
    return workbook({"Nhật ký": [SEASON_HEADER, *rows]})


def test_a_season_import(farm):
    own, neighbour = farm.own.name, farm.neighbour.name
    data = season_rows(
        farm,
        [days_ago(20), "fertilising", own, "P0", None, "Urea (46% N)", 50, "kg", ""],
        [days_ago(10), "spraying", neighbour, "P1", None, "Demo Azoxystrobin 250SC", 300, "ml", ""],
        [
            days_ago(9),
            "Spraying",
            own,
            "P0",
            None,
            "Demo Carbendazim 500SC",
            0.3,
            "LTR",
            "old stock",
        ],
        [days_ago(8), "irrigation", None, None, farm.area.name, None, 30, "m3", "whole area"],
        [days_ago(2), "harvest", neighbour, "P1", None, None, 1.2, "t", ""],
    )
    result = transfer.import_season(farm.actor("coop"), data)
    assert result.entries == 5
    assert result.flags == 2  # the banned product, the harvest inside the interval
    assert DiaryEntry.objects.count() == 5
    assert DiaryEntry.objects.get(kind="irrigation").plot is None
    # One message per area, to the representative and the plant-protection office.
    assert Notification.objects.count() == 2
    assert "(2)" in Notification.objects.first().title


def test_a_bad_row_in_a_season_saves_nothing(farm):
    data = season_rows(
        farm,
        [days_ago(20), "fertilising", farm.own.name, "P0", None, "Urea (46% N)", 50, "kg", ""],
        [
            days_ago(-5),
            "spraying",
            farm.own.name,
            "P0",
            None,
            "Demo Azoxystrobin 250SC",
            1,
            "l",
            "",
        ],
        [days_ago(3), "spraying", farm.own.name, "P9", None, "Demo Azoxystrobin 250SC", 1, "l", ""],
        [days_ago(3), "fertilising", farm.own.name, "P0", None, "Urea (46% N)", 50, "l", ""],
        [days_ago(3), "dancing", farm.own.name, "P0", None, None, None, None, ""],
    )
    with pytest.raises(transfer.ImportFailed) as exc:
        transfer.import_season(farm.actor("coop"), data)
    assert not DiaryEntry.objects.exists()
    assert not DiaryFlag.objects.exists()
    assert not Notification.objects.exists()
    problems = exc.value.problems
    assert [p.split(",")[1].strip() for p in problems] == ["row 3", "row 4", "row 5", "row 6"]
    assert "date" in problems[0] and "plot" in problems[1]
    assert "unit" in problems[2] and "kind" in problems[3]


def test_a_season_of_another_representatives_plots(farm):
    data = season_rows(
        farm, [days_ago(2), "pruning", farm.own.name, "P0", None, None, None, None, ""]
    )
    with pytest.raises(transfer.ImportFailed) as exc:
        transfer.import_season(farm.actor("coop_b"), data)
    assert "plot" in exc.value.problems[0]


@pytest.mark.parametrize("key", ["ppo", "commune", "lab", "packing"])
def test_only_diary_keepers_import_a_season(farm, key):
    data = season_rows(
        farm, [days_ago(2), "pruning", farm.own.name, "P0", None, None, None, None, ""]
    )
    with pytest.raises(PermissionDenied):
        transfer.import_season(farm.actor(key), data)
