"""Stamps: requesting them for a packed lot, voiding them, exporting their serials; and the
public side: what a scanned URI says (`lookup`), the scan log and the suspected-copy rule.

The lookup path is kept lean for its volume: parsing and the signature check touch no database;
then one indexed query finds the stamp (serial, unique) with its batch; the lot's summary comes
from the cache (`lot_summary`, rebuilt at most every AGRITRACE_STAMP_SUMMARY_TTL seconds); a
scan is one insert and one indexed read of that stamp's scans.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, get_visible, require, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record
from agritrace.exchange import outbox
from agritrace.notifications.services import notify
from agritrace.trace import services as trace_services
from agritrace.trace.identifiers import canonical_epc
from agritrace.trace.models import Event, EventEPC, Lot, Role
from agritrace.trace.recall import lot_status

from . import digital_link as dl
from . import issuers, labels, lotcache, scanlog, scanstate, signing
from .models import Scan, Stamp, StampBatch

MAX_PER_REQUEST = 100_000
_CHUNK = 2000
_OWN_LOT = re.compile(r"^" + re.escape(trace_services.ID_BASE) + r"lot:([^:]+):(.+)$")
_PACKED_ROLES = [Role.OUTPUT, Role.OUTPUT_QUANTITY, Role.EPC, Role.QUANTITY, Role.PARENT]


# ------------------------------------------------------------------ settings


def stamp_domain() -> str:
    """The address the QR codes point to: AGRITRACE_STAMP_DOMAIN, else the site's address
    (agritrace.site.site_url: the configured one, the request's, or the one served on)."""
    from agritrace.site import site_url

    return (getattr(settings, "AGRITRACE_STAMP_DOMAIN", None) or site_url()).rstrip("/")


COPY_RULES = {
    # A stamp is a suspected copy when, within `window_hours`, more than `max_clients`
    # different clients scanned it; when it was scanned in more than `max_places` places
    # (about 10 km cells); or when two scans with a place are more than `min_distance_km`
    # apart and the time between them would need more than `max_speed_kmh`.
    "window_hours": 72,
    "max_clients": 20,
    "max_places": 4,
    "min_distance_km": 50,
    "max_speed_kmh": 800,
}


def copy_rules() -> dict:
    return {**COPY_RULES, **getattr(settings, "AGRITRACE_STAMP_COPY_RULES", {})}


summary_ttl = lotcache.summary_ttl


# ------------------------------------------------------------------ identifiers


@dataclass(frozen=True)
class LotKey:
    """How a lot is written in a stamp's Digital Link: a GTIN and lot, or an owner code and lot
    in the service's own namespace."""

    primary: str
    key: str
    lot: str


def lot_key(lot_uri: str) -> LotKey:
    """The Digital Link key of a lot identifier (LGTIN, or a lot of the service's namespace);
    ValidationError for anything that is not a lot of one of those forms."""
    uri = canonical_epc(lot_uri)
    own = _OWN_LOT.match(uri)
    try:
        if own:
            owner, lot = own.groups()
            dl.build("https://x", dl.OWN_KEY, owner, {"10": lot})
            return _routable(LotKey(dl.OWN_KEY, owner, lot))
        link = dl.parse(uri)
    except dl.DigitalLinkError as exc:
        raise ValidationError(
            {"lot": [_("This lot cannot be written on a stamp: %s") % exc]}
        ) from exc
    if link.primary != "01" or not link.lot or link.serial:
        raise ValidationError(
            {"lot": [_("Stamps are for a lot (a GTIN with a lot number, or a lot of ours).")]}
        )
    return _routable(LotKey("01", link.key, link.lot))


def _routable(key: LotKey) -> LotKey:
    """A slash in a value is legal in a Digital Link (as %2F) but web servers decode it before
    the service sees the path: such a lot cannot be looked up reliably, so it gets no stamps."""
    if "/" in key.key or "/" in key.lot:
        raise ValidationError({"lot": [_("A lot or owner code with “/” cannot go on a stamp.")]})
    return key


def stamp_link(key: LotKey, serial: str, key_id: str) -> dl.DigitalLink:
    signature = signing.sign(key.primary, key.key, key.lot, serial, key_id)
    return dl.build(
        stamp_domain(), key.primary, key.key, {"10": key.lot, "21": serial}, [("s", signature)]
    )


def stamp_uri(stamp: Stamp, batch: StampBatch | None = None) -> str:
    batch = batch or stamp.batch
    return stamp_link(
        LotKey(batch.primary, batch.key, batch.lot_code), stamp.serial, stamp.key_id
    ).uri()


# ------------------------------------------------------------------ requesting stamps


def packing_events(actor: Actor, lot: Lot):
    """The packing events naming the lot as what was packed, within the actor's scope."""
    return visible(actor, Event.objects.all()).filter(
        biz_step="packing",
        pk__in=EventEPC.objects.filter(lot=lot, role__in=_PACKED_ROLES).values("event_id"),
    )


def packed_lots(actor: Actor, limit: int = 200) -> list[Lot]:
    """Lots the actor may stamp: packed by its packing house or owned by it (issuers.py),
    newest first."""
    return issuers.stampable_lots(actor, limit)


def _clean_count(count) -> int:
    try:
        value = int(count)
    except (TypeError, ValueError):
        raise ValidationError({"count": [_("A whole number of stamps.")]}) from None
    limit = int(getattr(settings, "AGRITRACE_STAMP_MAX_PER_REQUEST", MAX_PER_REQUEST))
    if not 1 <= value <= limit:
        raise ValidationError(
            {"count": [_("Between 1 and %(max)s stamps per request.") % {"max": limit}]}
        )
    return value


def request_stamps(actor: Actor, lot_uri: str, count) -> StampBatch:
    """Serialised, signed stamps for a lot the actor may stamp (packed by its packing house or
    owned by it: issuers.py; the lot as an identifier or OWNER:LOT as on its label):
    PermissionDenied for a role that may not request stamps, issuers.LotNotStampable (a
    Http404 with a message for the lot field) for a lot outside its scope or never packed,
    ValidationError for a bad count or a lot that cannot be written in a Digital Link."""
    require(actor, "request_stamps")
    count = _clean_count(count)
    if not isinstance(lot_uri, str) or not lot_uri.strip() or len(lot_uri) > 255:
        raise ValidationError({"lot": [_("Name the lot.")]})
    typed = lot_uri.strip()
    lot_uri = issuers.typed_lot_uri(typed)
    if ":" not in lot_uri:
        raise issuers.LotNotStampable(typed)  # a bare code, no owner: no lot of anyone's
    key = lot_key(lot_uri)
    lot = Lot.objects.filter(uri=lot_uri).first()
    if lot is None:
        raise issuers.LotNotStampable(typed)
    # Not packed, or neither packed nor owned by this actor: it does not exist for them.
    event = issuers.packing_of(actor, lot, typed)
    house = event.packing_house
    key_id = signing.active_key_id()
    for attempt in range(3):
        try:
            with transaction.atomic():
                batch = StampBatch.objects.create(
                    lot=lot,
                    primary=key.primary,
                    key=key.key,
                    lot_code=key.lot,
                    requested_by=actor.organisation,
                    requested_by_user=actor.user if actor.user_id else None,
                    packing_house=house,
                    province_id=event.province_id,
                    count=count,
                )
                serials = _unique_serials(count)
                for start in range(0, count, _CHUNK):
                    Stamp.objects.bulk_create(
                        Stamp(serial=s, batch=batch, key_id=key_id)
                        for s in serials[start : start + _CHUNK]
                    )
                record(
                    actor.user,
                    "stamps.request",
                    batch,
                    None,
                    {"lot": lot.uri, "count": count, "key_id": key_id},
                )
                outbox.stamps_issued(batch, lot.uri, key_id)
                return batch
        except IntegrityError:
            if attempt == 2:  # three collisions of 64 random bits: something else is wrong
                raise
    raise AssertionError("unreachable")


def _unique_serials(count: int) -> list[str]:
    serials: set[str] = set()
    while len(serials) < count:
        serials.add(signing.new_serial())
    return list(serials)


def batches(actor: Actor):
    return visible(actor, StampBatch.objects.select_related("lot", "packing_house"))


def get_batch(actor: Actor, pk) -> StampBatch:
    if not str(pk).isdigit():
        raise Http404
    return get_visible(actor, batches(actor), pk=int(pk))


def void_stamps(actor: Actor, serials: list[str], reason: str) -> int:
    """Void stamps (damaged labels) of the actor's own batches, all or none: a serial that is
    not one of its stamps is an error naming it. Returns how many were voided now."""
    require(actor, "request_stamps")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the stamps are voided.")]})
    wanted = [signing.normalise_serial(s) for s in serials if s and s.strip()]
    if not wanted:
        raise ValidationError({"serials": [_("Name at least one serial.")]})
    if len(wanted) > MAX_PER_REQUEST:
        raise ValidationError({"serials": [_("Too many serials at once.")]})
    mine = visible(actor, Stamp.objects.all())  # its own batches and its houses' (access.py)
    with transaction.atomic():
        found = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            found.update(mine.filter(serial__in=chunk).values_list("serial", "pk"))
        missing = [s for s in wanted if s not in found]
        if missing:
            raise ValidationError(
                {"serials": [_("Not one of your stamps: %(s)s") % {"s": ", ".join(missing[:10])}]}
            )
        now = timezone.now()
        ids = list(found.values())
        changed = 0
        batch_ids: set[int] = set()
        for start in range(0, len(ids), _CHUNK):
            part = Stamp.objects.filter(pk__in=ids[start : start + _CHUNK], status="active")
            batch_ids |= set(part.values_list("batch_id", flat=True))
            changed += part.update(status=Stamp.Status.VOIDED, voided_at=now)
        for batch in StampBatch.objects.filter(pk__in=batch_ids):
            record(
                actor.user,
                "stamps.void",
                batch,
                None,
                {"serials": sorted(s for s in wanted if found.get(s))[:1000]},
                reason,
            )
    return changed


def export_csv(actor: Actor, batch: StampBatch) -> str:
    """The serials of a batch as CSV for a label printer: serial, Digital Link URI, status."""
    require(actor, "request_stamps")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["serial", "uri", "status", "lot", "key_id"])
    key = LotKey(batch.primary, batch.key, batch.lot_code)
    for stamp in batch.stamps.order_by("pk").iterator(chunk_size=_CHUNK):
        writer.writerow(
            [
                stamp.serial,
                stamp_link(key, stamp.serial, stamp.key_id).uri(),
                stamp.status,
                _csv_safe(batch.lot_code),
                stamp.key_id,
            ]
        )
    return out.getvalue()


