"""POST /api/registry/code-imports and its template, over HTTP with a token or a session."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from agritrace.accounts.models import ApiToken
from agritrace.registry import code_import_read, history
from agritrace.registry.models import CodeStatus, PackingHouse, PlantingArea
from agritrace.registry.tests.code_import_fixtures import local, sample_rows, workbook

pytestmark = pytest.mark.django_db

URL = "/api/registry/code-imports"


@pytest.fixture
def rows(commune):
    return sample_rows(commune)


def token_client(world, key: str) -> tuple[Client, dict]:
    _token, raw = ApiToken.issue(world.users[key], "importer")
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def upload(content: bytes, name: str = "codes.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_dry_run_then_apply_over_http(world, rows):
    from datetime import date

    client, auth = token_client(world, "ppo")
    content = workbook(rows)
    r = client.post(URL, {"file": upload(content)}, **auth)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["applied"] is False
    assert body["counts"] == {"create": 2, "update": 0, "unchanged": 0, "problems": 0}
    assert [row["action"] for row in body["rows"]] == ["create", "create"]
    assert not PlantingArea.objects.exists()

    r = client.post(URL, {"file": upload(content), "dry_run": "false"}, **auth)
    assert r.status_code == 200, r.content
    assert r.json()["applied"] is True
    area = PlantingArea.objects.get(code="VN-DLOR-017")
    assert history.status_at(area, local(date(2024, 3, 10))) == CodeStatus.SUSPENDED
    assert PackingHouse.objects.get(code="VN-DLPH-0036").code_status == CodeStatus.REVOKED

    r = client.post(URL, {"file": upload(content), "dry_run": "false"}, **auth)
    assert r.json()["counts"]["unchanged"] == 2


def test_bad_rows_are_reported_and_refused(world, rows):
    rows[1][10] = "XX=2023-01-01"
    client, auth = token_client(world, "ppo")
    r = client.post(URL, {"file": upload(workbook(rows))}, **auth)
    assert r.status_code == 200
    assert r.json()["problems"] == [
        {"row": 4, "column": "markets", "message": "Unknown market: XX"}
    ]
    r = client.post(URL, {"file": upload(workbook(rows)), "dry_run": "false"}, **auth)
    assert r.status_code == 422
    assert r.json()["errors"] == {"row 4: markets": ["Unknown market: XX"]}
    assert not PlantingArea.objects.exists()
    r = client.post(URL, {"file": upload(b"nothing", "codes.pdf")}, **auth)
    assert r.status_code == 422 and "file" in r.json()["errors"]


def test_only_the_province_authority(world, rows):
    content = workbook(rows)
    assert Client().post(URL, {"file": upload(content)}).status_code == 401
    for key in ("coop", "commune", "packing", "exporter", "household", "lab", "ministry"):
        client, auth = token_client(world, key)
        r = client.post(URL, {"file": upload(content), "dry_run": "false"}, **auth)
        assert r.status_code == 403, key
        r = client.get(f"{URL}/template.xlsx", **auth)
        assert r.status_code == 403, key
    assert not PlantingArea.objects.exists()


def test_the_template_download(world):
    client = Client()
    client.force_login(world.users["province"])
    r = client.get(f"{URL}/template.xlsx")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    records = code_import_read.read_rows(r.content, "template.xlsx")
    assert records[0][1]["code"] == "VN-DLOR-0017"
