"""The processing rule, checked with what an organisation records itself (trace.recording
calls `problems` before capture, next to its lot rules; capture's own checks then apply).

A processing (a TransformationEvent whose bizStep is CBV's creating_class_instance, made at a
processing facility: products.processing) names the product it makes in its ILMD (`crop`).
It is refused, naming the JSON path, when:

- the product is not in the catalogue;
- an input lot's product is unknown, or the catalogue has no processing relation from it to
  the output product (tea → dried tea, paddy → milled rice, dong starch → vermicelli…);
- the outputs weigh more than the inputs × the relation's ratio × (1 + tolerance). A ratio no
  source gives is configurable: the relation's own once the authority sets it, else
  `AGRITRACE_PROCESSING_DEFAULT_RATIO` (1: no more out than in); the tolerance is
  `AGRITRACE_PROCESSING_TOLERANCE` (0.05)."""

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from agritrace.registry.models import Crop
from agritrace.trace import vocab
from agritrace.trace.builders import lot_code
from agritrace.trace.checks import MASS_UNITS, PROCESSING_STEP, canonical, local_name
from agritrace.trace.models import Lot

from .models import ProcessingRelation


def default_ratio() -> Decimal:
    return Decimal(str(getattr(settings, "AGRITRACE_PROCESSING_DEFAULT_RATIO", "1")))


def tolerance() -> Decimal:
    return Decimal(str(getattr(settings, "AGRITRACE_PROCESSING_TOLERANCE", "0.05")))


def is_processing(event: dict) -> bool:
    step = event.get("bizStep") or ""
    return (
        event.get("type") == "TransformationEvent"
        and vocab.compact("bizStep", step) == PROCESSING_STEP
    )


def declared_product(event: dict) -> tuple[str, str] | None:
    """(ILMD key, value) of the product a processing declares."""
    for key, value in (event.get("ilmd") or {}).items():
        if local_name(key) in ("crop", "cropCode"):
            return key, str(value)
    return None


def _kg(element: dict, lot: Lot | None) -> Decimal | None:
    amount, unit = element.get("quantity"), str(element.get("uom") or "").upper()
    if amount is None:
        return None
    if unit in MASS_UNITS:
        return Decimal(str(amount)) * MASS_UNITS[unit]
    if lot is not None and lot.net_weight_kg:
        return Decimal(str(amount)) * lot.net_weight_kg
    return None


def _fmt(kg: Decimal) -> str:
    return f"{kg.quantize(Decimal('0.001')).normalize():f} kg"


def problems(events: list[dict]) -> dict[str, list[str]]:
    """{JSON path: [messages]} of the processings among `events` (see the module docstring)."""
    errors: dict[str, list[str]] = {}
    for i, event in enumerate(events):
        if not is_processing(event):
            continue
        base = f"$.epcisBody.eventList[{i}]"
        declared = declared_product(event)
        product = Crop.objects.filter(code=declared[1]).first() if declared else None
        if product is None:
            where = f"{base}.ilmd.{declared[0]}" if declared else f"{base}.ilmd"
            errors.setdefault(where, []).append(
                _("'%(value)s' is not a product of the catalogue.")
                % {"value": declared[1] if declared else ""}
            )
            continue
        inputs = event.get("inputQuantityList") or []
        lots = {
            lot.uri: lot
            for lot in Lot.objects.select_related("crop").filter(
                uri__in=[canonical(e.get("epcClass", "")) for e in inputs]
            )
        }
        ratios = {
            r.input_id: r.ratio
            for r in ProcessingRelation.objects.filter(output=product).only("input_id", "ratio")
        }
        allowed, complete = Decimal(0), True
        for j, element in enumerate(inputs):
            lot = lots.get(canonical(element.get("epcClass", "")))
            where = f"{base}.inputQuantityList[{j}].epcClass"
            if lot is None:
                continue  # unknown lots: trace.recording names them
            if lot.crop_id is None or lot.crop_id not in ratios:
                errors.setdefault(where, []).append(
                    _(
                        "Lot %(lot)s is of %(input)s, which the catalogue does not process "
                        "into %(output)s."
                    )
                    % {
                        "lot": lot_code(lot.uri),
                        "input": lot.crop.code if lot.crop else _("an unknown product"),
                        "output": product.code,
                    }
                )
                complete = False
                continue
            kg = _kg(element, lot)
            if kg is None:
                complete = False
                continue
            allowed += kg * (ratios[lot.crop_id] or default_ratio())
        made = [_kg(e, None) for e in event.get("outputQuantityList") or []]
        if not complete or not made or None in made:
            continue
        total = sum(made, Decimal(0))
        limit = allowed * (1 + tolerance())
        if total > limit:
            errors.setdefault(f"{base}.outputQuantityList[0].quantity", []).append(
                _(
                    "The output weighs %(made)s but the inputs allow at most %(limit)s with "
                    "the processing ratio and its tolerance."
                )
                % {"made": _fmt(total), "limit": _fmt(limit)}
            )
    return errors
