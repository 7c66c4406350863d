"""The EUDR API (mounted at /api/eudr/): a lot's due-diligence statement fields, its
geolocation as the EU Information System's GeoJSON (application/geo+json) and its PDF
summary; the lots one may export; the forest baseline layers (list, import). Thin: access is
`eudr.access` (401 unsigned, 403 for those who use none of it, 404 out of scope), rules are
in `export` and `baseline` (422 naming the field)."""

from datetime import date

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from agritrace.apiutil import actor
from agritrace.paging import Paging

from . import access, audit, baseline, export, pdf
from .models import ForestBaseline

router = Router(tags=["eudr"])

GEOJSON = "application/geo+json"


class EudrLotOut(Schema):
    lot: str
    crop: str | None
    first_seen: str | None

    @staticmethod
    def resolve_lot(obj) -> str:
        return obj.uri

    @staticmethod
    def resolve_crop(obj) -> str | None:
        return obj.crop.code if obj.crop_id else None

    @staticmethod
    def resolve_first_seen(obj) -> str | None:
        return obj.first_seen.isoformat() if obj.first_seen else None


class ForestBaselineIn(Schema):
    name: str
    source: str
    source_date: date
    geojson: dict


class ForestBaselineOut(Schema):
    id: int
    name: str
    source: str
    source_date: date
    province: str
    feature_count: int
    area_ha: float
    bbox: list[float]
    imported_at: str


def _baseline_out(layer: ForestBaseline) -> dict:
    return {
        "id": layer.pk,
        "name": layer.name,
        "source": layer.source,
        "source_date": layer.source_date,
        "province": layer.province.name,
        "feature_count": layer.feature_count,
        "area_ha": round(layer.area_ha, 4),
        "bbox": [layer.min_lon, layer.min_lat, layer.max_lon, layer.max_lat],
        "imported_at": layer.imported_at.isoformat(),
    }


def _filename(s: export.Statement, extension: str) -> str:
    code = s.lot.uri.rsplit(":", 1)[-1].rsplit("/", 1)[-1] or "lot"
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in code)
    return f"eudr-{safe}.{extension}"


@router.get("/lots", response=list[EudrLotOut])
@paginate(Paging)
def list_lots(request: HttpRequest):
    """The shipped lots one may export, newest first."""
    return access.shipped_lots(actor(request))


@router.get("/lots/{path:lot}/statement", response=dict)
def lot_statement(request: HttpRequest, lot: str, hs_code: str = ""):
    """The due-diligence statement's fields for the lot (operator, activity, HS code,
    description, net mass, country of production, the plots and the forest flags)."""
    s = export.statement(actor(request), lot, hs_code or None)
    return {**s.fields(), "geojson": s.feature_collection()}


@router.get(
    "/lots/{path:lot}/geojson",
    openapi_extra={"responses": {200: {"description": "GeoJSON", "content": {GEOJSON: {}}}}},
)
def lot_geojson(request: HttpRequest, lot: str, hs_code: str = "", strict: bool = False):
    """The lot's plots as the EU Information System's GeoJSON (RFC 7946); `strict=true`
    leaves out AgriTrace's own properties. Audited."""
    who = actor(request)
    s = export.statement(who, lot, hs_code or None)
    text = s.geojson_text(strict)
    audit.exported(who, s, "geojson", text.encode())
    response = HttpResponse(text, content_type=GEOJSON)
    response["Content-Disposition"] = f'attachment; filename="{_filename(s, "geojson")}"'
    return response


@router.get(
    "/lots/{path:lot}/statement.pdf",
    openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}},
)
def lot_pdf(request: HttpRequest, lot: str, hs_code: str = ""):
    """A PDF summary of the statement: the fields, the plot table and the forest flags."""
    who = actor(request)
    s = export.statement(who, lot, hs_code or None)
    body = pdf.statement_pdf(s)
    audit.exported(who, s, "pdf", body)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(s, "pdf")}"'
    return response


@router.get("/forest-baselines", response=list[ForestBaselineOut])
@paginate(Paging)
def list_baselines(request: HttpRequest):
    """The forest baseline layers one may see (the province's own; the ministry's and an
    exporter's: every province's)."""
    layers = access.baselines_in_scope(
        actor(request), ForestBaseline.objects.select_related("province")
    )
    return [_baseline_out(x) for x in layers]


@router.post("/forest-baselines", response={201: ForestBaselineOut})
def import_baseline(request: HttpRequest, payload: ForestBaselineIn):
    """Import a forest baseline layer for one's province: a GeoJSON FeatureCollection of
    Polygon/MultiPolygon features in WGS 84; all or nothing, each problem named by its field
    (`geojson.features[3].geometry.coordinates[0]`) and rule. Audited."""
    layer = baseline.import_layer(
        actor(request),
        baseline.LayerIn(payload.name, payload.source, payload.source_date, payload.geojson),
    )
    return Status(201, _baseline_out(layer))
