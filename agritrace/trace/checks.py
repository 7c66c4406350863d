"""Domain checks on captured EPCIS events: what the JSON Schema cannot know about AgriTrace's own
planting areas, packing houses and lots.

Run by `services._store` for every new event of a document, inside the document's transaction,
before anything is written. Each rule ends either in a *rejection* (the whole document is
refused with a 400 naming the event's JSON path and the rule, nothing is stored) or in a *flag*
(the event is stored and an `EventFlag` row says what looks wrong, for the capturer and the
authorities to look into):

=======================  ===============================================  ==================
rule                     what                                             outcome
=======================  ===============================================  ==================
``area_code_not_issued`` a harvest (ObjectEvent, bizStep commissioning    reject
                         or …harvesting) at a planting area whose code was
                         not issued at the event's time (timing.py, with
                         ``house_code_not_issued`` and ``late_capture``)
``crop_mismatch``        a harvest that declares a crop (ILMD or the      reject
                         document's EPCClass master data: ``crop``) other
                         than the planting area's, or no known crop
``unknown_location``     an event at a location of our namespace that     flag (serious for a
                         names no planting area or packing house          harvest, else warning)
``packing_unlinked``     a packing (TransformationEvent, or bizStep       flag
                         packing) at a packing house with no supply
                         contract, exporter authorisation or common
                         operator linking it to an input lot's area on
                         the day
``mass_balance``         a transformation whose output mass is above its  flag; reject above
                         input mass × the crop's pack-out factor          1.5 × the allowed mass
                                                                          (setting)
``lot_overdrawn``        more kilograms drawn from a lot by               flag; reject above the
                         transformations, over time, than it was made     same ratio
                         with
``event_before_lot``     an event naming a lot earlier than the event     reject; flag when the
                         that made it (commissioning, transformation      making event comes
                         output, aggregation ADD of a pallet), beyond     later than events
                         ``CLOCK_TOLERANCE``                              already stored
``unit``                 a quantity whose unit cannot be converted to     reject
                         kilograms: not a UN/CEFACT mass code (KGM, TNE,
                         GRM, LBR…), or a count (H87, XBX, CT, no unit…)
                         of a class without a declared net weight
                         (ILMD or EPCClass master data ``netWeight``)
=======================  ===============================================  ==================

A harvest whose code is not issued is refused because the lot would carry a code the area may
not use; so is a crop the code was not issued for. A missing link, a doubtful mass or an
unknown location may have an honest explanation (a contract not yet entered, water loss
recorded late) and the record of what happened must not be lost: those are flags. A grossly
impossible mass and an event before its lot exist are errors of the document itself.

Only events that touch AgriTrace's own identifiers are checked: a read point or business
location of our namespace (``urn:agritrace:loc:``) or a lot of it (``urn:agritrace:lot:``).
Other organisations' events (the GS1 conformance documents, for example) are stored as
captured. The lot facts the checks need (when a lot was made, where it was harvested, its
crop, kilograms made and drawn, net weight of an item) are kept on `Lot` at capture, so no
check reads the events table.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext as _

from . import timing
from .identifiers import canonical_epc
from .models import FlagSeverity, Lot, PackOutFactor, Role
from .uris import ID_BASE

#: The business step of a processing (products.processing): CBV's creating_class_instance,
#: a new class-level lot made from others; its ILMD crop is the product it makes.
PROCESSING_STEP = "creating_class_instance"

#: UN/CEFACT Recommendation 20 codes of mass, in kilograms.
MASS_UNITS: dict[str, Decimal] = {
    "KGM": Decimal(1),
    "TNE": Decimal(1000),
    "DTN": Decimal(100),
    "GRM": Decimal("0.001"),
    "MGM": Decimal("0.000001"),
    "LBR": Decimal("0.45359237"),
    "ONZ": Decimal("0.028349523125"),
}
#: Counts (UN/CEFACT Rec 20 and Rec 21 package codes): kilograms only with a net weight.
COUNT_UNITS = frozenset(["", *"H87 C62 EA NAR CT XBX XCT XCS XCR XBG XSA XPK XPX XBA XTY".split()])

#: Seconds an event may precede the event that made its lot (clocks of different devices).
CLOCK_TOLERANCE = timedelta(seconds=getattr(settings, "AGRITRACE_TRACE_CLOCK_TOLERANCE_S", 600))
#: Above this many times the allowed mass, a mass balance problem is refused, not flagged.
MASS_BALANCE_REJECT_RATIO = Decimal(
    str(getattr(settings, "AGRITRACE_TRACE_MASS_BALANCE_REJECT_RATIO", "1.5"))
)
#: Pack-out factor of a crop the authority has not set (nor the data file).
DEFAULT_PACK_OUT_FACTOR = Decimal(str(getattr(settings, "AGRITRACE_DEFAULT_PACK_OUT_FACTOR", "1")))

_HARVEST_STEP = re.compile(r"(^|[:/#-])harvesting$")


@lru_cache(maxsize=100_000)
def canonical(uri: str) -> str:
    return canonical_epc(uri)


def local_name(key: str) -> str:
    """'cbvmda:netWeight' → 'netWeight'; 'urn:epcglobal:cbv:mda#netWeight' → 'netWeight'."""
    return re.split(r"[:#/]", key)[-1]


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and number > 0 else None


def weight_kg(value: object) -> Decimal | None:
    """A declared weight in kilograms: a number (kg), or {"value": 3.5, "unitCode": "KGM"}."""
    if isinstance(value, Mapping):
        number = _decimal(value.get("value", value.get("@value")))
        unit = str(value.get("unitCode") or value.get("uom") or "KGM").upper()
        if number is None or unit not in MASS_UNITS:
            return None
        return number * MASS_UNITS[unit]
    return _decimal(value)


# ------------------------------------------------------------------ lot state


@dataclass
class LotState:
    """What is known of one lot: as stored (`old_*`) and what this document adds."""

    uri: str
    pk: int | None = None
    old_first_seen: datetime | None = None
    old_origin_time: datetime | None = None
    old_produced: Decimal | None = None
    old_drawn: Decimal = Decimal(0)
    origin_area_id: int | None = None
    crop_id: int | None = None
    net_weight: Decimal | None = None
    # changes made by this document
    first_seen: datetime | None = None
    origin_time: datetime | None = None
    produced: Decimal = Decimal(0)
    drawn: Decimal = Decimal(0)
    set_origin_area: bool = False
    set_crop: bool = False
    set_net_weight: bool = False
    inserted: bool = False  # by this document's capture

    @property
    def made_at(self) -> datetime | None:
        times = [t for t in (self.old_origin_time, self.origin_time) if t is not None]
        return min(times) if times else None

    @property
    def produced_total(self) -> Decimal | None:
        if self.old_produced is None and not self.produced:
            return None
        return (self.old_produced or Decimal(0)) + self.produced

    @property
    def drawn_total(self) -> Decimal:
        return self.old_drawn + self.drawn

    def see(self, when: datetime) -> None:
        if self.first_seen is None or when < self.first_seen:
            self.first_seen = when

    def made(self, when: datetime) -> None:
        if self.origin_time is None or when < self.origin_time:
            self.origin_time = when

    @property
    def changed(self) -> bool:
        return bool(
            (self.first_seen and (not self.old_first_seen or self.first_seen < self.old_first_seen))
            or (
                self.origin_time
                and (not self.old_origin_time or self.origin_time < self.old_origin_time)
            )
            or self.produced
            or self.drawn
            or self.set_origin_area
            or self.set_crop
            or self.set_net_weight
        )


_LOT_FIELDS = (
    "uri",
    "id",
    "first_seen",
    "origin_time",
    "produced_kg",
    "drawn_kg",
    "origin_area_id",
    "crop_id",
    "net_weight_kg",
)


#: The columns a new lot is inserted with (the id comes back from the insert).
_INSERT_COLUMNS = tuple(name for name in _LOT_FIELDS if name != "id")


def _returns_inserted_rows() -> bool:
    """Can the database say which rows an INSERT … ON CONFLICT DO NOTHING inserted?"""
    return connection.features.can_return_rows_from_bulk_insert


def _insert_lots(states: list[LotState]) -> list[tuple[str, int]]:
    """INSERT the lots, leaving any that another transaction inserted first; (uri, id) of
    those inserted. One statement, ON CONFLICT DO NOTHING RETURNING (PostgreSQL; SQLite
    3.35+); Django's bulk_create cannot say which rows it inserted when it ignores
    conflicts. Elsewhere (an older SQLite, which runs one writer anyway) bulk_create, and
    every lot is taken as inserted: updating it too would count its kilograms twice."""
    if not states:
        return []
    values = [
        {
            "uri": s.uri,
            "first_seen": s.first_seen,
            "origin_time": s.origin_time,
            "produced_kg": s.produced if s.produced else None,
            "drawn_kg": s.drawn,
            "origin_area_id": s.origin_area_id,
            "crop_id": s.crop_id,
            "net_weight_kg": s.net_weight,
        }
        for s in states
    ]
    if not _returns_inserted_rows():
        # One writer at a time: every lot not found when the book was read is ours.
        Lot.objects.bulk_create([Lot(**row) for row in values], ignore_conflicts=True)
        found = Lot.objects.filter(uri__in=[s.uri for s in states])
        return list(found.values_list("uri", "id"))
    fields = [Lot._meta.get_field(name) for name in _INSERT_COLUMNS]
    if connection.vendor == "postgresql":
        # psycopg adapts aware datetimes, Decimals and ints itself (what get_db_prep_save
        # returns for them there), without a call per value.
        params = [row[name] for row in values for name in _INSERT_COLUMNS]
    else:
        params = [
            field.get_db_prep_save(value, connection)
            for row in values
            for field, value in zip(fields, (row[name] for name in _INSERT_COLUMNS), strict=True)
        ]
    ops = connection.ops
    table = ops.quote_name(Lot._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(values))} "
        f"ON CONFLICT ({ops.quote_name('uri')}) DO NOTHING RETURNING "
        f"{ops.quote_name('uri')}, {ops.quote_name('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _update_lots(states: list[LotState]) -> None:
    """What `LotBook._updates` does lot by lot, for many lots in one UPDATE … FROM (VALUES …)
    (PostgreSQL): kilograms added, times the earliest, area and crop the first known, the net
    weight set where declared. A NULL in a row changes nothing of its column."""
    rows, params = [], []
    for state in states:
        first = state.first_seen
        if not first or (state.old_first_seen and first >= state.old_first_seen):
            first = None
        origin = state.origin_time
        if not origin or (state.old_origin_time and origin >= state.old_origin_time):
            origin = None
        rows.append(
            "(%s::bigint, %s::numeric, %s::numeric, %s::timestamptz, %s::timestamptz, "
            "%s::bigint, %s::bigint, %s::boolean, %s::numeric)"
        )
        params += [
            state.pk,
            state.produced or None,
            state.drawn or None,
            first,
            origin,
            state.origin_area_id if state.set_origin_area else None,
            state.crop_id if state.set_crop else None,
            state.set_net_weight,
            state.net_weight if state.set_net_weight else None,
        ]
    table = connection.ops.quote_name(Lot._meta.db_table)
    sql = (
        f"UPDATE {table} AS l SET "
        "produced_kg = CASE WHEN v.produced IS NULL THEN l.produced_kg "
        "ELSE COALESCE(l.produced_kg, 0) + v.produced END, "
        "drawn_kg = l.drawn_kg + COALESCE(v.drawn, 0), "
        "first_seen = CASE WHEN v.first_seen IS NULL THEN l.first_seen "
        "ELSE LEAST(COALESCE(l.first_seen, v.first_seen), v.first_seen) END, "
        "origin_time = CASE WHEN v.origin_time IS NULL THEN l.origin_time "
        "ELSE LEAST(COALESCE(l.origin_time, v.origin_time), v.origin_time) END, "
        "origin_area_id = COALESCE(l.origin_area_id, v.area), "
        "crop_id = COALESCE(l.crop_id, v.crop), "
        "net_weight_kg = CASE WHEN v.set_net THEN v.net ELSE l.net_weight_kg END "
        f"FROM (VALUES {', '.join(rows)}) "
        "AS v(id, produced, drawn, first_seen, origin_time, area, crop, set_net, net) "
        "WHERE l.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


class LotBook:
    """The lots a document names, read once, changed in memory, written back once."""

    CHUNK = 500

    def __init__(self, uris: Iterable[str]):
        self.lots: dict[str, LotState] = {}
        ordered = sorted(set(uris))
        for start in range(0, len(ordered), self.CHUNK):
            chunk = ordered[start : start + self.CHUNK]
            for row in Lot.objects.filter(uri__in=chunk).values_list(*_LOT_FIELDS):
                self.lots[row[0]] = self._state(row)
        for uri in ordered:
            self.lots.setdefault(uri, LotState(uri=uri))

    @staticmethod
    def _state(row) -> LotState:
        uri, pk, first, origin, produced, drawn, area, crop, net = row
        return LotState(
            uri=uri,
            pk=pk,
            old_first_seen=first,
            old_origin_time=origin,
            old_produced=produced,
            old_drawn=drawn or Decimal(0),
            origin_area_id=area,
            crop_id=crop,
            net_weight=net,
        )

    def __getitem__(self, uri: str) -> LotState:
        return self.lots[uri]

    def save(self) -> dict[str, int]:
        """Create the new lots with what this document says of them, apply the changes to
        the existing ones (as increments: safe beside a concurrent capture); {uri: id}.

        A lot a concurrent capture inserted first (this document could not see it, being
        uncommitted) makes our insert yield; it is then updated like an existing lot, so
        its kilograms are added, not lost."""
        new = [s for s in self.lots.values() if s.pk is None]
        for start in range(0, len(new), self.CHUNK):
            part = new[start : start + self.CHUNK]
            for uri, pk in _insert_lots(part):
                state = self.lots[uri]
                state.pk, state.inserted = pk, True
            if any(s.pk is None for s in part):
                found = Lot.objects.filter(uri__in=[s.uri for s in part if s.pk is None])
                for uri, pk in found.values_list("uri", "id"):
                    self.lots[uri].pk = pk
        # In id order: two captures updating the same lots lock them in one order.
        changed = sorted(
            (s for s in self.lots.values() if not s.inserted and s.changed), key=lambda s: s.pk
        )
        if connection.vendor == "postgresql" and len(changed) > 1:
            for start in range(0, len(changed), self.CHUNK):
                _update_lots(changed[start : start + self.CHUNK])
        else:
            for state in changed:
                updates = self._updates(state)
                if updates:
                    Lot.objects.filter(pk=state.pk).update(**updates)
        return {uri: s.pk for uri, s in self.lots.items()}

    @staticmethod
    def _updates(state: LotState) -> dict[str, object]:
        """The column expressions for what `state` changes: kilograms added, times the
        earliest, area and crop the first known."""
        updates: dict[str, object] = {}
        if state.produced:
            updates["produced_kg"] = Coalesce("produced_kg", Decimal(0)) + state.produced
        if state.drawn:
            updates["drawn_kg"] = F("drawn_kg") + state.drawn
        if state.first_seen and (
            not state.old_first_seen or state.first_seen < state.old_first_seen
        ):
            updates["first_seen"] = Least(
                Coalesce("first_seen", state.first_seen), state.first_seen
            )
        if state.origin_time and (
            not state.old_origin_time or state.origin_time < state.old_origin_time
        ):
            updates["origin_time"] = Least(
                Coalesce("origin_time", state.origin_time), state.origin_time
            )
        if state.set_origin_area:
            updates["origin_area_id"] = Coalesce("origin_area_id", state.origin_area_id)
        if state.set_crop:
            updates["crop_id"] = Coalesce("crop_id", state.crop_id)
        if state.set_net_weight:
            updates["net_weight_kg"] = state.net_weight
        return updates


# ------------------------------------------------------------------ the document


@dataclass
class Item:
    """One new event of the document: its index, as captured, its unsaved row, its rows."""

    index: int
    event: Mapping
    record: object  # models.Event, not yet saved
    own: bool = False
    read_point_unknown: bool = False
    location_unknown: bool = False


@dataclass
class Element:
    """An identifier an event names, where (JSON path), in which role, how many kilograms."""

    path: str
    uri: str
    role: str
    quantity: Decimal | None
    uom: str
    kg: Decimal | None = None


@dataclass
class Outcome:
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: (item, rule, severity, message, path, lot uri or "")
    flags: list[tuple[Item, str, str, str, str, str]] = field(default_factory=list)

    def reject(self, path: str, rule: str, message: str) -> None:
        text = f"{message} [{rule}]"
        if text not in self.errors.setdefault(path, []):
            self.errors[path].append(text)

    def flag(
        self,
        item: Item,
        rule: str,
        message: str,
        path: str = "",
        severity=FlagSeverity.WARNING,
        lot: str = "",
    ) -> None:
        self.flags.append((item, rule, str(severity), message, path, lot))


_LISTS = (
    ("epcList", Role.EPC),
    ("childEPCs", Role.CHILD),
    ("inputEPCList", Role.INPUT),
    ("outputEPCList", Role.OUTPUT),
)
_QUANTITY_LISTS = (
    ("quantityList", Role.QUANTITY),
    ("childQuantityList", Role.CHILD_QUANTITY),
    ("inputQuantityList", Role.INPUT_QUANTITY),
    ("outputQuantityList", Role.OUTPUT_QUANTITY),
)


def elements(event: Mapping, base: str) -> list[Element]:
    found: list[Element] = []
    for key, role in _LISTS:
        for j, epc in enumerate(event.get(key) or []):
            found.append(Element(f"{base}.{key}[{j}]", canonical(epc), role, None, ""))
    if event.get("parentID"):
        found.append(
            Element(f"{base}.parentID", canonical(event["parentID"]), Role.PARENT, None, "")
        )
    for key, role in _QUANTITY_LISTS:
        for j, q in enumerate(event.get(key) or []):
            quantity = q.get("quantity")
            found.append(
                Element(
                    f"{base}.{key}[{j}]",
                    canonical(q["epcClass"]),
                    role,
                    Decimal(str(quantity)) if quantity is not None else None,
                    str(q.get("uom", "")),
                )
            )
    return found


def _creates(event: Mapping, element: Element) -> bool:
    """Does this event bring the identifier into being?"""
    kind, action = event.get("type"), event.get("action")
    if kind == "ObjectEvent":
        return action == "ADD" and element.role in (Role.EPC, Role.QUANTITY)
    if kind == "TransformationEvent":
        return element.role in (Role.OUTPUT, Role.OUTPUT_QUANTITY)
    if kind in ("AggregationEvent", "AssociationEvent"):
        return action == "ADD" and element.role == Role.PARENT
    return False


def _is_harvest(item: Item) -> bool:
    step = item.record.biz_step
    return (
        item.event.get("type") == "ObjectEvent"
        and item.event.get("action") != "DELETE"
        and (step == "commissioning" or bool(_HARVEST_STEP.search(step)))
    )


def _is_packing(item: Item) -> bool:
    return item.event.get("type") == "TransformationEvent" or item.record.biz_step == "packing"


_INPUT_ROLES = {
    "TransformationEvent": (Role.INPUT, Role.INPUT_QUANTITY),
    "ObjectEvent": (Role.EPC, Role.QUANTITY),
    "AggregationEvent": (Role.CHILD, Role.CHILD_QUANTITY),
    "AssociationEvent": (Role.CHILD, Role.CHILD_QUANTITY),
    "TransactionEvent": (Role.EPC, Role.QUANTITY),
}


def _master_data(document: Mapping) -> dict[str, dict[str, object]]:
    """EPCClass master data of the document header: {canonical class: {local name: value}}."""
    found: dict[str, dict[str, object]] = {}
    header = document.get("epcisHeader") or {}
    master = header.get("epcisMasterData") or {}
    for vocabulary in master.get("vocabularyList") or []:
        if not isinstance(vocabulary, Mapping):
            continue
        for element in vocabulary.get("vocabularyElementList") or []:
            if not isinstance(element, Mapping) or not isinstance(element.get("id"), str):
                continue
            attrs = found.setdefault(canonical(element["id"]), {})
            for attribute in element.get("attributes") or []:
                if isinstance(attribute, Mapping) and isinstance(attribute.get("id"), str):
                    attrs[local_name(attribute["id"])] = attribute.get("attribute")
    return found


class Crops:
    """The crop catalogue, matched by code, name or scientific name."""

    def __init__(self):
        from agritrace.registry.models import Crop

        self.by_name: dict[str, int] = {}
        for crop in Crop.objects.all():
            for name in (crop.code, crop.name_en, crop.name_vi, crop.scientific_name):
                if name:
                    self.by_name.setdefault(name.strip().casefold(), crop.pk)
            self.by_name.setdefault(str(crop.pk), crop.pk)
        self.names = {c.pk: c.code for c in Crop.objects.all()}

    def find(self, value: object) -> int | None:
        if isinstance(value, Mapping):
            value = value.get("@value") or value.get("value") or value.get("code")
        if not isinstance(value, str | int):
            return None
        text = str(value).strip().casefold()
        return self.by_name.get(text) or self.by_name.get(local_name(text))


def _pack_out_factors() -> dict[int, Decimal]:
    return dict(PackOutFactor.objects.values_list("crop_id", "factor"))


def pack_out_factor(crop_id: int | None, factors: Mapping[int, Decimal]) -> Decimal:
    if crop_id is None:
        return DEFAULT_PACK_OUT_FACTOR
    return factors.get(crop_id, DEFAULT_PACK_OUT_FACTOR)


def _fmt(kg: Decimal) -> str:
    return f"{kg.quantize(Decimal('0.001')).normalize():f} kg"


class DocumentChecks:
    """The checks of one document's new events (see the module docstring)."""

    def __init__(
        self,
        document: Mapping,
        items: list[Item],
        book: LotBook,
        retracted: list[Mapping] = (),
    ):
        self.document = document
        self.items = items
        self.book = book
        self.retracted = list(retracted)
        self.outcome = Outcome()
        self.elements: dict[int, list[Element]] = {}
        self._crops: Crops | None = None
        self._factors: dict[int, Decimal] | None = None

    @property
    def crops(self) -> Crops:
        if self._crops is None:
            self._crops = Crops()
        return self._crops

    @property
    def factors(self) -> dict[int, Decimal]:
        if self._factors is None:
            self._factors = _pack_out_factors()
        return self._factors

    # -------------------------------------------------------------- declared facts

    def _declarations(self, master: Mapping) -> None:
        """Net weights and crops the document declares (ILMD, EPCClass master data)."""
        for uri, attrs in master.items():
            if uri not in self.book.lots:
                continue
            state = self.book[uri]
            if "netWeight" in attrs:
                weight = weight_kg(attrs["netWeight"])
                if weight is not None and weight != state.net_weight:
                    state.net_weight, state.set_net_weight = weight, True
        for item in self.items:
            ilmd = item.event.get("ilmd")
            if not isinstance(ilmd, Mapping):
                continue
            weight = None
            for key, value in ilmd.items():
                if local_name(key) == "netWeight":
                    weight = weight_kg(value)
            if weight is None:
                continue
            for element in self.elements[item.index]:
                if _creates(item.event, element) and element.role in (
                    Role.QUANTITY,
                    Role.OUTPUT_QUANTITY,
                ):
                    state = self.book[element.uri]
                    if weight != state.net_weight:
                        state.net_weight, state.set_net_weight = weight, True

    def _declared_crop(self, item: Item, master: Mapping) -> tuple[object, str] | None:
        """(value, path) of a crop the event (ILMD) or its classes' master data declare."""
        base = f"$.epcisBody.eventList[{item.index}]"
        ilmd = item.event.get("ilmd")
        if isinstance(ilmd, Mapping):
            for key, value in ilmd.items():
                if local_name(key) in ("crop", "cropCode"):
                    return value, f"{base}.ilmd.{key}"
        for element in self.elements[item.index]:
            attrs = master.get(element.uri) or {}
            for key in ("crop", "cropCode"):
                if key in attrs:
                    return attrs[key], "$.epcisHeader.epcisMasterData"
        return None

    # -------------------------------------------------------------- units

    def _convert(self, item: Item, element: Element) -> None:
        if element.quantity is None:
            if element.role in (Role.EPC, Role.INPUT, Role.OUTPUT, Role.CHILD):
                # One instance: its class's net weight, when declared.
                element.kg = None
            return
        unit = element.uom.upper()
        if unit in MASS_UNITS:
            element.kg = element.quantity * MASS_UNITS[unit]
            return
        weight = self.book[element.uri].net_weight if element.uri in self.book.lots else None
        if unit in COUNT_UNITS and weight is not None:
            element.kg = element.quantity * weight
            return
        if not item.own:
            return
        if unit in COUNT_UNITS:
            what = _("a count of items") if unit else _("a count of items (no unit given)")
            self.outcome.reject(
                element.path + (".uom" if unit else ".quantity"),
                "unit",
                _(
                    "%(uom)s is %(what)s and no net weight is declared for %(lot)s: declare "
                    "one (ILMD or master data cbvmda:netWeight) or give the quantity in KGM, "
                    "TNE, GRM or LBR."
                )
                % {"uom": element.uom or _("The quantity"), "what": what, "lot": element.uri},
            )
        else:
            self.outcome.reject(
                element.path + ".uom",
                "unit",
                _(
                    "The unit %(uom)s cannot be converted to kilograms: use a UN/CEFACT mass "
                    "code (KGM, TNE, GRM, LBR) or a count (H87, XBX, CT…) with a declared net "
                    "weight."
                )
                % {"uom": element.uom},
            )

    # -------------------------------------------------------------- the run

    def run(self) -> Outcome:
        master = _master_data(self.document)
        for item in self.items:
            self.elements[item.index] = [
                e
                for e in elements(item.event, f"$.epcisBody.eventList[{item.index}]")
                if e.uri in self.book.lots  # (an identifier too long to index is not a lot)
            ]
        self._declarations(master)
        ordered = sorted(self.items, key=lambda it: (it.record.event_time, it.index))
        # 1. Units, then what each event makes and draws (in time order, so a packing sees
        #    the crop of lots harvested earlier in the same document).
        for item in ordered:
            for element in self.elements[item.index]:
                self._convert(item, element)
        for item in ordered:
            if item.record.error_declaration is not None:
                continue  # an event declared erroneous makes and draws nothing
            self._harvest(item, master)
            self._book(item)
        for event in self.retracted:
            self._retract(event)
        timing.judge_codes(ordered, self.outcome, _is_harvest, _is_packing)
        timing.judge_future(ordered, self.outcome)
        # 2. The checks that need the whole document's lots.
        unlinked = []
        for item in ordered:
            if not item.own:
                continue
            self._locations(item)
            self._before_lot(item)
            if item.record.packing_house is not None and _is_packing(item):
                unlinked.append(item)
            if item.event.get("type") == "TransformationEvent":
                self._mass_balance(item)
        self._overdrawn(ordered)
        if unlinked:
            self._links(unlinked)
        return self.outcome

    def _book(self, item: Item) -> None:
        """Record on the lots what the event says: seen, made, kilograms made and drawn, and
        the crop a transformation passes on."""
        when = item.record.event_time
        event = item.event
        kind = event.get("type")
        input_crops: set = set()
        for element in self.elements[item.index]:
            state = self.book[element.uri]
            state.see(when)
            if _creates(event, element):
                state.made(when)
                if element.kg is not None:
                    state.produced += element.kg
            if kind == "TransformationEvent" and element.role in (Role.INPUT, Role.INPUT_QUANTITY):
                if element.kg is not None and element.role == Role.INPUT_QUANTITY:
                    state.drawn += element.kg
                input_crops.add(state.crop_id)
        crop = None
        if kind == "TransformationEvent" and item.record.biz_step == PROCESSING_STEP:
            declared = self._declared_crop(item, {})  # a processing names the product it makes
            crop = self.crops.find(declared[0]) if declared else None
        if crop is None and len(input_crops) == 1 and None not in input_crops:
            crop = next(iter(input_crops))
        if kind == "TransformationEvent" and crop is not None:
            for element in self.elements[item.index]:
                state = self.book[element.uri]
                if element.role in (Role.OUTPUT, Role.OUTPUT_QUANTITY) and state.crop_id is None:
                    state.crop_id, state.set_crop = crop, True

    def _retract(self, event: Mapping) -> None:
        """An event stored earlier and now declared erroneous: the kilograms it made and drew
        are taken off its lots (when it was seen and made stays: it was recorded)."""
        item = Item(index=-1, event=event, record=None, own=False)
        kind = event.get("type")
        for element in elements(event, "$"):
            if element.uri not in self.book.lots:
                continue
            self._convert(item, element)
            if element.kg is None:
                continue
            state = self.book[element.uri]
            if _creates(event, element):
                state.produced -= element.kg
            if kind == "TransformationEvent" and element.role == Role.INPUT_QUANTITY:
                state.drawn -= element.kg

    def _harvest(self, item: Item, master: Mapping) -> None:
        if not _is_harvest(item):
            return
        area = item.record.area
        if area is None:
            self._unit_harvest(item, master)
            return
        # Whether its code was issued at the harvest's time: timing.judge_codes.
        crop_id = area.crop_id
        declared = self._declared_crop(item, master)
        if declared is not None:
            value, path = declared
            found = self.crops.find(value)
            if found is None:
                self.outcome.reject(
                    path,
                    "crop_mismatch",
                    _("'%(value)s' is not a crop of the catalogue.") % {"value": value},
                )
            elif found != area.crop_id:
                self.outcome.reject(
                    path,
                    "crop_mismatch",
                    _(
                        "The harvest is of %(declared)s but planting area %(code)s is registered "
                        "for %(crop)s."
                    )
                    % {
                        "declared": self.crops.names.get(found, found),
                        "code": area.code,
                        "crop": self.crops.names.get(area.crop_id, area.crop_id),
                    },
                )
        for element in self.elements[item.index]:
            if _creates(item.event, element):
                state = self.book[element.uri]
                if state.origin_area_id is None:
                    state.origin_area_id, state.set_origin_area = area.pk, True
                if state.crop_id is None:
                    state.crop_id, state.set_crop = crop_id, True

    def _unit_harvest(self, item: Item, master: Mapping) -> None:
        """A harvest at a production unit (products: a forest plot, a fishpond): its lots
        are of the product it declares."""
        if not item.record.biz_location.startswith(ID_BASE + "loc:unit:"):
            return
        declared = self._declared_crop(item, master)
        crop_id = self.crops.find(declared[0]) if declared else None
        for element in self.elements[item.index]:
            state = self.book[element.uri]
            if crop_id is not None and _creates(item.event, element) and state.crop_id is None:
                state.crop_id, state.set_crop = crop_id, True

    def _locations(self, item: Item) -> None:
        base = f"$.epcisBody.eventList[{item.index}]"
        for key, unknown in (
            ("bizLocation", item.location_unknown),
            ("readPoint", item.read_point_unknown),
        ):
            if unknown:
                uri = (item.event.get(key) or {}).get("id", "")
                harvest = _is_harvest(item)
                self.outcome.flag(
                    item,
                    "unknown_location",
                    _("%(uri)s names no planting area or packing house of the registry.")
                    % {"uri": uri}
                    + (" " + _("A harvest there cannot be checked.") if harvest else ""),
                    f"{base}.{key}.id",
                    FlagSeverity.SERIOUS if harvest else FlagSeverity.WARNING,
                )

    def _before_lot(self, item: Item) -> None:
        when = item.record.event_time
        for element in self.elements[item.index]:
            state = self.book[element.uri]
            if _creates(item.event, element):
                # Made now, but named earlier by events already stored?
                earlier = state.old_first_seen
                made_before = state.old_origin_time
                if (
                    earlier is not None
                    and earlier < when - CLOCK_TOLERANCE
                    and (made_before is None or made_before > when)
                ):
                    self.outcome.flag(
                        item,
                        "event_before_lot",
                        _(
                            "%(lot)s is made by this event at %(when)s but events already "
                            "stored name it from %(earlier)s on."
                        )
                        % {"lot": element.uri, "when": when.isoformat(), "earlier": earlier},
                        element.path,
                        FlagSeverity.SERIOUS,
                        lot=element.uri,
                    )
                continue
            made = state.made_at
            if made is not None and when < made - CLOCK_TOLERANCE:
                self.outcome.reject(
                    element.path,
                    "event_before_lot",
                    _(
                        "This event (%(when)s) is earlier than the event that made %(lot)s "
                        "(%(made)s)."
                    )
                    % {"when": when.isoformat(), "lot": element.uri, "made": made.isoformat()},
                )

    def _mass_balance(self, item: Item) -> None:
        inputs = [
            e for e in self.elements[item.index] if e.role in (Role.INPUT, Role.INPUT_QUANTITY)
        ]
        outputs = [
            e for e in self.elements[item.index] if e.role in (Role.OUTPUT, Role.OUTPUT_QUANTITY)
        ]
        if not inputs or not outputs:
            return
        if any(e.kg is None for e in inputs + outputs):
            return  # instances without a net weight: the mass cannot be told
        allowed = sum(
            (e.kg * pack_out_factor(self.book[e.uri].crop_id, self.factors) for e in inputs),
            Decimal(0),
        )
        made = sum((e.kg for e in outputs), Decimal(0))
        if made <= allowed:
            return
        path = f"$.epcisBody.eventList[{item.index}].outputQuantityList"
        message = _(
            "The outputs weigh %(made)s but the inputs (%(inputs)s) allow at most %(allowed)s "
            "with the crop's pack-out factor."
        ) % {
            "made": _fmt(made),
            "inputs": _fmt(sum((e.kg for e in inputs), Decimal(0))),
            "allowed": _fmt(allowed),
        }
        if made > allowed * MASS_BALANCE_REJECT_RATIO:
            self.outcome.reject(path, "mass_balance", message)
        else:
            self.outcome.flag(item, "mass_balance", message, path, FlagSeverity.SERIOUS)

    def _overdrawn(self, ordered: list[Item]) -> None:
        last_draw: dict[str, tuple[Item, Element]] = {}
        for item in ordered:
            if not item.own or item.event.get("type") != "TransformationEvent":
                continue
            for element in self.elements[item.index]:
                if element.role == Role.INPUT_QUANTITY and element.kg is not None:
                    last_draw[element.uri] = (item, element)
        for uri, (item, element) in last_draw.items():
            state = self.book[uri]
            produced = state.produced_total
            if produced is None:
                continue  # made outside our records, or without a mass: nothing to compare
            drawn = state.drawn_total
            if drawn <= produced:
                continue
            message = _(
                "%(drawn)s have now been drawn from %(lot)s, which was made with %(made)s."
            ) % {"drawn": _fmt(drawn), "lot": uri, "made": _fmt(produced)}
            if drawn > produced * MASS_BALANCE_REJECT_RATIO:
                self.outcome.reject(element.path, "lot_overdrawn", message)
            else:
                self.outcome.flag(
                    item, "lot_overdrawn", message, element.path, FlagSeverity.SERIOUS, lot=uri
                )

    def _links(self, items: list[Item]) -> None:
        """Packings at a packing house: is the house linked to each input lot's area?"""
        from agritrace.registry.models import CodeAuthorisation, PlantingArea, SupplyContract

        areas_of: dict[str, set[int]] = {}
        unresolved: list[str] = []
        for item in items:
            roles = _INPUT_ROLES.get(item.event.get("type"), ())
            for element in self.elements[item.index]:
                if element.role in roles and element.uri not in areas_of:
                    state = self.book[element.uri]
                    if state.origin_area_id is not None:
                        areas_of[element.uri] = {state.origin_area_id}
                    else:
                        areas_of[element.uri] = set()
                        if state.pk is not None:
                            unresolved.append(element.uri)
        for uri in unresolved:
            # A lot made by an earlier packing: the areas of the harvest lots behind it.
            from .graph import backward_lot_ids

            behind = backward_lot_ids({self.book[uri].pk}, max_depth=10)
            areas_of[uri] = set(
                Lot.objects.filter(pk__in=behind, origin_area__isnull=False).values_list(
                    "origin_area_id", flat=True
                )
            )
        area_ids = set().union(*areas_of.values()) if areas_of else set()
        if not area_ids:
            return
        houses = {item.record.packing_house.pk: item.record.packing_house for item in items}
        operators = {h.operator_id for h in houses.values()}
        contracts: dict[tuple[int, int], list] = {}
        for house_id, area_id, start, end in SupplyContract.objects.filter(
            packing_house_id__in=houses, area_id__in=area_ids
        ).values_list("packing_house_id", "area_id", "valid_from", "valid_to"):
            contracts.setdefault((house_id, area_id), []).append((start, end))
        grants: dict[tuple[int, int], list] = {}
        # A withdrawal takes effect from `withdrawn_from`: the days before keep their link.
        for org_id, area_id, start, end, withdrawn in CodeAuthorisation.objects.filter(
            grantee_id__in=operators, area_id__in=area_ids
        ).values_list("grantee_id", "area_id", "valid_from", "valid_to", "withdrawn_from"):
            if withdrawn is not None:
                end = min(end, withdrawn - timedelta(days=1))
            grants.setdefault((org_id, area_id), []).append((start, end))
        areas = dict(
            PlantingArea.objects.filter(pk__in=area_ids).values_list("pk", "representative_id")
        )
        codes = dict(PlantingArea.objects.filter(pk__in=area_ids).values_list("pk", "code"))
        for item in items:
            house = item.record.packing_house
            day = timezone.localtime(item.record.event_time).date()
            roles = _INPUT_ROLES.get(item.event.get("type"), ())
            for element in self.elements[item.index]:
                if element.role not in roles:
                    continue
                for area_id in sorted(areas_of.get(element.uri, ())):
                    linked = (
                        areas.get(area_id) == house.operator_id
                        or any(a <= day <= b for a, b in contracts.get((house.pk, area_id), ()))
                        or any(
                            a <= day <= b for a, b in grants.get((house.operator_id, area_id), ())
                        )
                    )
                    if not linked:
                        self.outcome.flag(
                            item,
                            "packing_unlinked",
                            _(
                                "Packing house %(house)s has no supply contract or authorisation "
                                "for planting area %(area)s on %(day)s (input %(lot)s)."
                            )
                            % {
                                "house": house.code or house.name,
                                "area": codes.get(area_id) or area_id,
                                "day": day.isoformat(),
                                "lot": element.uri,
                            },
                            element.path,
                            lot=element.uri,
                        )


def check(
    document: Mapping, items: list[Item], book: LotBook, retracted: list[Mapping] = ()
) -> Outcome:
    """The checks of a document's new events; `retracted`: the documents of events stored
    earlier that this document declares erroneous (their kilograms are taken back)."""
    return DocumentChecks(document, items, book, retracted).run()


def save_flags(outcome: Outcome, lot_ids: Mapping[str, int]) -> int:
    """Write the outcome's flags (in bulk: COPY on PostgreSQL); how many."""
    from . import bulk

    rows = [
        (item.record.pk, rule, severity, message, path[:300], lot_ids.get(lot) if lot else None)
        for item, rule, severity, message, path, lot in outcome.flags
    ]
    return bulk.write_flags(rows, timezone.now())
