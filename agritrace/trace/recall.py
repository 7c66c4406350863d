"""Recall: from a failed residue sample or an importing country's notice, every lot and shipment
reached by a forward trace, marked recalled, and the organisations holding them told.

Where the trace starts:

* a **failed sample** (one with a residue case: a result above a target market's limit): the
  lot the sample names in "plot or lot" when it is one of the lots we hold; otherwise every lot
  harvested at the sample's planting area from ``RECALL_DAYS_BEFORE_SAMPLE`` days before the
  sampling date on (produce picked before the sample can carry the same residue; the later
  harvests until the area is cleared too);
* a **notice**: the lot of its shipment reference when we hold it (with the harvest lots
  behind it, so that their other packings are found too); else every lot harvested at the
  areas it names and every lot packed at the packing houses it names, from
  ``RECALL_DAYS_BEFORE_NOTICE`` days before the notice.

From there `services.forward_lot_ids` walks the lot graph (transformations, pallets,
associations) by index. Shipments are the events of a shipping, departing or exporting step
that name an affected lot. Told: the organisations that captured events naming the lots, the
operators of the packing houses they passed through, the exporters authorised for the areas,
the areas' representatives, and the province authorities. Only a province department or
plant-protection office may start a recall (``PERMISSIONS["recall"]``), for a sample or notice
in its scope; it is audited.
"""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agritrace.accounts.access import Actor, can, get_visible, require, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.exchange import outbox
from agritrace.limits import NOTE_MAX_LENGTH, REASON_MAX_LENGTH, check_length
from agritrace.notifications.services import notify

from . import builders
from .identifiers import canonical_epc
from .models import Event, EventEPC, Lot, Recall, RecallLot
from .signals import recall_changed

RECALL_DAYS_BEFORE_SAMPLE = getattr(settings, "AGRITRACE_RECALL_DAYS_BEFORE_SAMPLE", 30)
RECALL_DAYS_BEFORE_NOTICE = getattr(settings, "AGRITRACE_RECALL_DAYS_BEFORE_NOTICE", 120)
#: How many times a recall's reference is drawn again when a concurrent recall took it.
REFERENCE_ATTEMPTS = 5
#: Business steps whose events are shipments.
SHIPPING_STEPS = {"shipping", "departing"}
_SHIPPING_SUFFIXES = ("exporting", "export")


def _is_shipping(step: str) -> bool:
    return step in SHIPPING_STEPS or step.rsplit(":", 1)[-1].rsplit("-", 1)[-1] in (
        _SHIPPING_SUFFIXES
    )


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _lot_by_reference(reference: str) -> Lot | None:
    """A lot named by a free-text reference: its identifier (URN or Digital Link) or, for the
    lots of our own namespace, the lot code after the owner's code."""
    reference = (reference or "").strip()
    if not reference:
        return None
    found = Lot.objects.filter(uri=canonical_epc(reference)).first()
    if found is None and ":" not in reference:
        from .services import ID_BASE

        found = (
            Lot.objects.filter(uri__startswith=f"{ID_BASE}lot:", uri__endswith=f":{reference}")
            .order_by("pk")
            .first()
        )
    return found


def _harvested_at(area_ids: Iterable[int], since) -> set[int]:
    lots = Lot.objects.filter(origin_area_id__in=list(area_ids))
    if since is not None:
        lots = lots.filter(Q(origin_time__gte=since) | Q(origin_time__isnull=True))
    return set(lots.values_list("pk", flat=True))


def _packed_at(house_ids: Iterable[int], since) -> set[int]:
    from .models import Role

    events = Event.objects.filter(packing_house_id__in=list(house_ids))
    if since is not None:
        events = events.filter(event_time__gte=since)
    return set(
        EventEPC.objects.filter(
            event__in=events.values("pk"),
            role__in=[Role.OUTPUT, Role.OUTPUT_QUANTITY],
        ).values_list("lot_id", flat=True)
    )


