"""A lot's chain for people: the events behind (or ahead of) a lot in time order, the lot graph,
and what applies to it from the registry, the farm diary and supervision: planting areas, plots,
households, harvest dates, packing houses, diary entries, inspections, residue results,
shipments and destinations. Used by the trace pages, the JSON trace API and the export.

Scope. A trace starts from a lot the actor may see (one of its events is in the actor's scope,
or a shipment was addressed to the actor's organisation). A backward trace then shows the whole
provenance of that lot, as its holder is entitled to know where it came from; household names
only to those who may see personal data. A forward trace shows authorities every event the lot
reached (a recall needs them all), and others only the events in their own scope, with a count
of those left out.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import unquote

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace import lookups  # noqa: F401  (registers field__among)
from agritrace.accounts.access import Actor, can, visible
from agritrace.accounts.identifiers import find_party
from agritrace.accounts.models import Organisation
from agritrace.replica import reads_from_replica

from . import builders, services
from .identifiers import canonical_epc
from .models import Event, EventEPC, Lot, LotLink, Role

CHUNK = 500
#: Diary entries this many days before a harvest apply to it (a season's sprays and feeds).
DIARY_WINDOW_DAYS = 180
#: Residue samples taken this many days around a harvest apply to it.
SAMPLE_WINDOW_DAYS = 60
MAX_LOTS = 20_000
#: A trace page or the JSON trace shows at most this many events (the export has them all).
MAX_STEPS = 5_000
MAX_GRAPH_NODES = 250

_INPUTS = {Role.INPUT, Role.INPUT_QUANTITY}
_OUTPUTS = {Role.OUTPUT, Role.OUTPUT_QUANTITY}
_CHILDREN = {Role.CHILD, Role.CHILD_QUANTITY}
_CONTENTS = {Role.EPC, Role.QUANTITY}
_QUANTITY_ROLES = {Role.QUANTITY, Role.INPUT_QUANTITY, Role.OUTPUT_QUANTITY, Role.CHILD_QUANTITY}


def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class Item:
    """One identifier an event names, with its quantity."""

    uri: str
    role: str
    quantity: Decimal | None
    uom: str

    @property
    def code(self) -> str:
        return builders.lot_code(self.uri)

    def as_dict(self) -> dict:
        return {
            "lot": self.uri,
            "code": self.code,
            "quantity": float(self.quantity) if self.quantity is not None else None,
            "uom": self.uom,
        }


@dataclass
class Step:
    """An event of the chain, as a line of the timeline."""

    event: Event
    items: list[Item]
    place: str
    place_code: str
    visible: bool
    documents: list[tuple[str, str]] = field(default_factory=list)
    destination: str = ""
    source: str = ""

    @property
    def inputs(self) -> list[Item]:
        return [i for i in self.items if i.role in _INPUTS]

    @property
    def outputs(self) -> list[Item]:
        return [i for i in self.items if i.role in _OUTPUTS]

    @property
    def contents(self) -> list[Item]:
        return [i for i in self.items if i.role not in _INPUTS | _OUTPUTS | {Role.PARENT}]

    @property
    def parent(self) -> str:
        return next((i.uri for i in self.items if i.role == Role.PARENT), "")

    @property
    def ilmd(self) -> dict:
        return self.event.document.get("ilmd") or {}

    def as_dict(self) -> dict:
        e = self.event
        return {
            "eventID": e.event_id,
            "type": e.event_type,
            "eventTime": e.event_time.isoformat(),
            "bizStep": e.biz_step,
            "disposition": e.disposition,
            "place": self.place,
            "placeCode": self.place_code,
            "inputs": [i.as_dict() for i in self.inputs],
            "outputs": [i.as_dict() for i in self.outputs],
            "lots": [i.as_dict() for i in self.contents],
            "parentID": self.parent or None,
            "documents": [{"type": t, "number": n} for t, n in self.documents],
            "destination": self.destination or None,
            "source": self.source or None,
            "declaredInError": e.is_erroneous,
        }


@dataclass
class Harvest:
    lot: str
    day: date
    area: object
    plots: list
    households: list
    quantity: Decimal | None
    uom: str
    crop: str = ""
    variety: str = ""

    @property
    def code(self) -> str:
        return builders.lot_code(self.lot)


@dataclass
class Chain:
    start: str
    direction: str
    lots: dict[int, str]
    links: list[tuple[str, str, int]]
    steps: list[Step]
    hidden: int = 0
    areas: list = field(default_factory=list)
    houses: list = field(default_factory=list)
    harvests: list[Harvest] = field(default_factory=list)
    diary: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    samples: list = field(default_factory=list)
    personal: bool = False
    truncated: bool = False

    @property
    def shipments(self) -> list[Step]:
        return [s for s in self.steps if s.event.biz_step == "shipping"]

    @property
    def inspections(self) -> list[Step]:
        return [s for s in self.steps if s.event.biz_step == "inspecting"]

    @property
    def destinations(self) -> list[str]:
        seen: dict[str, None] = {}
        for s in self.shipments:
            if s.destination:
                seen.setdefault(s.destination, None)
        return list(seen)

    def household_label(self, household) -> str:
        if self.personal:
            return household.name
        return _("Household #%(n)s") % {"n": household.pk}

    def as_dict(self) -> dict:
        return {
            "lot": self.start,
            "direction": self.direction,
            "lots": sorted(self.lots.values()),
            "links": [{"source": s, "target": t} for s, t, _e in self.links],
            "events": [s.as_dict() for s in self.steps],
            "eventsNotShown": self.hidden,
            "truncated": self.truncated,
            "plantingAreas": [
                {
                    "code": a.code,
                    "name": a.name,
                    "commune": str(a.commune),
                    "crop": a.crop.code if a.crop_id else None,
                }
                for a in self.areas
            ],
            "packingHouses": [
                {"code": h.code, "name": h.name, "address": h.address} for h in self.houses
            ],
            "harvests": [
                {
                    "lot": h.lot,
                    "harvestDate": h.day.isoformat(),
                    "plantingArea": h.area.code if h.area else None,
                    "plots": [p.label for p in h.plots],
                    "households": [self.household_label(x) for x in h.households],
                    "quantity": float(h.quantity) if h.quantity is not None else None,
                    "uom": h.uom,
                    "crop": h.crop or None,
                    "variety": h.variety or None,
                }
                for h in self.harvests
            ],
            "diaryEntries": [
                {
                    "date": d.date.isoformat(),
                    "kind": d.kind,
                    "plantingArea": d.area.code if d.area_id else None,
                    "plot": d.plot.label if d.plot_id else None,
                    "product": d.product_label,
                    "quantity": float(d.quantity) if d.quantity is not None else None,
                    "unit": d.unit,
                }
                for d in self.diary
            ],
            "inspections": [
                {
                    "date": v.visited_on.isoformat() if v.visited_on else None,
                    "holder": str(v.holder),
                    "outcome": v.outcome,
                }
                for v in self.visits
            ]
            + [
                {
                    "date": s.event.event_time.date().isoformat(),
                    "holder": s.place_code or s.place,
                    "outcome": s.event.disposition,
                    "certificates": [n for t, n in s.documents],
                }
                for s in self.inspections
            ],
            "residueResults": [
                {
                    "sample": sample.code,
                    "plantingArea": sample.area.code,
                    "sampledOn": sample.sampled_on.isoformat() if sample.sampled_on else None,
                    "results": [
                        {
                            "ingredient": str(r.ingredient),
                            "valueMgKg": float(r.value_mg_kg),
                            "detected": r.detected,
                        }
                        for r in results
                    ],
                    "exceedances": [
                        {
                            "ingredient": str(c.ingredient),
                            "market": c.market.code,
                            "valueMgKg": float(c.value_mg_kg),
                            "limitMgKg": float(c.limit_mg_kg),
                        }
                        for c in cases
                    ],
                }
                for sample, results, cases in self.samples
            ],
            "shipments": [
                {
                    "eventID": s.event.event_id,
                    "date": s.event.event_time.isoformat(),
                    "from": s.place,
                    "to": s.destination or None,
                    "lots": [i.as_dict() for i in s.contents],
                    "documents": [{"type": t, "number": n} for t, n in s.documents],
                }
                for s in self.shipments
            ],
            "destinations": self.destinations,
        }


# ------------------------------------------------------------------ scope


def _events_naming(lot_ids, limit: int | None = None):
    qs = EventEPC.objects.filter(lot_id__in=list(lot_ids)).values("event_id")
    return qs[:limit] if limit else qs


def lot_in_scope(actor: Actor, lot_id: int) -> bool:
    """May the actor trace this lot? One of its events is in the actor's scope, or a
    shipment of it was addressed to the actor's organisation."""
    if actor.is_public:
        return False
    named = EventEPC.objects.filter(lot_id=lot_id).values("event_id")[:2000]
    # one query in the common case: an event of the lot in scope (a subquery of its events)
    if visible(actor, Event.objects.filter(pk__in=named)).exists():
        return True
    event_ids = [row["event_id"] for row in named]
    if actor.organisation is None:
        return False
    org = actor.organisation
    shipments = Event.objects.filter(pk__in=event_ids, biz_step="shipping")
    # The shipment's owner (for an export, the exporter) or buyer (parties.py).
    if shipments.filter(Q(owning_party=org) | Q(destination_party=org)).exists():
        return True
    # Events captured before the parties were resolved at capture (and named by database id).
    parties = {builders.party_uri(org), f"{services.ID_BASE}org:{org.pk}"}
    for document in shipments.filter(owning_party__isnull=True).values_list("document", flat=True):
        for destination in document.get("destinationList") or []:
            if destination.get("destination") in parties:
                return True
    return False


