"""The application page shows what the officer needs to decide (issue 17, item 13): the
area page's flags (declared against measured area, overlapping plots), the missing pieces
and a file without documents, on the page and in the API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agritrace.registry.decisions import application_warnings
from agritrace.registry.lifecycle import transition
from agritrace.registry.models import ApplicationDocument, PlotOverlap
from agritrace.registry.services import area_flags
from conftest import make_area

pytestmark = pytest.mark.django_db


def _officer_page(world, app) -> str:
    client = Client()
    client.force_login(world.users["ppo"])
    response = client.get(reverse("application-detail", args=[app.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_officer_sees_the_areas_flags_and_a_file_without_documents(world, settings):
    settings.LANGUAGE_CODE = "en"
    make_area(world, key="coop_b", lon=108.0501, lat=12.67)  # under the next area's plots
    area, app = make_area(world, declared=10, lon=108.05, lat=12.67)
    assert PlotOverlap.objects.filter(plot__area=area).exists()
    transition(app, "submit", world.actor("coop"))
    transition(app, "start_appraisal", world.actor("ppo"))
    flags = area_flags(area)
    assert len(flags) == 2  # the area page's own: measured area and overlaps
    warnings = application_warnings(app)
    assert warnings[:2] == flags
    assert warnings[2] == "No document is attached to this file."
    html = _officer_page(world, app)
    box = html.split('id="decision-warnings"')[1].split("</div></div>")[0]
    assert "Check before deciding:" in box
    assert "Declared 10" in box and "ha but the plots measure" in box
    assert "plot overlap(s) with another household or code." in box
    assert "No document is attached to this file." in box
    client = Client()
    client.force_login(world.users["ppo"])
    assert client.get(f"/api/applications/{app.pk}").json()["warnings"] == warnings


def test_a_file_with_a_document_and_sound_measurements_has_no_warnings(world, settings):
    settings.LANGUAGE_CODE = "en"
    area, app = make_area(world)
    ApplicationDocument.objects.create(
        application=app, title="Đơn đề nghị", file=SimpleUploadedFile("don.pdf", b"%PDF-1.4")
    )
    transition(app, "submit", world.actor("coop"))
    assert application_warnings(app) == []
    assert 'id="decision-warnings"' not in _officer_page(world, app)


def test_the_applicant_sees_the_same_list_before_submitting(world, settings):
    settings.LANGUAGE_CODE = "en"
    area, app = make_area(world, declared=10)
    client = Client()
    client.force_login(world.users["coop"])
    html = client.get(reverse("application-detail", args=[app.pk])).content.decode()
    box = html.split('id="decision-warnings"')[1].split("</div></div>")[0]
    assert "Before submitting:" in box and "ha but the plots measure" in box


def test_a_wrong_role_does_not_see_the_file(world):
    _area, app = make_area(world)
    for key in ("household", "lab", "other_ppo"):
        client = Client()
        client.force_login(world.users[key])
        assert client.get(reverse("application-detail", args=[app.pk])).status_code == 404, key
        assert client.get(f"/api/applications/{app.pk}").status_code in (403, 404), key


def test_the_flags_numbers_follow_the_pages_locale(world):
    from django.utils import translation

    area, _app = make_area(world, declared=1200)
    with translation.override("vi"):
        (flag,) = area_flags(area)
    assert "1200,00" in flag and "1200.00" not in flag
    with translation.override("en"):
        (flag,) = area_flags(area)
    assert "Declared 1200.00 ha" in flag
    assert "(-" in flag and "%)." in flag