def _csv_safe(value: str) -> str:
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def qr_svg(uri: str, scale: int = 4) -> str:
    import segno

    return segno.make(uri, error="m", micro=False).svg_inline(scale=scale, border=2)


# ------------------------------------------------------------------ the lot summary


def _round_out(value: float, down: bool) -> float:
    step = 0.01  # about 1 km: the map shows the area, never the plots
    return round((math.floor if down else math.ceil)(value / step) * step, 2)


def _recall(lot_uri: str, lot_ids: set[int]) -> dict | None:
    """The lot's recall (trace.recall.lot_status: an open recall, or one closed as completed),
    else an event of the lot or a lot it was made from declaring the disposition `recalled`."""
    active = [r for r in lot_status(lot_uri)["recalls"] if r["lotsRecalled"]]
    if active:
        return {"reason": active[-1]["reason"][:300], "reference": active[-1]["reference"][:60]}
    recalled = (
        Event.objects.filter(
            disposition="recalled",
            pk__in=EventEPC.objects.filter(lot_id__in=lot_ids).values("event_id"),
        )
        .order_by("event_time")
        .first()
    )
    if recalled is not None:
        return {"reason": "", "at": recalled.event_time.date().isoformat()}
    return None


def _place(unit) -> dict:
    if unit is None:
        return {"commune": "", "province": ""}
    province = unit.province
    return {"commune": unit.name if unit.pk != province.pk else "", "province": province.name}


