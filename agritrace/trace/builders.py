"""Turn what a person types into a form (or a spreadsheet row) into EPCIS 2.0 events.

Each builder returns a `Built`: the event (a dict, CBV 2.0 vocabulary, the service's own lot and
location URIs) and `fields`, which JSON paths of the event belong to which input, so that a
problem found at capture (schema, vocabulary, domain checks) is shown beside the right field.
The documents go through `services.capture` like any other: the same validation applies.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from . import services
from .identifiers import canonical_epc

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#: The service's own vocabulary (ILMD and event extensions), under its identifier namespace.
VOC = services.ID_BASE + "voc:"
PREFIX = "agt"
#: The business transaction type of a customs declaration (CBV 2.0 has none).
BTT_CUSTOMS = VOC + "customsDeclaration"

#: Units offered in the forms: UN/CEFACT Recommendation 20 codes.
UNITS = [
    ("KGM", "kg"),
    ("TNE", "t"),
    ("H87", "piece"),
    ("XBX", "box"),
    ("XCT", "carton"),
]
UNIT_CODES = {code for code, _label in UNITS}

#: Business transaction types offered for a reference document (CBV 2.0 words, and ours).
DOCUMENT_TYPES = ["po", "inv", "desadv", "recadv", "bol", "cert", BTT_CUSTOMS]


@dataclass
class Built:
    event: dict
    #: JSON path within the event ("quantityList[0].quantity") → form field name.
    fields: dict[str, str] = field(default_factory=dict)
    #: The lots the event makes or names, first the one to show afterwards.
    lots: list[str] = field(default_factory=list)


def document(events: list[dict]) -> dict:
    """An EPCISDocument holding the events, with the service's vocabulary in its context."""
    return {
        "@context": [CONTEXT, {PREFIX: VOC}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": timezone.now().isoformat(timespec="seconds"),
        "epcisBody": {"eventList": events},
    }


# ------------------------------------------------------------------ identifiers


def party_uri(org) -> str:
    """An organisation as an EPCIS party (owning / possessing party): its GLN, else its public
    identifier (docs/epcis-parties.md; accounts.identifiers)."""
    from agritrace.accounts.identifiers import party_uri as public_party_uri

    return public_party_uri(org)


def place_uri(name: str) -> str:
    """A destination outside the registry, by name."""
    return f"{services.ID_BASE}place:{quote(name.strip(), safe='')}"


def document_uri(kind: str, number: str) -> str:
    """A reference document (purchase order, bill of lading, certificate…) as a URI."""
    short = kind.rsplit(":", 1)[-1] if kind.startswith(services.ID_BASE) else kind
    return f"{services.ID_BASE}doc:{short}:{quote(number.strip(), safe='')}"


def document_number(uri: str) -> str:
    """The number a document URI of ours was made from (other URIs unchanged)."""
    prefix = f"{services.ID_BASE}doc:"
    if uri.startswith(prefix):
        return unquote(uri[len(prefix) :].partition(":")[2])
    return uri


def plot_uri(plot) -> str:
    return f"{services.ID_BASE}plot:{plot.pk}"


def household_uri(household) -> str:
    return f"{services.ID_BASE}household:{household.pk}"


def id_of(uri: str, kind: str) -> int | None:
    """The database id in one of our plot: / household: / org: URIs."""
    prefix = f"{services.ID_BASE}{kind}:"
    rest = uri[len(prefix) :] if uri.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


def resolve_lot(text: str, default_owner: str = "") -> str:
    """A lot as typed: a URI (ours, a GS1 URN or Digital Link) as it is; 'OWNER:LOT' or, with
    a default owner code, a bare lot code, as a lot URI of the service's namespace."""
    text = text.strip()
    if not text:
        return ""
    if text.startswith(("urn:", "http://", "https://")):
        return canonical_epc(text)
    owner, sep, lot = text.rpartition(":")
    if sep and owner:
        return services.lot_uri(owner.strip(), lot.strip())
    if default_owner:
        return services.lot_uri(default_owner, text)
    return text


def lot_code(uri: str) -> str:
    """The short code of a lot (what is printed on a crate)."""
    prefix = f"{services.ID_BASE}lot:"
    if uri.startswith(prefix):
        return uri[len(prefix) :]
    if "/10/" in uri:
        return unquote(uri.rsplit("/10/", 1)[1])
    return uri


def next_lot_code(owner_code: str, day: date, prefix: str = "", also: set | None = None) -> str:
    """A lot code not used yet for this owner: {prefix}{yyyymmdd}-{n}. `also`: lot URIs
    taken already (in the same import); the new one is added to it."""
    from .models import Lot

    stem = f"{prefix}{day:%Y%m%d}-"
    base = services.lot_uri(owner_code, stem)
    taken = set(Lot.objects.filter(uri__startswith=base).values_list("uri", flat=True))
    taken |= also or set()
    n = 1
    while services.lot_uri(owner_code, f"{stem}{n}") in taken:
        n += 1
    if also is not None:
        also.add(services.lot_uri(owner_code, f"{stem}{n}"))
    return f"{stem}{n}"


# ------------------------------------------------------------------ times and quantities


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def event_time(moment: datetime) -> tuple[str, str]:
    """(eventTime, eventTimeZoneOffset) for a moment, in the service's time zone."""
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=_zone())
    local = moment.astimezone(_zone())
    text = local.isoformat(timespec="seconds")
    return text, text[-6:]