def start_of_sample(sample) -> tuple[set[int], list, str]:
    """Where a failed sample's forward trace starts: (lot ids, areas, what they are)."""
    named = _lot_by_reference(sample.plot_or_lot)
    if named is not None:
        return (
            {named.pk},
            [sample.area],
            _("lot %(lot)s of sample %(code)s")
            % {
                "lot": named.uri,
                "code": sample.code,
            },
        )
    day = sample.sampled_on or timezone.localdate(sample.created_at)
    since = _start_of_day(day - timedelta(days=RECALL_DAYS_BEFORE_SAMPLE))
    return (
        _harvested_at([sample.area_id], since),
        [sample.area],
        _("harvests at %(area)s since %(day)s") % {"area": sample.area.code, "day": since.date()},
    )


def _start_of_notice(notice) -> tuple[set[int], list, str]:
    from .services import backward_lot_ids

    areas = list(notice.areas.all())
    named = _lot_by_reference(notice.shipment_reference)
    if named is not None:
        behind = backward_lot_ids({named.pk})
        harvests = set(
            Lot.objects.filter(pk__in=behind, origin_area__isnull=False).values_list(
                "pk", flat=True
            )
        )
        return behind | harvests | {named.pk}, areas, _("shipment %(lot)s") % {"lot": named.uri}
    since = _start_of_day(notice.received_on - timedelta(days=RECALL_DAYS_BEFORE_NOTICE))
    houses = list(notice.packing_houses.all())
    start = _harvested_at([a.pk for a in areas], since) | _packed_at([h.pk for h in houses], since)
    return (
        start,
        areas,
        _("lots of %(codes)s since %(day)s")
        % {
            "codes": ", ".join(h.code or str(h) for h in [*areas, *houses]),
            "day": since.date(),
        },
    )


def affected_lots(start: set[int]) -> set[int]:
    from .services import forward_lot_ids

    return forward_lot_ids(set(start)) if start else set()


def shipments_of(lot_ids: set[int]) -> list[dict]:
    """The shipping / departing / exporting events naming the lots, with what they carried."""
    if not lot_ids:
        return []
    events = (
        Event.objects.filter(pk__in=EventEPC.objects.filter(lot_id__in=lot_ids).values("event_id"))
        .exclude(biz_step="")
        .order_by("event_time", "pk")
    )
    found = []
    for event in events.only("pk", "event_id", "event_time", "biz_step", "document"):
        if not _is_shipping(event.biz_step):
            continue
        doc = event.document
        found.append(
            {
                "eventID": event.event_id,
                "eventTime": event.event_time.isoformat(),
                "bizStep": event.biz_step,
                "parentID": doc.get("parentID", ""),
                "destinations": [d.get("destination") for d in doc.get("destinationList") or []],
                "bizTransactions": [
                    b.get("bizTransaction") for b in doc.get("bizTransactionList") or []
                ],
            }
        )
    return found


def holders_of(lot_ids: set[int], areas: list) -> list[Organisation]:
    """Who holds or handled the lots: capturers of events naming them, operators of the
    packing houses they passed through, exporters authorised for the areas, the areas'
    representatives."""
    from agritrace.registry.models import CodeAuthorisation, PackingHouse

    org_ids: set[int] = set()
    if lot_ids:
        events = Event.objects.filter(
            pk__in=EventEPC.objects.filter(lot_id__in=lot_ids).values("event_id")
        )
        org_ids |= set(events.exclude(capture_org=None).values_list("capture_org_id", flat=True))
        org_ids |= set(
            PackingHouse.objects.filter(
                pk__in=events.exclude(packing_house=None).values("packing_house_id")
            ).values_list("operator_id", flat=True)
        )
        area_ids = set(
            Lot.objects.filter(pk__in=lot_ids, origin_area__isnull=False).values_list(
                "origin_area_id", flat=True
            )
        )
    else:
        area_ids = set()
    area_ids |= {a.pk for a in areas}
    if area_ids:
        from agritrace.registry.models import PlantingArea

        org_ids |= set(
            CodeAuthorisation.objects.filter(
                area_id__in=area_ids, withdrawn_at__isnull=True
            ).values_list("grantee_id", flat=True)
        )
        org_ids |= set(
            PlantingArea.objects.filter(pk__in=area_ids).values_list("representative_id", flat=True)
        )
    return list(Organisation.objects.filter(pk__in=org_ids).order_by("pk"))