def build_lot_summary(lot_id: int) -> dict:
    """What the public may know about a lot: product, areas (code, place, a coarse box for the
    map, certificates), packing house, dates, inspections, the chain, recall and code states.
    No household, no ID number, no plot."""
    from agritrace.registry.models import CodeStatus, PackingHouse, PlantingArea, Plot

    lot = Lot.objects.select_related("crop").get(pk=lot_id)
    back = trace_services.backward_lot_ids({lot_id})
    ahead = trace_services.forward_lot_ids({lot_id})
    chain_lots = back | ahead
    events = list(
        Event.objects.filter(
            pk__in=EventEPC.objects.filter(lot_id__in=chain_lots).values("event_id"),
            error_declaration__isnull=True,
        )
        .order_by("event_time", "pk")
        .values(
            "event_time",
            "event_time_zone_offset",
            "biz_step",
            "disposition",
            "area_id",
            "packing_house_id",
            "document",
            "pk",
        )[:200]
    )
    for e in events:
        e["day"] = _local_day(e["event_time"], e["event_time_zone_offset"])
    area_ids = {e["area_id"] for e in events if e["area_id"]}
    house_ids = {e["packing_house_id"] for e in events if e["packing_house_id"]}
    areas = {
        a.pk: a
        for a in PlantingArea.objects.filter(pk__in=area_ids).select_related(
            "crop", "variety", "commune__parent"
        )
    }
    houses = {
        h.pk: h
        for h in PackingHouse.objects.filter(pk__in=house_ids).select_related("commune__parent")
    }
    today = timezone.localdate()
    area_rows = []
    for area in areas.values():
        box = Plot.objects.filter(area=area).aggregate(
            a=Min("min_lon"), b=Min("min_lat"), c=Max("max_lon"), d=Max("max_lat")
        )
        bbox = None
        if box["a"] is not None:
            bbox = [
                _round_out(box["a"], True),
                _round_out(box["b"], True),
                _round_out(box["c"], False),
                _round_out(box["d"], False),
            ]
        area_rows.append(
            {
                "code": area.code or "",
                "status": area.code_status,
                "crop_code": area.crop.code,
                "crop_vi": area.crop.name_vi,
                "crop_en": area.crop.name_en,
                "variety": area.variety.name if area.variety_id else "",
                "bbox": bbox,
                **_place(area.commune),
                "certificates": [
                    {
                        "kind": c.get_kind_display(),
                        "number": c.number,
                        "issuer": c.issuer,
                        "valid_to": c.valid_to.isoformat(),
                    }
                    for c in area.certificates.all()
                    if c.is_valid_on(today)
                ],
            }
        )
    area_rows.sort(key=lambda r: r["code"])
    pack_event = next((e for e in events if e["biz_step"] == "packing"), None)
    house = houses.get(pack_event["packing_house_id"]) if pack_event else None
    if house is None and houses:
        house = next(iter(houses.values()))
    harvests = [
        e["day"]
        for e in events
        if e["biz_step"] in ("commissioning", "harvesting") and e["area_id"]
    ]
    inspections = []
    timeline = []
    for e in events:
        place = ""
        if e["area_id"] in areas:
            place = areas[e["area_id"]].code or ""
        elif e["packing_house_id"] in houses:
            place = houses[e["packing_house_id"]].code or ""
        elif e["document"]:  # a processing facility or production unit (products)
            ilmd = e["document"].get("ilmd") or {}
            loc = str((e["document"].get("bizLocation") or {}).get("id") or "")
            own = loc.rpartition(":")[2] if (":loc:facility:" in loc or ":loc:unit:" in loc) else ""
            place = str(ilmd.get("agt:processingFacility") or ilmd.get("agt:productionUnit") or own)
        if e["biz_step"] == "inspecting":
            cert = e["document"].get("certificationInfo") if e["document"] else None
            cert = ", ".join(
                _cert_number(str(c)) for c in (cert if isinstance(cert, list) else [cert]) if c
            )
            inspections.append(
                {
                    "date": e["day"],
                    "disposition": e["disposition"],
                    "place": place,
                    "certificate": str(cert or "")[:200],
                }
            )
        timeline.append({"date": e["day"], "step": e["biz_step"], "place": place})
    shipments = _shipments(events)
    statuses = [a["status"] for a in area_rows] + ([house.code_status] if house else [])
    code_problem = (
        "revoked"
        if CodeStatus.REVOKED in statuses
        else "suspended"
        if CodeStatus.SUSPENDED in statuses
        else None
    )
    first = area_rows[0] if area_rows else None
    if lot.crop_id and (first is None or lot.crop.code != first["crop_code"]):
        # The lot's own product where it differs (a processed lot: products).
        first = {"crop_code": lot.crop.code, "crop_vi": lot.crop.name_vi,
                 "crop_en": lot.crop.name_en, "variety": ""}  # fmt: skip
    return {
        "lot_uri": lot.uri,
        "crop_code": first["crop_code"] if first else "",
        "crop_vi": first["crop_vi"] if first else "",
        "crop_en": first["crop_en"] if first else "",
        "variety": first["variety"] if first else "",
        "areas": area_rows,
        "packing_house": (
            {
                "code": house.code or "",
                "name": house.name,
                "status": house.code_status,
                **_place(house.commune),
            }
            if house
            else None
        ),
        "harvest_from": min(harvests) if harvests else None,
        "harvest_to": max(harvests) if harvests else None,
        "pack_date": pack_event["day"] if pack_event else None,
        "inspections": inspections[-5:],
        "timeline": _short_timeline(timeline),
        "shipments": shipments,
        "recall": _recall(lot.uri, back),
        "code_problem": code_problem,
    }


