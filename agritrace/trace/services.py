"""Capture and query of EPCIS 2.0 events, and the walk over the lot graph.

`capture()` stores one EPCIS document in one transaction: all its events or none. `query()`
answers the EPCIS simple event query (the GET /events parameters) within the actor's scope.
`backward()` / `forward()` walk `LotLink` by index.
"""

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, get_visible, require, visible
from agritrace.places.models import AdminUnit

from . import bulk, checks, outbound, parties, refusals, sameness, vocab
from .graph import _walk, backward_lot_ids, forward_lot_ids, lot_ids_for  # noqa: F401
from .hashing import Namespaces, event_hash_ids, hash_version
from .identifiers import canonical_epc
from .intake import depth_problem
from .jobs import _province_of, capture_job_json  # noqa: F401
from .models import CaptureJob, Event, EventEPC, Lot, LotLink, Role
from .readable import json_problem
from .signals import events_captured
from .uris import ID_BASE, location_uri, lot_uri  # noqa: F401
from .validation import document_errors

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
#: Identifiers of this service's own namespace (locations by code, lots without a GTIN).
_CHUNK = 500


class CaptureRejected(ValidationError):
    """The document cannot be captured; `error_dict` names the failing JSON paths."""


# ------------------------------------------------------------------ capture


_FAILED = object()


