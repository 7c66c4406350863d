"""Recording a processing step at a processing facility (input lots → an output lot of another
product) and a harvest at a production unit, as EPCIS events captured through the trace's own
recording path (`trace.recording.capture`: the lot rules, products.rules' processing rule,
then every capture check). A refusal is a ValidationError naming the input fields."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, get_visible, require
from agritrace.registry.models import Crop
from agritrace.trace import builders, recording, services
from agritrace.trace.checks import PROCESSING_STEP

from .models import ProcessingFacility, ProductionUnit

PREFIX = builders.PREFIX


@dataclass
class Recorded:
    lot: str  # the lot made (URI)
    event_id: str


def facility_location(facility: ProcessingFacility) -> str:
    return services.location_uri(facility.location_code)


def unit_location(unit: ProductionUnit) -> str:
    return services.location_uri(unit.location_code)


def owner_code(holder) -> str:
    """The owner part of the lots a facility or unit makes: its code, else its identifier."""
    return getattr(holder, "code", None) or holder.identifier


def processing_event(
    *,
    facility: ProcessingFacility,
    product: Crop,
    inputs: list[tuple[str, Decimal, str, str]],
    output: tuple[str, Decimal, str, str],
    moment: datetime,
) -> builders.Built:
    """A TransformationEvent, bizStep creating_class_instance, at the facility: the input lots
    in, the output lot of `product` out, the product and facility as ILMD."""
    fields = {
        "readPoint": "facility",
        "bizLocation": "facility",
        "inputQuantityList": "inputs",
        "outputQuantityList": "output_quantity",
        "ilmd": "product",
        "eventTime": "when",
    }
    when, offset = builders.event_time(moment)
    event: dict = {
        "type": "TransformationEvent",
        "eventTime": when,
        "eventTimeZoneOffset": offset,
        "bizStep": PROCESSING_STEP,
        "disposition": "active",
    }
    event["inputQuantityList"] = builders._quantities(inputs, "inputQuantityList", fields)
    event["outputQuantityList"] = builders._quantities([output], "outputQuantityList", fields)
    location = facility_location(facility)
    event["readPoint"] = {"id": location}
    event["bizLocation"] = {"id": location}
    event["ilmd"] = {
        "cbvmda:lotNumber": builders.lot_code(output[0]).rpartition(":")[2],
        "cbvmda:countryOfOrigin": "VN",
        f"{PREFIX}:crop": product.code,
        f"{PREFIX}:processingDate": timezone.localtime(moment).date().isoformat(),
        f"{PREFIX}:processingFacility": owner_code(facility),
    }
    return builders.Built(event, fields, [output[0]])


def _amount(value, field: str, errors: dict) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = [_("Give a number.")]
        return None
    if not amount.is_finite() or amount <= 0:
        errors[field] = [_("The quantity must be more than 0.")]
        return None
    return amount


def _unit(value, field: str, errors: dict) -> str:
    unit = str(value or "KGM").strip().upper()
    if unit not in builders.UNIT_CODES:
        errors[field] = [_("Not a unit of the list: %(units)s.") % {"units": "KGM, TNE"}]
    return unit


def _moment(value) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, date):
        return builders.time_of_day(value)
    return timezone.localtime()


def _capture(actor: Actor, built: builders.Built) -> Recorded:
    try:
        job = recording.capture(actor, [built])
    except services.CaptureRejected as exc:
        raise ValidationError(
            {
                (name or "__all__"): msgs
                for name, msgs in builders.field_errors(exc.message_dict, [built]).items()
            }
        ) from exc
    event = job.events.order_by("pk").first() if hasattr(job, "events") else None
    return Recorded(built.lots[0], event.event_id if event else "")


def record_processing(actor: Actor, data: dict) -> Recorded:
    """data: facility (id), product (code), inputs [{lot, quantity, unit}], output_lot
    (optional: the next free code), output_quantity, output_unit, when."""
    require(actor, "capture_events")
    facility = get_visible(
        actor, ProcessingFacility.objects.select_related("commune"), pk=data.get("facility")
    )
    if actor.organisation is None or facility.operator_id != actor.organisation.pk:
        raise PermissionDenied(_("Only the facility's operator records its processing."))
    errors: dict = {}
    product = Crop.objects.filter(code=str(data.get("product") or "")).first()
    if product is None:
        errors["product"] = [_("Not a product of the catalogue.")]
    rows = []
    for j, row in enumerate(data.get("inputs") or []):
        name = f"inputs[{j}]."
        lot = builders.resolve_lot(str(row.get("lot") or ""))
        if not lot:
            errors[f"{name}lot"] = [_("Name the lot.")]
        amount = _amount(row.get("quantity"), f"{name}quantity", errors)
        rows.append((lot, amount, _unit(row.get("unit"), f"{name}unit", errors), name))
    if not rows:
        errors["inputs"] = [_("Name at least one input lot.")]
    out_amount = _amount(data.get("output_quantity"), "output_quantity", errors)
    out_unit = _unit(data.get("output_unit"), "output_unit", errors)
    if errors:
        raise ValidationError(errors)
    moment = _moment(data.get("when"))
    owner = owner_code(facility)
    code = str(data.get("output_lot") or "").strip() or builders.next_lot_code(
        owner, timezone.localtime(moment).date(), prefix="PR"
    )
    output = (builders.resolve_lot(code, owner), out_amount, out_unit, "output_")
    built = processing_event(
        facility=facility, product=product, inputs=rows, output=output, moment=moment
    )
    return _capture(actor, built)


def record_unit_harvest(actor: Actor, unit: ProductionUnit, data: dict) -> Recorded:
    """A harvest at a forest plot or fishpond: ObjectEvent ADD, bizStep commissioning, at the
    unit's location, with its product, harvest date, unit and owner household as ILMD."""
    require(actor, "capture_events")
    errors: dict = {}
    amount = _amount(data.get("quantity"), "quantity", errors)
    uom = _unit(data.get("unit"), "unit", errors)
    if errors:
        raise ValidationError(errors)
    moment = _moment(data.get("harvest_date"))
    day = timezone.localtime(moment).date()
    owner = owner_code(unit)
    code = str(data.get("lot") or "").strip() or builders.next_lot_code(owner, day, prefix="H")
    lot = builders.resolve_lot(code, owner)
    when, offset = builders.event_time(moment)
    location = unit_location(unit)
    ilmd: dict = {
        "cbvmda:lotNumber": builders.lot_code(lot).rpartition(":")[2],
        "cbvmda:countryOfOrigin": "VN",
        f"{PREFIX}:harvestDate": day.isoformat(),
        f"{PREFIX}:crop": unit.product.code,
        f"{PREFIX}:productionUnit": unit.identifier,
    }
    if unit.owner_household_id:
        ilmd[f"{PREFIX}:households"] = [builders.household_uri(unit.owner_household)]
    event = {
        "type": "ObjectEvent",
        "eventTime": when,
        "eventTimeZoneOffset": offset,
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "readPoint": {"id": location},
        "bizLocation": {"id": location},
        "quantityList": [builders.quantity(lot, amount, uom)],
        "ilmd": ilmd,
    }
    fields = {
        "quantityList[0].quantity": "quantity",
        "quantityList[0].uom": "unit",
        "quantityList[0].epcClass": "lot",
        "quantityList": "quantity",
        "eventTime": "harvest_date",
        "ilmd": "harvest_date",
    }
    return _capture(actor, builders.Built(event, fields, [lot]))
