"""What an organisation records itself (the record forms, the spreadsheet import): the lots it
names must be lots the trace knows and the organisation holds.

An EPCIS document from another system is a partner's record and is judged by `checks.py` alone
(a lot it names for the first time is stored as named). What a person types into AgriTrace's
own forms or spreadsheet is different: a mistyped lot (``…:NOPE-1``) would enter the trace as
a phantom with no origin. So before such events are captured (`capture`), each lot they name
is checked by its role:

=============================  ======================================================
event                          the lots it names must
=============================  ======================================================
a shipment (bizStep shipping)  exist, and be held by the organisation
a packing (its input lots)     exist, and be held by the organisation
a receiving or a purchase      exist, and not be used up (all its kilograms packed)
an inspection                  exist
=============================  ======================================================

A lot *exists* when an event already stored (or an earlier event of the same document, as in
an import: harvests, then packings, then shipments) made or named it. The organisation
*holds* it when it may trace it (`chain.lot_in_scope`: an event of the lot it captured or at
its own area or packing house, or a shipment it owns or that was addressed to it), or when the
lot was harvested at a planting area that supplies it today (its own area, a supply contract
with one of its packing houses, an authorisation to use the area's code: a packing house
buying from its contracted growers packs their lots as they come); an authority holds what is
in its scope. Quantities must be more than 0 and events may not be
dated ahead beyond `timing.future_tolerance` (the same rule capture applies to everyone).
"""

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, require, visible

from . import builders, services
from .checks import MASS_UNITS, canonical
from .models import Event, EventEPC, Lot

_QUANTITY_KEYS = ("quantityList", "inputQuantityList", "outputQuantityList")


def _lots_named(event: dict) -> list[tuple[str, str, str, dict]]:
    """(JSON path below the event, list key, canonical lot, quantity element)."""
    out = []
    for key in _QUANTITY_KEYS:
        for j, element in enumerate(event.get(key) or []):
            uri = element.get("epcClass") or ""
            out.append((f"{key}[{j}]", key, canonical(uri) if uri else uri, element))
    return out


def _purpose(event: dict, key: str) -> str:
    """What the lot of this list must be: "held", "exists", "receivable" or "" (made here)."""
    kind, step = event.get("type"), event.get("bizStep", "")
    if kind == "TransformationEvent":
        return "held" if key == "inputQuantityList" else ""
    if event.get("action") == "ADD":
        return ""  # commissioning: the event makes the lot
    if step == "shipping":
        return "held"
    if step == "receiving":
        return "receivable"
    return "exists"


def held_lot_ids(actor: Actor, lot_ids: Iterable[int]) -> set[int]:
    """The lots among `lot_ids` that the actor holds (see the module docstring), in a few
    queries for many lots."""
    from .chain import lot_in_scope

    ids = set(lot_ids)
    if not ids or actor.is_public:
        return set()
    rows = EventEPC.objects.filter(lot_id__in=ids)
    held = set(
        rows.filter(event__in=visible(actor, Event.objects.all()).values("pk")).values_list(
            "lot_id", flat=True
        )
    )
    org = actor.organisation
    if org is not None and ids - held:
        shipped = Event.objects.filter(biz_step="shipping").filter(
            Q(owning_party=org) | Q(destination_party=org)
        )
        held |= set(
            rows.filter(lot_id__in=ids - held, event__in=shipped.values("pk")).values_list(
                "lot_id", flat=True
            )
        )
    if org is not None and ids - held:
        held |= _supplied_lot_ids(org, ids - held)
    # Shipments captured before their parties were resolved: the slow path, one by one.
    held |= {pk for pk in ids - held if lot_in_scope(actor, pk)}
    return held


