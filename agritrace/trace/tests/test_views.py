"""The trace pages: recent events in scope with filters, and one event."""

import pytest
from django.test import Client

from agritrace.trace import services
from agritrace.trace.models import Event

from .conftest import document, harvest, packing, session_client, shipping

pytestmark = pytest.mark.django_db

AREA = services.location_uri("VN-DLOR-0001")
HOUSE = services.location_uri("VN-DLPH-0001")


@pytest.fixture
def captured(world):
    lot = services.lot_uri("VN-DLOR-0001", "H1")
    doc = document(
        harvest(lot, AREA),
        packing([lot], "urn:agritrace:lot:VN-DLPH-0001:P1", HOUSE),
        shipping("urn:agritrace:lot:VN-DLPH-0001:P1", "urn:epc:id:sscc:8930000.1000000001", HOUSE),
    )
    return services.capture(world.actor("packing"), doc)


def test_home_lists_events_in_scope_with_filters(world, captured):
    client = session_client(world, "packing")
    response = client.get("/trace/")
    assert response.status_code == 200
    assert response.content.decode().count('href="/trace/events/') == 3
    only = client.get("/trace/", {"type": "TransformationEvent"}).content.decode()
    assert only.count('href="/trace/events/') == 1
    by_step = client.get("/trace/", {"biz_step": "shipping"}).content.decode()
    assert by_step.count('href="/trace/events/') == 1
    day = client.get("/trace/", {"date": "2025-06-02"}).content.decode()
    assert day.count('href="/trace/events/') == 1
    assert (
        client.get("/trace/", {"date": "2025-01-01"}).content.decode().count('href="/trace/events/')
        == 0
    )
    # Events outside one's scope do not appear.
    other = session_client(world, "other_coop").get("/trace/").content.decode()
    assert 'href="/trace/events/' not in other


def test_home_names_bad_filters(world, captured):
    client = session_client(world, "packing")
    response = client.get("/trace/", {"type": "Nonsense", "date": "31/12/2025"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Unknown event type." in text and "2025-06-30" in text
    assert text.count('href="/trace/events/') == 3


def test_home_pages_older_events(world, captured, monkeypatch):
    from agritrace.trace import views

    monkeypatch.setattr(views, "EVENTS_PER_PAGE", 2)
    client = session_client(world, "packing")
    first = client.get("/trace/")
    assert first.context["older_url"]
    second = client.get("/trace/" + first.context["older_url"])
    assert len(second.context["events"]) == 1 and second.context["older_url"] is None


def test_event_detail_and_its_json(world, captured):
    client = session_client(world, "packing")
    event = Event.objects.get(event_type="TransformationEvent")
    response = client.get(f"/trace/events/{event.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert event.event_hash in text and "urn:agritrace:lot:VN-DLOR-0001:H1" in text
    json_url = response.context["json_url"]
    assert client.get(json_url).json()["eventID"] == event.event_id


def test_pages_need_login_and_scope(world, captured):
    event = Event.objects.first()
    assert Client().get("/trace/").status_code == 302
    assert Client().get(f"/trace/events/{event.pk}/").status_code == 302
    assert session_client(world, "other_coop").get(f"/trace/events/{event.pk}/").status_code == 404
    assert session_client(world, "household").get("/trace/").status_code == 200
