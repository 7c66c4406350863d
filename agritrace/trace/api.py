"""The EPCIS 2.0 capture and query interface (REST bindings), at /api/trace/ and, under the
standard's own paths, at /epcis/ (urls_epcis.py). Thin: the work is in services."""

from urllib.parse import urlencode

from django.http import HttpRequest, JsonResponse
from ninja import Router

from agritrace.api import actor

from . import services

EPCIS_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}


def _json(data: dict, status: int = 200, **headers: str) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in {**EPCIS_HEADERS, **headers}.items():
        response[name] = value
    return response


def rejection(exc: services.CaptureRejected) -> JsonResponse:
    """A rejected document: 400, RFC 7807 problem JSON naming every failing JSON path."""
    errors = {path: [str(m) for m in msgs] for path, msgs in _error_dict(exc).items()}
    path, messages = next(iter(errors.items()))
    response = _json(
        {
            "type": "epcisException:ValidationException",
            "title": "Invalid EPCIS document",
            "status": 400,
            "detail": f"{path}: {messages[0]}",
            "errors": errors,
        },
        status=400,
    )
    response["Content-Type"] = "application/problem+json"
    return response


def _error_dict(exc) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {f: [m for e in errs for m in e.messages] for f, errs in exc.error_dict.items()}
    return {"$": list(exc.messages)}


def _params(request: HttpRequest) -> dict[str, list[str]]:
    return {key: request.GET.getlist(key) for key in request.GET}


def build_router() -> Router:
    """A router with the EPCIS endpoints (built once per API it is mounted in)."""
    router = Router(tags=["trace (EPCIS 2.0)"])

    @router.post(
        "/capture",
        summary="Capture an EPCISDocument (JSON-LD); all its events or none",
        response={202: dict, 400: dict},
        openapi_extra={
            "requestBody": {
                "content": {"application/ld+json": {"schema": {"type": "object"}}},
                "required": True,
            }
        },
    )
    def capture(request: HttpRequest):
        try:
            job = services.capture(actor(request), request.body)
        except services.CaptureRejected as exc:
            return rejection(exc)
        location = f"{request.path.rstrip('/')}/{job.capture_id}"
        return _json(services.capture_job_json(job), status=202, Location=location)

    @router.get("/capture/{capture_id}", summary="A capture job", response=dict)
    def capture_job(request: HttpRequest, capture_id: str):
        job = services.get_capture_job(actor(request), capture_id)
        return _json(services.capture_job_json(job))

    @router.get(
        "/events",
        summary="Query events (EPCIS simple event query parameters), newest first",
        response=dict,
        openapi_extra={
            "parameters": [
                {"in": "query", "name": name, "required": False, "schema": {"type": "string"}}
                for name in sorted(services.QUERY_PARAMS)
            ]
        },
    )
    def events(request: HttpRequest):
        params = _params(request)
        page, token = services.query(actor(request), params)
        headers = {}
        if token:
            nxt = {k: v for k, v in params.items() if k != "nextPageToken"}
            nxt["nextPageToken"] = [token]
            headers["Link"] = f'<{request.path}?{urlencode(nxt, doseq=True)}>; rel="next"'
        document = services.query_document(page)
        if token:
            document["epcisBody"]["queryResults"]["nextPageToken"] = token
        return _json(document, **headers)

    @router.get("/events/{path:event_id}", summary="One event by its eventID", response=dict)
    def event(request: HttpRequest, event_id: str):
        found = services.get_event(actor(request), event_id)
        return _json(services.event_json(found))

    return router


router = build_router()