def time_of_day(day: date) -> datetime:
    """A moment on `day`: now if it is today, else noon (a harvest is recorded by its date)."""
    now = timezone.localtime()
    if day == now.date():
        return now
    return datetime.combine(day, time(12, 0), tzinfo=_zone())


def _number(value: Decimal) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def quantity(lot: str, amount: Decimal, uom: str) -> dict:
    element: dict = {"epcClass": lot, "quantity": _number(amount)}
    if uom:
        element["uom"] = uom
    return element


def _base(kind: str, moment: datetime, biz_step: str, disposition: str | None) -> dict:
    when, offset = event_time(moment)
    event = {"type": kind, "eventTime": when, "eventTimeZoneOffset": offset}
    if kind != "TransformationEvent":
        event["action"] = "OBSERVE"
    event["bizStep"] = biz_step
    if disposition:
        event["disposition"] = disposition
    return event


def _where(event: dict, location: str, business: bool = True) -> None:
    if location:
        event["readPoint"] = {"id": location}
        if business:
            event["bizLocation"] = {"id": location}


def _transactions(event: dict, docs: list[tuple[str, str, str]], fields: dict) -> None:
    """docs: (type, number, form field)."""
    items = []
    for kind, number, name in docs:
        if number and number.strip():
            fields[f"bizTransactionList[{len(items)}]"] = name
            items.append({"type": kind, "bizTransaction": document_uri(kind, number)})
    if items:
        event["bizTransactionList"] = items


def _quantities(rows: list[tuple[str, Decimal, str, str]], key: str, fields: dict) -> list[dict]:
    """rows: (lot, amount, uom, form prefix) → a quantity list; fields names each row."""
    out = []
    for j, (lot, amount, uom, name) in enumerate(rows):
        fields[f"{key}[{j}].epcClass"] = f"{name}lot"
        fields[f"{key}[{j}].quantity"] = f"{name}quantity"
        fields[f"{key}[{j}].uom"] = f"{name}unit"
        fields[f"{key}[{j}]"] = f"{name}lot"
        out.append(quantity(lot, amount, uom))
    return out


# ------------------------------------------------------------------ the events


def harvest(
    *,
    area,
    lot: str,
    harvest_date: date,
    amount: Decimal,
    uom: str,
    crop=None,
    variety=None,
    plots=(),
    households=(),
    moment: datetime | None = None,
) -> Built:
    """Commissioning a harvest lot at a planting area (ObjectEvent ADD, bizStep commissioning,
    disposition active), the plots, households, harvest date, crop and variety as ILMD."""
    fields = {
        "readPoint": "area",
        "bizLocation": "area",
        "quantityList[0].quantity": "quantity",
        "quantityList[0].uom": "unit",
        "quantityList[0].epcClass": "lot_code",
        "quantityList": "quantity",
        "ilmd": "harvest_date",
        "eventTime": "harvest_date",
    }
    event = _base("ObjectEvent", moment or time_of_day(harvest_date), "commissioning", "active")
    event["action"] = "ADD"
    event["quantityList"] = [quantity(lot, amount, uom)]
    _where(event, services.location_uri(area.code))
    crop = crop or area.crop
    ilmd: dict = {
        "cbvmda:lotNumber": lot_code(lot).rpartition(":")[2],
        "cbvmda:countryOfOrigin": "VN",
        f"{PREFIX}:harvestDate": harvest_date.isoformat(),
        f"{PREFIX}:plantingArea": area.code,
    }
    if crop is not None:
        ilmd[f"{PREFIX}:crop"] = crop.code
        fields["ilmd.crop"] = "crop"
    if variety is not None:
        ilmd[f"{PREFIX}:variety"] = variety.name
    if plots:
        ilmd[f"{PREFIX}:plots"] = [plot_uri(p) for p in plots]
    if households:
        ilmd[f"{PREFIX}:households"] = [household_uri(h) for h in households]
    event["ilmd"] = ilmd
    return Built(event, fields, [lot])


