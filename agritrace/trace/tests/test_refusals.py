"""Refused captures leave a trace (refusals.py): a FAILED capture job with who, when, the
errors, the document's SHA-256, size and body, and one CaptureRefusal per refused event;
shown to the sender and to the province's authorities, over the API, EPCIS and the pages."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from agritrace.registry import history
from agritrace.registry.models import CodeStatus, PlantingArea
from agritrace.trace import services
from agritrace.trace.models import CaptureJob, CaptureRefusal, Event

from .conftest import bearer_client, document, harvest, session_client
from .test_checks import AREA, LOT_A, Registry

pytestmark = [pytest.mark.django_db, pytest.mark.urls("agritrace.trace.tests.urls")]


@pytest.fixture
def reg(world):
    registry = Registry(world)
    now = timezone.now()
    PlantingArea.objects.filter(pk=registry.area.pk).update(
        code_status=CodeStatus.SUSPENDED, issued_at=now - timedelta(days=400)
    )
    registry.area.refresh_from_db()
    history.record_change(registry.area, CodeStatus.SUSPENDED, now - timedelta(days=1), "test")
    return registry


def refused_body() -> bytes:
    """A harvest under the area's code after its suspension."""
    when = (timezone.now() - timedelta(hours=2)).isoformat()
    return json.dumps(document(harvest(LOT_A, AREA, when=when)), indent=1).encode()


def post(client, body: bytes, path="/api/trace/capture"):
    return client.post(path, body, content_type="application/ld+json")


def test_a_refused_document_is_kept_with_its_errors_hash_size_and_body(world, reg):
    body = refused_body()
    response = post(bearer_client(world, "packing"), body)
    assert response.status_code == 400
    assert not Event.objects.exists()
    job = CaptureJob.objects.get()
    assert response.json()["captureID"] == str(job.pk)
    assert job.status == CaptureJob.Status.FAILED and job.finished_at is not None
    assert job.organisation == world.orgs["packing"]
    assert job.captured_by == world.users["packing"]
    assert job.document_sha256 == hashlib.sha256(body).hexdigest()
    assert job.document_size == len(body) and job.document_body == body.decode()
    assert not job.body_truncated and job.event_count == 1
    message = " ".join(job.errors["$.epcisBody.eventList[0].bizLocation.id"])
    assert "[area_code_not_issued]" in message
    refusal = CaptureRefusal.objects.get()
    assert refusal.job == job and refusal.rule == "area_code_not_issued"
    assert refusal.area == reg.area and refusal.packing_house is None
    assert refusal.capture_org == world.orgs["packing"]
    assert refusal.province == world.province and refusal.event_index == 0
    assert abs(refusal.event_time - (timezone.now() - timedelta(hours=2))) < timedelta(minutes=1)


def test_a_document_that_is_not_json_is_kept_too(world):
    body = b'{"type": "EPCISDocument", '
    with pytest.raises(services.CaptureRejected) as caught:
        services.capture(world.actor("exporter"), body)
    job = caught.value.capture_job
    assert job.status == CaptureJob.Status.FAILED and "$" in job.errors
    assert job.document_size == len(body) and job.document_body == body.decode()
    assert not job.refusals.exists()


def test_a_schema_error_is_a_refusal_of_that_event(world):
    event = harvest(LOT_A, AREA)
    del event["eventTime"]
    with pytest.raises(services.CaptureRejected):
        services.capture(world.actor("exporter"), document(event))
    refusal = CaptureRefusal.objects.get()
    assert refusal.rule == "invalid_document" and refusal.event_index == 0
    assert refusal.event_type == "ObjectEvent"


def test_the_body_is_kept_up_to_the_limit(world, reg, settings):
    settings.AGRITRACE_TRACE_REFUSED_BODY_BYTES = 100
    body = refused_body()
    post(bearer_client(world, "packing"), body)
    job = CaptureJob.objects.get()
    assert job.body_truncated and len(job.document_body) == 100
    assert job.document_size == len(body) > 100
    assert job.document_sha256 == hashlib.sha256(body).hexdigest()


def test_a_stored_document_has_its_hash_and_size_too(world):
    body = json.dumps(document(harvest(LOT_A, "urn:epc:id:sgln:4012345.00001.0"))).encode()
    response = post(bearer_client(world, "exporter"), body)
    assert response.status_code == 202
    job = CaptureJob.objects.get()
    assert job.status == CaptureJob.Status.SUCCEEDED and job.province == world.province
    assert job.document_sha256 == hashlib.sha256(body).hexdigest()
    assert job.document_body == ""  # only refused bodies are kept


# ------------------------------------------------------------------ who sees them


def test_the_sender_and_the_province_see_the_refused_job_others_do_not(world, reg):
    post(bearer_client(world, "packing"), refused_body())
    job = CaptureJob.objects.get()
    for key in ("packing", "ppo", "province"):
        listed = bearer_client(world, key).get("/api/trace/capture-jobs?status=failed")
        assert listed.status_code == 200, key
        assert [j["captureID"] for j in listed.json()["captureJobs"]] == [str(job.pk)], key
    detail = bearer_client(world, "ppo").get(f"/api/trace/capture-jobs/{job.pk}").json()
    assert detail["success"] is False and detail["sha256"] == job.document_sha256
    assert detail["refusals"][0]["rule"] == "area_code_not_issued"
    assert detail["refusals"][0]["area"] == reg.area.code
    assert detail["document"] == job.document_body
    for key in ("exporter", "other_ppo"):
        client = bearer_client(world, key)
        assert client.get("/api/trace/capture-jobs").json()["captureJobs"] == [], key
        assert client.get(f"/api/trace/capture-jobs/{job.pk}").status_code == 404, key
    # A household neither captures nor supervises.
    refused = bearer_client(world, "household").get("/api/trace/capture-jobs")
    assert refused.status_code == 403


