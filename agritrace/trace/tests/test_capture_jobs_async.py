"""Large captures as background jobs (capture_jobs.py, agritrace/tasks.py): 202 with the job's
URL at once, the same result as a synchronous capture (or the same refusal), progress on the
job resource, the wrong roles refused, the job seen only in scope; and a real Celery worker
taking the job from a real redis-server started here."""

import json
import shutil
import socket
import subprocess
import time

import pytest

from agritrace import tasks
from agritrace.trace import capture_jobs, services
from agritrace.trace.models import CaptureJob, Event

from .conftest import bearer_client, document, harvest, packing, shipping

pytestmark = [pytest.mark.urls("agritrace.trace.tests.urls")]

AREA = services.location_uri("VN-DLOR-0001")
HOUSE = services.location_uri("VN-DLPH-0001")


def chain(n: int = 1) -> dict:
    events = []
    for k in range(n):
        lot = services.lot_uri("VN-DLOR-0001", f"H-2025-9{k:02d}")
        packed = services.lot_uri("VN-DLPH-0001", f"P-2025-9{k:02d}")
        sscc = f"urn:epc:id:sscc:8930000.{1000000200 + k}"
        events += [harvest(lot, AREA), packing([lot], packed, HOUSE), shipping(packed, sscc, HOUSE)]
    return document(*events)


@pytest.fixture
def small_threshold(settings):
    """Every document is "large" here; the job runs at once, in the request (eager)."""
    settings.AGRITRACE_CAPTURE_ASYNC_BYTES = 100
    settings.AGRITRACE_TASK_RUNNER = "eager"
    settings.AGRITRACE_TRACE_LATE_HOURS = 10**6


@pytest.mark.django_db
def test_a_large_capture_answers_202_with_the_job_and_ends_as_a_small_one(
    world, small_threshold, settings, post_document
):
    client = bearer_client(world, "exporter")
    body = json.dumps(chain(3)).encode()
    response = post_document(client, body)
    assert response.status_code == 202, response.content
    job_id = response.json()["captureID"]
    assert response["Location"] == f"/api/trace/capture/{job_id}"
    job = client.get(response["Location"]).json()
    assert job["success"] is True and job["running"] is False
    assert (job["eventCount"], job["eventsDone"], job["storedCount"]) == (9, 9, 9)
    stored = CaptureJob.objects.get(pk=job_id)
    assert stored.document_body == ""  # not kept once captured
    assert stored.document_sha256 and stored.document_size == len(body)
    assert Event.objects.filter(capture_job=stored).count() == 9
    # The same document captured synchronously: the very same events (all duplicates now).
    settings.AGRITRACE_CAPTURE_ASYNC_BYTES = 10**9
    again = post_document(client, body)
    assert again.status_code == 202 and again.json()["duplicateCount"] == 9
    assert Event.objects.count() == 9


@pytest.mark.django_db
def test_a_large_refused_capture_fails_its_job_with_the_synchronous_errors(
    world, small_threshold, settings, post_document
):
    client = bearer_client(world, "exporter")
    bad = chain(1)
    bad["epcisBody"]["eventList"][0]["quantityList"][0]["quantity"] = -5
    response = post_document(client, json.dumps(bad))
    assert response.status_code == 202, response.content
    job = client.get(response["Location"]).json()
    assert job["running"] is False and job["success"] is False
    assert Event.objects.count() == 0
    settings.AGRITRACE_CAPTURE_ASYNC_BYTES = 10**9
    sync = post_document(client, json.dumps(bad))
    assert sync.status_code == 400
    assert {e["title"] for e in job["errors"]} == set(sync.json()["errors"])
    failed = CaptureJob.objects.get(pk=job["captureID"])
    assert failed.status == CaptureJob.Status.FAILED and failed.document_body  # kept as evidence
    assert CaptureJob.objects.count() == 2  # the job itself failed: no second job was made