def packing(
    *,
    house,
    inputs: list[tuple[str, Decimal, str, str]],
    outputs: list[tuple[str, Decimal, str, str]],
    moment: datetime,
    crop=None,
    variety=None,
) -> Built:
    """Packing at a packing house: a TransformationEvent, input lots in, packed lots out."""
    fields = {
        "readPoint": "packing_house",
        "bizLocation": "packing_house",
        "inputQuantityList": "inputs",
        "outputQuantityList": "outputs",
        "eventTime": "when",
    }
    event = _base("TransformationEvent", moment, "packing", "active")
    event["inputQuantityList"] = _quantities(inputs, "inputQuantityList", fields)
    event["outputQuantityList"] = _quantities(outputs, "outputQuantityList", fields)
    _where(event, services.location_uri(house.code))
    ilmd = {f"{PREFIX}:packingDate": timezone.localtime(moment).date().isoformat()}
    if house.code:
        ilmd[f"{PREFIX}:packingHouse"] = house.code
    if crop is not None:
        ilmd[f"{PREFIX}:crop"] = crop.code
    if variety is not None:
        ilmd[f"{PREFIX}:variety"] = variety.name
    event["ilmd"] = ilmd
    return Built(event, fields, [row[0] for row in outputs])


def receiving(
    *,
    lots: list[tuple[str, Decimal, str, str]],
    location: str,
    moment: datetime,
    receiver=None,
    source: str = "",
    source_party: str = "",
    doc_type: str = "",
    doc_number: str = "",
    purchase: bool = False,
) -> Built:
    """A purchase or a receiving: ObjectEvent OBSERVE, bizStep receiving, disposition
    in_progress, with the seller / sender as source and the document as bizTransaction."""
    fields = {
        "readPoint": "location",
        "bizLocation": "location",
        "quantityList": "lots",
        "eventTime": "when",
    }
    event = _base("ObjectEvent", moment, "receiving", "in_progress")
    event["quantityList"] = _quantities(lots, "quantityList", fields)
    _where(event, location)
    sources = []
    if source:
        sources.append({"type": "location", "source": source})
        fields["sourceList"] = "source"
    if source_party:
        sources.append({"type": "owning_party", "source": source_party})
        fields["sourceList"] = "source"
    if sources:
        event["sourceList"] = sources
    if receiver is not None:
        event["destinationList"] = [
            {"type": "owning_party", "destination": party_uri(receiver)},
            {"type": "location", "destination": location},
        ]
    _transactions(
        event, [(doc_type or ("po" if purchase else "desadv"), doc_number, "doc_number")], fields
    )
    if purchase:
        event[f"{PREFIX}:purchase"] = True
    return Built(event, fields, [row[0] for row in lots])


def inspection(
    *,
    lots: list[tuple[str, Decimal, str, str]],
    location: str,
    moment: datetime,
    certificate: str,
    conformant: bool = True,
    inspector=None,
) -> Built:
    """A phytosanitary inspection: ObjectEvent OBSERVE, bizStep inspecting, disposition
    conformant / non_conformant, the certificate as bizTransaction and certificationInfo."""
    fields = {
        "readPoint": "location",
        "bizLocation": "location",
        "quantityList": "lots",
        "certificationInfo": "certificate",
        "eventTime": "when",
    }
    event = _base(
        "ObjectEvent", moment, "inspecting", "conformant" if conformant else "non_conformant"
    )
    event["quantityList"] = _quantities(lots, "quantityList", fields)
    _where(event, location)
    _transactions(event, [("cert", certificate, "certificate")], fields)
    if certificate:
        event["certificationInfo"] = document_uri("cert", certificate)
    if inspector is not None:
        event[f"{PREFIX}:inspector"] = party_uri(inspector)
    return Built(event, fields, [row[0] for row in lots])


