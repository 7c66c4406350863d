"""Capture, query and access of EPCIS events through /api/trace and /epcis, with the bad paths:
malformed JSON, schema violations, negative quantities, empty transformations, unknown
vocabulary, wrong roles, out-of-scope reads."""

import json
from urllib.parse import quote

import pytest
from django.test import Client

from agritrace.trace import services
from agritrace.trace.models import CaptureJob, Event, EventEPC, Lot, LotLink

from .conftest import bearer_client, document, harvest, packing, session_client, shipping

pytestmark = [pytest.mark.django_db, pytest.mark.urls("agritrace.trace.tests.urls")]

AREA = services.location_uri("VN-DLOR-0001")
HOUSE = services.location_uri("VN-DLPH-0001")
LOT_A = services.lot_uri("VN-DLOR-0001", "H-2025-001")
LOT_B = services.lot_uri("VN-DLOR-0001", "H-2025-002")
PACKED = "urn:epc:class:lgtin:8930000.012345.P-77"
SSCC = "urn:epc:id:sscc:8930000.1000000001"


def chain() -> dict:
    return document(
        harvest(LOT_A, AREA),
        harvest(LOT_B, AREA, when="2025-06-01T07:00:00+07:00"),
        packing([LOT_A, LOT_B], PACKED, HOUSE),
        shipping(PACKED, SSCC, HOUSE),
    )


def nothing_stored():
    return (Event.objects.count(), EventEPC.objects.count(), Lot.objects.count()) == (0, 0, 0)


def test_capture_stores_events_links_and_a_job(world, post_document):
    client = bearer_client(world, "packing")
    response = post_document(client, chain())
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["success"] and not job["running"]
    assert job["storedCount"] == 4 and job["duplicateCount"] == 0
    stored = CaptureJob.objects.get(pk=job["captureID"])
    assert stored.organisation == world.orgs["packing"]
    assert stored.captured_by == world.users["packing"]
    again = client.get(response["Location"])
    assert again.status_code == 200 and again.json()["captureID"] == job["captureID"]

    packing_event = Event.objects.get(event_type="TransformationEvent")
    assert packing_event.biz_step == "packing"
    assert packing_event.event_id.startswith("ni:///sha-256;")  # no eventID given: the hash
    assert packing_event.event_id == packing_event.event_hash
    links = LotLink.objects.filter(event=packing_event)
    assert {(lk.source.uri, lk.target.uri, lk.kind) for lk in links} == {
        (LOT_A, "https://id.gs1.org/01/08930000123459/10/P-77", "transform"),
        (LOT_B, "https://id.gs1.org/01/08930000123459/10/P-77", "transform"),
    }
    # The shipped pallet traces back, through the links, to both harvest lots.
    found = services.trace(world.actor("packing"), SSCC)
    assert LOT_A in found["lots"] and LOT_B in found["lots"]
    assert len(found["events"]) == 4
    ahead = services.trace(world.actor("packing"), LOT_A, direction="forward")
    assert "https://id.gs1.org/00/189300000000000016" in ahead["lots"]


def test_the_same_document_twice_is_stored_once(world, post_document):
    client = bearer_client(world, "exporter")
    assert post_document(client, chain()).status_code == 202
    second = post_document(client, chain())
    assert second.status_code == 202
    assert second.json()["storedCount"] == 0 and second.json()["duplicateCount"] == 4
    assert Event.objects.count() == 4
    # The same event written differently (Web URI bizStep, UTC time) is the same event.
    variant = harvest(LOT_A, AREA, when="2025-05-31T23:00:00Z")
    variant["bizStep"] = "https://ref.gs1.org/cbv/BizStep-commissioning"
    assert post_document(client, document(variant)).json()["duplicateCount"] == 1
    assert Event.objects.count() == 4