def _authorities(province_id: int | None) -> list[Organisation]:
    if province_id is None:
        return []
    return list(
        Organisation.objects.filter(
            kind__in=[OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION], unit_id=province_id
        )
    )


def _next_reference() -> str:
    year = timezone.localdate().year
    prefix = f"RC-{year}-"
    last = (
        Recall.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    serial = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:04d}"


def _failed(sample) -> bool:
    return sample.cases.exists()


@transaction.atomic
def start_recall(
    actor: Actor, *, sample_id: int | None = None, notice_id: int | None = None, reason=""
) -> Recall:
    """Compute, mark and notify a recall from a failed sample or a notice (one of the two)."""
    from agritrace.supervision.models import Notice, Sample

    require(actor, "recall")
    if (sample_id is None) == (notice_id is None):
        raise ValidationError({"sample": [_("Name either a failed sample or a notice.")]})
    sample = notice = None
    if sample_id is not None:
        # Locked, so that a second press of the button waits and then finds this recall.
        sample = get_visible(
            actor,
            Sample.objects.select_for_update(of=("self",)).select_related("area"),
            pk=sample_id,
        )
        if not _failed(sample):
            raise ValidationError(
                {"sample": [_("This sample has no result above a limit: nothing to recall.")]}
            )
        start, areas, origin = start_of_sample(sample)
        cause = _("Residue sample %(code)s above the limit") % {"code": sample.code}
        province_id = sample.area.commune.parent_id
    else:
        notice = get_visible(
            actor,
            Notice.objects.select_for_update(of=("self",)).select_related("market"),
            pk=notice_id,
        )
        start, areas, origin = _start_of_notice(notice)
        cause = _("Notice %(ref)s from %(market)s (%(hazard)s)") % {
            "ref": notice.reference or notice.shipment_reference or notice.pk,
            "market": notice.market.code,
            "hazard": notice.get_hazard_display(),
        }
        province_id = notice.province_id
    if actor.province_id is not None and province_id != actor.province_id:
        raise Http404
    still_open = Recall.objects.filter(
        status=Recall.Status.OPEN, **({"sample": sample} if sample else {"notice": notice})
    ).first()
    if still_open is not None:
        if sample:
            text = _("Recall %(ref)s from this sample is still open: close it first.")
        else:
            text = _("Recall %(ref)s from this notice is still open: close it first.")
        raise ValidationError(
            {"sample" if sample else "notice": [text % {"ref": still_open.reference}]}
        )
    reason = str(reason).strip() or cause
    too_long: dict = {}
    check_length(reason, REASON_MAX_LENGTH, "reason", too_long)
    if too_long:
        raise ValidationError(too_long)
    lots = affected_lots(start)
    shipments = shipments_of(lots)
    fields = {
        "reason": reason,
        "sample": sample,
        "notice": notice,
        "start_lots": sorted(Lot.objects.filter(pk__in=start).values_list("uri", flat=True)),
        "province_id": province_id,
        "created_by": actor.user,
        "created_org": actor.organisation,
        "shipments": shipments,
    }
    for attempt in range(REFERENCE_ATTEMPTS):
        try:
            with transaction.atomic():  # a savepoint: a taken reference is tried again
                recall = Recall.objects.create(reference=_next_reference(), **fields)
            break
        except IntegrityError:
            # Another office's recall took this number at the same moment (its insert
            # committed first); the next read sees it.
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise
    recall.areas.set(areas)
    RecallLot.objects.bulk_create(
        [RecallLot(recall=recall, lot_id=pk) for pk in sorted(lots)],
        batch_size=1000,
        ignore_conflicts=True,
    )
    holders = holders_of(lots, areas)
    told = {o.pk: o for o in [*holders, *_authorities(province_id)]}
    told.pop(actor.organisation.pk, None)
    recall.notified.set(told.values())
    notify(
        told.values(),
        _("Recall %(ref)s: %(cause)s") % {"ref": recall.reference, "cause": cause},
        _(
            "Recalled: %(lots)s and %(shipments)s (from %(origin)s). Hold them and tell your "
            "buyers; see the recall for the list."
        )
        % {
            "lots": ngettext("%(n)d lot", "%(n)d lots", len(lots)) % {"n": len(lots)},
            "shipments": ngettext("%(n)d shipment", "%(n)d shipments", len(shipments))
            % {"n": len(shipments)},
            "origin": origin,
        },
        reverse("trace-recall", args=[recall.pk]),
    )
    _changed(recall, lots)
    outbox.recall_changed(recall, started=True)
    record(
        actor.user,
        "trace.recall",
        recall,
        None,
        {
            **snapshot(recall, exclude=("notified", "areas", "shipments", "start_lots")),
            "lots": len(lots),
            "shipments": len(shipments),
            "notified": sorted(told),
        },
        recall.reason,
    )
    return recall


