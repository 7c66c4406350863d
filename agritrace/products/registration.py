"""Registering processing facilities and non-crop production units, like packing houses: the
same commune look-up, position check, territorial scope, permission rules and audit entry.

A facility's code is the one its province issues, where the province issues one: only the
province's authorities enter it, as issued. Its format is not known to this service
(configurable: `AGRITRACE_FACILITY_CODE_PATTERN`, a regular expression; empty, any 2-40
letters, digits, '-', '.'). A production unit's identifier is its own (a forest plot's number,
a pond's code), with the same configurable check (`AGRITRACE_PRODUCTION_UNIT_ID_PATTERN`)."""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, require
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.places.models import AdminUnit
from agritrace.places.services import resolve_place
from agritrace.registry import geometry as geo
from agritrace.registry.models import Crop, Household
from agritrace.registry.positions import check_position

from .models import ProcessingFacility, ProductionUnit, UnitKind

_DEFAULT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9.\-]{1,39}"


def _pattern(setting: str) -> re.Pattern:
    return re.compile(getattr(settings, setting, "") or _DEFAULT_PATTERN)


def _commune(actor: Actor, data: dict) -> AdminUnit:
    """The commune named by id, official code or name + province, in the actor's scope."""
    if data.get("commune") not in (None, ""):
        unit = AdminUnit.objects.select_related("parent").filter(pk=data["commune"]).first()
    else:
        unit = resolve_place(
            data.get("commune_code"), data.get("commune_name"), data.get("province_name")
        )
    if unit is None or unit.parent_id is None:
        raise ValidationError({"commune": _("Choose the commune.")})
    if actor.kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION) and (
        unit.parent_id != actor.province_id
    ):
        raise ValidationError({"commune": _("This commune is outside your province.")})
    return unit


def _text(data: dict, key: str, errors: dict, message: str) -> str:
    value = str(data.get(key) or "").strip()
    if not value:
        errors[key] = message
    return value


def _next_identifier(commune: AdminUnit) -> str:
    prefix = f"{commune.code}-PF-"
    serial = ProcessingFacility.objects.filter(identifier__startswith=prefix).count() + 1
    while ProcessingFacility.objects.filter(identifier=f"{prefix}{serial:04d}").exists():
        serial += 1
    return f"{prefix}{serial:04d}"


def _products(ids, errors: dict, key: str = "products") -> list[Crop]:
    ids = [i for i in (ids or []) if i not in (None, "")]
    crops = list(Crop.objects.filter(code__in=[str(i) for i in ids]))
    crops += list(Crop.objects.filter(pk__in=[i for i in ids if str(i).isdigit()]))
    found = {c.code for c in crops} | {str(c.pk) for c in crops}
    unknown = [str(i) for i in ids if str(i) not in found]
    if unknown:
        errors[key] = _("Not a product of the catalogue: %(codes)s.") % {
            "codes": ", ".join(unknown)
        }
    return list({c.pk: c for c in crops}.values())


def register_facility(actor: Actor, data: dict) -> ProcessingFacility:
    """A processing facility: a processor registers its own; the province's authorities
    register one for a processor of their province and may enter the code they issued."""
    require(actor, "register_facility")
    errors: dict = {}
    name = _text(data, "name", errors, _("Give the facility a name."))
    address = _text(data, "address", errors, _("The address is required."))
    try:
        capacity = Decimal(str(data.get("capacity_t_per_day")))
        if not capacity.is_finite() or capacity <= 0 or capacity > 10000:
            errors["capacity_t_per_day"] = _("Capacity is a number of tonnes a day above zero.")
    except (ArithmeticError, ValueError, TypeError):
        errors["capacity_t_per_day"] = _("Capacity must be a number.")
        capacity = None
    lon, lat = check_position(data.get("lon"), data.get("lat"), errors)
    code = str(data.get("code") or "").strip() or None
    if code is not None:
        if actor.kind == OrgKind.PROCESSOR:
            errors["code"] = _("The facility code is entered by the province that issues it.")
        elif not _pattern("AGRITRACE_FACILITY_CODE_PATTERN").fullmatch(code):
            errors["code"] = _("This is not a facility code of the configured format.")
        elif ProcessingFacility.objects.filter(code=code).exists():
            errors["code"] = _("Another facility has this code.")
    products = _products(data.get("products"), errors)
    if errors:
        raise ValidationError(errors)
    commune = _commune(actor, data)
    if actor.kind == OrgKind.PROCESSOR:
        operator = actor.organisation
    else:
        operator = Organisation.objects.filter(
            pk=data.get("operator"), kind=OrgKind.PROCESSOR
        ).first()
        if operator is None:
            raise ValidationError({"operator": _("Choose the processing organisation.")})
        if operator.unit.province.pk != actor.province_id:
            raise ValidationError({"operator": _("This organisation is outside your province.")})
    with transaction.atomic():
        facility = ProcessingFacility.objects.create(
            name=name,
            operator=operator,
            commune=commune,
            address=address,
            lon=lon,
            lat=lat,
            capacity_t_per_day=capacity,
            code=code,
            identifier=_next_identifier(commune),
        )
        facility.products.set(products)
        record(actor.user, "processing_facility.create", facility, None, snapshot(facility))
    return facility


