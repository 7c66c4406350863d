"""Control and bidirectional-override characters in the JSON API's text fields and query values
(issue 14, defect 4): a 422 naming the field, nothing stored; ordinary Vietnamese text passes."""

import json

import pytest
from django.test import Client

from agritrace.registry.models import Household

pytestmark = pytest.mark.django_db


@pytest.fixture
def coop(world):
    client = Client()
    client.force_login(world.users["coop"])
    return client


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.mark.parametrize("char", ["\x00", "\u202e", "\u202a", "\u2066", "\u2069", "\x07"])
def test_a_text_field_with_a_forbidden_character_is_a_422_naming_it(world, coop, char):
    before = Household.objects.count()
    r = _post(coop, "/api/households", {"name": f"Hộ {char}An", "commune": world.communes[0].pk})
    assert r.status_code == 422, r.content
    body = r.json()
    assert list(body["errors"]) == ["name"]
    assert f"U+{ord(char):04X}" in body["errors"]["name"][0]
    assert body["detail"].startswith("name: ")
    assert Household.objects.count() == before


def test_ordinary_text_passes(world, coop):
    r = _post(
        coop, "/api/households", {"name": "Hộ Nguyễn Thị Ánh\tB", "commune": world.communes[0].pk}
    )
    assert r.status_code == 201, r.content


def test_a_nested_field_is_named_by_its_path(coop):
    feature = {"type": "Feature", "properties": {"label": "P\u202e1"}, "geometry": None}
    r = _post(coop, "/api/plots/import", {"type": "FeatureCollection", "features": [feature]})
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["features[0].properties.label"]


def test_a_query_value_with_a_forbidden_character_is_a_422(coop):
    r = coop.get("/api/areas", {"q": "Ea\u202eTul"})
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["q"]
    assert coop.get("/api/areas", {"q": "Ea Tul"}).status_code == 200
