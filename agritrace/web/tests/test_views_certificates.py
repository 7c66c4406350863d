"""Certificates on the planting area's page: shown with their validity (expired ones marked),
added, edited and removed by the representative or the authority; bad input comes back beside
the fields; other roles are refused."""

import html
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agritrace.audit.models import AuditEntry
from agritrace.registry import lifecycle, services
from agritrace.registry.models import Certificate
from conftest import make_area, walk_to_issued

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def login(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def field_error(response, field_id: str) -> str:
    body = response.content.decode()
    marker = f'id="{field_id}_error">'
    assert marker in body, f"no error shown beside {field_id}"
    start = body.index(marker) + len(marker)
    return html.unescape(body[start : body.index("</span>", start)])


@pytest.fixture
def area(world):
    area, _app = make_area(world)
    return area


def url(area) -> str:
    return reverse("area-detail", args=[area.pk])


def form_data(**overrides) -> dict:
    data = {
        "op": "certificate",
        "kind": "vietgap",
        "number": "VG-2025-0042",
        "issuer": "QUACERT",
        "valid_from": (TODAY() - timedelta(days=10)).isoformat(),
        "valid_to": (TODAY() + timedelta(days=700)).isoformat(),
    }
    data.update(overrides)
    return data


def test_the_page_shows_certificates_with_expired_ones_marked(world, area):
    actor = world.actor("coop")
    services.add_certificate(
        actor,
        area,
        {
            "kind": "globalgap",
            "number": "GG-OLD",
            "valid_from": date(2021, 1, 1),
            "valid_to": TODAY() - timedelta(days=1),
        },
    )
    services.add_certificate(
        actor,
        area,
        {
            "kind": "organic",
            "number": "ORG-NEW",
            "valid_from": TODAY(),
            "valid_to": TODAY() + timedelta(days=30),
        },
    )
    page = text(login(world, "commune").get(url(area)))
    assert "GG-OLD" in page and "ORG-NEW" in page
    assert page.count(">Expired</span>") == 1
    old_row = page[page.index("GG-OLD") : page.index("</tr>", page.index("GG-OLD"))]
    assert "Expired" in old_row
    # The commune reads but does not edit.
    assert 'value="certificate"' not in page and "Add a certificate" not in page


def test_the_representative_adds_a_certificate(world, area):
    client = login(world, "coop")
    assert "Add a certificate" in text(client.get(url(area)))
    response = client.post(url(area), form_data())
    assert response.status_code == 302
    assert response.url == url(area) + "#certificates-title"
    certificate = Certificate.objects.get()
    assert (certificate.area, certificate.kind, certificate.number) == (
        area,
        "vietgap",
        "VG-2025-0042",
    )
    page = text(client.get(response.url))
    assert "Certificate VG-2025-0042 added." in page
    assert AuditEntry.objects.filter(action="certificate.add").count() == 1


def test_bad_input_comes_back_beside_the_fields(world, area):
    client = login(world, "ppo")
    response = client.post(
        url(area),
        form_data(kind="", number="", valid_from="2025-06-01", valid_to="2025-05-01"),
    )
    assert response.status_code == 200
    assert field_error(response, "id_cert_number") == "The certificate number is required."
    assert "Choose the kind of certificate" in field_error(response, "id_cert_kind")
    assert field_error(response, "id_cert_valid_to") == (
        "The end of validity comes before its start."
    )
    response = client.post(url(area), form_data(valid_from="not a date"))
    assert response.status_code == 200
    assert field_error(response, "id_cert_valid_from")
    assert not Certificate.objects.exists()
    services.add_certificate(world.actor("coop"), area, form_data())
    response = client.post(url(area), form_data(number="vg-2025-0042"))
    assert field_error(response, "id_cert_number") == (
        "This certificate is already recorded for this area."
    )
    assert Certificate.objects.count() == 1


def test_a_certificate_is_edited_from_its_row(world, area):
    certificate = services.add_certificate(world.actor("coop"), area, form_data())
    client = login(world, "coop")
    page = text(client.get(url(area), {"certificate": certificate.pk}))
    assert "Edit certificate VG-2025-0042" in page
    assert f'name="certificate" value="{certificate.pk}"' in page
    new_end = TODAY() + timedelta(days=1000)
    response = client.post(
        url(area),
        form_data(certificate=certificate.pk, issuer="Vinacert", valid_to=new_end.isoformat()),
    )
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert (certificate.issuer, certificate.valid_to) == ("Vinacert", new_end)
    assert Certificate.objects.count() == 1
    # A bad edit shows the edit form again, with the error, and changes nothing.
    response = client.post(url(area), form_data(certificate=certificate.pk, valid_to="2000-01-01"))
    assert response.status_code == 200
    assert "Edit certificate VG-2025-0042" in text(response)
    assert field_error(response, "id_cert_valid_to")
    certificate.refresh_from_db()
    assert certificate.valid_to == new_end
    # Another area's certificate is not found through this page.
    other, _ = make_area(world, lon=108.2)
    theirs = services.add_certificate(world.actor("coop"), other, form_data(number="X-1"))
    assert client.post(url(area), form_data(certificate=theirs.pk)).status_code == 404
    assert client.get(url(area), {"certificate": "abc"}).status_code == 200


def test_a_certificate_is_removed(world, area):
    certificate = services.add_certificate(world.actor("coop"), area, form_data())
    client = login(world, "ppo")
    response = client.post(url(area), {"op": "certificate_remove", "certificate": certificate.pk})
    assert response.status_code == 302
    assert not Certificate.objects.exists()
    assert "Certificate VG-2025-0042 removed." in text(client.get(url(area)))
    assert client.post(url(area), {"op": "certificate_remove", "certificate": "x"}).status_code == (
        302
    )
    assert client.post(url(area), {"op": "certificate_remove", "certificate": 999}).status_code == (
        404
    )


@pytest.mark.parametrize("key", ["commune", "ministry"])
def test_other_roles_are_refused(world, area, key):
    certificate = services.add_certificate(world.actor("coop"), area, form_data(number="K-1"))
    client = login(world, key)
    assert client.post(url(area), form_data()).status_code == 403
    remove = {"op": "certificate_remove", "certificate": certificate.pk}
    assert client.post(url(area), remove).status_code == 403
    assert list(Certificate.objects.values_list("number", flat=True)) == ["K-1"]


def test_out_of_scope_and_unknown_posts(world, area):
    assert login(world, "coop_b").post(url(area), form_data()).status_code == 404
    response = login(world, "coop").post(url(area), {"op": "dance"}, follow=True)
    assert "Unknown action 'dance'." in text(response)
    assert not Certificate.objects.exists()


def test_a_revoked_area_shows_its_certificates_without_forms(world):
    area, app = make_area(world)
    services.add_certificate(world.actor("coop"), area, form_data())
    walk_to_issued(world, app)
    lifecycle.revoke(area, world.actor("ppo"), "Cadimi")
    page = text(login(world, "coop").get(url(area)))
    assert "VG-2025-0042" in page and "Add a certificate" not in page
    response = login(world, "coop").post(url(area), form_data(number="N-2"))
    assert response.status_code == 200
    assert "A revoked area cannot be changed." in text(response)
    assert Certificate.objects.count() == 1
