"""FSMA 204 key data elements: for a lot (its chain, backward and forward) or a time range, one
row per critical tracking event and traceability lot, as a sortable spreadsheet (XLSX with a
filter on every column, or CSV).

The columns follow the FDA's sortable spreadsheet: traceability lot code (TLC) and its source,
product description, quantity and unit, the locations (where the event took place, ship-from,
ship-to, harvest, packing), the dates, and the reference document's type and number. Every
lookup is done in bulk for a batch of events (a few queries per batch, not per row), so a
chain of thousands of events is written in seconds.
"""

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agritrace import lookups  # noqa: F401  (registers field__among)
from agritrace.accounts.access import Actor, visible
from agritrace.replica import reads_from_replica

from . import builders, chain
from .models import Event, EventEPC, LotLink, Role

BATCH = 2000
#: A range export stops after this many rows (an FDA request names lots and weeks, not years).
MAX_ROWS = 500_000
#: Generations walked back from a packed lot to find its harvests.
MAX_GENERATIONS = 10

COLUMNS = [
    ("cte", gettext_lazy("Critical tracking event")),
    ("date", gettext_lazy("Event date")),
    ("time", gettext_lazy("Event time")),
    ("tlc", gettext_lazy("Traceability lot code")),
    ("tlc_uri", gettext_lazy("Lot identifier")),
    ("tlc_source", gettext_lazy("Traceability lot code source")),
    ("tlc_source_ref", gettext_lazy("Traceability lot code source reference")),
    ("product", gettext_lazy("Product description")),
    ("quantity", gettext_lazy("Quantity")),
    ("uom", gettext_lazy("Unit of measure")),
    ("location", gettext_lazy("Location description")),
    ("ship_from", gettext_lazy("Ship-from location")),
    ("ship_to", gettext_lazy("Ship-to location")),
    ("harvest_location", gettext_lazy("Harvest location")),
    ("harvest_date", gettext_lazy("Harvest date")),
    ("packing_location", gettext_lazy("Packing location")),
    ("packing_date", gettext_lazy("Packing date")),
    ("input_tlcs", gettext_lazy("Input traceability lot codes")),
    ("reference_type", gettext_lazy("Reference document type")),
    ("reference_number", gettext_lazy("Reference document number")),
    ("event_id", gettext_lazy("Event ID")),
]

CTE_STEPS = ["commissioning", "packing", "shipping", "receiving"]

_DOC_NAMES = {
    "po": gettext_lazy("Purchase order"),
    "inv": gettext_lazy("Invoice"),
    "bol": gettext_lazy("Bill of lading"),
    "desadv": gettext_lazy("Despatch advice"),
    "recadv": gettext_lazy("Receiving advice"),
    "cert": gettext_lazy("Certificate"),
    "customsDeclaration": gettext_lazy("Customs declaration"),
    "prodorder": gettext_lazy("Production order"),
}

_CREATING = {Role.QUANTITY, Role.EPC, Role.OUTPUT, Role.OUTPUT_QUANTITY}

#: The columns of an event that rows need (read as values: no model instances per row).
EVENT_FIELDS = (
    "pk",
    "event_id",
    "event_type",
    "biz_step",
    "event_time",
    "area_id",
    "packing_house_id",
    "read_point",
    "biz_location",
    "document",
)


class Ev:
    """An event as the export reads it: its columns, with its planting area or packing house
    from the export's cache (a few holders serve thousands of events)."""

    __slots__ = (*EVENT_FIELDS, "area", "packing_house")

    def __init__(self, values: tuple, holders: "_Holders"):
        for name, value in zip(EVENT_FIELDS, values, strict=True):
            setattr(self, name, value)
        self.area = holders.area(self.area_id)
        self.packing_house = holders.house(self.packing_house_id)

    @classmethod
    def of(cls, event: Event, holders: "_Holders") -> "Ev":
        return cls(tuple(getattr(event, name) for name in EVENT_FIELDS), holders)