@pytest.mark.django_db
def test_a_large_capture_by_a_role_that_may_not_capture_is_refused(
    world, small_threshold, post_document
):
    for key in ("household", "lab"):
        response = post_document(bearer_client(world, key), json.dumps(chain(1)))
        assert response.status_code == 403, (key, response.content)
    assert not CaptureJob.objects.exists()


@pytest.mark.django_db
def test_a_running_job_shows_its_progress_in_scope_only(world, post_document):
    job = CaptureJob.objects.create(
        organisation=world.orgs["exporter"],
        captured_by=world.users["exporter"],
        event_count=5000,
        events_done=2000,
    )
    own = bearer_client(world, "exporter").get(f"/api/trace/capture/{job.pk}")
    assert own.status_code == 200
    assert own.json()["running"] is True and own.json()["eventsDone"] == 2000
    assert bearer_client(world, "other_coop").get(f"/api/trace/capture/{job.pk}").status_code == 404
    assert bearer_client(world, "packing").get(f"/epcis/capture/{job.pk}").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_progress_is_written_where_a_poller_sees_it_before_the_capture_commits(world):
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("progress from a second connection: PostgreSQL (SQLite has one writer)")
    job = CaptureJob.objects.create(organisation=world.orgs["exporter"], event_count=3000)
    progress = capture_jobs.Progress(job)
    try:
        with transaction.atomic():  # the capture's own transaction, still open
            Event.objects.count()
            progress(1000)
            progress(1500)  # below the step: not written
            import psycopg

            params = connection.get_connection_params()
            params.pop("cursor_factory", None)
            params.pop("context", None)
            with psycopg.connect(**params) as other:
                seen = other.execute(
                    "SELECT events_done FROM trace_capturejob WHERE id = %s", [job.pk]
                ).fetchone()[0]
            assert seen == 1000
    finally:
        progress.close()


def test_the_runner_follows_the_broker(settings):
    settings.AGRITRACE_TASK_RUNNER = ""
    settings.CELERY_BROKER_URL = ""
    assert tasks.runner() == "thread"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6390/1"
    assert tasks.runner() == "celery"
    with pytest.raises(KeyError):
        tasks.run_later("no.such.task")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_server(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_takes_the_job_from_redis(world, redis_server, settings, post_document):
    from celery.contrib.testing.worker import start_worker

    from agritrace.celery import app

    settings.AGRITRACE_CAPTURE_ASYNC_BYTES = 100
    settings.AGRITRACE_TRACE_LATE_HOURS = 10**6
    settings.CELERY_BROKER_URL = redis_server
    settings.AGRITRACE_TASK_RUNNER = ""  # chosen from the broker: celery
    assert tasks.runner() == "celery"
    previous = app.conf.broker_url
    app.conf.broker_url = redis_server
    try:
        client = bearer_client(world, "exporter")
        response = post_document(client, json.dumps(chain(2)))
        assert response.status_code == 202, response.content
        location = response["Location"]
        assert client.get(location).json()["running"] is True  # queued: no worker yet
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                job = client.get(location).json()
                if not job["running"]:
                    break
                time.sleep(0.2)
        assert job["running"] is False and job["success"] is True, job
        assert job["storedCount"] == 6 and job["eventsDone"] == 6
        assert Event.objects.filter(capture_job_id=job["captureID"]).count() == 6
    finally:
        app.conf.broker_url = previous


@pytest.mark.django_db
def test_the_job_page_shows_a_running_jobs_progress_in_scope_only(world):
    from .conftest import session_client

    job = CaptureJob.objects.create(
        organisation=world.orgs["exporter"],
        captured_by=world.users["exporter"],
        event_count=5000,
        events_done=2000,
    )
    page = session_client(world, "exporter").get(f"/trace/capture-jobs/{job.pk}/")
    assert page.status_code == 200
    assert b'id="job-progress"' in page.content
    # The figures in the page language's form (English here: 2,000 of 5,000).
    assert b"2,000" in page.content and b"5,000" in page.content
    other = session_client(world, "other_coop").get(f"/trace/capture-jobs/{job.pk}/")
    assert other.status_code in (403, 404)