def _geometry(value, errors: dict) -> tuple[dict, float, float, float | None]:
    """(GeoJSON, lon, lat, area m²) of a Polygon (checked as plots are) or a Point."""
    if isinstance(value, dict) and value.get("type") == "Point":
        position = value.get("coordinates") or []
        if not isinstance(position, list) or len(position) < 2:
            errors["geometry"] = _("A point needs a longitude and a latitude.")
            return {}, 0.0, 0.0, None
        lon, lat = check_position(position[0], position[1], errors, lon_field="geometry")
        if "geometry" in errors or lon is None:
            return {}, 0.0, 0.0, None
        return {"type": "Point", "coordinates": [lon, lat]}, lon, lat, None
    try:
        shape = geo.parse_geojson(value)
    except geo.GeometryError as exc:
        errors["geometry"] = str(exc)
        return {}, 0.0, 0.0, None
    lon, lat = geo.centroid(shape)
    return geo.to_geojson(shape), lon, lat, geo.geodesic_area_m2(shape)


def register_unit(actor: Actor, data: dict) -> ProductionUnit:
    """A forest plot or fishpond: its kind, own identifier, product, polygon or point and
    owner (a household of the representative, or an organisation)."""
    require(actor, "register_production_unit")
    errors: dict = {}
    kind = str(data.get("kind") or "")
    if kind not in UnitKind.values:
        errors["kind"] = _("Choose a forest plot or a fishpond.")
    identifier = _text(data, "identifier", errors, _("Give the unit's identifier."))
    if identifier and not _pattern("AGRITRACE_PRODUCTION_UNIT_ID_PATTERN").fullmatch(identifier):
        errors["identifier"] = _("This is not an identifier of the configured format.")
    elif identifier and ProductionUnit.objects.filter(identifier=identifier).exists():
        errors["identifier"] = _("Another production unit has this identifier.")
    name = _text(data, "name", errors, _("Give the unit a name."))
    products = _products([data.get("product")], errors, "product") if data.get("product") else []
    if not products and "product" not in errors:
        errors["product"] = _("Choose the unit's product.")
    shape, lon, lat, area = _geometry(data.get("geometry"), errors)
    household = None
    if data.get("owner_household") not in (None, ""):
        household = Household.objects.filter(pk=data["owner_household"]).first()
        if household is None or (
            actor.kind == OrgKind.REPRESENTATIVE
            and household.representative_id != actor.organisation.pk
        ):
            errors["owner_household"] = _("Choose one of your member households.")
    if errors:
        raise ValidationError(errors)
    commune = _commune(actor, data)
    owner_org = actor.organisation if actor.kind == OrgKind.REPRESENTATIVE else None
    if owner_org is None and household is None:
        owner_org = Organisation.objects.filter(pk=data.get("owner_org")).first()
        if owner_org is None:
            raise ValidationError({"owner_org": _("Name the unit's owner.")})
    with transaction.atomic():
        unit = ProductionUnit.objects.create(
            kind=kind,
            identifier=identifier,
            name=name,
            product=products[0],
            commune=commune,
            owner_household=household,
            owner_org=owner_org if household is None else None,
            geometry=shape,
            lon=lon,
            lat=lat,
            area_m2=area,
        )
        record(actor.user, "production_unit.create", unit, None, snapshot(unit))
    return unit


def set_ratio(actor: Actor, input_code: str, output_code: str, ratio, source: str):
    """The authority sets a processing relation's typical ratio (kg out per kg in), with the
    source it comes from (audited); None sets it back to configurable."""
    from .models import ProcessingRelation

    require(actor, "manage_catalogue")
    relation = ProcessingRelation.objects.filter(
        input__code=input_code, output__code=output_code
    ).first()
    if relation is None:
        raise ValidationError({"relation": _("The catalogue has no such processing.")})
    errors: dict = {}
    value = None
    if ratio not in (None, ""):
        try:
            value = Decimal(str(ratio))
        except (ArithmeticError, ValueError, TypeError):
            value = Decimal(-1)
        if not value.is_finite() or not Decimal(0) < value <= Decimal(10):
            errors["ratio"] = _("The ratio is a number of kilograms out per kilogram in, 0-10.")
    source = str(source or "").strip()
    if not source:
        errors["source"] = _("Say where the ratio comes from.")
    if errors:
        raise ValidationError(errors)
    before = snapshot(relation)
    relation.ratio, relation.source = value, source[:300]
    relation.save(update_fields=["ratio", "source"])
    record(actor.user, "processing_relation.update", relation, before, snapshot(relation))
    return relation
