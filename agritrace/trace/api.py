"""The EPCIS 2.0 capture and query interface (REST bindings), at /api/trace/ and, under the
standard's own paths, at /epcis/ (urls_epcis.py). Thin: the work is in services."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers
from ninja import Router, Schema, Status

from agritrace.apiutil import actor

from . import capture_jobs as background
from . import epcis_xml, intake, services, xml_capture

EPCIS_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}
#: The capture body's media types as the OpenAPI document lists them (JSON-LD and XML).
_XML_BODY = {
    "schema": {
        "type": "string",
        "description": "An EPCISDocument in the EPCIS 2.0 XML binding "
        "(namespace urn:epcglobal:epcis:xsd:2, GS1's EPCglobal-epcis-2_0.xsd); "
        "no DTD or entity declarations.",
    }
}
_XML_RESULTS = {
    "schema": {
        "type": "string",
        "description": "An EPCISQueryDocument in the EPCIS 2.0 XML binding "
        "(urn:epcglobal:epcis-query:xsd:2), when the Accept header prefers application/xml "
        "or text/xml; CBV values as URNs unless GS1-CBV-XML-Format: Always_Web_URI.",
    }
}
_QUERY_RESPONSES = {
    200: {
        "description": "An EPCISQueryDocument: JSON-LD, or XML when Accept prefers it",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/ld+json": {"schema": {"type": "object"}},
            "application/xml": _XML_RESULTS,
            "text/xml": _XML_RESULTS,
        },
    }
}
_EVENT_RESPONSES = {
    200: {
        "description": "The event (JSON-LD), or an EPCISQueryDocument holding it in XML when "
        "Accept prefers XML",
        "content": _QUERY_RESPONSES[200]["content"],
    }
}
_CBV_XML_FORMAT = {
    "in": "header",
    "name": "GS1-CBV-XML-Format",
    "required": False,
    "description": "For an XML answer: CBV values as URNs (No_Preference, Always_URN, "
    "Never_Translates) or as GS1 Web URIs (Always_Web_URI).",
    "schema": {
        "type": "string",
        "enum": ["No_Preference", "Always_Web_URI", "Always_URN", "Never_Translates"],
    },
}


def _json(data: dict, status: int = 200, **headers: str) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in {**EPCIS_HEADERS, **headers}.items():
        response[name] = value
    return response


def _answer(request: HttpRequest, document: dict, **headers: str) -> HttpResponse:
    """An EPCISQueryDocument as JSON-LD, or as XML when the request's Accept prefers XML
    (content negotiation of the REST bindings); `Vary: Accept` either way."""
    xml_type = epcis_xml.prefers_xml(request.headers.get("Accept"))
    if xml_type is None:
        response = _json(document, **headers)
    else:
        style = epcis_xml.cbv_style(request.headers)
        body = epcis_xml.write(document, style)
        response = HttpResponse(body, content_type=f"{xml_type}; charset=utf-8")
        for name, value in {**EPCIS_HEADERS, **headers}.items():
            response[name] = value
        response["GS1-CBV-XML-Format"] = "Always_Web_URI" if style == "web" else "Always_URN"
    patch_vary_headers(response, ["Accept"])
    return response


def rejection(exc: services.CaptureRejected) -> JsonResponse:
    """A rejected document: 400, RFC 7807 problem JSON naming every failing JSON path."""
    errors = {path: [str(m) for m in msgs] for path, msgs in _error_dict(exc).items()}
    path, messages = next(iter(errors.items()))
    body = {
        "type": "epcisException:ValidationException",
        "title": "Invalid EPCIS document",
        "status": 400,
        "detail": f"{path}: {messages[0]}",
        "errors": errors,
    }
    job = getattr(exc, "capture_job", None)
    if job is not None:
        # The refused document is kept as a failed capture job (refusals.py).
        body["captureID"] = job.capture_id
    response = _json(body, status=400)
    response["Content-Type"] = "application/problem+json"
    return response


def refusal(exc: intake.Refused) -> JsonResponse:
    """A capture request refused before its document is read (media type, size)."""
    body = {"type": exc.exception, "title": exc.title, "status": exc.status, "detail": exc.detail}
    response = _json(body, status=exc.status)
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
        summary="Capture an EPCISDocument (JSON-LD or XML); all its events or none",
        response={202: dict, 400: dict, 413: dict, 415: dict},
        openapi_extra={
            "requestBody": {
                "content": {
                    "application/ld+json": {"schema": {"type": "object"}},
                    "application/json": {"schema": {"type": "object"}},
                    "application/xml": _XML_BODY,
                    "text/xml": _XML_BODY,
                },
                "required": True,
            }
        },
    )
    def capture(request: HttpRequest):
        try:
            body = intake.read_body(request)
            if epcis_xml.is_xml(intake.media_type(request)):
                job = xml_capture.capture_xml(actor(request), body)
            elif background.runs_later(body):
                # A large document: a background capture job, its progress on the job.
                job = background.submit(actor(request), body)
            else:
                job = services.capture(actor(request), body)
        except intake.Refused as exc:
            return refusal(exc)
        except services.CaptureRejected as exc:
            return rejection(exc)
        location = f"{request.path.rstrip('/')}/{job.capture_id}"
        return _json(services.capture_job_json(job), status=202, Location=location)

    @router.get("/capture", summary="Capture jobs, newest first (refused ones too)", response=list)
    def capture_jobs(request: HttpRequest):
        from .refusals import capture_jobs as jobs

        found = jobs(actor(request))[:100]
        response = JsonResponse(
            [services.capture_job_json(j) for j in found],
            safe=False,
            json_dumps_params={"ensure_ascii": False},
        )
        for name, value in EPCIS_HEADERS.items():
            response[name] = value
        return response

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
            + [_CBV_XML_FORMAT],
            "responses": _QUERY_RESPONSES,
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
        return _answer(request, document, **headers)

    @router.get(
        "/events/{path:event_id}",
        summary="One event by its eventID (JSON-LD; XML: an EPCISQueryDocument holding it)",
        response=dict,
        openapi_extra={"parameters": [_CBV_XML_FORMAT], "responses": _EVENT_RESPONSES},
    )
    def event(request: HttpRequest, event_id: str):
        found = services.get_event(actor(request), event_id)
        if epcis_xml.prefers_xml(request.headers.get("Accept")):
            return _answer(request, services.query_document([found]))
        response = _json(services.event_json(found))
        patch_vary_headers(response, ["Accept"])
        return response

    return router


class RecallIn(Schema):
    sample: int | None = None
    notice: int | None = None
    reason: str = ""


class RecallCloseIn(Schema):
    outcome: str  # completed | lifted
    note: str = ""


class PackOutFactorIn(Schema):
    factor: str | float
    source: str = ""
    source_date: str | None = None


def add_domain_routes(router: Router) -> Router:
    """What AgriTrace adds beside the EPCIS interface (at /api/trace/ only): recalls, a lot's
    recall status, the flags of the domain checks and the crops' pack-out factors."""
    from django.core.exceptions import ValidationError
    from django.shortcuts import get_object_or_404

    from agritrace.accounts.access import require, visible
    from agritrace.audit.services import record, snapshot
    from agritrace.registry.models import Crop

    from . import recall as recalls
    from .models import EventFlag, PackOutFactor

    @router.post(
        "/recalls",
        summary="Start a recall from a failed residue sample or a notice (province, PPO)",
        response={201: dict},
    )
    def start_recall(request: HttpRequest, payload: RecallIn):
        found = recalls.start_recall(
            actor(request),
            sample_id=payload.sample,
            notice_id=payload.notice,
            reason=payload.reason,
        )
        return Status(201, recalls.recall_json(found))

    @router.get("/recalls", summary="Recalls in one's scope, newest first", response=dict)
    def list_recalls(request: HttpRequest):
        items = recalls.recalls(actor(request)).select_related("sample", "created_org")[:200]
        return {"recalls": [recalls.recall_json(r, with_lots=False) for r in items]}

    @router.get("/recalls/{recall_id}", summary="One recall with its lots", response=dict)
    def one_recall(request: HttpRequest, recall_id: int):
        found = get_object_or_404(recalls.recalls(actor(request)), pk=recall_id)
        return recalls.recall_json(found)

    @router.post(
        "/recalls/{recall_id}/close",
        summary="Close a recall: completed (lots stay recalled) or lifted (released)",
        response=dict,
    )
    def close_recall(request: HttpRequest, recall_id: int, payload: RecallCloseIn):
        found = recalls.close_recall(
            actor(request), recall_id, outcome=payload.outcome, note=payload.note
        )
        return recalls.recall_json(found)

    @router.get("/lot-status", summary="Is a lot recalled? (?uri=…)", response=dict)
    def lot_status(request: HttpRequest, uri: str):
        if actor(request).is_public:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return recalls.lot_status(uri)

    @router.get("/flags", summary="Flags of the domain checks on events in scope", response=dict)
    def flags(request: HttpRequest, rule: str = "", event: str = ""):
        found = visible(actor(request), EventFlag.objects.all()).select_related("event", "lot")
        if rule:
            found = found.filter(rule=rule)
        if event:
            found = found.filter(event__event_id=event)
        return {
            "flags": [
                {
                    "eventID": f.event.event_id,
                    "rule": f.rule,
                    "severity": f.severity,
                    "message": f.message,
                    "path": f.path,
                    "lot": f.lot.uri if f.lot_id else None,
                    "createdAt": f.created_at.isoformat(),
                }
                for f in found.order_by("-created_at", "-pk")[:500]
            ]
        }

    def _factor_json(crop: Crop) -> dict:
        from .checks import DEFAULT_PACK_OUT_FACTOR

        row = PackOutFactor.objects.filter(crop=crop).first()
        return {
            "crop": crop.code,
            "factor": str(row.factor if row else DEFAULT_PACK_OUT_FACTOR),
            "source": row.source if row else "default",
            "sourceDate": row.source_date.isoformat() if row and row.source_date else None,
        }

    @router.get("/pack-out-factors", summary="Pack-out factor per crop", response=dict)
    def pack_out_factors(request: HttpRequest):
        actor(request)
        return {"factors": [_factor_json(c) for c in Crop.objects.order_by("code")]}

    @router.put(
        "/pack-out-factors/{crop_code}",
        summary="Set a crop's pack-out factor, with its source (ministry, province, PPO)",
        response=dict,
    )
    def set_pack_out_factor(request: HttpRequest, crop_code: str, body: PackOutFactorIn):
        from datetime import date
        from decimal import Decimal, InvalidOperation

        who = actor(request)
        require(who, "manage_catalogue")
        payload = body.model_dump()
        crop = get_object_or_404(Crop, code=crop_code)
        errors: dict[str, list[str]] = {}
        try:
            factor = Decimal(str(payload.get("factor")))
            if not (Decimal("0.01") <= factor <= Decimal("10")):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors["factor"] = ["A number between 0.01 and 10."]
        source = str(payload.get("source") or "").strip()
        if not source:
            errors["source"] = ["Say where the figure comes from."]
        source_date = None
        if payload.get("source_date"):
            try:
                source_date = date.fromisoformat(str(payload["source_date"]))
            except ValueError:
                errors["source_date"] = ["A date (YYYY-MM-DD)."]
        if errors:
            raise ValidationError(errors)
        row, _created = PackOutFactor.objects.get_or_create(
            crop=crop, defaults={"factor": factor, "source": source}
        )
        before = snapshot(row)
        row.factor, row.source, row.source_date = factor, source, source_date
        row.save()
        record(who.user, "trace.pack_out_factor", row, before, snapshot(row), source)
        return _factor_json(crop)

    return router


router = add_domain_routes(build_router())


def _add_trace_routes() -> None:
    from . import api_import, api_jobs, api_trace

    api_trace.add_routes(router)
    api_jobs.add_routes(router)
    api_import.add_routes(router)


_add_trace_routes()