class _Holders:
    """Planting areas and packing houses by id, read once each."""

    def __init__(self):
        self.areas: dict[int, object] = {}
        self.houses: dict[int, object] = {}

    def area(self, pk):
        from agritrace.registry.models import PlantingArea

        if pk is None:
            return None
        if pk not in self.areas:
            self.areas[pk] = (
                PlantingArea.objects.select_related("commune", "crop").filter(pk=pk).first()
            )
        return self.areas[pk]

    def house(self, pk):
        from agritrace.registry.models import PackingHouse

        if pk is None:
            return None
        if pk not in self.houses:
            self.houses[pk] = PackingHouse.objects.select_related("commune").filter(pk=pk).first()
        return self.houses[pk]

    def preload(self, area_ids, house_ids) -> None:
        from agritrace.registry.models import PackingHouse, PlantingArea

        wanted = [i for i in set(area_ids) if i is not None and i not in self.areas]
        for part in chain._chunks(wanted, BATCH):
            self.areas.update(PlantingArea.objects.select_related("commune", "crop").in_bulk(part))
        wanted = [i for i in set(house_ids) if i is not None and i not in self.houses]
        for part in chain._chunks(wanted, BATCH):
            self.houses.update(PackingHouse.objects.select_related("commune").in_bulk(part))


def read_events(queryset, holders: _Holders) -> list[Ev]:
    """Events of a queryset as Ev, their holders read in bulk."""
    values = list(queryset.values_list(*EVENT_FIELDS))
    holders.preload([v[5] for v in values], [v[6] for v in values])
    return [Ev(v, holders) for v in values]


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