def parse_document(raw: bytes | str) -> object:
    """JSON from a request body; malformed JSON is a rejection naming the line and column, and
    one nested too deep is refused before it is parsed (trace.intake)."""
    try:
        # orjson first (its own nesting limit keeps it safe on any depth); the standard
        # library for what it refuses, so a malformed text is explained as before, and for
        # integers of 19 digits or more, which orjson reads as floats beyond 64 bits.
        parsed = bulk.loads(raw)
    except ValueError:
        parsed = _FAILED
    too_deep = depth_problem(raw)
    if too_deep:
        raise CaptureRejected({"$": [too_deep]})
    if parsed is not _FAILED:
        return parsed
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = (
            _("line %(line)s, column %(col)s") % {"line": exc.lineno, "col": exc.colno}
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise CaptureRejected(
            {
                "$": [
                    _("Malformed JSON (%(where)s): %(msg)s.")
                    % {
                        "where": where,
                        "msg": json_problem(exc.msg)
                        if isinstance(exc, json.JSONDecodeError)
                        else _("the text is not UTF-8"),
                    }
                ]
            }
        ) from exc


def capture(
    actor: Actor,
    document: object,
    job: CaptureJob | None = None,
    progress: Callable[[int], None] | None = None,
    received: bytes | None = None,
) -> CaptureJob:
    """Validate and store one EPCISDocument: every event or none. Raises CaptureRejected (with
    {json_path: [messages]}) for a document that cannot be captured, PermissionDenied for a role
    that may not capture. `job`: a background capture job to capture on (capture_jobs.py),
    told `progress(events checked)` as it goes; else a new job is made. `received`: the body as
    it came when `document` was converted from it (EPCIS XML, trace.xml_capture), kept and
    fingerprinted instead of the converted form."""
    require(actor, "capture_events")
    received = document if received is None else received
    try:
        raw = document if isinstance(document, bytes | str) else None
        if raw is not None:
            document = parse_document(raw)
        errors = document_errors(document, raw)
        if errors:
            raise CaptureRejected(errors)
        for attempt in range(3):
            try:
                with transaction.atomic():
                    return _store(actor, document, received, job, progress)
            except IntegrityError:
                # A concurrent capture stored some of the same events first: try again, they
                # are now duplicates.
                if attempt == 2:
                    raise
    except CaptureRejected as exc:
        # Rolled back: what was refused is kept all the same (refusals.py).
        exc.capture_job = refusals.record_refused(
            actor,
            received,
            exc,
            getattr(exc, "items", ()),
            job=job,
            parsed=document if isinstance(document, Mapping) else None,
        )
        raise
    raise AssertionError("unreachable")


def _rejected(errors: Mapping, items: list) -> CaptureRejected:
    """A rejection that carries the checked events, for the refusal rows."""
    exc = CaptureRejected(errors)
    exc.items = list(items)
    return exc


def _document_context(document: Mapping) -> list:
    """The parts of a document's @context beyond the standard one (its own namespaces)."""
    context = document.get("@context")
    items = context if isinstance(context, list) else [context]
    return [c for c in items if c and not (isinstance(c, str) and c in vocab.STANDARD_CONTEXTS)]


def _parse_time(value: str) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None:  # the schema has checked the format; be safe anyway
        raise CaptureRejected({"eventTime": [_("Not a date-time: %(v)s") % {"v": value}]})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


@dataclass
class _Locations:
    """Planting areas and packing houses named as read points / business locations."""

    cache: dict[str, tuple] = field(default_factory=dict)
    #: Processing facilities and production units by location URI (products.locations).
    others: dict[str, object] = field(default_factory=dict)

    @staticmethod
    def code_of(uri: str) -> str | None:
        prefix = ID_BASE + "loc:"
        return uri[len(prefix) :] if uri.startswith(prefix) else None

    def prefetch(self, uris: Iterable[str]) -> None:
        """Resolve the document's locations in two queries, not two per location. A code
        followed by '/…' (a plot of an area: {area code}/{plot label}) is that area."""
        from agritrace.registry.models import PackingHouse, PlantingArea

        wanted = {u: self.code_of(u) for u in set(uris) if u not in self.cache}
        codes = {c.split("/", 1)[0] for c in wanted.values() if c}
        if not codes:
            return
        from agritrace.products.locations import resolve as resolve_others

        others = resolve_others(codes)
        self.others.update({u: others[c] for u, c in wanted.items() if c in others})
        areas = {a.code: a for a in PlantingArea.objects.filter(code__in=codes)}
        houses = {h.code: h for h in PackingHouse.objects.filter(code__in=codes - set(areas))}
        communes = {
            u.pk: u
            for u in AdminUnit.objects.select_related("parent").filter(
                pk__in={x.commune_id for x in [*areas.values(), *houses.values()]}
            )
        }
        for holder in [*areas.values(), *houses.values()]:
            holder.commune = communes[holder.commune_id]
        for uri, code in wanted.items():
            if code is None:
                self.cache[uri] = (None, None)
                continue
            key = code if code in areas or code in houses else code.split("/", 1)[0]
            self.cache[uri] = (areas.get(key), houses.get(key) if key not in areas else None)

    def resolve(self, uri: str) -> tuple:
        """(area, packing_house) for one of our location URIs, else (None, None)."""
        if uri not in self.cache:
            self.prefetch([uri])
        return self.cache.get(uri, (None, None))

    def unknown(self, uri: str) -> bool:
        """One of our location URIs that names nothing in the registry."""
        return (
            self.code_of(uri) is not None
            and self.resolve(uri) == (None, None)
            and uri not in self.others
        )

    def other(self, uri: str) -> object | None:
        """The processing facility or production unit a location URI names, else None."""
        self.resolve(uri)
        return self.others.get(uri)


def _epc_rows(event: Mapping) -> list[tuple[str, str, object, str]]:
    """(canonical identifier, role, quantity, uom) for every identifier the event names."""
    rows: list[tuple[str, str, object, str]] = []
    lists = (
        ("epcList", Role.EPC),
        ("childEPCs", Role.CHILD),
        ("inputEPCList", Role.INPUT),
        ("outputEPCList", Role.OUTPUT),
    )
    for key, role in lists:
        for epc in event.get(key) or []:
            rows.append((checks.canonical(epc), role, None, ""))
    if event.get("parentID"):
        rows.append((checks.canonical(event["parentID"]), Role.PARENT, None, ""))
    quantities = (
        ("quantityList", Role.QUANTITY),
        ("childQuantityList", Role.CHILD_QUANTITY),
        ("inputQuantityList", Role.INPUT_QUANTITY),
        ("outputQuantityList", Role.OUTPUT_QUANTITY),
    )
    for key, role in quantities:
        for element in event.get(key) or []:
            quantity = element.get("quantity")
            rows.append(
                (
                    checks.canonical(element["epcClass"]),
                    role,
                    Decimal(str(quantity)) if quantity is not None else None,
                    element.get("uom", ""),
                )
            )
    # One row per identifier and role (an EPC listed twice is one fact).
    seen: set[tuple[str, str]] = set()
    unique = []
    for row in rows:
        if (row[0], row[1]) not in seen and len(row[0]) <= 255:
            seen.add((row[0], row[1]))
            unique.append(row)
    return unique


_INPUT_ROLES = {Role.INPUT, Role.INPUT_QUANTITY}
_OUTPUT_ROLES = {Role.OUTPUT, Role.OUTPUT_QUANTITY}
_CHILD_ROLES = {Role.CHILD, Role.CHILD_QUANTITY}
_CONTENT_ROLES = {Role.EPC, Role.QUANTITY}


def _links(event: Mapping, rows: list) -> list[tuple[str, str, str]]:
    """(source, target, kind) edges of the lot graph that an event adds."""
    kind = event.get("type")
    action = event.get("action")
    by_role: dict[str, list[str]] = {}
    for uri, role, _q, _u in rows:
        by_role.setdefault(role, []).append(uri)

    def of(roles: set) -> list[str]:
        return [u for r in roles for u in by_role.get(r, [])]

    parents = by_role.get(Role.PARENT, [])
    if kind == "TransformationEvent":
        return [
            (s, t, LotLink.Kind.TRANSFORMATION)
            for s in of(_INPUT_ROLES)
            for t in of(_OUTPUT_ROLES)
            if s != t
        ]
    if action == "DELETE" or not parents:
        return []
    if kind in ("AggregationEvent", "AssociationEvent"):
        link = LotLink.Kind.AGGREGATION if kind == "AggregationEvent" else LotLink.Kind.ASSOCIATION
        return [(s, parents[0], link) for s in of(_CHILD_ROLES)]
    if kind == "TransactionEvent":
        return [(s, parents[0], LotLink.Kind.AGGREGATION) for s in of(_CONTENT_ROLES)]
    return []


_PLACES = ("readPoint", "bizLocation")


def _newly_erroneous(declarations: list[tuple[int, dict]]) -> list[dict]:
    """The stored events a document declares erroneous that were not already: their
    kilograms are to be taken back once, not at every repeated declaration."""
    pks = sorted({pk for pk, _declaration in declarations})
    found: list[dict] = []
    for start in range(0, len(pks), _CHUNK):
        found.extend(
            Event.objects.filter(
                pk__in=pks[start : start + _CHUNK], error_declaration__isnull=True
            ).values_list("document", flat=True)
        )
    return found


def _store(
    actor: Actor,
    document: Mapping,
    received: object = None,
    job: CaptureJob | None = None,
    progress: Callable[[int], None] | None = None,
) -> CaptureJob:
    now = timezone.now()
    events = document["epcisBody"]["eventList"]
    extra_context = _document_context(document)
    namespaces = Namespaces(document.get("@context"))
    org_province = _province_of(actor.organisation.unit) if actor.organisation else None
    if job is None:
        sha, size = refusals.fingerprint(refusals.document_bytes(received or document))
        job = CaptureJob.objects.create(
            captured_by=actor.user if getattr(actor.user, "pk", None) else None,
            organisation=actor.organisation,
            province_id=org_province,
            event_count=len(events),
            document_id=str(document.get("id", ""))[:500],
            created_at=now,
            document_sha256=sha,
            document_size=size,
        )
    else:
        # A background job (capture_jobs.py): its row is written once, at the end, so the
        # progress connection never waits on this transaction.
        job.event_count = len(events)
        job.document_id = str(document.get("id", ""))[:500]
    hash_ids = [event_hash_ids(e, namespaces) for e in events]
    hashes = [h for h, _v21 in hash_ids]
    known_by_hash: dict[str, int] = {}
    # What a known hash is stored with, to tell a duplicate from a different event (sameness).
    stored_as: dict[str, Mapping] = {}
    given_ids = [e["eventID"] for e in events if e.get("eventID")]
    known_by_id: dict[str, tuple[int, str]] = {}
    for start in range(0, len(hashes), _CHUNK):
        for pk, h, stored_document in Event.objects.filter(
            event_hash__in=hashes[start : start + _CHUNK]
        ).values_list("id", "event_hash", "document"):
            known_by_hash[h] = pk
            stored_as[h] = stored_document
    for start in range(0, len(given_ids), _CHUNK):
        for pk, eid, h in Event.objects.filter(
            event_id__in=given_ids[start : start + _CHUNK]
        ).values_list("id", "event_id", "event_hash"):
            known_by_id[eid] = (pk, h)

    party_book = parties.PartyBook(events)
    locations = _Locations()
    locations.prefetch(
        checks.canonical((e.get(k) or {}).get("id", "")) for e in events for k in _PLACES
    )
    new_events: list[bulk.NewEvent] = []
    new_rows: list[list] = []
    new_links: list[list] = []
    items: list[checks.Item] = []
    pending_by_hash: dict[str, bulk.NewEvent] = {}
    pending_by_id: dict[str, bulk.NewEvent] = {}
    declarations: list[tuple[int, dict]] = []
    duplicates = 0
    own_loc, own_lot = ID_BASE + "loc:", ID_BASE + "lot:"
    for i, (event, h) in enumerate(zip(events, hashes, strict=True)):
        if progress is not None:
            progress(i)
        given = event.get("eventID") or ""
        declaration = event.get("errorDeclaration")
        if declaration is not None:
            # An error declaration names the original event by its eventID (or, being the same
            # event, has its hash): mark the original, wherever it is.
            original = None
            if given and given in known_by_id:
                original = known_by_id[given][0]
            elif given and given in pending_by_id:
                original = pending_by_id[given]
            elif h in known_by_hash:
                original = known_by_hash[h]
            elif h in pending_by_hash:
                original = pending_by_hash[h]
            if isinstance(original, bulk.NewEvent):
                original.error_declaration = declaration
                continue
            if original is not None:
                declarations.append((original, declaration))
                continue
        elif h in known_by_hash or h in pending_by_hash:
            same = pending_by_hash[h].document if h in pending_by_hash else stored_as[h]
            problem = sameness.difference(same, event, namespaces)
            if problem:
                raise CaptureRejected({f"$.epcisBody.eventList[{i}].{problem[0]}": [problem[1]]})
            duplicates += 1
            continue
        if given and (given in known_by_id or given in pending_by_id):
            raise _rejected(
                {
                    f"$.epcisBody.eventList[{i}].eventID": [
                        _("This eventID is already used by a different event.")
                    ]
                },
                items,
            )
        stored = dict(event)
        stored.setdefault("eventID", h)
        if extra_context:
            own = event.get("@context")
            stored["@context"] = extra_context + (
                own if isinstance(own, list) else [own] if own else []
            )
        read_point = checks.canonical((event.get("readPoint") or {}).get("id", ""))
        biz_location = checks.canonical((event.get("bizLocation") or {}).get("id", ""))
        area, house = locations.resolve(biz_location)
        if area is None and house is None:
            area, house = locations.resolve(read_point)
        holder = area or house or locations.other(biz_location) or locations.other(read_point)
        owner, receiver = party_book.owner(i), party_book.receiver(i)
        record = bulk.NewEvent(
            event_id=given or h,
            event_hash=h,
            event_hash_v21=hash_ids[i][1],
            hash_version=hash_version(given or h),
            event_type=event["type"],
            action=event.get("action", ""),
            event_time=_parse_time(event["eventTime"]),
            event_time_zone_offset=event["eventTimeZoneOffset"],
            record_time=now,
            biz_step=vocab.compact("bizStep", event["bizStep"]) if event.get("bizStep") else "",
            disposition=(
                vocab.compact("disposition", event["disposition"])
                if event.get("disposition")
                else ""
            ),
            read_point=read_point[:255],
            biz_location=biz_location[:255],
            error_declaration=declaration,
            document=stored,
            capture_job_id=job.pk,
            capture_org_id=actor.organisation.pk if actor.organisation else None,
            province_id=_province_of(holder.commune) if holder else org_province,
            area=area,
            packing_house=house,
            owning_party_id=owner.pk if owner is not None else None,
            destination_party_id=receiver.pk if receiver is not None else None,
            destination_market=(parties.market_of(event) or ("",))[0][:8],
        )
        rows = _epc_rows(event)
        new_events.append(record)
        new_rows.append(rows)
        new_links.append(_links(event, rows))
        pending_by_hash[h] = record
        pending_by_id[record.event_id] = record
        items.append(
            checks.Item(
                index=i,
                event=event,
                record=record,
                own=declaration is None
                and (
                    read_point.startswith(own_loc)
                    or biz_location.startswith(own_loc)
                    or any(uri.startswith(own_lot) for uri, *_rest in rows)
                ),
                read_point_unknown=locations.unknown(read_point),
                location_unknown=locations.unknown(biz_location),
            )
        )

    # The domain checks (checks.py): a refusal raises before anything of the document is
    # written; flags are written with the events.
    retracted = _newly_erroneous(declarations)
    book = checks.LotBook(
        [
            *(uri for rows in new_rows for uri, *_rest in rows),
            *(uri for stored in retracted for uri, *_rest in _epc_rows(stored)),
        ]
    )
    outcome = checks.check(document, items, book, retracted)
    party_book.flag_unknown(items, outcome)
    if outcome.errors:
        raise _rejected(outcome.errors, items)
    bulk.write_events(new_events)
    lot_ids = book.save()
    bulk.write_links(
        [
            (record.pk, lot_ids[uri], role, q, uom)
            for record, rows in zip(new_events, new_rows, strict=True)
            for uri, role, q, uom in rows
        ],
        [
            (lot_ids[s], lot_ids[t], record.pk, kind)
            for record, links in zip(new_events, new_links, strict=True)
            for s, t, kind in links
        ],
    )
    checks.save_flags(outcome, lot_ids)
    for pk, declaration in declarations:
        Event.objects.filter(pk=pk).update(error_declaration=declaration)
    outbound.to_outbox(new_events, new_rows, declarations)  # national side, same transaction
    job.status = CaptureJob.Status.SUCCEEDED
    job.finished_at = timezone.now()
    job.stored_count = len(new_events)
    job.duplicate_count = duplicates
    job.events_done = len(events)
    job.document_body = ""  # a queued document is not kept once captured
    job.save(
        update_fields=[
            "status",
            "finished_at",
            "stored_count",
            "duplicate_count",
            "events_done",
            "event_count",
            "document_id",
            "document_body",
        ]
    )
    stored_ids = [record.pk for record in new_events]
    transaction.on_commit(
        lambda: events_captured.send(sender=CaptureJob, job=job, event_ids=stored_ids)
    )
    return job


def get_capture_job(actor: Actor, capture_id: str) -> CaptureJob:
    if not str(capture_id).isdigit():
        from django.http import Http404

        raise Http404
    return get_visible(actor, CaptureJob.objects.all(), pk=int(capture_id))


# ------------------------------------------------------------------ query


def event_json(event: Event) -> dict:
    """The event as captured, with what the repository adds: recordTime, an eventID if it had
    none, and an error declaration made after it was captured."""
    data = dict(event.document)
    data["eventID"] = event.event_id
    data["recordTime"] = event.record_time.isoformat()
    if event.error_declaration is not None:
        data["errorDeclaration"] = event.error_declaration
    return data


def query_document(events: Iterable[Event]) -> dict:
    """An EPCISQueryDocument holding the events."""
    return {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": timezone.now().isoformat(),
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": [event_json(e) for e in events]},
            }
        },
    }