def _shipments(events: list[dict]) -> list[dict]:
    """Where the lot went, as far as it is public: the day, the destination country (the
    market) and a registered packing house it went to (codes are public). Not the buyer, the
    transport or customs documents, nor a free-text address: those stay with the authority."""
    from agritrace.registry.models import Market, PackingHouse
    from agritrace.trace.builders import PREFIX

    rows = []
    for e in events:
        if e["biz_step"] != "shipping" or not e["document"]:
            continue
        doc = e["document"]
        country = str(doc.get(f"{PREFIX}:destinationCountry") or "")[:8]
        houses = [
            str(d.get("destination", ""))
            for d in doc.get("destinationList") or []
            if isinstance(d, dict) and str(d.get("type", "")).endswith("location")
        ]
        house = ""
        for uri in houses:
            code = uri.rsplit(":", 1)[-1]
            if PackingHouse.objects.filter(code=code).exists():
                house = code
        if country or house:
            rows.append({"date": e["day"], "country": country, "house": house})
    markets = {m.code: m for m in Market.objects.filter(code__in={r["country"] for r in rows})}
    for row in rows:
        market = markets.get(row["country"])
        row["country_vi"] = market.name_vi if market else row["country"]
        row["country_en"] = market.name_en if market else row["country"]
    return rows[-5:]