class _Context:
    """What rows need beyond their event, looked up in bulk for a batch of events."""

    def __init__(self):
        self.holders = _Holders()
        self.places = chain.Places()
        self.origin: dict[int, Event | None] = {}
        self.harvests: dict[int, list[Event]] = {}
        self.parents: dict[int, set[int]] = defaultdict(set)
        self.parents_read: set[int] = set()
        self.labels: dict[tuple, str] = {}
        self.crops: dict[str, str] = {}
        self.events: dict[int, Ev] = {}
        self.origin_events: dict[int, Ev] = {}
        self.lots: dict[int, list] = {}
        self.zone = timezone.get_current_timezone()
        self.texts: dict[str, str] = {}

    def load(self, lot_ids: set[int]) -> None:
        missing = [i for i in lot_ids if i not in self.origin or i not in self.harvests]
        if missing:
            self._origins([i for i in missing if i not in self.origin])
            self._harvests(missing)

    def _origins(self, missing: list[int]) -> None:
        """Each lot's origin: the earliest commissioning or transformation (packing) event
        that creates it. The links come from the (lot, role) index, the candidates' steps
        and times from the event rows (narrow), and only the origins not yet in hand (this
        batch's events, earlier origins) are read whole."""
        for i in missing:
            self.origin[i] = None
        candidates: dict[int, list[int]] = defaultdict(list)
        for part in chain._chunks(missing, BATCH):
            for lot_id, event_id in EventEPC.objects.filter(
                lot_id__among=part, role__in=_CREATING
            ).values_list("lot_id", "event_id"):
                candidates[lot_id].append(event_id)
        meta: dict[int, tuple] = {}
        unknown = set()
        for event_ids in candidates.values():
            for pk in event_ids:
                event = self.events.get(pk)
                if event is not None:
                    meta[pk] = (event.biz_step, event.event_type, event.event_time)
                else:
                    unknown.add(pk)
        for part in chain._chunks(unknown, BATCH):
            for pk, *rest in Event.objects.filter(
                pk__among=part, biz_step__in=["commissioning", "packing"]
            ).values_list("pk", "biz_step", "event_type", "event_time"):
                meta[pk] = tuple(rest)
        origin_event: dict[int, int] = {}
        for lot_id, event_ids in candidates.items():
            eligible = [
                (meta[pk][2], pk)
                for pk in event_ids
                if pk in meta
                and (
                    meta[pk][0] == "commissioning"
                    or (meta[pk][0] == "packing" and meta[pk][1] == "TransformationEvent")
                )
            ]
            if eligible:
                origin_event[lot_id] = min(eligible)[1]
        wanted = {pk for pk in origin_event.values() if pk not in self.events}
        for part in chain._chunks(wanted, BATCH):
            for event in read_events(Event.objects.filter(pk__among=part), self.holders):
                self.events[event.pk] = event
        codes = set()
        for lot_id, event_id in origin_event.items():
            event = self.events[event_id]
            self.origin[lot_id] = event
            self.origin_events[event_id] = event
            code = (event.document.get("ilmd") or {}).get(f"{builders.PREFIX}:crop")
            if code:
                codes.add(code)
        self._crop_names(codes)

    def hold(self, events: list["Ev"]) -> None:
        """The batch about to be written: its events are known (no need to read them again
        as origins); of earlier batches only the origins are kept."""
        self.events = {**self.origin_events, **{e.pk: e for e in events}}

    def _harvests(self, lot_ids: list[int]) -> None:
        """For each lot, the harvest events behind it (walking back up to MAX_GENERATIONS):
        the parents of all lots are read generation by generation, then each lot's harvests
        are its own (a harvest lot) or the union of its parents', computed once per lot."""
        frontier = {i for i in lot_ids if i not in self.parents_read}
        for _gen in range(MAX_GENERATIONS):
            if not frontier:
                break
            for part in chain._chunks(frontier, BATCH):
                for s, t in LotLink.objects.filter(target_id__among=part).values_list(
                    "source_id", "target_id"
                ):
                    self.parents[t].add(s)
            self.parents_read |= frontier
            frontier = {p for f in frontier for p in self.parents.get(f, ())} - self.parents_read
        every = set(self.parents_read) | {p for ps in self.parents.values() for p in ps}
        unknown = [i for i in every if i not in self.origin]
        if unknown:
            self._origins(unknown)
        for lot_id in lot_ids:
            self._harvests_of(lot_id, 0)

    def _harvests_of(self, lot_id: int, depth: int) -> list[Event]:
        if lot_id in self.harvests:
            return self.harvests[lot_id]
        self.harvests[lot_id] = []  # a cycle in the graph ends here
        origin = self.origin.get(lot_id)
        if origin is not None and origin.biz_step == "commissioning" and origin.area_id:
            found = [origin]
        elif depth >= MAX_GENERATIONS:
            found = []
        else:
            found = list(
                dict.fromkeys(
                    h
                    for parent in sorted(self.parents.get(lot_id, ()))
                    for h in self._harvests_of(parent, depth + 1)
                )
            )
        self.harvests[lot_id] = found
        return found

    def _crop_names(self, codes: set[str]) -> None:
        from agritrace.registry.models import Crop

        codes -= set(self.crops)
        if codes:
            for code, en, vi in Crop.objects.filter(code__in=codes).values_list(
                "code", "name_en", "name_vi"
            ):
                self.crops[code] = f"{en} ({vi})" if vi and vi != en else en

    def product(self, lot_id: int) -> str:
        origin = self.origin.get(lot_id)
        sources = [origin] if origin is not None else []
        sources += self.harvests.get(lot_id, [])
        for event in sources:
            ilmd = event.document.get("ilmd") or {}
            crop = ilmd.get(f"{builders.PREFIX}:crop")
            variety = ilmd.get(f"{builders.PREFIX}:variety")
            name = self.crops.get(crop, crop) if crop else ""
            if not name and event.area_id and event.area.crop_id:
                name = str(event.area.crop)
            if name:
                packed = origin is not None and origin.biz_step == "packing"
                parts = [name, variety or "", self.text("packed" if packed else "fresh")]
                return ", ".join(p for p in parts if p)
        return ""

    def text(self, key, default=None) -> str:
        """A label in the current language, translated once per export."""
        if key not in self.texts:
            self.texts[key] = str(default if default is not None else _CTE_NAMES[key])
        return self.texts[key]

    def lot_columns(self, lot_id: int) -> list:
        """What every row of a lot repeats: its code's source (and reference), product,
        harvest locations and dates, packing location and date; computed once per lot."""
        if lot_id not in self.lots:
            origin = self.origin.get(lot_id)
            harvests = self.harvests.get(lot_id, [])
            packing = origin if origin is not None and origin.biz_step == "packing" else None
            days = sorted({d for d in map(_harvest_day, harvests) if d is not None})
            self.lots[lot_id] = [
                self.holder_label(origin),
                (origin.biz_location or origin.read_point) if origin is not None else "",
                self.product(lot_id),
                "; ".join(dict.fromkeys(self.holder_label(h) for h in harvests)),
                "; ".join(d.isoformat() for d in days),
                self.holder_label(packing),
                _local(packing.event_time).date().isoformat() if packing is not None else "",
            ]
        return self.lots[lot_id]

    def holder_label(self, event: Event | None) -> str:
        if event is None:
            return ""
        key = (event.area_id, event.packing_house_id, event.biz_location or event.read_point)
        if key not in self.labels:
            self.labels[key] = self._holder_label(event)
        return self.labels[key]

    def _holder_label(self, event: Event) -> str:
        holder = event.area or event.packing_house
        if holder is None:
            return self.places.name(event.biz_location or event.read_point)[0]
        commune = getattr(holder, "commune", None)
        address = getattr(holder, "address", "") or (str(commune) if commune else "")
        return " · ".join(p for p in (holder.name, holder.code or "", address) if p)


