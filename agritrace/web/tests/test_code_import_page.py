"""The page /codes/import/: check a list, see the report, apply it; the authority only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from agritrace.registry.models import CodeImport, PlantingArea
from agritrace.registry.tests.code_import_fixtures import sample_rows, workbook

pytestmark = pytest.mark.django_db


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("codes.xlsx", content)


def test_check_then_apply_on_the_page(world, commune):
    client = client_for(world, "ppo")
    page = client.get("/codes/import/")
    assert page.status_code == 200
    assert b'href="/codes/import/"' in page.content  # the menu links to it
    r = client.post("/codes/import/", {"file": upload(workbook(sample_rows(commune)))})
    assert r.status_code == 200
    html = r.content.decode()
    assert "2 to create, 0 to update, 0 unchanged, 0 problem(s)." in html
    assert "VN-DLOR-017" in html and "history: suspended from 2024-03-01" in html
    assert not PlantingArea.objects.exists()
    kept = CodeImport.objects.get()
    assert f'action="/codes/import/{kept.pk}/apply/"' in html
    r = client.post(f"/codes/import/{kept.pk}/apply/")
    assert r.status_code == 200
    assert "Applied: 2 created, 0 updated, 0 unchanged." in r.content.decode()
    assert PlantingArea.objects.filter(code="VN-DLOR-017").exists()
    # the same file cannot be applied twice from the page
    r = client.post(f"/codes/import/{kept.pk}/apply/", follow=True)
    assert "already applied" in r.content.decode()


def test_bad_cells_are_shown_and_nothing_can_be_applied(world, commune):
    rows = sample_rows(commune)
    rows[0][4] = "Nowhere at all"
    r = client_for(world, "ppo").post("/codes/import/", {"file": upload(workbook(rows))})
    html = r.content.decode()
    assert 'data-testid="import-problems"' in html
    assert "<code>commune</code>" in html and "No single commune or ward" in html
    assert 'data-testid="apply"' not in html
    kept = CodeImport.objects.get()
    r = client_for(world, "ppo").post(f"/codes/import/{kept.pk}/apply/", follow=True)
    assert not PlantingArea.objects.exists()


def test_an_unreadable_file_is_shown_beside_the_field(world):
    r = client_for(world, "ppo").post(
        "/codes/import/", {"file": SimpleUploadedFile("codes.pdf", b"x")}
    )
    assert r.status_code == 200
    assert 'data-field="file"' in r.content.decode()
    assert "Send an XLSX workbook or a CSV file." in r.content.decode()


def test_only_the_province_authority(world, commune):
    ppo = client_for(world, "ppo")
    ppo.post("/codes/import/", {"file": upload(workbook(sample_rows(commune)))})
    kept = CodeImport.objects.get()
    for key in ("coop", "commune", "packing", "exporter", "ministry", "lab"):
        client = client_for(world, key)
        assert client.get("/codes/import/").status_code == 403, key
        assert client.get("/codes/import/template.xlsx").status_code == 403, key
        assert client.post(f"/codes/import/{kept.pk}/apply/").status_code == 403, key
        assert b'href="/codes/import/"' not in client.get("/dashboard/").content
    # another province's office does not find this import
    assert client_for(world, "other_ppo").post(f"/codes/import/{kept.pk}/apply/").status_code == 404
    assert not PlantingArea.objects.exists()
    assert Client().get("/codes/import/").status_code == 302  # to the login page


def test_the_template_download(world):
    r = client_for(world, "province").get("/codes/import/template.xlsx")
    assert r.status_code == 200
    assert r["Content-Disposition"].endswith('existing-codes-template.xlsx"')