def _supplied_lot_ids(org, lot_ids: set[int]) -> set[int]:
    """Harvest lots of planting areas that supply the organisation today: its own areas (a
    representative), areas under a supply contract with one of its packing houses, areas
    whose code it is authorised to use (checks.DocumentChecks._links, the same links)."""
    from agritrace.registry.models import CodeAuthorisation, PlantingArea, SupplyContract

    today = timezone.localdate()
    origins = dict(
        Lot.objects.filter(pk__in=lot_ids, origin_area__isnull=False).values_list(
            "pk", "origin_area_id"
        )
    )
    if not origins:
        return set()
    areas = set(origins.values())
    linked = set(
        PlantingArea.objects.filter(pk__in=areas, representative=org).values_list("pk", flat=True)
    )
    linked |= set(
        SupplyContract.objects.filter(
            area_id__in=areas,
            packing_house__operator=org,
            valid_from__lte=today,
            valid_to__gte=today,
        ).values_list("area_id", flat=True)
    )
    linked |= set(
        CodeAuthorisation.objects.filter(
            area_id__in=areas, grantee=org, valid_from__lte=today, valid_to__gte=today
        )
        .filter(Q(withdrawn_from__isnull=True) | Q(withdrawn_from__gt=today))
        .values_list("area_id", flat=True)
    )
    return {pk for pk, area in origins.items() if area in linked}


def _kg(element: dict, lot: Lot) -> Decimal | None:
    unit = str(element.get("uom") or "").upper()
    amount = element.get("quantity")
    if amount is None:
        return None
    if unit in MASS_UNITS:
        return Decimal(str(amount)) * MASS_UNITS[unit]
    if lot.net_weight_kg:
        return Decimal(str(amount)) * lot.net_weight_kg
    return None


def _fmt(kg: Decimal) -> str:
    return f"{kg.quantize(Decimal('0.001')).normalize():f} kg"


def problems(actor: Actor, events: list[dict]) -> dict[str, list[str]]:
    """{JSON path: [messages]} of the lots these events name that the actor may not record
    (see the module docstring); empty when all is well."""
    named = [(i, *row) for i, event in enumerate(events) for row in _lots_named(event)]
    uris = {uri for *_x, uri, _e in named if uri}
    lots = {lot.uri: lot for lot in Lot.objects.filter(uri__in=uris)}
    held = held_lot_ids(actor, (lot.pk for lot in lots.values()))
    made_here: set[str] = set()
    errors: dict[str, list[str]] = {}
    for i, event in enumerate(events):
        for path, key, uri, element in _lots_named(event):
            purpose = _purpose(event, key)
            where = f"$.epcisBody.eventList[{i}].{path}.epcClass"
            if not purpose:
                made_here.add(uri)
                continue
            if not uri or uri in made_here:
                continue
            lot = lots.get(uri)
            code = builders.lot_code(uri)
            if lot is None or lot.first_seen is None:
                errors.setdefault(where, []).append(
                    _(
                        "No lot %(lot)s is known: check the code on its label (a lot is known "
                        "once its harvest, packing or shipment is recorded)."
                    )
                    % {"lot": code}
                )
                continue
            if purpose == "held" and lot.pk not in held:
                errors.setdefault(where, []).append(
                    _(
                        "Lot %(lot)s is not held by your organisation: record its receiving "
                        "first (or the harvest, for your own planting area)."
                    )
                    % {"lot": code}
                )
            if purpose == "receivable" and lot.produced_kg is not None:
                left = lot.produced_kg - (lot.drawn_kg or Decimal(0))
                kg = _kg(element, lot)
                if left <= 0:
                    errors.setdefault(where, []).append(
                        _(
                            "Lot %(lot)s is used up: all its %(made)s have gone into packings, "
                            "none is left to receive."
                        )
                        % {"lot": code, "made": _fmt(lot.produced_kg)}
                    )
                elif kg is not None and kg > left:
                    errors.setdefault(where, []).append(
                        _("Only %(left)s of lot %(lot)s are left (%(made)s made).")
                        % {"lot": code, "left": _fmt(left), "made": _fmt(lot.produced_kg)}
                    )
    # Processings into another product (products.rules: the catalogue's relations and ratios).
    from agritrace.products.rules import problems as processing_problems

    for path, messages in processing_problems(events).items():
        errors.setdefault(path, []).extend(messages)
    return errors


def capture(actor: Actor, built: list[builders.Built]):
    """Check what the organisation records itself (`problems`), then capture it as one
    document through `services.capture` (every other check applies). Raises
    `services.CaptureRejected` naming the JSON paths, as capture does."""
    require(actor, "capture_events")
    events = [b.event for b in built]
    errors = problems(actor, events)
    if errors:
        raise services.CaptureRejected(errors)
    return services.capture(actor, builders.document(events))