#: The export's fixed words (event names, product states), translated once per export.
_CTE_NAMES = {
    "harvesting": gettext_lazy("Harvesting"),
    "creation": gettext_lazy("Creation"),
    "initial_packing": gettext_lazy("Initial packing"),
    "transformation": gettext_lazy("Transformation"),
    "shipping": gettext_lazy("Shipping"),
    "receiving": gettext_lazy("Receiving"),
    "packed": gettext_lazy("packed"),
    "fresh": gettext_lazy("fresh, harvested"),
}


def _cte(event: Event, ctx: _Context, inputs: list[int]) -> str:
    if event.biz_step == "commissioning":
        key = "harvesting" if event.area_id else "creation"
    elif event.biz_step == "packing":
        harvested = inputs and all(
            (o := ctx.origin.get(i)) is not None and o.biz_step == "commissioning" for i in inputs
        )
        key = "initial_packing" if harvested else "transformation"
    elif event.biz_step in ("shipping", "receiving"):
        key = event.biz_step
    else:
        return event.biz_step
    return ctx.text(key)


@reads_from_replica
def rows_for(events: Iterable[Event], only: set[str] | None = None) -> Iterator[list]:
    """One row per critical tracking event and lot, in the order of COLUMNS; `only`: the
    lots to give rows for (default: every lot the events name)."""
    ctx = _Context()
    batch: list[Ev] = []
    for event in events:
        batch.append(event if isinstance(event, Ev) else Ev.of(event, ctx.holders))
        if len(batch) >= BATCH:
            yield from _batch_rows(batch, ctx, only)
            batch = []
    if batch:
        yield from _batch_rows(batch, ctx, only)


