"""Capture jobs as the EPCIS REST bindings show them, and the province a job belongs to."""

from agritrace.places.models import AdminUnit, Level

from .models import CaptureJob, EventFlag


def _province_of(unit: AdminUnit | None) -> int | None:
    if unit is None:
        return None
    if unit.level == Level.PROVINCE:
        return unit.pk
    return unit.province.pk


def capture_job_json(job: CaptureJob) -> dict:
    """The capture job resource (EPCIS REST bindings)."""
    return {
        "captureID": job.capture_id,
        "createdAt": job.created_at.isoformat(),
        "finishedAt": job.finished_at.isoformat() if job.finished_at else None,
        "running": job.status == CaptureJob.Status.RUNNING,
        "success": job.status == CaptureJob.Status.SUCCEEDED,
        "captureErrorBehaviour": "rollback",
        "errors": [
            {
                "type": "epcisException:ValidationException",
                "title": path,
                "status": 400,
                "detail": m,
            }
            for path, messages in (job.errors or {}).items()
            for m in messages
        ],
        "eventCount": job.event_count,
        # A background capture job's progress (capture_jobs.py): events checked so far.
        "eventsDone": job.events_done
        if job.status == CaptureJob.Status.RUNNING
        else (job.event_count if job.status == CaptureJob.Status.SUCCEEDED else job.events_done),
        "storedCount": job.stored_count,
        "duplicateCount": job.duplicate_count,
        # What the domain checks flagged (checks.py): stored, but to be looked into.
        "flags": [
            {
                "eventID": f.event.event_id,
                "rule": f.rule,
                "severity": f.severity,
                "path": f.path,
                "message": f.message,
            }
            for f in EventFlag.objects.filter(event__capture_job=job)
            .select_related("event")
            .order_by("pk")[:100]
        ],
    }