def _changed(recall: Recall, lot_ids: Iterable[int]) -> None:
    """Tell the other apps (stamps) once the transaction has committed."""
    ids = set(lot_ids)
    transaction.on_commit(lambda: recall_changed.send(sender=Recall, recall=recall, lot_ids=ids))


def may_close(actor: Actor, recall: Recall) -> bool:
    """Only an office of the recall's province (or the ministry) closes it."""
    return (
        recall.status == Recall.Status.OPEN
        and can(actor, "recall")
        and (actor.province_id is None or actor.province_id == recall.province_id)
    )


@transaction.atomic
def close_recall(actor: Actor, recall_id: int, *, outcome: str, note: str) -> Recall:
    """Close a recall: `completed` (the lots were withdrawn, and stay recalled) or `lifted`
    (the lots are released: stamps stop saying recalled). Told to the same organisations."""
    require(actor, "recall")
    recall = get_visible(actor, Recall.objects.select_for_update(), pk=recall_id)
    if not may_close(actor, recall):
        if recall.status != Recall.Status.OPEN:
            raise ValidationError({"outcome": [_("This recall is already closed.")]})
        raise PermissionDenied(_("Only an office of the recall's province may close it."))
    errors = {}
    if outcome not in Recall.Outcome.values:
        errors["outcome"] = [
            _("Choose how the recall ended: %(choices)s.")
            % {"choices": ", ".join(Recall.Outcome.values)}
        ]
    note = str(note or "").strip()
    if not note:
        errors["note"] = [
            _("Say how the recall was resolved: what was withdrawn, destroyed or released.")
        ]
    check_length(note, NOTE_MAX_LENGTH, "note", errors)
    if errors:
        raise ValidationError(errors)
    before = snapshot(recall, exclude=("notified", "areas", "shipments", "start_lots"))
    recall.status = Recall.Status.CLOSED
    recall.outcome = outcome
    recall.closing_note = note
    recall.closed_at = timezone.now()
    recall.closed_by = actor.user
    recall.save(update_fields=["status", "outcome", "closing_note", "closed_at", "closed_by"])
    told = [o for o in recall.notified.all() if o.pk != actor.organisation.pk]
    notify(
        told,
        _("Recall %(ref)s closed: %(outcome)s")
        % {
            "ref": recall.reference,
            "outcome": recall.get_outcome_display(),
        },
        note,
        reverse("trace-recall", args=[recall.pk]),
    )
    _changed(recall, recall.lots.values_list("lot_id", flat=True))
    outbox.recall_changed(recall, started=False)
    record(
        actor.user,
        "trace.recall.close",
        recall,
        before,
        snapshot(recall, exclude=("notified", "areas", "shipments", "start_lots")),
        note,
    )
    return recall