def test_a_given_event_id_is_kept_and_findable(world, post_document):
    client = bearer_client(world, "exporter")
    event = harvest(LOT_A, AREA)
    event["eventID"] = "urn:uuid:6d7a2a2e-2f0c-4a47-8f55-1f6f3d0c0001"
    assert post_document(client, document(event)).status_code == 202
    for path in ("/api/trace/events/", "/epcis/events/"):
        response = client.get(path + quote(event["eventID"], safe=""))
        assert response.status_code == 200
        assert response.json()["eventID"] == event["eventID"]
        assert response.json()["quantityList"] == event["quantityList"]
    # Another event claiming the same eventID is refused, naming the path.
    other = harvest(LOT_B, AREA)
    other["eventID"] = event["eventID"]
    response = post_document(client, document(other))
    assert response.status_code == 400
    assert "$.epcisBody.eventList[0].eventID" in response.json()["errors"]


@pytest.mark.parametrize(
    "body, path",
    [
        (b'{"type": "EPCISDocument", "epcisBody": ', "$"),
        (b"\xff\xfe not utf-8", "$"),
        (b"[1, 2]", "$"),
        (json.dumps({"type": "EPCISQueryDocument"}), "$.type"),
    ],
)
def test_malformed_documents_are_rejected(world, post_document, body, path):
    response = post_document(bearer_client(world, "packing"), body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert path in response.json()["errors"]
    assert nothing_stored()
    # Only the refusal is kept (refusals.py): a failed job naming the error.
    job = CaptureJob.objects.get()
    assert job.status == CaptureJob.Status.FAILED and path in job.errors


def _bad(mutate) -> dict:
    doc = chain()
    mutate(doc["epcisBody"]["eventList"])
    return doc


@pytest.mark.parametrize(
    "mutate, path, words",
    [
        (lambda ev: ev[3].__setitem__("bizStep", "harvesting"), "[3].bizStep", "neither a CBV"),
        (lambda ev: ev[0].__setitem__("disposition", "ripe"), "[0].disposition", "neither a CBV"),
        (lambda ev: ev[1].__setitem__("eventTime", "yesterday"), "[1].eventTime", "date and time"),
        (lambda ev: ev[1].pop("eventTimeZoneOffset"), "[1]", "eventTimeZoneOffset"),
        (lambda ev: ev[0]["readPoint"].__setitem__("id", "plot 7"), "[0].readPoint.id", "URI form"),
        (
            lambda ev: ev[0]["quantityList"][0].__setitem__("quantity", "500"),
            "[0].quantityList[0].quantity",
            "number",
        ),
        (
            lambda ev: ev[0]["quantityList"][0].__setitem__("quantity", -5),
            "[0].quantityList[0].quantity",
            "negative",
        ),
        (
            lambda ev: ev[0]["quantityList"][0].__setitem__("quantity", 1e20),
            "[0].quantityList[0].quantity",
            "too large",
        ),
        (
            lambda ev: ev[0].__setitem__("eventID", "urn:x:" + "9" * 600),
            "[0].eventID",
            "at most 500",
        ),
        (
            lambda ev: ev[2]["outputQuantityList"][0].__setitem__("uom", "kilo"),
            "[2].outputQuantityList[0].uom",
            "does not match",
        ),
        (
            lambda ev: [ev[2].pop(k) for k in ("inputQuantityList", "outputQuantityList")],
            "[2]",
            "at least one input or one output",
        ),
        (lambda ev: ev[0].__setitem__("action", "CREATE"), "[0].action", ""),
        (lambda ev: ev[0].__setitem__("type", "HarvestEvent"), "[0].type", ""),
    ],
)
def test_invalid_documents_are_rejected_whole(world, post_document, mutate, path, words):
    response = post_document(bearer_client(world, "packing"), _bad(mutate))
    assert response.status_code == 400, response.content
    body = response.json()
    key = "$.epcisBody.eventList" + path
    assert key in body["errors"], body
    assert words in " ".join(body["errors"][key])
    assert body["detail"].startswith("$.")
    assert nothing_stored()  # the valid events of the same document are not stored either


@pytest.mark.parametrize("key", ["household", "lab", "commune"])
def test_roles_that_may_not_capture(world, post_document, key):
    response = post_document(session_client(world, key), chain())
    assert response.status_code == 403
    assert nothing_stored()


def test_anonymous_requests_are_refused(post_document, db):
    assert post_document(Client(), chain()).status_code == 401
    assert Client().get("/api/trace/events").status_code == 401
    assert Client().get("/epcis/events").status_code == 401


def test_viewers_may_read_but_not_capture(world, post_document):
    from conftest import make_user

    viewer = make_user("packing_viewer", world.orgs["packing"], role="viewer")
    client = Client()
    client.force_login(viewer)
    assert post_document(client, chain()).status_code == 403
    assert client.get("/api/trace/events").status_code == 200


def _ids(client, **params) -> set[str]:
    response = client.get("/api/trace/events", params)
    assert response.status_code == 200, response.content
    events = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return {e["type"] + ":" + (e.get("bizStep") or "") for e in events}


def _count(client, **params) -> int:
    response = client.get("/api/trace/events", params)
    return len(response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"])


def test_query_parameters(world, post_document):
    client = bearer_client(world, "packing")
    post_document(client, chain())
    assert _ids(client, eventType="TransformationEvent") == {"TransformationEvent:packing"}
    assert _ids(client, eventType="ObjectEvent,AggregationEvent") == {
        "ObjectEvent:commissioning",
        "AggregationEvent:shipping",
    }
    for spelling in (
        "shipping",
        "https://ref.gs1.org/cbv/BizStep-shipping",
        "urn:epcglobal:cbv:bizstep:shipping",
    ):
        assert _ids(client, EQ_bizStep=spelling) == {"AggregationEvent:shipping"}
    assert _ids(client, EQ_disposition="in_transit") == {"AggregationEvent:shipping"}
    assert _ids(client, EQ_action="ADD") == {
        "ObjectEvent:commissioning",
        "AggregationEvent:shipping",
    }
    assert _ids(client, EQ_bizLocation=AREA) == {"ObjectEvent:commissioning"}
    assert len(_ids(client, EQ_readPoint=HOUSE)) == 2
    assert _ids(
        client, GE_eventTime="2025-06-02T00:00:00+07:00", LT_eventTime="2025-06-03T00:00:00+07:00"
    ) == {"TransformationEvent:packing"}
    assert _count(client, GE_recordTime="2000-01-01T00:00:00Z") == 4
    assert _count(client, LT_recordTime="2000-01-01T00:00:00Z") == 0
    assert _count(client, MATCH_anyEPCClass=f"{LOT_A}|{LOT_B}") == 3
    assert _ids(client, MATCH_epcClass=LOT_A) == {"ObjectEvent:commissioning"}
    assert _ids(client, MATCH_inputEPCClass=LOT_B) == {"TransformationEvent:packing"}
    # A URN and its Digital Link name the same lot.
    dl = "https://id.gs1.org/01/08930000123459/10/P-77"
    assert _ids(client, MATCH_outputEPCClass=dl) == {"TransformationEvent:packing"}
    assert _ids(client, MATCH_anyEPCClass=PACKED) == {
        "TransformationEvent:packing",
        "AggregationEvent:shipping",
    }
    assert _ids(client, MATCH_parentID=SSCC) == {"AggregationEvent:shipping"}
    assert _ids(client, MATCH_anyEPC="https://id.gs1.org/00/189300000000000016") == {
        "AggregationEvent:shipping"
    }
    assert _ids(client, MATCH_epc=SSCC) == set()
    assert _ids(client, MATCH_inputEPC=SSCC, MATCH_outputEPC=SSCC) == set()


@pytest.mark.parametrize(
    "params, field",
    [
        ({"EQ_colour": "red"}, "EQ_colour"),
        ({"GE_eventTime": "soon"}, "GE_eventTime"),
        ({"perPage": "0"}, "perPage"),
        ({"perPage": "ten"}, "perPage"),
        ({"nextPageToken": "forged"}, "nextPageToken"),
    ],
)
def test_bad_query_parameters(world, params, field):
    response = bearer_client(world, "packing").get("/api/trace/events", params)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    epcis = bearer_client(world, "packing").get("/epcis/events", params)
    assert epcis.status_code == 400 and field in epcis.json()["errors"]


def test_paging_with_next_page_token_and_link_header(world, post_document):
    client = bearer_client(world, "packing")
    post_document(client, chain())
    seen = []
    url, params = "/api/trace/events", {"perPage": 3}
    while True:
        response = client.get(url, params)
        body = response.json()["epcisBody"]["queryResults"]
        seen += [e["eventID"] for e in body["resultsBody"]["eventList"]]
        if "Link" not in response:
            assert "nextPageToken" not in body
            break
        assert response["Link"].endswith('rel="next"')
        params = {"perPage": 3, "nextPageToken": body["nextPageToken"]}
    assert len(seen) == len(set(seen)) == 4


def test_error_declaration_marks_the_original(world, post_document):
    client = bearer_client(world, "packing")
    original = harvest(LOT_A, AREA)
    original["eventID"] = "urn:uuid:0b0a3f34-0000-4000-8000-000000000001"
    post_document(client, document(original))
    declared = dict(
        original,
        errorDeclaration={
            "declarationTime": "2025-06-05T08:00:00+07:00",
            "reason": "incorrect_data",
            "correctiveEventIDs": ["urn:uuid:0b0a3f34-0000-4000-8000-000000000002"],
        },
    )
    response = post_document(client, document(declared))
    assert response.status_code == 202
    assert Event.objects.count() == 1
    event = client.get("/api/trace/events/" + quote(original["eventID"], safe="")).json()
    assert event["errorDeclaration"]["reason"] == "incorrect_data"
    assert Event.objects.get().is_erroneous


def _scope(world, key) -> int:
    response = bearer_client(world, key).get("/api/trace/events")
    assert response.status_code == 200
    return len(response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"])


def test_scope(world, durian, post_document):
    from agritrace.registry.models import PackingHouse, PlantingArea

    commune = world.communes[0]
    area = PlantingArea.objects.create(
        name="A",
        representative=world.orgs["coop"],
        crop=durian,
        commune=commune,
        declared_area_ha=1,
        code="VN-DLOR-0001",
        code_status="issued",
    )
    house = PackingHouse.objects.create(
        name="H",
        operator=world.orgs["packing"],
        address="x",
        commune=commune,
        capacity_t_per_day=5,
        code="VN-DLPH-0001",
        code_status="issued",
    )
    # The exporter captures the whole chain: harvest at the coop's area, packing at the
    # packing house's house.
    post_document(bearer_client(world, "exporter"), chain())
    assert Event.objects.filter(area=area).count() == 2
    assert Event.objects.filter(packing_house=house).count() == 2
    assert set(Event.objects.values_list("province_id", flat=True)) == {world.province.pk}
    assert _scope(world, "ministry") == 4
    assert _scope(world, "province") == 4 and _scope(world, "ppo") == 4
    assert _scope(world, "other_ppo") == 0  # another province
    assert _scope(world, "exporter") == 4  # its own captures
    assert _scope(world, "coop") == 2  # events at its area
    assert _scope(world, "packing") == 2  # events at its house
    assert _scope(world, "commune") == 4 and _scope(world, "commune_b") == 0
    assert _scope(world, "other_coop") == 0
    for key in ("household", "lab"):
        assert _scope(world, key) == 0
    # Out of scope is "not found", also for a single event and a capture job.
    event = Event.objects.filter(area=area).first()
    path = "/api/trace/events/" + quote(event.event_id, safe="")
    assert bearer_client(world, "other_coop").get(path).status_code == 404
    assert bearer_client(world, "coop").get(path).status_code == 200
    job = f"/api/trace/capture/{event.capture_job_id}"
    assert bearer_client(world, "packing").get(job).status_code == 404
    assert bearer_client(world, "exporter").get(job).status_code == 200
    assert bearer_client(world, "exporter").get("/api/trace/capture/nope").status_code == 404


def test_a_committed_capture_announces_its_events(
    world, post_document, django_capture_on_commit_callbacks
):
    """trace.signals.events_captured fires after commit with the stored events' ids."""
    from agritrace.trace.models import Event
    from agritrace.trace.signals import events_captured

    seen = []

    def receiver(sender, job, event_ids, **kwargs):
        seen.append((job.pk, sorted(event_ids)))

    events_captured.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_document(bearer_client(world, "packing"), chain())
    finally:
        events_captured.disconnect(receiver)
    assert response.status_code == 202, response.content
    ids = sorted(Event.objects.values_list("pk", flat=True))
    assert seen and seen[-1][1] == ids and ids
