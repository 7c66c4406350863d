"""Refused captures leave a trace.

A document that cannot be captured is refused as a whole: its events are rolled back. What
was refused is kept all the same, written after the rollback: a `CaptureJob` with status
FAILED (who sent it, when, the errors by JSON path, the SHA-256 and size of the document, its
body up to ``AGRITRACE_TRACE_REFUSED_BODY_BYTES``, 256 KiB by default) and one
`CaptureRefusal` row per refused event and rule with the facts that matter as evidence (the
rule, the planting area or packing house, the event's time, the capturing organisation): an
attempt to harvest under a suspended code is itself a fact for the authority and the misuse
app. The sender sees its own jobs, the province's authorities their province's
(`accounts.access`).
"""

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from agritrace.accounts.access import Actor, get_visible, visible

from .models import CaptureJob, CaptureRefusal
from .signals import capture_refused

#: Default bytes of a refused document's body kept with its job.
REFUSED_BODY_BYTES = 256 * 1024
#: Refusal rows kept per document (a document of many bad events keeps its first ones).
MAX_REFUSALS = 5000
#: JSON paths of errors kept on a job.
MAX_ERROR_PATHS = 2000

_INDEX = re.compile(r"^\$\.epcisBody\.eventList\[(\d+)\]")
_RULE = re.compile(r"\[([a-z][a-z_]*)\]$")
#: The rule of an error that names none: the document failed the JSON Schema or EPCIS rules.
SCHEMA_RULE = "invalid_document"


def body_limit() -> int:
    return int(getattr(settings, "AGRITRACE_TRACE_REFUSED_BODY_BYTES", REFUSED_BODY_BYTES))


def document_bytes(document: object) -> bytes:
    """The document as received (request body), or as JSON when only the parsed form is known."""
    if isinstance(document, bytes):
        return document
    if isinstance(document, str):
        return document.encode("utf-8", errors="replace")
    return json.dumps(document, ensure_ascii=False, default=str).encode("utf-8")


def fingerprint(raw: bytes) -> tuple[str, int]:
    """(SHA-256 hex, size in bytes) of a document."""
    return hashlib.sha256(raw).hexdigest(), len(raw)


def _error_strings(exc) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        found = {
            p: [str(m) for e in errs for m in e.messages] for p, errs in exc.error_dict.items()
        }
    else:
        found = {"$": [str(m) for m in exc.messages]}
    return dict(list(found.items())[:MAX_ERROR_PATHS])


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    parsed = parse_datetime(value)
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)  # (the current time zone's)
    return parsed


def _raw_events(document: object) -> list:
    if not isinstance(document, Mapping):
        return []
    body = document.get("epcisBody")
    events = body.get("eventList") if isinstance(body, Mapping) else None
    return events if isinstance(events, list) else []


def _refusals(
    errors: Mapping[str, list[str]], document: object, items: Mapping[int, object], job, actor
) -> list[CaptureRefusal]:
    """One row per (refused event, rule); facts from the checked item when the checks ran,
    else from the event as sent."""
    raw_events = _raw_events(document)
    org_province = job.province_id
    rows: dict[tuple[int, str], CaptureRefusal] = {}
    for path, messages in errors.items():
        match = _INDEX.match(path)
        if match is None:
            continue
        index = int(match.group(1))
        for message in messages:
            rule_match = _RULE.search(message)
            rule = rule_match.group(1) if rule_match else SCHEMA_RULE
            if (index, rule) in rows or len(rows) >= MAX_REFUSALS:
                continue
            item = items.get(index)
            row = CaptureRefusal(
                job=job,
                event_index=index,
                rule=rule[:40],
                path=path[:300],
                message=message,
                capture_org=actor.organisation,
                province_id=org_province,
                created_at=job.created_at,
            )
            if item is not None:
                record = item.record
                row.event_id = (item.event.get("eventID") or "")[:500]
                row.event_type = record.event_type
                row.biz_step = record.biz_step[:255]
                row.event_time = record.event_time
                row.area, row.packing_house = record.area, record.packing_house
                row.province_id = record.province_id or org_province
            elif index < len(raw_events) and isinstance(raw_events[index], Mapping):
                event = raw_events[index]
                row.event_id = str(event.get("eventID") or "")[:500]
                row.event_type = str(event.get("type") or "")[:20]
                row.biz_step = str(event.get("bizStep") or "")[:255]
                row.event_time = _parse_time(event.get("eventTime"))
            rows[(index, rule)] = row
    return list(rows.values())


def record_refused(
    actor: Actor,
    document: object,
    exc,
    items=(),
    job: CaptureJob | None = None,
    parsed: Mapping | None = None,
) -> CaptureJob:
    """Keep a refused document: a FAILED job and its refusal rows. Called after the capture's
    transaction rolled back; `document` as received (bytes) or parsed, `exc` the
    CaptureRejected, `items` the checked events (checks.Item) when the checks ran; `job` a
    background capture job that failed (capture_jobs.py), made FAILED rather than a new one."""
    from .intake import depth_problem
    from .jobs import _province_of

    raw = document_bytes(document)
    sha, size = fingerprint(raw)
    limit = body_limit()
    errors = _error_strings(exc)
    # `parsed`: given when known (an XML body's JSON-LD form, trace.xml_capture).
    if parsed is None:
        parsed = document
        if isinstance(document, bytes | str):
            try:
                # A document nested too deep is kept as bytes only (parsing it would recurse).
                parsed = None if depth_problem(document) else json.loads(document)
            except (ValueError, UnicodeDecodeError, RecursionError):
                parsed = None
    now = timezone.now()
    org = actor.organisation
    values = dict(
        status=CaptureJob.Status.FAILED,
        finished_at=now,
        errors=errors,
        event_count=len(_raw_events(parsed)),
        document_id=str(parsed.get("id", ""))[:500] if isinstance(parsed, Mapping) else "",
        document_sha256=sha,
        document_size=size,
        document_body=raw[:limit].decode("utf-8", errors="replace").replace("\x00", ""),
        body_truncated=size > limit,
    )
    if job is not None and job.pk is not None and CaptureJob.objects.filter(pk=job.pk).exists():
        for name, value in values.items():
            setattr(job, name, value)
        job.save(update_fields=list(values))
    else:
        job = CaptureJob.objects.create(
            created_at=now,
            captured_by=actor.user if getattr(actor.user, "pk", None) else None,
            organisation=org,
            province_id=_province_of(org.unit) if org is not None else None,
            **values,
        )
    by_index = {item.index: item for item in items}
    CaptureRefusal.objects.bulk_create(_refusals(errors, parsed, by_index, job, actor), 500)
    transaction.on_commit(lambda: capture_refused.send(sender=CaptureJob, job=job))
    return job