def find_lot(actor: Actor, uri: str) -> Lot:
    """The lot named by `uri` if the actor may trace it, else Http404."""
    lot = Lot.objects.filter(uri=canonical_epc(uri)).first()
    if lot is None or not lot_in_scope(actor, lot.pk):
        raise Http404
    return lot


# ------------------------------------------------------------------ the walk


@reads_from_replica
def backward(actor: Actor, uri: str) -> Chain:
    lot = find_lot(actor, uri)
    return build(actor, {lot.pk}, "backward", lot.uri)


def may_trace(actor: Actor) -> bool:
    """Who may use the trace pages and the trace API at all: an organisation whose events
    are traced (not the public, a household or a laboratory)."""
    return not actor.is_public and actor.kind not in ("household", "laboratory")


@reads_from_replica
def forward(actor: Actor, uri: str) -> Chain:
    lot = find_lot(actor, uri)
    return build(actor, {lot.pk}, "forward", lot.uri)


def harvest_lots_of_area(area) -> set[int]:
    """The lots commissioned at a planting area."""
    events = Event.objects.filter(area=area, biz_step="commissioning").values("pk")
    return set(
        EventEPC.objects.filter(
            event_id__in=events, role__in=[Role.QUANTITY, Role.EPC]
        ).values_list("lot_id", flat=True)
    )


