"""Capture jobs over the API, refused ones with what was refused (refusals.py), added to the
/api/trace/ router: GET /api/trace/capture-jobs?status=&since= and
GET /api/trace/capture-jobs/{id}, and the refused events themselves (the evidence the misuse
checks read): GET /api/trace/refusals?rule=&area=&packing_house=&since=. The sender sees
its own, a province's authorities their province's. (The EPCIS capture job resource itself
is GET /capture/{id}, api.py.)"""

from django.http import HttpRequest
from ninja import Router

from agritrace.apiutil import actor

from . import refusals

#: Jobs listed per call (newest first; `since` reaches further back).
MAX_LISTED = 500


def add_routes(router: Router) -> None:
    @router.get(
        "/capture-jobs",
        summary="Capture jobs in scope, refused ones included (?status=failed&since=2025-12-01)",
        response=dict,
    )
    def capture_jobs(request: HttpRequest, status: str = "", since: str = ""):
        found = refusals.capture_jobs(actor(request), status, refusals.parse_since(since))
        return {"captureJobs": [refusals.job_summary(j) for j in found[:MAX_LISTED]]}

    @router.get(
        "/capture-jobs/{capture_id}",
        summary="One capture job: errors, document hash, size and body, refused events",
        response=dict,
    )
    def capture_job(request: HttpRequest, capture_id: str):
        return refusals.job_detail(refusals.capture_job(actor(request), capture_id))

    @router.get(
        "/refusals",
        summary="Refused events in scope: rule, area / packing house, event time, sender",
        response=dict,
    )
    def refused(
        request: HttpRequest,
        rule: str = "",
        area: str = "",
        packing_house: str = "",
        since: str = "",
    ):
        found = refusals.refused_events(
            actor(request), rule, area, packing_house, refusals.parse_since(since)
        )
        return {"refusals": [refusals.refusal_json(r) for r in found[:MAX_LISTED]]}
