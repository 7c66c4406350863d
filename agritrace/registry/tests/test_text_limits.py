"""Issue 17, item 6: a pasted 10,000-character area name was silently cut to 200. Text over a
field's limit is refused with the limit in the message, on the form and on the API, never
cut; diary notes and rejection reasons have a limit too (agritrace/limits.py)."""

import html
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from agritrace.limits import REASON_MAX_LENGTH, model_length_errors
from agritrace.registry.lifecycle import transition
from agritrace.registry.models import Application, ApplicationStep, PlantingArea
from conftest import make_area

pytestmark = pytest.mark.django_db

PASTED = "Vùng sầu riêng Ea Tul" * 476 + "xxxx"  # 10,000 characters, as pasted


def client_for(world, key: str) -> Client:
    c = Client()
    c.force_login(world.users[key])
    return c


def field_error(response, field_id: str) -> str:
    body = response.content.decode()
    marker = f'id="{field_id}_error">'
    assert marker in body, f"no error shown beside {field_id}"
    start = body.index(marker) + len(marker)
    return html.unescape(body[start : body.index("</span>", start)])


def area_body(world, **extra) -> dict:
    from agritrace.registry.models import Crop, Market

    durian = Crop.objects.get(code="durian")
    return {
        "name": "Vùng sầu riêng Ea Tul 2",
        "crop": durian.pk,
        "variety": durian.varieties.first().pk,
        "commune": world.orgs["coop"].unit_id,
        "declared_area_ha": "12.5",
        "expected_yield_t": "200",
        "markets": [Market.objects.get(code="CN").pk],
        **extra,
    }


def test_a_pasted_long_area_name_is_refused_on_the_api_with_the_limit(world):
    assert len(PASTED) == 10_000
    r = client_for(world, "coop").post(
        "/api/areas", json.dumps(area_body(world, name=PASTED)), content_type="application/json"
    )
    assert r.status_code == 422
    assert r.json()["errors"]["name"] == ["At most 200 characters, please: this text has 10,000."]
    assert not PlantingArea.objects.exists() and not Application.objects.exists()


def test_a_pasted_long_area_name_is_refused_on_the_form_and_never_cut(world):
    c = client_for(world, "coop")
    page = c.get(reverse("area-create")).content.decode()
    assert 'name="name"' in page and "maxlength" not in page  # the browser cuts to it
    r = c.post(reverse("area-create"), area_body(world, name=PASTED))
    assert r.status_code == 200
    assert "at most 200 characters (it has 10000)" in field_error(r, "id_name")
    assert PASTED in html.unescape(r.content.decode())  # what was typed is kept, whole
    assert not PlantingArea.objects.exists()


def test_every_model_field_with_a_limit_is_checked_before_saving(world):
    area, _app = make_area(world)
    area.village = "x" * 121
    assert model_length_errors(area) == {
        "village": "At most 120 characters, please: this text has 121."
    }
    with pytest.raises(ValidationError) as caught:
        area.save()
    assert "village" in caught.value.message_dict
    area.refresh_from_db()
    assert area.village == ""


def test_a_rejection_reason_has_a_limit(world):
    area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    steps = ApplicationStep.objects.count()
    body = {"action": "reject", "reason": "x" * (REASON_MAX_LENGTH + 1)}
    r = client_for(world, "ppo").post(
        f"/api/applications/{app.pk}/actions", body, content_type="application/json"
    )
    assert r.status_code == 422
    assert "At most 2,000 characters" in r.json()["errors"]["reason"][0]
    app.refresh_from_db()
    assert app.status == "submitted" and ApplicationStep.objects.count() == steps
    body["reason"] = "x" * REASON_MAX_LENGTH
    r = client_for(world, "ppo").post(
        f"/api/applications/{app.pk}/actions", body, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"


def test_the_message_says_the_numbers_in_the_language(world):
    from django.utils import translation

    with translation.override("en"):
        text = model_length_errors(PlantingArea(name="x" * 10_005))["name"]
    assert text == "At most 200 characters, please: this text has 10,005."
    with translation.override("vi"):
        text = model_length_errors(PlantingArea(name="x" * 10_005))["name"]
    assert "200" in text and "10,005" not in text  # the Vietnamese form, not the English