#: MATCH_ parameters → the roles an identifier is looked up in.
MATCH_ROLES = {
    "MATCH_epc": {Role.EPC, Role.CHILD},
    "MATCH_parentID": {Role.PARENT},
    "MATCH_inputEPC": {Role.INPUT},
    "MATCH_outputEPC": {Role.OUTPUT},
    "MATCH_anyEPC": {Role.EPC, Role.CHILD, Role.INPUT, Role.OUTPUT, Role.PARENT},
    "MATCH_epcClass": {Role.QUANTITY, Role.CHILD_QUANTITY},
    "MATCH_inputEPCClass": {Role.INPUT_QUANTITY},
    "MATCH_outputEPCClass": {Role.OUTPUT_QUANTITY},
    "MATCH_anyEPCClass": {
        Role.QUANTITY,
        Role.CHILD_QUANTITY,
        Role.INPUT_QUANTITY,
        Role.OUTPUT_QUANTITY,
    },
}
TIME_PARAMS = {
    "GE_eventTime": "event_time__gte",
    "LT_eventTime": "event_time__lt",
    "GE_recordTime": "record_time__gte",
    "LT_recordTime": "record_time__lt",
}
EQ_PARAMS = {
    "EQ_action": ("action", None),
    "EQ_bizStep": ("biz_step", "bizStep"),
    "EQ_disposition": ("disposition", "disposition"),
    "EQ_readPoint": ("read_point", "epc"),
    "EQ_bizLocation": ("biz_location", "epc"),
    "EQ_eventID": ("event_id", None),
}
PAGING_PARAMS = {"perPage", "nextPageToken"}
QUERY_PARAMS = {"eventType"} | set(MATCH_ROLES) | set(TIME_PARAMS) | set(EQ_PARAMS) | PAGING_PARAMS
_TOKEN_SALT = "agritrace.trace.events"