def _batch_rows(events: list[Ev], ctx: _Context, only: set[str] | None) -> Iterator[list]:
    ctx.hold(events)
    items: dict[int, list] = defaultdict(list)
    for part in chain._chunks([e.pk for e in events], BATCH):
        for event_id, lot_id, uri, role, quantity, uom in EventEPC.objects.filter(
            event_id__among=part
        ).values_list("event_id", "lot_id", "lot__uri", "role", "quantity", "uom"):
            items[event_id].append((lot_id, uri, role, quantity, uom))
    ctx.load({row[0] for rows in items.values() for row in rows})
    for event in events:
        if event.biz_step not in CTE_STEPS:
            continue
        rows = items.get(event.pk, [])
        inputs = [r for r in rows if r[2] in (Role.INPUT, Role.INPUT_QUANTITY)]
        outputs = [r for r in rows if r[2] in (Role.OUTPUT, Role.OUTPUT_QUANTITY)]
        if event.event_type == "TransformationEvent":
            lots = outputs
        else:
            lots = [r for r in rows if r[2] not in (Role.PARENT,)]
        if only is not None:
            lots = [r for r in lots if r[1] in only]
        if not lots:
            continue
        document = event.document
        docs = chain._documents(document)
        here = event.event_time.astimezone(ctx.zone)
        location = ctx.holder_label(event) or ctx.places.of_event(event)[0]
        ship_from = ship_to = ""
        if event.biz_step in ("shipping", "receiving"):
            ship_from = ctx.places.source(document)
            ship_to = ctx.places.destination(document)
            if event.biz_step == "shipping":
                ship_from = ship_from or location
            else:
                ship_to = ship_to or location
        head = [_cte(event, ctx, [r[0] for r in inputs]), here.date(), here.strftime("%H:%M")]
        input_codes = "; ".join(builders.lot_code(r[1]) for r in inputs)
        tail = [
            input_codes if event.event_type == "TransformationEvent" else "",
            "; ".join(ctx.text(("doc", t), _DOC_NAMES.get(t, t)) for t, _n in docs),
            "; ".join(n for _t, n in docs),
            event.event_id,
        ]
        for lot_id, uri, _role, quantity, uom in lots:
            source, source_ref, product, harvest_at, harvest_days, packed_at, packed_on = (
                ctx.lot_columns(lot_id)
            )
            yield [
                *head,
                builders.lot_code(uri),
                uri,
                source,
                source_ref,
                product,
                float(quantity) if quantity is not None else None,
                uom,
                location,
                ship_from,
                ship_to,
                harvest_at,
                harvest_days,
                packed_at,
                packed_on,
                *tail,
            ]


def _harvest_day(event: Event) -> date | None:
    value = (event.document.get("ilmd") or {}).get(f"{builders.PREFIX}:harvestDate")
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return _local(event.event_time).date()


# ------------------------------------------------------------------ which events


@reads_from_replica
def lot_events(actor: Actor, uri: str) -> tuple[list[Event], set[str]]:
    """The events of a lot's chain, backward and forward, that the actor may trace, and the
    lots of the chain."""
    lot = chain.find_lot(actor, uri)
    seen: dict[int, Event] = {}
    lots: set[str] = set()
    for direction in ("backward", "forward"):
        found = chain.build(actor, {lot.pk}, direction, lot.uri, enrich=False)
        lots |= set(found.lots.values())
        for step in found.steps:
            seen[step.event.pk] = step.event
    return sorted(seen.values(), key=lambda e: (e.event_time, e.pk)), lots


@reads_from_replica
def lot_rows(actor: Actor, uri: str) -> Iterator[list]:
    """The key data elements of a lot's chain: rows for the lots of the chain only."""
    events, lots = lot_events(actor, uri)
    return rows_for(events, only=lots)


@reads_from_replica
def range_events(actor: Actor, start: date, end: date) -> Iterator[Ev]:
    """The critical tracking events in the actor's scope from `start` to `end` (inclusive), in
    time order. Their ids are read first (a narrow sort the event_time index serves), then the
    events batch by batch, so the wide rows are never sorted and never read twice."""
    from datetime import time, timedelta

    zone = timezone.get_current_timezone()
    low = datetime.combine(start, time.min, tzinfo=zone)
    high = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    qs = visible(actor, Event.objects.all()).filter(
        event_time__gte=low, event_time__lt=high, biz_step__in=CTE_STEPS
    )
    ids = list(qs.order_by("event_time", "pk").values_list("pk", flat=True)[:MAX_ROWS])
    holders = _Holders()
    for part in chain._chunks(ids, BATCH):
        found = {e.pk: e for e in read_events(Event.objects.filter(pk__among=part), holders)}
        yield from (found[pk] for pk in part if pk in found)


# ------------------------------------------------------------------ writers


def headers() -> list[str]:
    return [str(label) for _key, label in COLUMNS]