def recalls(actor: Actor) -> QuerySet:
    return visible(actor, Recall.objects.all())


def shipment_rows(recall: Recall) -> list[dict]:
    """The recall's shipments for people: local time, destinations by name."""
    from .chain import Places

    places = Places()
    rows = []
    for item in recall.shipments:
        moment = parse_datetime(item.get("eventTime") or "")
        rows.append(
            {
                "time": timezone.localtime(moment) if moment else None,
                "step": item.get("bizStep", ""),
                "shipment": item.get("parentID", ""),
                "destinations": " · ".join(
                    dict.fromkeys(places.name(d)[0] for d in item.get("destinations") or [] if d)
                ),
                "documents": [
                    builders.document_number(d) for d in item.get("bizTransactions") or [] if d
                ],
            }
        )
    return rows


def started_message(recall: Recall) -> str:
    """The one-line summary told to whoever started the recall (web and CLI)."""
    lots, shipments, told = recall.lots.count(), len(recall.shipments), recall.notified.count()
    return _("Recall %(ref)s: %(lots)s, %(shipments)s, %(told)s.") % {
        "ref": recall.reference,
        "lots": ngettext("%(n)d lot", "%(n)d lots", lots) % {"n": lots},
        "shipments": ngettext("%(n)d shipment", "%(n)d shipments", shipments) % {"n": shipments},
        "told": ngettext("%(n)d organisation told", "%(n)d organisations told", told) % {"n": told},
    }


def recall_panel(actor: Actor, *, sample=None, notice=None) -> dict:
    """What a failed sample's or a notice's page shows about recalls: the recalls already
    started from it that the actor may see, and whether the actor may start one (a sample
    only once it has a result above a limit)."""
    origin = {"sample": sample} if sample is not None else {"notice": notice}
    started = list(recalls(actor).filter(**origin).order_by("-created_at"))
    eligible = _failed(sample) if sample is not None else True
    open_one = any(r.status == Recall.Status.OPEN for r in started)
    return {
        "sample": sample,
        "notice": notice,
        "recalls": started,
        "may_start": eligible and not open_one and can(actor, "recall"),
    }


def recall_json(recall: Recall, with_lots: bool = True) -> dict:
    data = {
        "id": recall.pk,
        "reference": recall.reference,
        "reason": recall.reason,
        "status": recall.status,
        "outcome": recall.outcome or None,
        "closedAt": recall.closed_at.isoformat() if recall.closed_at else None,
        "closingNote": recall.closing_note,
        "sample": recall.sample.code if recall.sample_id else None,
        "notice": recall.notice_id,
        "province": recall.province_id,
        "createdAt": recall.created_at.isoformat(),
        "createdBy": recall.created_org.name if recall.created_org_id else None,
        "areas": [a.code for a in recall.areas.all()],
        "startLots": recall.start_lots,
        "lotCount": recall.lots.count(),
        "shipments": recall.shipments,
        "notified": [o.name for o in recall.notified.order_by("pk")],
    }
    if with_lots:
        data["lots"] = sorted(recall.lots.values_list("lot__uri", flat=True))
    return data


def lot_status(lot_uri: str) -> dict:
    """Is this lot recalled, and by which recalls? For stamps and labels (no scope: it says
    nothing but the recall's reference and reason)."""
    uri = canonical_epc(lot_uri or "")
    lot = Lot.objects.filter(uri=uri).first()
    if lot is None:
        return {"lot": uri, "known": False, "recalled": False, "recalls": []}
    found = [
        {
            "reference": r.recall.reference,
            "reason": r.recall.reason,
            "status": r.recall.status,
            "outcome": r.recall.outcome,
            "lotsRecalled": r.recall.lots_recalled,
            "createdAt": r.recall.created_at.isoformat(),
        }
        for r in RecallLot.objects.filter(lot=lot)
        .select_related("recall")
        .order_by("recall__created_at")
    ]
    return {
        "lot": uri,
        "known": True,
        "recalled": any(r["lotsRecalled"] for r in found),
        "recalls": found,
    }
