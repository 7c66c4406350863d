"""The authorisations' pages: the scoped list, recording a paper authorisation, the import
(check first, then record; bad rows by row and column)."""

import io
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agritrace.registry.models import CodeAuthorisation, Market
from agritrace.registry.tests.test_api_authorisations import area, row, workbook  # noqa: F401

pytestmark = pytest.mark.django_db


def login(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def upload(data: bytes, name="a.xlsx"):
    f = io.BytesIO(data)
    f.name = name
    return f


def test_the_province_imports_checks_first_then_records(world, area):  # noqa: F811
    client = login(world, "ppo")
    url = reverse("authorisation-import")
    assert client.get(url).status_code == 200
    data = workbook([row(world, area)])
    page = client.post(url, {"file": upload(data)}).content.decode()
    assert "Checked: nothing was written yet" in page and area.code in page
    assert not CodeAuthorisation.objects.exists()
    client.post(url, {"file": upload(data), "apply": "on"})
    assert CodeAuthorisation.objects.filter(origin="paper").count() == 1
    bad = workbook([row(world, area, "B-1", market="US")])
    page = client.post(url, {"file": upload(bad), "apply": "on"}).content.decode()
    assert "Choose one of the area&#x27;s target markets." in page
    assert 'data-testid="import-problems"' in page and "<code>market</code>" in page
    assert CodeAuthorisation.objects.count() == 1
    page = client.post(url, {"file": upload(b"junk")}).content.decode()
    assert "The file is not an Excel workbook (.xlsx)." in page
    template = client.get(reverse("authorisation-import-template"))
    assert template.status_code == 200 and template.content[:2] == b"PK"


def test_only_the_province_uses_the_import(world, area):  # noqa: F811
    for key in ("coop", "exporter", "commune"):
        client = login(world, key)
        assert client.get(reverse("authorisation-import")).status_code == 403, key
        assert client.get(reverse("authorisation-import-template")).status_code == 403, key
    r = Client().get(reverse("authorisation-import"))
    assert r.status_code == 302  # to the login page


def test_the_list_records_one_and_is_scoped(world, area):  # noqa: F811
    client = login(world, "ppo")
    today = timezone.localdate()
    response = client.post(
        reverse("authorisation-list"),
        {
            "area_code": area.code,
            "grantee": world.orgs["exporter"].pk,
            "market": Market.objects.get(code="VN").pk,
            "valid_from": "2025-01-01",
            "valid_to": "2025-06-30",
            "document_number": "7/UQ",
            "document_date": "2024-12-20",
        },
        follow=True,
    )
    assert "Authorisation 7/UQ recorded" in response.content.decode()
    auth = CodeAuthorisation.objects.get()
    assert auth.valid_to == date(2025, 6, 30) and auth.origin == "paper"
    # a bad one: the message beside its field, nothing recorded
    page = client.post(
        reverse("authorisation-list"),
        {"area_code": area.code, "document_date": (today + timedelta(days=3)).isoformat()},
    ).content.decode()
    assert "The document cannot be dated in the future." in page
    assert CodeAuthorisation.objects.count() == 1
    exporter_page = login(world, "exporter").get(reverse("authorisation-list")).content.decode()
    assert "7/UQ" in exporter_page and "Expired" in exporter_page
    for key in ("other_ppo", "coop_b", "packing"):
        page = login(world, key).get(reverse("authorisation-list")).content.decode()
        assert "7/UQ" not in page and "No authorisation matches." in page, key
    filtered = client.get(reverse("authorisation-list"), {"active_on": today.isoformat()})
    assert "7/UQ" not in filtered.content.decode()
    # a representative may look but not record
    assert (
        "Record a paper authorisation"
        not in login(world, "coop").get(reverse("authorisation-list")).content.decode()
    )
    assert login(world, "coop").post(reverse("authorisation-list"), {}).status_code == 403
