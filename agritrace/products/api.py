"""The products API under /api/products/: the catalogue (products, kinds, processing
relations, the plan's minimum-data checklist), processing facilities (register, list),
production units (register, list, record a harvest), processing steps, and a lot's
minimum-data completeness. Errors: 422 naming the field, 403 for a role that may not, 404
outside the caller's scope."""

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from agritrace.accounts.access import get_visible, visible
from agritrace.apiutil import actor

from . import completeness, processing, registration
from .catalogue import data as catalogue_data
from .models import ProcessingFacility, ProcessingRelation, Product, ProductionUnit

router = Router(tags=["products"])


class ProductOut(Schema):
    code: str
    name_vi: str
    name_en: str
    kind: str
    source: str


class RelationOut(Schema):
    input: str
    output: str
    ratio: Decimal | None = Field(None, description="Empty: configurable (no source gives one)")
    source: str


class MinimumDataItemOut(Schema):
    key: str
    number: str
    vi: str
    en: str


class ProductCatalogueOut(Schema):
    products: list[ProductOut]
    relations: list[RelationOut]
    minimum_data: list[MinimumDataItemOut]
    minimum_data_source: str


class RatioIn(Schema):
    input: str
    output: str
    ratio: Decimal | None = Field(None, description="kg out per kg in; empty: configurable")
    source: str


class FacilityIn(Schema):
    name: str
    address: str
    capacity_t_per_day: Decimal
    commune: int | None = None
    commune_code: str | None = None
    commune_name: str | None = None
    province_name: str | None = None
    operator: int | None = None
    code: str | None = Field(None, description="The facility code the province issued, if any")
    products: list[str] = []
    lon: float | None = None
    lat: float | None = None


class FacilityOut(Schema):
    id: int
    name: str
    identifier: str
    code: str | None
    operator: str
    commune: str
    province: str
    address: str
    capacity_t_per_day: Decimal
    products: list[str]


class ProductionUnitIn(Schema):
    kind: str
    identifier: str
    name: str
    product: str
    geometry: dict
    commune: int | None = None
    commune_code: str | None = None
    owner_household: int | None = None
    owner_org: int | None = None


class ProductionUnitOut(Schema):
    id: int
    kind: str
    identifier: str
    name: str
    product: str
    commune: str
    lon: float
    lat: float
    area_m2: float | None


class QuantityIn(Schema):
    lot: str
    quantity: Decimal
    unit: str = "KGM"


class ProcessingIn(Schema):
    facility: int
    product: str
    inputs: list[QuantityIn]
    output_lot: str = ""
    output_quantity: Decimal
    output_unit: str = "KGM"
    when: datetime | None = None


class UnitHarvestIn(Schema):
    quantity: Decimal
    unit: str = "KGM"
    lot: str = ""
    harvest_date: datetime | None = None


class RecordedOut(Schema):
    lot: str
    code: str
    event_id: str


class CompletenessItemOut(Schema):
    key: str
    number: str
    label: str
    complete: bool
    missing: list[str]


class CompletenessOut(Schema):
    lot: str
    product: str | None
    complete: bool
    items: list[CompletenessItemOut]


def _facility_out(f: ProcessingFacility) -> dict:
    return {
        "id": f.pk,
        "name": f.name,
        "identifier": f.identifier,
        "code": f.code,
        "operator": f.operator.name,
        "commune": f.commune.name,
        "province": f.commune.province.name,
        "address": f.address,
        "capacity_t_per_day": f.capacity_t_per_day,
        "products": [c.code for c in f.products.all()],
    }


def _unit_out(u: ProductionUnit) -> dict:
    return {
        "id": u.pk,
        "kind": u.kind,
        "identifier": u.identifier,
        "name": u.name,
        "product": u.product.code,
        "commune": u.commune.name,
        "lon": u.lon,
        "lat": u.lat,
        "area_m2": u.area_m2,
    }


def _recorded(made: processing.Recorded) -> dict:
    from agritrace.trace.builders import lot_code

    return {"lot": made.lot, "code": lot_code(made.lot), "event_id": made.event_id}


def _facilities():
    return ProcessingFacility.objects.select_related("operator", "commune__parent")


@router.get("/catalogue", response=ProductCatalogueOut, auth=None)
def catalogue(request: HttpRequest):
    return {
        "products": [
            {
                "code": p.crop.code,
                "name_vi": p.crop.name_vi,
                "name_en": p.crop.name_en,
                "kind": p.kind,
                "source": p.source,
            }
            for p in Product.objects.select_related("crop")
        ],
        "relations": [
            {"input": r.input.code, "output": r.output.code, "ratio": r.ratio, "source": r.source}
            for r in ProcessingRelation.objects.select_related("input", "output")
        ],
        "minimum_data": catalogue_data()["minimum_data"]["items"],
        "minimum_data_source": catalogue_data()["minimum_data"]["source"],
    }


@router.post("/relations/ratio", response=RelationOut)
def set_ratio(request: HttpRequest, payload: RatioIn):
    """The authority sets a processing's typical ratio with its source (audited)."""
    r = registration.set_ratio(
        actor(request), payload.input, payload.output, payload.ratio, payload.source
    )
    return {"input": r.input.code, "output": r.output.code, "ratio": r.ratio, "source": r.source}


@router.get("/facilities", response=list[FacilityOut])
def list_facilities(request: HttpRequest):
    return [_facility_out(f) for f in visible(actor(request), _facilities())]


@router.post("/facilities", response={201: FacilityOut})
def register_facility(request: HttpRequest, payload: FacilityIn):
    facility = registration.register_facility(actor(request), payload.model_dump())
    return Status(201, _facility_out(facility))


@router.get("/facilities/{facility_id}", response=FacilityOut)
def get_facility(request: HttpRequest, facility_id: int):
    return _facility_out(get_visible(actor(request), _facilities(), pk=facility_id))


@router.get("/units", response=list[ProductionUnitOut])
def list_units(request: HttpRequest):
    units = ProductionUnit.objects.select_related("product", "commune")
    return [_unit_out(u) for u in visible(actor(request), units)]


@router.post("/units", response={201: ProductionUnitOut})
def register_unit(request: HttpRequest, payload: ProductionUnitIn):
    return Status(201, _unit_out(registration.register_unit(actor(request), payload.model_dump())))


@router.post("/units/{unit_id}/harvests", response={201: RecordedOut})
def unit_harvest(request: HttpRequest, unit_id: int, payload: UnitHarvestIn):
    current = actor(request)
    units = ProductionUnit.objects.select_related("product", "commune", "owner_household")
    unit = get_visible(current, units, pk=unit_id)
    made = processing.record_unit_harvest(current, unit, payload.model_dump())
    return Status(201, _recorded(made))


@router.post("/processing", response={201: RecordedOut})
def record_processing(request: HttpRequest, payload: ProcessingIn):
    made = processing.record_processing(actor(request), payload.model_dump())
    return Status(201, _recorded(made))


@router.get("/lots/completeness", response=CompletenessOut)
def lot_completeness(request: HttpRequest, uri: str):
    from agritrace.trace.chain import find_lot

    return completeness.check(find_lot(actor(request), uri)).as_dict()