# ------------------------------------------------------------------ reading them


def require_job_reader(actor: Actor) -> None:
    """Capture jobs are for those who capture and for the authorities; others are refused."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from agritrace.accounts.access import can
    from agritrace.accounts.models import OrgKind

    authorities = (OrgKind.MINISTRY, OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION)
    if actor.is_public or not (can(actor, "capture_events") or actor.kind in authorities):
        raise PermissionDenied(_("Your organisation neither captures events nor supervises."))


def capture_jobs(
    actor: Actor, status: str = "", since: datetime | None = None
) -> QuerySet[CaptureJob]:
    """The capture jobs the actor may see, newest first; `status` and `since` filter them."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    require_job_reader(actor)
    jobs = visible(actor, CaptureJob.objects.all())
    if status:
        if status not in CaptureJob.Status.values:
            raise ValidationError(
                {
                    "status": _("One of: %(values)s.")
                    % {"values": ", ".join(CaptureJob.Status.values)}
                }
            )
        jobs = jobs.filter(status=status)
    if since is not None:
        jobs = jobs.filter(created_at__gte=since)
    return jobs.select_related("organisation", "captured_by").order_by("-created_at", "-pk")


def parse_since(value: str) -> datetime | None:
    """A `since` filter: a date-time or a date (from its start); else a ValidationError."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    value = (value or "").strip().replace(" ", "+")
    if not value:
        return None
    moment = _parse_time(value) or _parse_time(value + "T00:00:00")
    if moment is None:
        raise ValidationError({"since": _("A date (2025-12-03) or a date-time (ISO 8601).")})
    return moment


def capture_job(actor: Actor, capture_id: str | int) -> CaptureJob:
    """One visible capture job, else Http404."""
    require_job_reader(actor)
    if not str(capture_id).isdigit():
        from django.http import Http404

        raise Http404
    return get_visible(actor, CaptureJob.objects.select_related("organisation"), pk=int(capture_id))


def refused_events(
    actor: Actor,
    rule: str = "",
    area: str = "",
    packing_house: str = "",
    since: datetime | None = None,
) -> QuerySet[CaptureRefusal]:
    """The refused events the actor may see (the sender its own, a province those at its
    locations or sent by its organisations), newest first; filtered by rule, the code of a
    planting area or packing house, and the day they were refused from."""
    require_job_reader(actor)
    rows = visible(actor, CaptureRefusal.objects.all())
    if rule:
        rows = rows.filter(rule=rule)
    if area:
        rows = rows.filter(area__code=area)
    if packing_house:
        rows = rows.filter(packing_house__code=packing_house)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows.select_related("area", "packing_house", "capture_org").order_by(
        "-created_at", "-pk"
    )


def refusal_json(row: CaptureRefusal) -> dict:
    return {
        "captureID": str(row.job_id),
        "refusedAt": row.created_at.isoformat(),
        "eventIndex": row.event_index,
        "eventID": row.event_id or None,
        "rule": row.rule,
        "path": row.path,
        "message": row.message,
        "eventType": row.event_type or None,
        "bizStep": row.biz_step or None,
        "eventTime": row.event_time.isoformat() if row.event_time else None,
        "area": row.area.code if row.area_id else None,
        "packingHouse": row.packing_house.code if row.packing_house_id else None,
        "captureOrg": row.capture_org.identifier if row.capture_org_id else None,
    }


def job_summary(job: CaptureJob) -> dict:
    """A line of the capture job list (beside the EPCIS capture job resource)."""
    return {
        "captureID": job.capture_id,
        "status": job.status,
        "createdAt": job.created_at.isoformat(),
        "finishedAt": job.finished_at.isoformat() if job.finished_at else None,
        "organisation": job.organisation.name if job.organisation_id else None,
        "documentID": job.document_id or None,
        "sha256": job.document_sha256 or None,
        "size": job.document_size,
        "eventCount": job.event_count,
        "eventsDone": job.events_done,
        "storedCount": job.stored_count,
        "errorCount": sum(len(m) for m in (job.errors or {}).values()),
    }


def job_detail(job: CaptureJob) -> dict:
    """A capture job with all that is kept of it: the EPCIS resource, the document's hash,
    size and (refused) body, and the refused events."""
    from .jobs import capture_job_json

    refusals = job.refusals.select_related("area", "packing_house", "capture_org").order_by(
        "event_index", "pk"
    )
    return {
        **capture_job_json(job),
        **job_summary(job),
        "errorsByPath": job.errors or {},
        "refusals": [refusal_json(r) for r in refusals[:MAX_REFUSALS]],
        "document": job.document_body or None,
        "bodyTruncated": job.body_truncated,
    }
