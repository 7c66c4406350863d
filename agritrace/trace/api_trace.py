"""The JSON trace API and the key data elements export, added to the /api/trace/ router:
GET /api/trace/lots/{uri}/trace?direction=backward|forward, GET /api/trace/lots/{uri}/kde,
GET /api/trace/areas/{id}/trace, GET /api/trace/samples/{id}/trace,
GET /api/trace/kde?start=&end=. Scoped: a lot outside the
caller's scope is 404."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router

from agritrace.accounts.access import get_visible
from agritrace.apiutil import actor
from agritrace.registry.models import PlantingArea

from . import chain, export


def _tracer(request: HttpRequest):
    current = actor(request)
    if not chain.may_trace(current):
        raise PermissionDenied(_("Your organisation does not trace lots."))
    return current


def _json(data: dict) -> JsonResponse:
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _format(value: str) -> str:
    if value not in ("xlsx", "csv"):
        raise ValidationError({"format": [_("Use xlsx or csv.")]})
    return value


def add_routes(router: Router) -> None:
    @router.get(
        "/lots/{path:uri}/trace",
        summary="A lot's chain: backward (where it came from) or forward (where it went)",
        response=dict,
    )
    def lot_trace(request: HttpRequest, uri: str, direction: str = "backward"):
        if direction not in ("backward", "forward"):
            raise ValidationError({"direction": [_("Use backward or forward.")]})
        who = _tracer(request)
        found = chain.backward(who, uri) if direction == "backward" else chain.forward(who, uri)
        return _json(found.as_dict())

    @router.get(
        "/lots/{path:uri}/kde",
        summary="FSMA 204 key data elements of a lot's chain (XLSX or CSV)",
    )
    def lot_kde(request: HttpRequest, uri: str, format: str = "xlsx"):
        fmt = _format(format)
        return export.download(export.lot_rows(_tracer(request), uri), fmt, "fsma204-kde-lot")

    @router.get(
        "/areas/{int:area_id}/trace",
        summary="Forward trace of a planting area: every lot, shipment and destination",
        response=dict,
    )
    def area_trace(request: HttpRequest, area_id: int):
        who = _tracer(request)
        area = get_visible(who, PlantingArea.objects.all(), pk=area_id)
        found = chain.build(who, chain.harvest_lots_of_area(area), "forward", "")
        return _json(found.as_dict())

    @router.get(
        "/samples/{int:sample_id}/trace",
        summary="Forward trace of a residue sample, as a recall would go (nothing is marked)",
        response=dict,
    )
    def sample_trace(request: HttpRequest, sample_id: int):
        from agritrace.supervision.models import Sample

        from .recall import start_of_sample

        who = _tracer(request)
        sample = get_visible(who, Sample.objects.select_related("area"), pk=sample_id)
        start, _areas, origin = start_of_sample(sample)
        return _json({**chain.build(who, start, "forward", "").as_dict(), "startedFrom": origin})

    @router.get(
        "/kde",
        summary="FSMA 204 key data elements of the events in a time range (XLSX or CSV)",
    )
    def range_kde(request: HttpRequest, start: date, end: date, format: str = "xlsx"):
        fmt = _format(format)
        if end < start:
            raise ValidationError({"end": [_("The end is before the start.")]})
        events = export.range_events(_tracer(request), start, end)
        return export.download(export.rows_for(events), fmt, f"fsma204-kde-{start}-{end}")
