"""The plan's minimum data per product, checked for one lot (002_6ca3bb986dbac139.txt, I.2.a;
the checklist is data: data/products.json, "minimum_data"):

(i)   participants: every harvest names its households (or its production unit's owner), and
      every processing names a registered processing facility;
(ii)  origin: the chain reaches a harvest at a planting area or production unit (its time is
      the harvest's event time, its date in the ILMD);
(iii) stages: every lot of the chain was made by a recorded event (a harvest, a processing,
      a packing), and a processed product's lot by a processing;
(iv)  stamp: stamps were issued for the lot, or for a lot made from it.

The chain is the lot's whole provenance (trace.graph), as a backward trace shows it to the
lot's holder; who may ask is decided by the caller (the lot must be in their scope)."""

from dataclasses import dataclass, field

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from agritrace.stamps.models import StampBatch
from agritrace.trace import builders
from agritrace.trace.checks import PROCESSING_STEP
from agritrace.trace.graph import backward_lot_ids, forward_lot_ids
from agritrace.trace.models import Event, EventEPC, Lot, Role
from agritrace.trace.uris import ID_BASE

from .catalogue import minimum_data_items
from .locations import FACILITY, UNIT, resolve
from .models import ProcessingFacility, ProductionUnit, ProductKind

_LOC = ID_BASE + "loc:"
_MADE_ROLES = {Role.OUTPUT, Role.OUTPUT_QUANTITY, Role.EPC, Role.QUANTITY, Role.PARENT}


@dataclass
class Item:
    key: str
    number: str
    label: str
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "number": self.number,
            "label": self.label,
            "complete": self.complete,
            "missing": self.missing,
        }


@dataclass
class Completeness:
    lot: str
    product: str
    items: list[Item]

    @property
    def complete(self) -> bool:
        return all(i.complete for i in self.items)

    def as_dict(self) -> dict:
        return {
            "lot": self.lot,
            "product": self.product or None,
            "complete": self.complete,
            "items": [i.as_dict() for i in self.items],
        }


def _making(event: Event, role: str) -> bool:
    """Does the event make the lot it names in this role?"""
    if event.event_type == "TransformationEvent":
        return role in (Role.OUTPUT, Role.OUTPUT_QUANTITY)
    if event.action == "ADD":
        return role in ({Role.PARENT} if event.event_type != "ObjectEvent" else _MADE_ROLES)
    return False


def _code(uri: str) -> str:
    return builders.lot_code(uri)


def check(lot: Lot) -> Completeness:
    ids = backward_lot_ids({lot.pk})
    lots = {x.pk: x for x in Lot.objects.select_related("crop__product").filter(pk__in=ids)}
    rows = EventEPC.objects.filter(lot_id__in=ids, event__error_declaration__isnull=True)
    events = {
        e.pk: e for e in Event.objects.select_related("area").filter(pk__in=rows.values("event_id"))
    }
    made_by: dict[int, list[Event]] = {}
    for lot_id, event_id, role in rows.values_list("lot_id", "event_id", "role"):
        event = events[event_id]
        if _making(event, role):
            made_by.setdefault(lot_id, []).append(event)
    codes = {e.biz_location.removeprefix(_LOC) for e in events.values()}
    others = resolve(c for c in codes if c.startswith((FACILITY, UNIT)))

    def holder(event: Event):
        return others.get(event.biz_location.removeprefix(_LOC))

    words = {i["key"]: i for i in minimum_data_items()}
    vi = (get_language() or "vi").startswith("vi")

    def item(key: str) -> Item:
        w = words[key]
        return Item(key, w["number"], w["vi"] if vi else w["en"])

    participants, origin, stages, stamp = (item(k) for k in words)
    harvests = [
        e
        for e in events.values()
        if e.event_type == "ObjectEvent" and e.action == "ADD" and e.biz_step == "commissioning"
    ]
    if not harvests:
        origin.missing.append(_("No harvest is recorded in the lot's chain."))
    for e in sorted(harvests, key=lambda e: e.event_time):
        ilmd = e.document.get("ilmd") or {}
        unit = holder(e)
        code = ", ".join(_code(x.uri) for x in lots.values() if e in made_by.get(x.pk, []))
        if e.area is None and not isinstance(unit, ProductionUnit):
            origin.missing.append(
                _("The harvest of %(lot)s names no planting area or production unit.")
                % {"lot": code}
            )
        named = ilmd.get(f"{builders.PREFIX}:households") or []
        owned = isinstance(unit, ProductionUnit) and (unit.owner_household_id or unit.owner_org_id)
        if not named and not owned:
            participants.missing.append(
                _("The harvest of %(lot)s names no household.") % {"lot": code}
            )
    for e in events.values():
        if e.event_type == "TransformationEvent" and e.biz_step == PROCESSING_STEP:
            if not isinstance(holder(e), ProcessingFacility):
                participants.missing.append(
                    _("The processing of %(day)s names no registered processing facility.")
                    % {"day": e.event_time.date().isoformat()}
                )
    for x in sorted(lots.values(), key=lambda x: x.uri):
        making = made_by.get(x.pk, [])
        if not making:
            stages.missing.append(
                _("No recorded event made lot %(lot)s (its harvest, processing or packing).")
                % {"lot": _code(x.uri)}
            )
            continue
        product = getattr(x.crop, "product", None) if x.crop_id else None
        if product is not None and product.kind == ProductKind.PROCESSED:
            if not any(e.biz_step == PROCESSING_STEP for e in making):
                stages.missing.append(
                    _("Lot %(lot)s is of a processed product but no processing made it.")
                    % {"lot": _code(x.uri)}
                )
    stamped = forward_lot_ids({lot.pk}) | {lot.pk}
    if not StampBatch.objects.filter(lot_id__in=stamped).exists():
        stamp.missing.append(
            _("No stamps were issued for lot %(lot)s or a lot made from it.")
            % {"lot": _code(lot.uri)}
        )
    product = lot.crop.code if lot.crop_id else ""
    return Completeness(lot.uri, product, [participants, origin, stages, stamp])