def _csv_value(value):
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def stream_csv(rows: Iterable[list], chunk: int = 1 << 16) -> Iterator[bytes]:
    """The CSV (UTF-8 with a byte-order mark, which Excel needs) in pieces of about `chunk`
    bytes, written as the rows are made: the download starts at once and memory stays flat."""
    buffer = io.StringIO()
    buffer.write("\ufeff")

    def drain() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    writer = csv.writer(buffer)
    writer.writerow(headers())
    n = 0
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        n += 1
        if buffer.tell() >= chunk:
            yield drain()
        if n >= MAX_ROWS:
            break
    yield drain()


def write_xlsx(rows: Iterable[list], out) -> int:
    """The rows as an XLSX workbook: one sheet, the header frozen and bold, a filter on every
    column, dates as dates. Written directly as SpreadsheetML (inline strings), which is many
    times faster than building cells one by one, for exports of hundreds of thousands of rows."""
    import zipfile
    from xml.sax.saxutils import escape

    widths = [22, 12, 8, 24, 40, 40, 30, 34, 10, 8, 40, 36, 36, 40, 14, 40, 14, 30, 24, 24, 40]
    letters = [_column(i) for i in range(len(COLUMNS))]
    epoch = date(1899, 12, 30)

    def text_cell(ref: str, value: str, style: int = 0) -> str:
        value = _ILLEGAL_XML.sub("", value)
        attr = f' s="{style}"' if style else ""
        body = f'<is><t xml:space="preserve">{escape(value)}</t></is>'
        return f'<c r="{ref}" t="inlineStr"{attr}>{body}</c>'

    def cell(ref: str, value) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, date):
            return f'<c r="{ref}" s="2"><v>{(value - epoch).days}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value!r}</v></c>'
        return text_cell(ref, str(value))

    n = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, content in _XLSX_PARTS.items():
            book.writestr(name, content.replace("{sheet}", escape(_("Key data elements")[:31])))
        with book.open("xl/worksheets/sheet1.xml", "w") as raw:
            sheet = io.TextIOWrapper(raw, encoding="utf-8")
            cols = "".join(
                f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>'
                for i, w in enumerate(widths)
            )
            sheet.write(
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                f"<cols>{cols}</cols><sheetData>"
            )
            head = "".join(text_cell(f"{letters[i]}1", h, 1) for i, h in enumerate(headers()))
            sheet.write(f'<row r="1">{head}</row>')
            for row in rows:
                n += 1
                r = n + 1
                cells = "".join(cell(f"{letters[i]}{r}", v) for i, v in enumerate(row))
                sheet.write(f'<row r="{r}">{cells}</row>')
                if n >= MAX_ROWS:
                    break
            sheet.write(f'</sheetData><autoFilter ref="A1:{letters[-1]}{n + 1}"/></worksheet>')
            sheet.flush()
            sheet.detach()
    return n


_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/styles" Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export(rows: Iterable[list], fmt: str) -> tuple[bytes, str]:
    """(content, content type) of the rows as XLSX or CSV, in memory (tests, small lots)."""
    data = io.BytesIO()
    write(rows, fmt, data)
    return data.getvalue(), CONTENT_TYPES[fmt]


def write(rows: Iterable[list], fmt: str, out) -> int:
    """Write the rows as `fmt` to the binary file `out`; returns the bytes written."""
    if fmt == "csv":
        total = 0
        for piece in stream_csv(rows):
            out.write(piece)
            total += len(piece)
        return total
    write_xlsx(rows, out)
    return out.tell()


def download(rows: Iterable[list], fmt: str, name: str):
    """The HTTP response for the web page and the API. CSV streams as it is made, in the
    language and time zone of the request; XLSX (a zip, written whole) goes through a
    temporary file that spills to disk past 16 MB, not through memory."""
    import tempfile

    from django.http import FileResponse, StreamingHttpResponse
    from django.utils import translation

    filename = f"{name}.{fmt}"
    if fmt == "csv":
        language, zone = translation.get_language(), timezone.get_current_timezone()

        def pieces() -> Iterator[bytes]:
            with translation.override(language), timezone.override(zone):
                yield from stream_csv(rows)

        response = StreamingHttpResponse(pieces(), content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)
    write_xlsx(rows, spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type=CONTENT_TYPES["xlsx"]
    )