def _values(raw: str | list[str]) -> list[str]:
    """A parameter's values: repeated parameters and '|'- or ','-separated lists (EPCIS REST
    uses '|' between values of one parameter)."""
    items = raw if isinstance(raw, list) else [raw]
    values: list[str] = []
    for item in items:
        for part in item.replace("|", ",").split(","):
            if part.strip():
                values.append(part.strip())
    return values


def _lots_matching(values: list[str]) -> QuerySet:
    q = Q(uri__in=[canonical_epc(v) for v in values])
    for value in values:
        if value.startswith("urn:epc:idpat:") and value.endswith("*"):
            # A class-level pattern matches every instance of the class.
            q |= Q(uri__startswith=canonical_epc(value) + "/")
    return Lot.objects.filter(q).values("id")


def filter_events(queryset: QuerySet, params: Mapping[str, str | list[str]]) -> QuerySet:
    """Apply the EPCIS simple event query parameters. Unknown parameters are an error naming
    them (the EPCIS QueryParameterException)."""
    errors: dict[str, list[str]] = {}
    for name, raw in params.items():
        if name not in QUERY_PARAMS:
            errors[name] = [_("Unknown or unsupported query parameter.")]
            continue
        if name in PAGING_PARAMS:
            continue
        values = _values(raw)
        if not values:
            continue
        if name == "eventType":
            queryset = queryset.filter(event_type__in=values)
        elif name in TIME_PARAMS:
            moment = parse_datetime(values[0].replace(" ", "+"))
            if moment is None:
                errors[name] = [_("Not a date-time: %(v)s") % {"v": values[0]}]
                continue
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, UTC)
            queryset = queryset.filter(**{TIME_PARAMS[name]: moment})
        elif name in EQ_PARAMS:
            column, kind = EQ_PARAMS[name]
            if kind == "epc":
                values = [canonical_epc(v) for v in values]
            elif kind:
                values = [vocab.compact(kind, v) for v in values]
            if name == "EQ_eventID":  # the eventID, or either version of the event hash ID
                queryset = queryset.filter(
                    Q(event_id__in=values) | Q(event_hash__in=values) | Q(event_hash_v21__in=values)
                )
                continue
            queryset = queryset.filter(**{f"{column}__in": values})
        else:
            links = EventEPC.objects.filter(
                lot_id__in=_lots_matching(values), role__in=MATCH_ROLES[name]
            )
            queryset = queryset.filter(pk__in=links.values("event_id"))
    if errors:
        raise ValidationError(errors)
    return queryset