def shipping(
    *,
    lots: list[tuple[str, Decimal, str, str]],
    origin: str,
    moment: datetime,
    shipper=None,
    destination: str = "",
    destination_name: str = "",
    destination_country: str = "",
    receiver=None,
    transport_doc: str = "",
    customs_declaration: str = "",
    invoice: str = "",
    possessor=None,
) -> Built:
    """A shipment: ObjectEvent OBSERVE, bizStep shipping, disposition in_transit, read at the
    origin, with the destination and the transport document / customs declaration as
    bizTransactions. The parties as docs/epcis-parties.md says: `shipper` the source
    owning_party (for an export, the exporter), `possessor` the source possessing_party (the
    packing house that loads it, when not the owner), `receiver` the destination
    owning_party (the buyer), `destination_country` the market (agt:destinationCountry)."""
    fields = {
        "readPoint": "origin",
        "quantityList": "lots",
        "destinationList": "destination",
        "eventTime": "when",
    }
    event = _base("ObjectEvent", moment, "shipping", "in_transit")
    event["quantityList"] = _quantities(lots, "quantityList", fields)
    _where(event, origin, business=False)
    sources = [{"type": "location", "source": origin}] if origin else []
    if shipper is not None:
        sources.append({"type": "owning_party", "source": party_uri(shipper)})
    if possessor is not None and (shipper is None or possessor.pk != shipper.pk):
        sources.append({"type": "possessing_party", "source": party_uri(possessor)})
    if sources:
        event["sourceList"] = sources
    destinations = []
    if destination:
        destinations.append({"type": "location", "destination": destination})
    if receiver is not None:
        destinations.append({"type": "owning_party", "destination": party_uri(receiver)})
    if destinations:
        event["destinationList"] = destinations
    _transactions(
        event,
        [
            ("bol", transport_doc, "transport_doc"),
            (BTT_CUSTOMS, customs_declaration, "customs_declaration"),
            ("inv", invoice, "invoice"),
        ],
        fields,
    )
    if destination_name:
        event[f"{PREFIX}:destinationName"] = destination_name
    if destination_country:
        event[f"{PREFIX}:destinationCountry"] = destination_country.strip().upper()
    return Built(event, fields, [row[0] for row in lots])


# ------------------------------------------------------------------ errors back to fields


def field_errors(
    exc_errors: dict[str, list[str]], built: list[Built]
) -> dict[str | None, list[str]]:
    """Capture errors ({"$.epcisBody.eventList[0].quantityList[0].quantity": [...]}) by form
    field (None: not tied to one field), through each event's `fields`."""
    out: dict[str | None, list[str]] = {}
    for path, messages in exc_errors.items():
        name = None
        index, rest = _split(path)
        if index is not None and index < len(built):
            name = _match(rest, built[index].fields)
        out.setdefault(name, []).extend(str(m) for m in messages)
    return out


def _split(path: str) -> tuple[int | None, str]:
    marker = "$.epcisBody.eventList["
    if not path.startswith(marker):
        return None, path
    number, _sep, rest = path[len(marker) :].partition("]")
    if not number.isdigit():
        return None, path
    return int(number), rest.lstrip(".")


def _match(rest: str, fields: dict[str, str]) -> str | None:
    """The field of the longest known path that `rest` starts with."""
    best = None
    for known in sorted(fields, key=len, reverse=True):
        if rest == known or rest.startswith(known + ".") or rest.startswith(known + "["):
            best = fields[known]
            break
        if rest.startswith("ilmd") and known.startswith("ilmd.") and known[5:] in rest:
            best = fields[known]
            break
    return best


def field_of(path: str, built: Built) -> str | None:
    """The input of one event that a capture error's path points at."""
    return _match(_split(path)[1], built.fields)


def event_index(path: str) -> int | None:
    return _split(path)[0]
