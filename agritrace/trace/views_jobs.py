"""Capture job pages: the documents sent to the capture interface that one may see (the
sender its own, a province's authorities their province's), refused ones with their errors,
hash, size, body and refused events. The work is in trace.refusals."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import refusals
from .models import CaptureJob
from .readable import errors_for_page
from .views_record import _actor

#: Jobs listed on the page (the API lists more, with `since`).
JOBS_SHOWN = 200


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    status = request.GET.get("status", "")
    since_text = request.GET.get("since", "").strip()
    problems: list[str] = []
    try:
        since = refusals.parse_since(since_text)
    except ValidationError as exc:
        problems.extend(m for ms in exc.message_dict.values() for m in ms)
        since, since_text = None, ""
    if status not in CaptureJob.Status.values:
        status = ""
    jobs = refusals.capture_jobs(actor, status, since)
    return render(
        request,
        "trace/capture_jobs.html",
        {
            "jobs": jobs[:JOBS_SHOWN],
            "statuses": CaptureJob.Status.choices,
            "status": status,
            "since": since_text,
            "problems": problems,
        },
    )


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = refusals.capture_job(_actor(request), pk)
    return render(
        request,
        "trace/capture_job.html",
        {
            "job": job,
            "errors": sorted(errors_for_page(job.errors or {}).items()),
            "refusals": job.refusals.select_related("area", "packing_house").order_by(
                "event_index", "pk"
            )[: refusals.MAX_REFUSALS],
            "api_url": f"/api/trace/capture-jobs/{job.pk}",
        },
    )
