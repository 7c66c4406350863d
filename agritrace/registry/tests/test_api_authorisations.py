"""Authorisations recorded from paper (POST /api/authorisations), their scoped list, the bulk
import with its template, and the supply contracts' list with past periods (issue 19)."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from agritrace.audit.models import AuditEntry
from agritrace.notifications.models import Notification
from agritrace.registry import authorisations
from agritrace.registry.models import CodeAuthorisation, PlantingArea, SupplyContract
from agritrace.registry.tests.test_supply_contracts import make_house
from conftest import make_area, walk_to_issued

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def post(client: Client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


@pytest.fixture
def area(world) -> PlantingArea:
    """An area of the cooperative for China and the home market, issued 400 days ago."""
    area, app = make_area(world, markets=("CN", "VN"))
    walk_to_issued(world, app)
    long_ago = timezone.now() - timedelta(days=400)
    PlantingArea.objects.filter(pk=area.pk).update(issued_at=long_ago)
    area.status_changes.update(effective_at=long_ago)
    area.refresh_from_db()
    return area


def paper(world, holder, **changes) -> dict:
    data = {
        "area_code": holder.code,
        "grantee": world.orgs["exporter"].identifier,
        "market": "VN",
        "valid_from": (TODAY() - timedelta(days=200)).isoformat(),
        "valid_to": (TODAY() - timedelta(days=20)).isoformat(),
        "document_number": "12/2025/UQ",
        "document_date": (TODAY() - timedelta(days=210)).isoformat(),
    }
    data.update(changes)
    return data


# ------------------------------------------------------------------ one from paper


def test_the_province_records_a_paper_authorisation_with_a_past_period(world, area):
    r = post(client_for(world, "ppo"), "/api/authorisations", paper(world, area))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["origin"] == "paper" and body["document_number"] == "12/2025/UQ"
    assert body["grantee"]["id"] == world.orgs["exporter"].pk
    auth = CodeAuthorisation.objects.get()
    assert auth.valid_to == TODAY() - timedelta(days=20)
    assert AuditEntry.objects.filter(action="code.authorise_paper").count() == 1
    assert Notification.objects.filter(organisation=world.orgs["exporter"]).exists()
    # the past day is lawful, today is not (the period is over)
    province = client_for(world, "province")
    url = f"/api/areas/{area.pk}/may-use"
    query = {"org": world.orgs["exporter"].pk, "market": auth.market.pk}
    day = TODAY() - timedelta(days=50)
    assert province.get(url, {**query, "day": day.isoformat()}).json()["allowed"] is True
    assert province.get(url, query).json()["allowed"] is False


def test_the_grantee_may_be_named_by_its_tax_code(world, area):
    exporter = world.orgs["exporter"]
    exporter.tax_code = "6001234567"
    exporter.save()
    r = post(
        client_for(world, "ppo"), "/api/authorisations", paper(world, area, grantee="6001234567")
    )
    assert r.status_code == 201, r.content
    assert r.json()["grantee"]["id"] == exporter.pk


def test_a_paper_authorisation_may_name_ids_and_an_early_withdrawal(world, area):
    data = paper(
        world,
        area,
        area=area.pk,
        area_code=None,
        grantee=world.orgs["packing"].pk,
        market="CN",
        withdrawn_from=(TODAY() - timedelta(days=100)).isoformat(),
        withdrawal_reason="the packing house closed",
    )
    r = post(client_for(world, "province"), "/api/authorisations", data)
    assert r.status_code == 201, r.content
    auth = CodeAuthorisation.objects.get()
    assert auth.withdrawn_from == TODAY() - timedelta(days=100)
    assert auth.is_active_on(TODAY() - timedelta(days=101))
    assert not auth.is_active_on(TODAY() - timedelta(days=100))


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"valid_to": "2020-01-01"}, "valid_to"),
        ({"document_number": ""}, "document_number"),
        ({"document_date": "2999-01-01"}, "document_date"),
        ({"grantee": "nobody"}, "grantee"),
        ({"market": "US"}, "market"),
        ({"area_code": "VN-XXOR-9999"}, "area"),
        ({"withdrawn_from": "2999-01-01", "withdrawal_reason": "x"}, "withdrawn_from"),
    ],
)
def test_a_bad_paper_authorisation_is_refused_by_field(world, area, changes, field):
    before = AuditEntry.objects.count()
    r = post(client_for(world, "ppo"), "/api/authorisations", paper(world, area, **changes))
    assert r.status_code == 422, r.content
    assert field in r.json()["errors"]
    assert not CodeAuthorisation.objects.exists()
    assert AuditEntry.objects.count() == before


def test_the_same_paper_authorisation_is_not_recorded_twice(world, area):
    client = client_for(world, "ppo")
    assert post(client, "/api/authorisations", paper(world, area)).status_code == 201
    r = post(client, "/api/authorisations", paper(world, area))
    assert r.status_code == 422 and "document_number" in r.json()["errors"]
    assert CodeAuthorisation.objects.count() == 1


def test_only_the_provinces_authority_records_from_paper(world, area):
    assert post(Client(), "/api/authorisations", paper(world, area)).status_code == 401
    for key in ("coop", "exporter", "commune", "household", "ministry"):
        r = post(client_for(world, key), "/api/authorisations", paper(world, area))
        assert r.status_code == 403, key
    # another province's office does not find the area
    r = post(client_for(world, "other_ppo"), "/api/authorisations", paper(world, area))
    assert r.status_code == 422 and "area" in r.json()["errors"]
    assert not CodeAuthorisation.objects.exists()


# ------------------------------------------------------------------ the list


def ids(client: Client, **query) -> list[int]:
    r = client.get("/api/authorisations", query)
    assert r.status_code == 200, r.content
    return [a["id"] for a in r.json()["items"]]


def test_the_list_is_scoped(world, area):
    post(client_for(world, "ppo"), "/api/authorisations", paper(world, area))
    auth = CodeAuthorisation.objects.get()
    for key in ("ppo", "province", "ministry", "commune", "coop", "exporter"):
        assert ids(client_for(world, key)) == [auth.pk], key
    for key in ("other_ppo", "coop_b", "packing", "household", "lab", "other_coop"):
        assert ids(client_for(world, key)) == [], key
    assert Client().get("/api/authorisations").status_code == 401


def test_the_list_filters(world, area):
    client = client_for(world, "ppo")
    post(client, "/api/authorisations", paper(world, area))
    post(
        client,
        "/api/authorisations",
        paper(world, area, market="CN", document_number="13/2025/UQ", valid_to=TODAY().isoformat()),
    )
    vn, cn = CodeAuthorisation.objects.order_by("pk")
    assert ids(client, market="CN") == [cn.pk]
    assert ids(client, active_on=TODAY().isoformat()) == [cn.pk]
    assert set(ids(client, active_on=(TODAY() - timedelta(days=30)).isoformat())) == {vn.pk, cn.pk}
    assert set(ids(client, origin="paper", area_code=area.code)) == {vn.pk, cn.pk}
    assert ids(client, origin="granted") == []
    assert ids(client, grantee=world.orgs["packing"].pk) == []
    assert client.get("/api/authorisations", {"active_on": "soon"}).status_code == 422


# ------------------------------------------------------------------ the import


def workbook(rows: list[list], header=None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header or [c.name for c in authorisations.COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(world, area, number="A-1", market="VN", **changes) -> list:
    values = {
        "area_code": area.code,
        "grantee": world.orgs["exporter"].name,
        "market": market,
        "valid_from": date(2025, 5, 1),
        "valid_to": date(2025, 12, 31),
        "document_number": number,
        "document_date": "20/04/2025",
        "withdrawn_from": None,
        "withdrawal_reason": None,
    }
    values.update(changes)
    return [values[c.name] for c in authorisations.COLUMNS]


def send(world, data: bytes, apply=False, key="ppo", name="a.xlsx"):
    url = "/api/authorisations/import" + ("?apply=true" if apply else "")
    upload = io.BytesIO(data)
    upload.name = name
    return client_for(world, key).post(url, {"file": upload})


def test_the_import_is_a_dry_run_first_then_applies_then_changes_nothing(world, area):
    data = workbook([row(world, area), row(world, area, "A-2", market="CN")])
    r = send(world, data)
    assert r.status_code == 200, r.content
    assert r.json()["dry_run"] is True and r.json()["counts"] == {"create": 2}
    assert not CodeAuthorisation.objects.exists()
    r = send(world, data, apply=True)
    assert r.status_code == 200, r.content
    assert r.json()["applied"] is True
    assert CodeAuthorisation.objects.filter(origin="paper").count() == 2
    assert all(entry["id"] for entry in r.json()["rows"])
    assert AuditEntry.objects.filter(action="code.authorise_paper_import").count() == 2
    again = send(world, data, apply=True)
    assert again.status_code == 200 and again.json()["counts"] == {"unchanged": 2}
    assert CodeAuthorisation.objects.count() == 2


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_recorded(world, area):
    data = workbook(
        [
            row(world, area),
            row(world, area, "A-2", grantee="Công ty không có"),
            row(world, area, "A-3", valid_to="next year"),
            row(world, area, "A-4", market="US"),
            row(world, area),  # the same as row 2
        ]
    )
    r = send(world, data, apply=True)
    assert r.status_code == 422, r.content
    errors = r.json()["errors"]
    assert set(errors) == {
        "row 3.grantee",
        "row 4.valid_to",
        "row 5.market",
        "row 6.document_number",
    }
    assert not CodeAuthorisation.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="code.authorise_paper").exists()


def test_a_file_that_is_not_a_workbook_or_lacks_columns_is_refused(world, area):
    r = send(world, b"not a workbook")
    assert r.status_code == 422 and "file" in r.json()["errors"]
    r = send(world, workbook([["x"]], header=["area_code", "colour"]))
    assert r.status_code == 422
    assert "colour" in r.json()["errors"]["file"][0] and "grantee" in r.json()["errors"]["file"][0]


def test_a_csv_file_imports_too(world, area):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.name for c in authorisations.COLUMNS])
    writer.writerow(
        [
            area.code,
            world.orgs["exporter"].identifier,
            "VN",
            "2025-05-01",
            "2025-12-31",
            "C-1",
            "2025-04-20",
            "2025-09-01",
            "ended early",
        ]
    )
    r = send(world, out.getvalue().encode(), apply=True, name="a.csv")
    assert r.status_code == 200, r.content
    assert CodeAuthorisation.objects.get().withdrawn_from == date(2025, 9, 1)


def test_only_the_provinces_authority_imports(world, area):
    data = workbook([row(world, area)])
    for key in ("coop", "exporter", "commune"):
        assert send(world, data, apply=True, key=key).status_code == 403, key
    r = send(world, data, apply=True, key="other_ppo")
    assert r.status_code == 422 and "row 2.area_code" in r.json()["errors"]
    assert not CodeAuthorisation.objects.exists()


def test_the_template_has_the_columns_the_import_reads(world, area):
    r = client_for(world, "ppo").get("/api/authorisations/import/template")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[0] == "area_code*" and "withdrawn_from" in header
    # the template's example row is read (and refused: its grantee is an example)
    r = send(world, r.content)
    assert r.status_code == 422 and "row 2.grantee" in r.json()["errors"]


# ------------------------------------------------------------------ supply contracts


def contract_ids(client: Client, **query) -> list[int]:
    r = client.get("/api/supply-contracts", query)
    assert r.status_code == 200, r.content
    return [c["id"] for c in r.json()["items"]]


def test_a_contract_with_a_past_period_is_recorded_and_listed(world, area):
    house = make_house(world)
    start, end = TODAY() - timedelta(days=300), TODAY() - timedelta(days=100)
    r = post(
        client_for(world, "ppo"),
        f"/api/packing-houses/{house.pk}/supply-contracts",
        {"area_code": area.code, "valid_from": start.isoformat(), "valid_to": end.isoformat()},
    )
    assert r.status_code == 201, r.content
    past = SupplyContract.objects.get()
    current = SupplyContract.objects.create(
        packing_house=house, area=area, valid_from=TODAY(), valid_to=TODAY() + timedelta(days=9)
    )
    client = client_for(world, "packing")
    assert set(contract_ids(client)) == {past.pk, current.pk}
    day = (TODAY() - timedelta(days=200)).isoformat()
    assert contract_ids(client, active_on=day) == [past.pk]
    assert contract_ids(client, active_on=TODAY().isoformat()) == [current.pk]
    assert contract_ids(client, area_code=area.code.lower(), packing_house=house.pk)
    for key in ("ppo", "province", "commune", "coop", "ministry"):
        assert set(contract_ids(client_for(world, key))) == {past.pk, current.pk}, key
    for key in ("exporter", "other_ppo", "coop_b", "household", "lab"):
        assert contract_ids(client_for(world, key)) == [], key
    assert Client().get("/api/supply-contracts").status_code == 401


def test_a_past_contract_may_name_an_area_revoked_since(world, area):
    from agritrace.registry import lifecycle

    house = make_house(world)
    lifecycle.revoke(area, world.actor("ppo"), "code misused")
    url = f"/api/packing-houses/{house.pk}/supply-contracts"
    past = {
        "area": area.pk,
        "valid_from": (TODAY() - timedelta(days=300)).isoformat(),
        "valid_to": (TODAY() - timedelta(days=100)).isoformat(),
    }
    assert post(client_for(world, "packing"), url, past).status_code == 201
    ongoing = {**past, "valid_to": (TODAY() + timedelta(days=10)).isoformat()}
    r = post(client_for(world, "packing"), url, ongoing)
    assert r.status_code == 422 and "area" in r.json()["errors"]
    assert SupplyContract.objects.count() == 1


# ------------------------------------------------------------------ the command line


def test_the_command_dry_runs_then_applies(world, area, tmp_path, monkeypatch):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    target = tmp_path / "auth.xlsx"
    target.write_bytes(workbook([row(world, area)]))
    out = io.StringIO()
    call_command("authorisations", "import", str(target), "--as=ppo_user", stdout=out)
    assert "row 2: create" in out.getvalue() and "Dry run" in out.getvalue()
    assert not CodeAuthorisation.objects.exists()
    call_command("authorisations", "import", str(target), "--as=ppo_user", "--apply", stdout=out)
    assert CodeAuthorisation.objects.count() == 1
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([row(world, area, "B-1", valid_from="someday")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command(
            "authorisations", "import", str(bad), "--as=ppo_user", "--apply", stdout=out, stderr=err
        )
    assert "row 2, valid_from" in err.getvalue()
    with pytest.raises(CommandError):
        call_command("authorisations", "import", str(target), "--as=coop_user", stdout=out)
    template = tmp_path / "template.xlsx"
    call_command("authorisations", "template", str(template), stderr=err)
    assert load_workbook(template).worksheets[0]["A1"].value == "area_code*"