def harvest_lots_of_plot(plot) -> set[int]:
    """The lots whose harvest names the plot in its lot master data."""
    wanted = builders.plot_uri(plot)
    key = f"{builders.PREFIX}:plots"
    ids = [
        pk
        for pk, document in Event.objects.filter(
            area_id=plot.area_id, biz_step="commissioning"
        ).values_list("pk", "document")
        if wanted in ((document.get("ilmd") or {}).get(key) or [])
    ]
    return set(
        EventEPC.objects.filter(event_id__in=ids, role__in=[Role.QUANTITY, Role.EPC]).values_list(
            "lot_id", flat=True
        )
    )


@reads_from_replica
def build(
    actor: Actor, start_ids: set[int], direction: str, start: str = "", enrich: bool = True
) -> Chain:
    """The chain from the given lots (already checked to be in the actor's scope)."""
    walk = services.backward_lot_ids if direction == "backward" else services.forward_lot_ids
    lot_ids = walk(set(start_ids)) if start_ids else set()
    truncated = False
    if enrich and len(lot_ids) > MAX_LOTS:
        # A page shows a readable part of a huge chain; the export reads it whole.
        lot_ids = set(start_ids) | set(sorted(lot_ids - set(start_ids))[:MAX_LOTS])
        truncated = True
    # Every event naming a lot of the chain, with every identifier those events name: one
    # query per chunk of lots (the events as a subquery), and the lots' identifiers from it.
    rows: dict[int, list[tuple[int, str, str, Decimal | None, str]]] = defaultdict(list)
    for chunk in _chunks(lot_ids):
        found: dict[int, list] = defaultdict(list)
        naming = EventEPC.objects.filter(lot_id__among=chunk).values("event_id")
        for event_id, lot_id, uri, role, quantity, uom in EventEPC.objects.filter(
            event_id__in=naming
        ).values_list("event_id", "lot_id", "lot__uri", "role", "quantity", "uom"):
            found[event_id].append((lot_id, uri, role, quantity, uom))
        for event_id, items in found.items():
            if event_id not in rows:  # an event naming lots of two chunks is read twice
                rows[event_id] = items
    candidate: set[int] = set(rows)
    lots: dict[int, str] = {
        lot_id: uri for items in rows.values() for lot_id, uri, *_rest in items if lot_id in lot_ids
    }
    for chunk in _chunks(lot_ids - set(lots)):  # lots no event names
        lots.update(Lot.objects.filter(pk__among=chunk).values_list("pk", "uri"))
    relevant = [pk for pk in candidate if _relevant(rows[pk], lot_ids, direction)]
    shown_ids = set(relevant)
    hidden = 0
    if direction == "forward" and not (actor.is_authority or actor.is_public):
        in_scope: set[int] = set()
        for chunk in _chunks(relevant):
            in_scope.update(
                visible(actor, Event.objects.filter(pk__among=chunk)).values_list("pk", flat=True)
            )
        hidden = len(shown_ids - in_scope)
        shown_ids = in_scope
    may_open: set[int] = set()
    events: list[Event] = []
    for chunk in _chunks(shown_ids):
        batch = list(
            Event.objects.filter(pk__among=chunk).select_related(
                "area__commune", "area__crop", "packing_house__commune"
            )
        )
        events.extend(batch)
        may_open.update(
            visible(actor, Event.objects.filter(pk__among=chunk)).values_list("pk", flat=True)
        )
    events.sort(key=lambda e: (e.event_time, e.pk))
    if enrich and len(events) > MAX_STEPS:
        events = events[:MAX_STEPS]
        truncated = True
    places = Places()
    steps = []
    for event in events:
        items = [Item(uri, role, q, uom) for _lid, uri, role, q, uom in rows[event.pk]]
        place, code = places.of_event(event)
        source = places.source(event.document, leave_out=place)
        steps.append(
            Step(
                event=event,
                items=items,
                place=place,
                place_code=code,
                visible=event.pk in may_open,
                documents=_documents(event.document),
                destination=places.destination(event.document),
                source=source,
            )
        )
    links: list[tuple[str, str, int]] = []
    for chunk in _chunks(lot_ids):
        for s, t, e in LotLink.objects.filter(target_id__among=chunk).values_list(
            "source_id", "target_id", "event_id"
        ):
            if s in lot_ids and e in shown_ids:
                links.append((lots[s], lots[t], e))
    chain = Chain(
        start=start or (lots[next(iter(start_ids))] if start_ids else ""),
        direction=direction,
        lots=lots,
        links=links,
        steps=steps,
        hidden=hidden,
        personal=can(actor, "see_personal_data"),
        truncated=truncated,
    )
    if enrich:
        _enrich(chain)
    return chain