def test_a_province_sees_a_refusal_at_its_area_sent_from_elsewhere(world, reg):
    """A cooperative of another province tries to harvest under this province's suspended
    code: this province's authority sees the attempt."""
    post(bearer_client(world, "other_coop"), refused_body())
    job = CaptureJob.objects.get()
    assert job.province != world.province
    listed = bearer_client(world, "ppo").get("/api/trace/capture-jobs").json()["captureJobs"]
    assert [j["captureID"] for j in listed] == [str(job.pk)]
    assert CaptureRefusal.objects.get().province == world.province


def test_the_list_filters_by_status_and_since(world, reg):
    post(bearer_client(world, "packing"), refused_body())
    client = bearer_client(world, "packing")
    assert client.get("/api/trace/capture-jobs?status=succeeded").json()["captureJobs"] == []
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert client.get(f"/api/trace/capture-jobs?since={tomorrow}").json()["captureJobs"] == []
    today = timezone.localdate().isoformat()
    assert len(client.get(f"/api/trace/capture-jobs?since={today}").json()["captureJobs"]) == 1
    bad = client.get("/api/trace/capture-jobs?status=lost")
    assert bad.status_code == 422 and "status" in bad.json()["errors"]
    bad = client.get("/api/trace/capture-jobs?since=yesterday")
    assert bad.status_code == 422 and "since" in bad.json()["errors"]


def test_the_epcis_capture_job_of_a_refused_document_answers_with_its_errors(world, reg):
    client = bearer_client(world, "packing")
    response = post(client, refused_body(), path="/epcis/capture")
    assert response.status_code == 400
    capture_id = response.json()["captureID"]
    job = client.get(f"/epcis/capture/{capture_id}")
    assert job.status_code == 200
    body = job.json()
    assert body["running"] is False and body["success"] is False
    assert body["captureErrorBehaviour"] == "rollback"
    error = body["errors"][0]
    assert error["type"] == "epcisException:ValidationException" and error["status"] == 400
    assert "[area_code_not_issued]" in error["detail"]
    listed = client.get("/epcis/capture").json()
    assert [j["captureID"] for j in listed] == [capture_id]
    assert bearer_client(world, "exporter").get(f"/epcis/capture/{capture_id}").status_code == 404


def test_the_pages_list_and_show_refused_jobs(world, reg):
    post(bearer_client(world, "packing"), refused_body())
    job = CaptureJob.objects.get()
    client = session_client(world, "ppo")
    page = client.get("/trace/capture-jobs/")
    assert page.status_code == 200 and f"#{job.pk}" in page.content.decode()
    detail = client.get(f"/trace/capture-jobs/{job.pk}/").content.decode()
    assert job.document_sha256 in detail and "area_code_not_issued" in detail
    assert reg.area.code in detail
    assert (
        session_client(world, "exporter").get(f"/trace/capture-jobs/{job.pk}/").status_code == 404
    )
    assert session_client(world, "household").get("/trace/capture-jobs/").status_code == 403


def test_the_command_line_lists_and_shows_refused_jobs(world, reg):
    from io import StringIO

    from django.core.management import CommandError, call_command

    post(bearer_client(world, "packing"), refused_body())
    job = CaptureJob.objects.get()
    out = StringIO()
    call_command("trace", "jobs", "--as", "ppo_user", "--status", "failed", stdout=out)
    assert (
        out.getvalue().startswith(f"{job.pk}\tfailed\t") and job.document_sha256 in out.getvalue()
    )
    out = StringIO()
    call_command("trace", "jobs", "--as", "packing_user", "--id", str(job.pk), stdout=out)
    assert "area_code_not_issued" in out.getvalue() and reg.area.code in out.getvalue()
    with pytest.raises(CommandError):
        call_command("trace", "jobs", "--as", "exporter_user", "--id", str(job.pk))
    with pytest.raises(CommandError):
        call_command("trace", "jobs", "--as", "household_user")


def test_the_refused_events_are_queryable_in_scope(world, reg):
    post(bearer_client(world, "other_coop"), refused_body())
    # This province (the area's), the sender, the sender's province and the ministry.
    for key in ("ppo", "other_coop", "other_ppo", "ministry"):
        body = bearer_client(world, key).get(
            f"/api/trace/refusals?rule=area_code_not_issued&area={reg.area.code}"
        )
        assert body.status_code == 200, key
        [row] = body.json()["refusals"]
        assert row["area"] == reg.area.code and row["eventTime"], key
        assert row["captureOrg"] == world.orgs["other_coop"].identifier
    assert bearer_client(world, "ppo").get("/api/trace/refusals?rule=unit").json() == {
        "refusals": []
    }
    for key in ("exporter", "coop"):
        assert bearer_client(world, key).get("/api/trace/refusals").json()["refusals"] == []
    assert bearer_client(world, "household").get("/api/trace/refusals").status_code == 403


def test_older_jobs_get_their_organisations_province(world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "agritrace.trace.migrations.0006_capture_job_province_backfill"
    )
    old = CaptureJob.objects.create(organisation=world.orgs["packing"])
    other = CaptureJob.objects.create(organisation=world.orgs["other_coop"])
    migration.backfill(apps, None)
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.province == world.province
    assert other.province == world.other_commune.parent
