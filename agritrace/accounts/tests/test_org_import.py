"""The XLSX import of a province's cooperatives, packing houses and exporters (API and page):
dry run by default, bad rows by row and column, all or nothing, idempotent."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from agritrace.accounts.models import Organisation
from agritrace.accounts.org_import import COLUMNS
from agritrace.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "/api/accounts/organisations/import"


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def workbook(rows: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row.get(c, "") for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, content: bytes, apply: bool = False):
    url = URL + ("?apply=true" if apply else "")
    return client.post(url, {"file": SimpleUploadedFile("orgs.xlsx", content)})


@pytest.fixture
def rows(communes):
    return [
        {
            "kind": "cooperative",
            "name": "HTX Sầu riêng Krông Pắc",
            "commune_code": int(communes[1].code),  # typed as a number in Excel
            "tax_code": "6001111111",
        },
        {
            "kind": "packing_house",
            "name": "Cơ sở đóng gói Ea Tul",
            "commune_name": "ea tul",
            "province_name": "Đắk Lắk",
            "gln": "8930000000019",
        },
        {
            "kind": "exporter",
            "name": "Công ty XNK Buôn Ma Thuột",
            "commune_code": communes[0].code,
            "email": "xnk@example.org",
        },
    ]


def test_template_has_the_columns(world):
    r = client_for(world, "ppo").get(URL + "/template.xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == COLUMNS


def test_dry_run_then_apply_then_again_unchanged(world, rows):
    client = client_for(world, "ppo")
    before = Organisation.objects.count()
    r = upload(client, workbook(rows))
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["applied"] is False and body["created"] == 3
    assert [x["row"] for x in body["rows"]] == [2, 3, 4]
    assert Organisation.objects.count() == before
    r = upload(client, workbook(rows), apply=True)
    assert r.json()["applied"] is True and r.json()["created"] == 3
    assert Organisation.objects.count() == before + 3
    house = Organisation.objects.get(gln="8930000000019")
    assert house.kind == "packing_house" and house.unit.name == "Xã Ea Tul"
    coop = Organisation.objects.get(tax_code="6001111111")
    assert coop.kind == "representative"
    assert AuditEntry.objects.filter(action="organisation.create", reason="import").count() == 3
    r = upload(client, workbook(rows), apply=True)
    assert (r.json()["created"], r.json()["updated"], r.json()["unchanged"]) == (0, 0, 3)
    assert Organisation.objects.count() == before + 3
    # a changed phone is an update, found again by its tax code even under a new name
    rows[0]["phone"] = "0262 000 111"
    rows[0]["name"] = "HTX Sầu riêng Krông Pắc (mới)"
    r = upload(client, workbook(rows), apply=True)
    assert r.json()["updated"] == 1
    assert r.json()["rows"][0]["changes"] == ["name", "phone"]
    coop.refresh_from_db()
    assert coop.phone == "0262 000 111" and coop.identifier == r.json()["rows"][0]["identifier"]


def test_bad_rows_by_row_and_column_and_nothing_written(world, rows, other_commune):
    rows += [
        {"kind": "laboratory", "name": "Lab"},
        {"kind": "exporter", "name": "", "commune_code": rows[2]["commune_code"]},
        {"kind": "exporter", "name": "Y", "commune_code": "99999"},
        {"kind": "exporter", "name": "Z", "commune_name": "Nowhere", "province_name": "66"},
        {"kind": "exporter", "name": "W", "commune_code": other_commune.code},
        {"kind": "exporter", "name": "V", "province_name": "66", "gln": "123"},
        dict(rows[0]),  # the same cooperative twice
    ]
    before = Organisation.objects.count()
    r = upload(client_for(world, "ppo"), workbook(rows), apply=True)
    assert r.status_code == 422
    body = r.json()
    assert body["applied"] is False
    found = {(e["row"], e["column"]) for e in body["bad_rows"]}
    assert found == {
        (5, "kind"),
        (6, "name"),
        (7, "commune_code"),
        (8, "commune_name"),
        (9, "commune_code"),
        (10, "gln"),
        (11, "name"),
    }
    assert body["detail"].startswith("row 5, kind (A5)")
    assert "row 9: commune_code" in body["errors"]
    assert Organisation.objects.count() == before


def test_it_rejects_a_file_that_is_not_a_workbook(world):
    r = upload(client_for(world, "ppo"), b"kind,name\nexporter,X\n")
    assert r.status_code == 422 and "file" in r.json()["errors"]


def test_it_checks_access(world, rows):
    for key in ("coop", "exporter", "commune", "household", "lab"):
        assert upload(client_for(world, key), workbook(rows), apply=True).status_code == 403, key
    # another province's office sees every row as outside its province
    r = upload(client_for(world, "other_ppo"), workbook(rows), apply=True)
    assert r.status_code == 422
    assert not Organisation.objects.filter(name="Công ty XNK Buôn Ma Thuột").exists()


def test_import_page(world, rows):
    client = client_for(world, "ppo")
    page = client.get("/accounts/organisations/import/")
    assert page.status_code == 200 and "template" in page.content.decode()
    r = client.post(
        "/accounts/organisations/import/",
        {"file": SimpleUploadedFile("orgs.xlsx", workbook(rows))},
    )
    html = r.content.decode()
    assert "Dry run" in html and "Cơ sở đóng gói Ea Tul" in html
    assert not Organisation.objects.filter(name="Cơ sở đóng gói Ea Tul").exists()
    bad = client.post(
        "/accounts/organisations/import/",
        {
            "file": SimpleUploadedFile("orgs.xlsx", workbook([{"kind": "x", "name": "A"}])),
            "apply": "on",
        },
    )
    assert 'id="import-errors"' in bad.content.decode() and "(A2)" in bad.content.decode()
    r = client.post(
        "/accounts/organisations/import/",
        {"file": SimpleUploadedFile("orgs.xlsx", workbook(rows)), "apply": "on"},
    )
    assert "Imported" in r.content.decode()
    assert Organisation.objects.filter(name="Cơ sở đóng gói Ea Tul").exists()
    assert client_for(world, "coop").get("/accounts/organisations/import/").status_code == 403


def test_command_template_import_and_invite(world, rows, tmp_path, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    template = tmp_path / "t.xlsx"
    call_command("organisations", "template", str(template))
    assert [c.value for c in load_workbook(template).worksheets[0][1]] == COLUMNS
    book = tmp_path / "orgs.xlsx"
    book.write_bytes(workbook(rows))
    call_command("organisations", "import", str(book), "--as", "ppo_user")
    assert "Dry run" in capsys.readouterr().out
    assert not Organisation.objects.filter(name="Cơ sở đóng gói Ea Tul").exists()
    call_command("organisations", "import", str(book), "--as", "ppo_user", "--apply")
    assert "3 new" in capsys.readouterr().out
    house = Organisation.objects.get(name="Cơ sở đóng gói Ea Tul")
    call_command("organisations", "list", "--as", "ppo_user", "--kind", "packing_house")
    assert house.identifier in capsys.readouterr().out
    call_command(
        "organisations", "invite", house.identifier, "--email", "a@example.org", "--as", "ppo_user"
    )
    call_command("organisations", "show", house.identifier, "--as", "ppo_user")
    assert "a  staff  invited" in capsys.readouterr().out
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([{"kind": "exporter", "name": "X", "commune_code": "99999"}]))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("organisations", "import", str(bad), "--as", "ppo_user", "--apply")
    assert "row 2, commune_code (C2)" in capsys.readouterr().err
    with pytest.raises(CommandError):
        call_command("organisations", "import", str(book), "--as", "coop_user")