def _relevant(rows, lot_ids: set[int], direction: str) -> bool:
    """Does the event belong to the chain? A transformation only if it made a lot of a
    backward chain (or used one of a forward chain); an aggregation likewise by its parent;
    other events if they name a lot of the chain."""
    roles: dict[str, set[int]] = defaultdict(set)
    for lot_id, _uri, role, _q, _u in rows:
        roles[role].add(lot_id)

    def named(wanted) -> set[int]:
        return set().union(*(roles.get(r, set()) for r in wanted))

    inputs, outputs = named(_INPUTS), named(_OUTPUTS)
    if inputs or outputs:
        side = outputs if direction == "backward" else inputs
        return bool(side & lot_ids)
    parents = roles.get(Role.PARENT, set())
    children = named(_CHILDREN)
    if parents and children:
        side = parents if direction == "backward" else children
        return bool(side & lot_ids)
    return any(lot_id in lot_ids for lot_id, *_rest in rows)


def _documents(document: dict) -> list[tuple[str, str]]:
    out = []
    for item in document.get("bizTransactionList") or []:
        kind = item.get("type", "")
        kind = kind.rsplit(":", 1)[-1].replace("BTT-", "") if kind else ""
        out.append((kind, builders.document_number(item.get("bizTransaction", ""))))
    return out