def page_size(params: Mapping) -> int:
    raw = params.get("perPage")
    raw = raw[0] if isinstance(raw, list) else raw
    if raw in (None, ""):
        return DEFAULT_PER_PAGE
    if not str(raw).isdigit() or int(raw) < 1:
        raise ValidationError({"perPage": [_("A positive whole number.")]})
    return min(int(raw), MAX_PER_PAGE)


def query(actor: Actor, params: Mapping[str, str | list[str]]) -> tuple[list[Event], str | None]:
    """One page of the events the actor may see that match the parameters, newest first,
    and the token of the next page (None on the last)."""
    per_page = page_size(params)
    events = filter_events(visible(actor, Event.objects.all()), params)
    token = params.get("nextPageToken")
    token = token[0] if isinstance(token, list) else token
    if token:
        try:
            before = signing.loads(token, salt=_TOKEN_SALT)
        except signing.BadSignature as exc:
            raise ValidationError({"nextPageToken": [_("Invalid page token.")]}) from exc
        events = events.filter(pk__lt=int(before))
    page = list(events.order_by("-pk")[: per_page + 1])
    next_token = None
    if len(page) > per_page:
        page = page[:per_page]
        next_token = signing.dumps(page[-1].pk, salt=_TOKEN_SALT)
    return page, next_token


def get_event(actor: Actor, event_id: str) -> Event:
    """One event by its eventID (or its hash ID) within the actor's scope, else Http404."""
    events = visible(actor, Event.objects.all())
    found = (
        events.filter(event_id=event_id).first()
        or events.filter(event_hash=event_id).first()
        or events.filter(event_hash_v21=event_id).first()
        or (event_id and events.filter(former_hash=event_id).first())
    )
    if found is None:
        from django.http import Http404

        raise Http404
    return found


# ------------------------------------------------------------------ lot graph


def trace(actor: Actor, uri: str, direction: str = "backward") -> dict:
    """The lots behind (or ahead of) an identifier and the events naming them that the actor
    may see."""
    start = lot_ids_for([uri])
    if not start:
        from django.http import Http404

        raise Http404
    walk = backward_lot_ids if direction == "backward" else forward_lot_ids
    lots = walk(start)
    events = visible(actor, Event.objects.all()).filter(
        pk__in=EventEPC.objects.filter(lot_id__in=lots).values("event_id")
    )
    return {
        "lots": sorted(Lot.objects.filter(pk__in=lots).values_list("uri", flat=True)),
        "events": list(events.order_by("event_time", "pk")),
    }
