"""Stamp API at /api/stamps/. For packing houses and exporters (token or session): request
stamps, list batches, void, the CSV of serials. Public (no authentication needed, rate
limited): the lookup of a stamp by its Digital Link URI or serial, for importers' systems
(counted as a scan, with the calling organisation as the client; never cached), and of a
planting-area / packing-house code (cacheable)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Schema, Status

from agritrace.accounts.access import Actor
from agritrace.accounts.models import ApiToken
from agritrace.apiutil import actor

from . import issuers, services
from .services import Status as Verdict
from .views import client_of, retry_after, too_many_json

router = Router(tags=["stamps"])

#: HTTP status of a public lookup per status: a malformed request is 400, a signature that
#: does not match 422, a stamp or code that does not exist 404; every other verdict (recalled,
#: revoked, voided, suspected copy…) is an answer about a real stamp, 200.
LOOKUP_HTTP = {Verdict.MALFORMED: 400, Verdict.FORGED: 422, Verdict.UNKNOWN: 404}


class StampRequestIn(Schema):
    lot: str
    count: int


class VoidIn(Schema):
    serials: list[str]
    reason: str


def batch_json(batch) -> dict:
    return {
        "id": batch.pk,
        "lot": batch.lot.uri,
        "lot_code": batch.lot_code,
        "count": batch.count,
        "packing_house": batch.packing_house.code if batch.packing_house_id else None,
        "requested_by": batch.requested_by.name,
        "created_at": batch.created_at.isoformat(),
        "serials_csv": f"/api/stamps/batches/{batch.pk}/serials.csv",
    }


@router.post(
    "/batches",
    response={201: dict},
    summary="Request stamps for a lot packed by one's packing house or owned by one's organisation",
)
def request_stamps(request: HttpRequest, data: StampRequestIn):
    try:
        batch = services.request_stamps(actor(request), data.lot, data.count)
    except issuers.LotNotStampable as exc:
        # Not found for this organisation, said as a sentence on the field.
        return JsonResponse({"detail": exc.message, "errors": {"lot": [exc.message]}}, status=404)
    return Status(201, batch_json(batch))


@router.get("/batches", response=list[dict], summary="Stamp batches in scope")
def list_batches(request: HttpRequest):
    return [batch_json(b) for b in services.batches(actor(request))[:500]]


@router.get("/batches/{batch_id}", response=dict, summary="One stamp batch")
def get_batch(request: HttpRequest, batch_id: str):
    return batch_json(services.get_batch(actor(request), batch_id))


@router.get("/batches/{batch_id}/serials.csv", summary="Serials and URIs for a label printer")
def batch_csv(request: HttpRequest, batch_id: str) -> HttpResponse:
    who = actor(request)
    batch = services.get_batch(who, batch_id)
    response = HttpResponse(services.export_csv(who, batch), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="stamps-{batch.pk}.csv"'
    return response


@router.post("/void", response=dict, summary="Void stamps (damaged labels)")
def void(request: HttpRequest, data: VoidIn):
    return {"voided": services.void_stamps(actor(request), data.serials, data.reason)}


# ------------------------------------------------------------------ public


def _public(request: HttpRequest, body: dict, status: int, max_age: int) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = f"public, max-age={max_age}" if status < 500 else "no-store"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _calling_organisation(request: HttpRequest):
    """The organisation behind a lookup: by its API token (the lookup needs none, so a bad or
    revoked token only makes it anonymous) or the logged-in person's; None for the public."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer ":
        token = ApiToken.find_active(header[7:].strip())
        if token is not None:
            return token.organisation
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Actor.of(user).organisation
    return None


def lookup_client(request: HttpRequest) -> str:
    """Who a lookup is counted for: the calling organisation ("org:<identifier>"), else the
    salted hash of the anonymous client, as the public page counts it."""
    org = _calling_organisation(request)
    return services.organisation_client(org) if org is not None else client_of(request)


def _limited(request: HttpRequest, client: str | None = None) -> JsonResponse | None:
    wait = retry_after(client or client_of(request))
    return too_many_json(wait) if wait else None


def lookup_json(result: services.Lookup) -> dict:
    """What an importer's system needs: the verdict, the stamp, the lot and its origin."""
    body: dict = {"status": result.status}
    if result.problem:
        body["problem"] = result.problem
    if result.link is not None and result.status != Verdict.MALFORMED:
        body["serial"] = result.link.serial
        body["lot"] = result.link.lot
        body["gtin"] = result.link.gtin
    if result.stamp is not None:
        body["uri"] = result.link.uri()
        body["stamp_status"] = result.stamp.status
        body["suspected_copy"] = result.stamp.suspected_copy_at is not None
    summary = result.summary
    if summary:
        body["lot_uri"] = summary["lot_uri"]
        body["product"] = {"vi": summary["crop_vi"], "en": summary["crop_en"]}
        body["variety"] = summary["variety"]
        body["planting_areas"] = [
            {
                "code": a["code"],
                "status": a["status"],
                "commune": a["commune"],
                "province": a["province"],
                "certificates": a["certificates"],
            }
            for a in summary["areas"]
        ]
        body["packing_house"] = summary["packing_house"]
        body["harvest_from"] = summary["harvest_from"]
        body["harvest_to"] = summary["harvest_to"]
        body["pack_date"] = summary["pack_date"]
        body["inspections"] = summary["inspections"]
        body["chain"] = summary["timeline"]
        body["recalled"] = bool(summary["recall"])
    return body


@router.get(
    "/lookup",
    auth=None,
    summary="Check a stamp by its Digital Link URI (?uri=) or serial (?serial=)",
    response={200: dict, 400: dict, 404: dict, 422: dict, 429: dict},
)
def lookup(request: HttpRequest, uri: str = "", serial: str = ""):
    """Every lookup that finds a stamp is counted as a scan (`stamps.Scan`), with the calling
    organisation as the client when the system authenticates (a bearer token), so copy
    detection sees importers' checks too. Never cached: each check must reach the count."""
    client = lookup_client(request)
    limited = _limited(request, client)
    if limited:
        return limited
    if uri:
        result = services.lookup_uri(uri[: 4 * 1024])
    elif serial:
        result = services.lookup_serial(serial[:64])
    else:
        return _uncached(
            _public(request, {"status": Verdict.MALFORMED, "problem": "empty"}, 400, 0)
        )
    services.log_scan(result, client)
    return _uncached(_public(request, lookup_json(result), LOOKUP_HTTP.get(result.status, 200), 0))


def _uncached(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    response["Vary"] = "Authorization, Cookie"
    return response


@router.get(
    "/codes/{code}",
    auth=None,
    summary="A planting-area or packing-house code: its status and markets",
    response={200: dict, 404: dict, 429: dict},
)
def code(request: HttpRequest, code: str):
    limited = _limited(request)
    if limited:
        return limited
    row = services.public_code(code[:64])
    if row is None:
        return _public(request, {"detail": "Not found.", "code": code[:64]}, 404, 60)
    return _public(request, row, 200, 300)
