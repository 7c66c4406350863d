"""Large captures as background jobs (issue 11, goal 2; EPCIS 2.0 REST bindings, POST
/capture: "202 … returns a unique capture job URL in the Location header", the job resource
saying `running` / `success` / `errors`).

A capture body above `AGRITRACE_CAPTURE_ASYNC_BYTES` is not captured before the answer:
`submit()` keeps it on a new RUNNING `CaptureJob` (its body, SHA-256 and size) and queues the
task ``agritrace.trace.capture_job`` (agritrace/tasks.py: a Celery worker, or a thread of the
web process). The request is answered at once with 202 and the job's URL. The task runs the
very capture a small document gets (`services.capture`: parsing, schema, rules, hash IDs,
domain checks, one transaction), on that job: the same events, flags and counts, or the same
refusal with its errors and refused events. While it runs, the job resource shows
`eventsDone` of `eventCount`: the events checked so far, written by a connection of its own
(PostgreSQL; on SQLite, which has one writer, the count moves when the job ends). The stored
events appear all at once when the document's transaction commits: a job that fails stores
none (captureErrorBehaviour "rollback").
"""

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, require
from agritrace.tasks import run_later

from . import refusals
from .jobs import _province_of
from .models import CaptureJob

#: The default size above which a capture becomes a background job.
DEFAULT_ASYNC_BYTES = 4 * 1024 * 1024
#: Progress is written every this many events.
PROGRESS_EVERY = 1000


def async_threshold() -> int:
    return int(getattr(settings, "AGRITRACE_CAPTURE_ASYNC_BYTES", DEFAULT_ASYNC_BYTES))


def runs_later(raw: bytes) -> bool:
    """Does this body become a background capture job? Above the size threshold, and text a
    job can keep (UTF-8 without NUL; anything else is refused at once, as before)."""
    if len(raw) <= async_threshold() or b"\x00" in raw:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def submit(actor: Actor, raw: bytes) -> CaptureJob:
    """Keep the document on a new running job and queue its capture; the job."""
    require(actor, "capture_events")
    sha, size = refusals.fingerprint(raw)
    org = actor.organisation
    job = CaptureJob.objects.create(
        status=CaptureJob.Status.RUNNING,
        captured_by=actor.user if getattr(actor.user, "pk", None) else None,
        organisation=org,
        province_id=_province_of(org.unit) if org is not None else None,
        document_sha256=sha,
        document_size=size,
        document_body=raw.decode("utf-8"),
        event_count=raw.count(b'"eventTime"'),  # an estimate until the document is parsed
    )
    run_later("agritrace.trace.capture_job", job.pk)
    return job


def run_capture_job(job_id: int) -> None:
    """The task: capture a queued job's document on that job (see the module docstring). A
    job that is no longer running (done already: a redelivered task) is left as it is."""
    from . import services

    job = CaptureJob.objects.filter(pk=job_id, status=CaptureJob.Status.RUNNING).first()
    if job is None:
        return
    actor = Actor.of(job.captured_by)
    raw = job.document_body.encode("utf-8")
    progress = Progress(job)
    try:
        services.capture(actor, raw, job=job, progress=progress)
    except services.CaptureRejected:
        pass  # kept on the job with its errors and refused events (refusals.py)
    except Exception as exc:
        CaptureJob.objects.filter(pk=job.pk).update(
            status=CaptureJob.Status.FAILED,
            finished_at=timezone.now(),
            errors={"$": [_("The capture failed on the server (%(what)s).") % {"what": exc}]},
        )
        raise
    finally:
        progress.close()


class Progress:
    """Writes a running job's `events_done` where its pollers can read it before the
    document's transaction commits: on PostgreSQL through a second connection in autocommit
    (the capture's own transaction does not touch the job's row until its end, so the two
    never wait on each other); elsewhere not at all."""

    def __init__(self, job: CaptureJob):
        self.job_id = job.pk
        self.last = 0
        self._conn = None
        self.enabled = connection.vendor == "postgresql"

    def __call__(self, done: int, force: bool = False) -> None:
        if not self.enabled or (done - self.last < PROGRESS_EVERY and not force):
            return
        self.last = done
        try:
            if self._conn is None:
                import psycopg

                params = connection.get_connection_params()
                for django_only in ("cursor_factory", "context"):
                    params.pop(django_only, None)
                self._conn = psycopg.connect(**params, autocommit=True)
            self._conn.execute(
                f"UPDATE {CaptureJob._meta.db_table} SET events_done = %s WHERE id = %s",
                [done, self.job_id],
            )
        except Exception:  # progress is a courtesy: never fail the capture for it
            self.enabled = False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