def _cert_number(uri: str) -> str:
    """The certificate number at the end of a certificationInfo URI."""
    return re.split(r"[:/#=]", uri.rstrip("/"))[-1] or uri


def _local_day(moment: datetime, offset: str) -> str:
    """The day (ISO) on which an event happened where it happened (its own time zone)."""
    m = re.fullmatch(r"([+-])(\d{2}):(\d{2})", offset or "")
    if not m:
        return timezone.localtime(moment).date().isoformat()
    delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    return (moment + (delta if m.group(1) == "+" else -delta)).date().isoformat()


def _short_timeline(rows: list[dict], limit: int = 12) -> list[dict]:
    """One row per step, place and day, at most `limit` (the first and the latest kept)."""
    seen = set()
    unique = []
    for row in rows:
        key = (row["date"], row["step"], row["place"])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    if len(unique) > limit:
        unique = unique[: limit // 2] + unique[-(limit - limit // 2) :]
    return unique


def lot_summary(lot_id: int) -> dict:
    """The lot's public summary, from the shared cache (lotcache.py) or built now."""
    return lotcache.summary(lot_id, build_lot_summary)


def forget_lot_summary(lot_id: int) -> None:
    """Forget the cached lot (its summary and rendered page parts) in every process sharing
    the cache. Bumps the cache's generation: every lot is rebuilt at its next scan."""
    lotcache.bump()


def forget_recalled_lots(sender, lot_ids=(), **kwargs) -> None:
    """trace.signals.recall_changed: the summaries of a recall's lots are out of date."""
    lotcache.on_recall_changed(sender, lot_ids=lot_ids)


# ------------------------------------------------------------------ public lookup


class Status:
    GENUINE = "genuine"
    RECALLED = "recalled"
    REVOKED = "revoked"  # a code of the chain revoked
    SUSPENDED = "suspended"  # a code of the chain suspended
    VOIDED = "voided"  # the stamp itself was voided (damaged label)
    COPY = "copy"  # suspected copy
    FORGED = "forged"  # the signature does not match
    UNKNOWN = "unknown"  # well-formed and signed, but no such stamp
    MALFORMED = "malformed"  # not a stamp's URI, or cut short


#: Statuses under which the product may be trusted as what the page says.
TRUSTED = {Status.GENUINE}


@dataclass
class Lookup:
    status: str
    problem: str = ""  # for MALFORMED: what was wrong (a DigitalLinkError code)
    link: dl.DigitalLink | None = None
    stamp: Stamp | None = None
    summary: dict | None = None
    first_scan: Scan | None = None
    scan_count: int = 0
    #: Distinct visitors (client keys) that opened the stamp: repeat scans count once.
    visitor_count: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def serial(self) -> str:
        return self.link.serial if self.link and self.link.serial else ""


def _status_of(stamp: Stamp, summary: dict) -> str:
    if stamp.status == Stamp.Status.VOIDED:
        return Status.VOIDED
    if summary.get("recall"):
        return Status.RECALLED
    if summary.get("code_problem") == "revoked":
        return Status.REVOKED
    if summary.get("code_problem") == "suspended":
        return Status.SUSPENDED
    if stamp.suspected_copy_at:
        return Status.COPY
    return Status.GENUINE


def check_link(link: dl.DigitalLink) -> Lookup:
    """The verdict on a parsed URI before the database: malformed, forged, or worth a look."""
    serial = link.serial
    if link.primary not in ("01", dl.OWN_KEY) or not link.lot or not serial:
        return Lookup(Status.MALFORMED, "not_a_stamp", link)
    if not signing.SERIAL_RE.match(serial):
        code = "incomplete" if len(serial) < signing.SERIAL_LENGTH else "not_a_stamp"
        return Lookup(Status.MALFORMED if code == "incomplete" else Status.FORGED, code, link)
    verdict = signing.verify(link.primary, link.key, link.lot, serial, link.attribute("s"))
    if verdict == signing.Verdict.INCOMPLETE:
        return Lookup(Status.MALFORMED, "incomplete", link)
    if verdict in (signing.Verdict.BAD, signing.Verdict.MISSING):
        return Lookup(Status.FORGED, verdict, link)
    if verdict == signing.Verdict.UNKNOWN_KEY:
        return Lookup(Status.UNKNOWN, verdict, link)
    return Lookup(Status.GENUINE, "", link)


def _case_folded(link: dl.DigitalLink) -> dl.DigitalLink:
    """Serials and signatures are base32, which ignores case: a reader that upper-cased the
    URI still finds the stamp."""
    if link.primary not in ("01", dl.OWN_KEY):
        return link
    qualifiers = tuple((ai, v.lower() if ai == "21" else v) for ai, v in link.qualifiers)
    attributes = tuple((k, v.lower() if k == "s" else v) for k, v in link.attributes)
    return replace(link, qualifiers=qualifiers, attributes=attributes)


def lookup_uri(uri: str) -> Lookup:
    """What a scanned URI says. Never raises for bad input: a malformed URI is a Lookup with
    status MALFORMED and the problem's code."""
    try:
        link = dl.parse(uri)
    except dl.DigitalLinkError as exc:
        return Lookup(Status.MALFORMED, exc.code)
    result = check_link(_case_folded(link))
    if result.status != Status.GENUINE:
        return result
    link = result.link
    stamp = Stamp.objects.select_related("batch").filter(serial=link.serial).first()
    if (
        stamp is None
        or stamp.batch.key != link.key
        or stamp.batch.lot_code != link.lot
        or stamp.batch.primary != link.primary
    ):
        return Lookup(Status.UNKNOWN, "no_such_stamp", link)
    return _with_stamp(stamp, link)


def lookup_serial(serial: str) -> Lookup:
    """A stamp by its serial alone (typed by a person or sent by an importer's system)."""
    serial = signing.normalise_serial(serial)
    if not signing.SERIAL_RE.match(serial):
        return Lookup(Status.MALFORMED, "bad_serial")
    stamp = Stamp.objects.select_related("batch").filter(serial=serial).first()
    if stamp is None:
        return Lookup(Status.UNKNOWN, "no_such_stamp")
    key = LotKey(stamp.batch.primary, stamp.batch.key, stamp.batch.lot_code)
    return _with_stamp(stamp, stamp_link(key, serial, stamp.key_id))


def _with_stamp(stamp: Stamp, link: dl.DigitalLink) -> Lookup:
    summary = lot_summary(stamp.batch.lot_id)
    return Lookup(_status_of(stamp, summary), "", link, stamp, summary)


# ------------------------------------------------------------------ scans


def client_hash(ip: str, user_agent: str = "", day: date | None = None) -> str:
    """The visitor key of a scan: a keyed hash of the address and the browser with a salt of
    the day (never the address itself, no cookie). The same phone gives the same key all day,
    so its repeat scans count as one visitor; the next day the key differs, so scans cannot be
    linked from one day to the next, and without the service's secret no address can be
    recovered. A visitor is therefore counted once per day (docs/architecture.md)."""
    day = day or timezone.localdate()
    salt = hashlib.sha256(
        b"agritrace.stamps.client:" + settings.SECRET_KEY.encode() + day.isoformat().encode()
    ).digest()
    mac = hmac.new(salt, f"{ip}|{user_agent[:200]}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def organisation_client(org: Organisation) -> str:
    """The scan log's client for a lookup by an organisation's own system (an importer's, a
    buyer's): one client however many machines it runs, named by its public identifier."""
    return f"org:{org.identifier or '#' + str(org.pk)}"[:48]


def _coarse(value) -> Decimal | None:
    """A coordinate rounded to 0.1 degree (about 11 km), or None if it is not a coordinate."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return None
    if not number.is_finite() or abs(number) > 1000:
        return None
    return number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def coarse_place(lat, lon) -> tuple[Decimal | None, Decimal | None]:
    """Rounded (lat, lon), or (None, None) unless both are plausible coordinates."""
    clat, clon = _coarse(lat), _coarse(lon)
    if clat is None or clon is None or not (-90 <= clat <= 90 and -180 <= clon <= 180):
        return None, None
    return clat, clon


def log_scan(lookup: Lookup, client: str, lat=None, lon=None) -> Lookup:
    """Record a scan of the stamp behind a lookup, fill in the first scan and the count, and
    apply the suspected-copy rule. Lookups without a stamp are not logged. The row goes to the
    scan log (scanlog.py: at once, or buffered in a served process); what the page shows comes
    from the stamp's incremental scan state (scanstate.py), not from a query of the table."""
    stamp = lookup.stamp
    if stamp is None:
        return lookup
    clat, clon = coarse_place(lat, lon)
    at = timezone.now()
    scanlog.write(stamp.pk, client, clat, clon, at)
    rules = copy_rules()
    state, reason = scanstate.record(stamp.pk, client, at, clat, clon, rules)
    _after_scan(lookup, state, reason)
    return lookup


def add_place(lookup: Lookup, client: str, lat, lon) -> bool:
    """The person allowed their place: put it (coarse) on their latest scan of this stamp
    (within the last hour), or log a new scan with it. False for unusable coordinates."""
    stamp = lookup.stamp
    clat, clon = coarse_place(lat, lon)
    if stamp is None or clat is None:
        return False
    scanlog.flush()  # this process's buffered scans first: the latest may still be there
    latest = (
        Scan.objects.filter(stamp=stamp, client=client, at__gte=timezone.now() - timedelta(hours=1))
        .order_by("-at", "-pk")
        .first()
    )
    rules = copy_rules()
    if latest is not None and not latest.has_place:
        latest.lat, latest.lon = clat, clon
        latest.save(update_fields=["lat", "lon"])
        state, reason = scanstate.load(stamp.pk, rules, timezone.now())
        reason = scanstate.add_place(state, latest.at, clat, clon, rules) or reason
        scanstate.save(stamp.pk, state, rules)
    else:
        at = timezone.now()
        scanlog.write(stamp.pk, client, clat, clon, at)
        state, reason = scanstate.record(stamp.pk, client, at, clat, clon, rules)
    _after_scan(lookup, state, reason)
    return True


def visitor_count(stamp: Stamp) -> int:
    """How many distinct visitors opened the stamp (each client key once; see client_hash)."""
    return Scan.objects.filter(stamp=stamp).values("client").distinct().count()


def _distance_km(a: Scan, b: Scan) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, map(float, (a.lat, a.lon, b.lat, b.lon)))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def copy_reason(scans: list[Scan], now: datetime) -> str | None:
    """Why these scans of one stamp (oldest first) point to a copy, or None."""
    rules = copy_rules()
    window = now - timedelta(hours=rules["window_hours"])
    clients = {s.client for s in scans if s.at >= window}
    if len(clients) > rules["max_clients"]:
        return f"{len(clients)} clients in {rules['window_hours']} h"
    placed = [s for s in scans if s.has_place]
    places = {(s.lat, s.lon) for s in placed}
    if len(places) > rules["max_places"]:
        return f"{len(places)} places"
    for a, b in zip(placed, placed[1:], strict=False):
        km = _distance_km(a, b)
        if km < rules["min_distance_km"]:
            continue
        hours = max((b.at - a.at).total_seconds() / 3600, 1 / 60)
        if km / hours > rules["max_speed_kmh"]:
            return f"{km:.0f} km in {hours * 60:.0f} min"
    return None


def _after_scan(lookup: Lookup, state: dict, reason: str | None) -> None:
    stamp = lookup.stamp
    lookup.first_scan = scanstate.first_scan(state)
    lookup.scan_count = state["count"]
    lookup.visitor_count = scanstate.visitor_count(state)
    if stamp.suspected_copy_at or stamp.status != Stamp.Status.ACTIVE:
        return
    if reason:
        mark_suspected_copy(stamp, reason)
        if lookup.status == Status.GENUINE:
            lookup.status = Status.COPY


def mark_suspected_copy(stamp: Stamp, reason: str) -> None:
    """Mark a stamp as a suspected copy (once) and alert its packing house and province."""
    with transaction.atomic():
        updated = Stamp.objects.filter(pk=stamp.pk, suspected_copy_at__isnull=True).update(
            suspected_copy_at=timezone.now()
        )
        if not updated:
            return  # another request marked it first
        stamp.refresh_from_db(fields=["suspected_copy_at"])
        batch = stamp.batch
        record(None, "stamps.suspected_copy", stamp, None, {"serial": stamp.serial}, reason)
        orgs = [batch.requested_by]
        if batch.packing_house_id:
            orgs.append(batch.packing_house.operator)
        if batch.province_id:
            orgs += list(
                Organisation.objects.filter(
                    unit_id=batch.province_id,
                    kind__in=[OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION],
                )
            )
        notify(
            orgs,
            _("Suspected copy of stamp %(serial)s") % {"serial": stamp.serial},
            _(
                "Stamp %(serial)s of lot %(lot)s was scanned in a way a single label cannot be "
                "(%(reason)s). It now shows as a suspected copy."
            )
            % {"serial": stamp.serial, "lot": batch.lot_code, "reason": reason},
            url=f"/stamps/batches/{batch.pk}/",
        )


# ------------------------------------------------------------------ public code lookup


def public_code(code: str) -> dict | None:
    """A planting-area or packing-house code's public row (status, markets), or None."""
    from agritrace.registry.models import CodeStatus, PackingHouse, PlantingArea
    from agritrace.registry.services import _public_row

    text = (code or "").strip().upper()
    if not text or len(text) > 40:
        return None
    variants = {text}
    if text.startswith("VN") and not text.startswith("VN-"):
        variants.add("VN-" + text[2:])  # written without the first hyphen
    published = [CodeStatus.ISSUED, CodeStatus.SUSPENDED, CodeStatus.REVOKED]
    area = (
        PlantingArea.objects.filter(code__in=variants, code_status__in=published)
        .select_related("crop", "commune__parent")
        .prefetch_related("markets", "approvals__market")
        .first()
    )
    if area is not None:
        return _public_row(area, "area", str(area.crop), area.declared_area_ha)
    house = (
        PackingHouse.objects.filter(code__in=variants, code_status__in=published)
        .select_related("commune__parent")
        .prefetch_related("crops", "markets", "approvals__market")
        .first()
    )
    if house is not None:
        crops = ", ".join(str(c) for c in house.crops.all())
        return _public_row(house, "packing_house", crops, None)
    return None


# ------------------------------------------------------------------ label sheets


def label_data(batch: StampBatch, market: str = "") -> list:
    """The label renderer's LabelData for the active stamps of a batch."""
    summary = lot_summary(batch.lot_id)
    area = summary["areas"][0] if summary["areas"] else {}
    house = summary["packing_house"] or {}
    crop = " / ".join(x for x in (summary["crop_vi"], summary["crop_en"]) if x)
    wording = labels.MARKET_WORDING.get(f"{market}-{summary['crop_code']}")
    lines = tuple(wording.lines) if wording is not None else ()
    key = LotKey(batch.primary, batch.key, batch.lot_code)
    return [
        labels.LabelData(
            digital_link_uri=stamp_link(key, stamp.serial, stamp.key_id).uri(),
            serial=stamp.serial,
            planting_area_code=area.get("code", ""),
            packing_house_code=house.get("code", ""),
            crop=crop,
            variety=summary["variety"],
            lot=batch.lot_code,
            pack_date=summary["pack_date"] or "",
            market_lines=lines,
            packing_house_name=house.get("name", ""),
        )
        for stamp in batch.stamps.filter(status=Stamp.Status.ACTIVE).order_by("pk")
    ]


def render_labels(batch: StampBatch, layout: str = "a4", market: str = "") -> bytes:
    """A PDF of label sheets for a batch (`layout`: "a4" or "roll")."""
    if layout not in ("a4", "roll"):
        raise ValidationError({"layout": [_("A4 sheets or a roll.")]})
    data = label_data(batch, market)
    if not data:
        raise ValidationError({"batch": [_("No active stamps to print.")]})
    try:
        return labels.render_sheet(data, layout, title=f"AgriTrace {batch.lot_code}")
    except ValueError as exc:  # what does not fit on a label, a character no font has
        raise ValidationError({"batch": [str(exc)]}) from exc