class Places:
    """Names for location and party URIs (areas, packing houses, organisations)."""

    def __init__(self):
        self.cache: dict[str, tuple[str, str]] = {}

    def name(self, uri: str) -> tuple[str, str]:
        if uri in self.cache:
            return self.cache[uri]
        from agritrace.registry.models import PackingHouse, PlantingArea

        label, code = uri, ""
        loc = f"{services.ID_BASE}loc:"
        if uri.startswith(loc):
            code = uri[len(loc) :]
            holder = PlantingArea.objects.filter(code=code).first() or (
                PackingHouse.objects.filter(code=code).first()
            )
            if holder is None:  # a processing facility or production unit (products)
                from agritrace.products.locations import resolve

                holder = resolve([code]).get(code)
                if holder is not None:
                    code = getattr(holder, "code", None) or holder.identifier
            label = f"{holder.name} ({code})" if holder else code
        elif (party := find_party(uri)) is not None:
            label = party.name
        elif builders.id_of(uri, "org") is not None:  # named by database id before 2026-12
            org = Organisation.objects.filter(pk=builders.id_of(uri, "org")).first()
            label = org.name if org else uri
        elif uri.startswith(f"{services.ID_BASE}place:"):
            label = unquote(uri[len(f"{services.ID_BASE}place:") :])
        self.cache[uri] = (label, code)
        return label, code

    def of_event(self, event: Event) -> tuple[str, str]:
        holder = event.area or event.packing_house
        if holder is not None:
            return f"{holder.name} ({holder.code})", holder.code or ""
        where = event.biz_location or event.read_point
        return self.name(where) if where else ("", "")

    def destination(self, document: dict) -> str:
        parts = []
        named = document.get(f"{builders.PREFIX}:destinationName")
        for item in document.get("destinationList") or []:
            uri = item.get("destination", "")
            if uri.startswith(f"{services.ID_BASE}place:") and named:
                continue
            parts.append(self.name(uri)[0])
        if named:
            parts.append(named)
        country = document.get(f"{builders.PREFIX}:destinationCountry")
        if country:
            parts.append(country)
        return " · ".join(dict.fromkeys(p for p in parts if p))

    def source(self, document: dict, leave_out: str = "") -> str:
        parts = [self.name(i.get("source", ""))[0] for i in document.get("sourceList") or []]
        return " · ".join(dict.fromkeys(p for p in parts if p and p != leave_out))


# ------------------------------------------------------------------ what applies


def _enrich(chain: Chain) -> None:
    """Areas, plots, households, harvest dates, packing houses, and the diary entries,
    inspections and residue results that apply to the chain's harvests."""
    from agritrace.registry.models import Household, Plot

    areas: dict[int, object] = {}
    houses: dict[int, object] = {}
    key = builders.PREFIX
    plot_ids: set[int] = set()
    household_ids: set[int] = set()
    raw_harvests = []
    for step in chain.steps:
        event = step.event
        if event.area_id:
            areas[event.area_id] = event.area
        if event.packing_house_id:
            houses[event.packing_house_id] = event.packing_house
        at_unit = ":loc:unit:" in event.biz_location  # a forest plot, a fishpond (products)
        if event.biz_step != "commissioning" or (event.area_id is None and not at_unit):
            continue
        ilmd = step.ilmd
        plots = [builders.id_of(u, "plot") for u in ilmd.get(f"{key}:plots") or []]
        households = [builders.id_of(u, "household") for u in ilmd.get(f"{key}:households") or []]
        plot_ids.update(p for p in plots if p)
        household_ids.update(h for h in households if h)
        day = _date(ilmd.get(f"{key}:harvestDate")) or timezone.localtime(event.event_time).date()
        for item in step.contents or step.outputs:
            raw_harvests.append((item, day, event, plots, households, ilmd))
    plot_objects = Plot.objects.select_related("household").in_bulk(list(plot_ids))
    household_objects = Household.objects.in_bulk(list(household_ids))
    for item, day, event, plots, households, ilmd in raw_harvests:
        chain.harvests.append(
            Harvest(
                lot=item.uri,
                day=day,
                area=event.area,
                plots=[plot_objects[p] for p in plots if p in plot_objects],
                households=[household_objects[h] for h in households if h in household_objects],
                quantity=item.quantity,
                uom=item.uom,
                crop=ilmd.get(f"{key}:crop", ""),
                variety=ilmd.get(f"{key}:variety", ""),
            )
        )
    chain.areas = sorted(areas.values(), key=lambda a: a.code or "")
    chain.houses = sorted(houses.values(), key=lambda h: h.code or "")
    if chain.direction == "backward":
        _diary(chain)
        _supervision(chain)


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _diary(chain: Chain) -> None:
    from django.db.models import Q

    from agritrace.diary.models import DiaryEntry

    if not chain.harvests:
        return
    q = Q()
    for h in chain.harvests[:200]:
        if h.area is None:
            continue  # a production unit's harvest (products): no planting area's diary
        window = Q(date__gte=h.day - timedelta(days=DIARY_WINDOW_DAYS), date__lte=h.day)
        if h.plots:
            ground = Q(plot__in=[p.pk for p in h.plots]) | Q(plot__isnull=True, area=h.area)
        else:
            ground = Q(area=h.area)
        q |= window & ground
    if q == Q():
        return
    chain.diary = list(
        DiaryEntry.objects.filter(q)
        .select_related("area", "plot", "pesticide", "fertiliser")
        .order_by("date", "pk")[:300]
    )


def _supervision(chain: Chain) -> None:
    from django.db.models import Q

    from agritrace.supervision.models import LabResult, MonitoringVisit, ResidueCase, Sample

    if not (chain.areas or chain.houses):
        return
    days = [h.day for h in chain.harvests] or [
        timezone.localtime(s.event.event_time).date() for s in chain.steps
    ]
    first, last = min(days), max(days)
    if chain.steps:
        last = max(last, timezone.localtime(chain.steps[-1].event.event_time).date())
    chain.visits = list(
        MonitoringVisit.objects.filter(
            Q(area__in=[a.pk for a in chain.areas])
            | Q(packing_house__in=[h.pk for h in chain.houses]),
            visited_on__isnull=False,
            visited_on__gte=first - timedelta(days=365),
            visited_on__lte=last,
        )
        .select_related("area", "packing_house")
        .order_by("visited_on")[:100]
    )
    q = Q()
    for h in chain.harvests[:200]:
        if h.area is None:
            continue
        q |= Q(
            area=h.area,
            sampled_on__gte=h.day - timedelta(days=SAMPLE_WINDOW_DAYS),
            sampled_on__lte=h.day + timedelta(days=SAMPLE_WINDOW_DAYS),
        )
    codes = {builders.lot_code(u).rpartition(":")[2] for u in chain.lots.values()}
    q |= Q(area__in=[a.pk for a in chain.areas], plot_or_lot__in=[c for c in codes if c])
    samples = list(Sample.objects.filter(q).select_related("area").order_by("sampled_on")[:100])
    results = defaultdict(list)
    for r in LabResult.objects.filter(sample__in=samples).order_by("pk"):
        results[r.sample_id].append(r)
    cases = defaultdict(list)
    for c in ResidueCase.objects.filter(sample__in=samples).select_related("market"):
        cases[c.sample_id].append(c)
    chain.samples = [(s, results[s.pk], cases[s.pk]) for s in samples]


# ------------------------------------------------------------------ the graph


@dataclass
class Node:
    key: str
    label: str
    sub: str
    kind: str  # lot, area, house, destination
    layer: int = 0
    row: int = 0
    start: bool = False

    @property
    def x(self) -> int:
        return 20 + self.layer * GRAPH_COL

    @property
    def y(self) -> int:
        return 20 + self.row * GRAPH_ROW


GRAPH_COL = 280
GRAPH_ROW = 64
NODE_W = 190
NODE_H = 46


@dataclass
class Graph:
    nodes: list[Node]
    edges: list[tuple[Node, Node, str]]
    width: int
    height: int
    too_large: bool = False

    @property
    def paths(self) -> list[dict]:
        out = []
        for a, b, label in self.edges:
            x1, y1 = a.x + NODE_W, a.y + NODE_H // 2
            x2, y2 = b.x, b.y + NODE_H // 2
            mid = (x1 + x2) // 2
            out.append(
                {
                    "d": f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}",
                    "label": label,
                    "lx": mid,
                    "ly": (y1 + y2) // 2 - 4,
                }
            )
        return out


def graph(chain: Chain) -> Graph:
    """A layered layout of the chain: planting areas, then lots from the oldest to the
    newest generation (each transformation one column further), then destinations."""
    lot_steps: dict[str, list[Step]] = defaultdict(list)
    for step in chain.steps:
        for item in step.items:
            lot_steps[item.uri].append(step)
    named = set(lot_steps) | ({chain.start} if chain.start else set())
    for s, t, _e in chain.links:
        named |= {s, t}
    if len(named) > MAX_GRAPH_NODES:
        return Graph([], [], 0, 0, too_large=True)
    parents: dict[str, set[str]] = defaultdict(set)
    for s, t, _e in chain.links:
        parents[t].add(s)
    layer: dict[str, int] = {}

    def depth(uri: str, seen: frozenset = frozenset()) -> int:
        if uri in layer:
            return layer[uri]
        if uri in seen:
            return 0
        value = 1 + max((depth(p, seen | {uri}) for p in parents[uri]), default=0)
        layer[uri] = value
        return value

    nodes: dict[str, Node] = {}
    for uri in sorted(named):
        steps = lot_steps.get(uri, [])
        quantity = next(
            (
                f"{_fmt(i.quantity)} {i.uom}".strip()
                for st in steps
                for i in st.items
                if i.uri == uri and i.quantity is not None
            ),
            "",
        )
        made = next((st for st in steps if st.event.biz_step in ("commissioning", "packing")), None)
        where = made.place_code if made else ""
        nodes[uri] = Node(
            key=uri,
            label=builders.lot_code(uri)[-28:],
            sub=" · ".join(p for p in (quantity, where) if p),
            kind="lot",
            layer=depth(uri),
            start=uri == chain.start,
        )
    edges: list[tuple[Node, Node, str]] = []
    seen_edges = set()
    for s, t, _e in chain.links:
        if (s, t) not in seen_edges:
            seen_edges.add((s, t))
            edges.append((nodes[s], nodes[t], ""))
    extra: list[Node] = []
    for h in chain.harvests:
        if h.area is None or h.lot not in nodes:
            continue
        key = f"area:{h.area.pk}"
        node = next((n for n in extra if n.key == key), None)
        if node is None:
            node = Node(key, h.area.code or h.area.name, h.area.name[:30], "area", layer=0)
            extra.append(node)
        edges.append((node, nodes[h.lot], h.day.isoformat()))
    for step in chain.shipments:
        if not step.destination:
            continue
        key = f"dest:{step.destination}"
        node = next((n for n in extra if n.key == key), None)
        lots_here = [nodes[i.uri] for i in step.contents if i.uri in nodes]
        if not lots_here:
            continue
        if node is None:
            node = Node(key, step.destination[:28], _("destination"), "destination")
            extra.append(node)
        node.layer = max(node.layer, max(n.layer for n in lots_here) + 1)
        for n in lots_here:
            edges.append((n, node, timezone.localtime(step.event.event_time).date().isoformat()))
    all_nodes = list(nodes.values()) + extra
    by_layer: dict[int, list[Node]] = defaultdict(list)
    for n in all_nodes:
        by_layer[n.layer].append(n)
    for items in by_layer.values():
        items.sort(key=lambda n: (n.kind != "area", n.label))
        for row, n in enumerate(items):
            n.row = row
    layers = max(by_layer) + 1 if by_layer else 1
    rows = max((len(v) for v in by_layer.values()), default=1)
    return Graph(
        all_nodes,
        edges,
        width=40 + layers * GRAPH_COL,
        height=40 + rows * GRAPH_ROW,
    )


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
