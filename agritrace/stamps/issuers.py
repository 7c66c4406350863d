"""Who may issue stamps for a lot (docs/stamps-issuers.md): the packing house that packed it
and the exporter that owns it.

A lot gets stamps once it is packed (a packing event makes it). Two organisations may then
request them, both kinds holding the ``request_stamps`` permission:

- the packing house that packed it: the organisation that recorded the packing or that runs
  the packing house it took place at (the packing events in its scope); likewise the
  processing facility that made a processed lot (products: a processing, bizStep
  creating_class_instance, counts as its packing);
- the exporter (or buyer) that owns it: a shipment of the lot names the organisation as its
  owner (the source owning_party, docs/epcis-parties.md) or as the owner at the destination
  (the buyer it was shipped to), or the organisation recorded an event of the lot itself (its
  receiving of it).

Either way the batch names the packing house of the packing, whose name the labels carry
(China-bound labels show the packing house), and both see the batch (`access._stamp_filter`:
the requester and the operator of the packing house).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, visible
from agritrace.accounts.models import OrgKind
from agritrace.trace.builders import lot_code, resolve_lot
from agritrace.trace.identifiers import canonical_epc
from agritrace.trace.models import Event, EventEPC, Lot, Role

#: The roles in which a packing event names the lot it made.
PACKED_ROLES = [Role.OUTPUT, Role.OUTPUT_QUANTITY, Role.EPC, Role.QUANTITY, Role.PARENT]
ISSUER_KINDS = (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER, OrgKind.PROCESSOR)
#: A processing at a processing facility (products) makes a lot ready for stamps as a packing
#: does: the facility's operator stamps the processed lots it made.
PROCESSING_STEP = "creating_class_instance"


class LotNotStampable(Http404):
    """A lot that is unknown, not packed, or neither packed nor owned by the actor's
    organisation: it does not exist for them (a 404), with a message for the lot field."""

    def __init__(self, typed: str):
        self.typed = typed
        self.message = _(
            "%(lot)s is no packed lot your organisation may stamp: stamps are for lots its "
            "packing house packed, or that it owns (shipped by it or to it). Check the code "
            "on the lot's label (OWNER:LOT, for example VN-DLPH-0001:P-1)."
        ) % {"lot": typed}
        super().__init__(self.message)


def typed_lot_uri(text: str) -> str:
    """A lot as a person types it: a full identifier, or OWNER:LOT as on its label."""
    return canonical_epc(resolve_lot(text.strip()))


def _packing_events() -> QuerySet:
    return Event.objects.filter(
        Q(biz_step="packing") | Q(biz_step=PROCESSING_STEP, event_type="TransformationEvent")
    )


def _owned_events(actor: Actor) -> QuerySet:
    """Events by which the actor's organisation owns the lots they name."""
    org = actor.organisation
    shipped = Q(biz_step="shipping") & (Q(owning_party=org) | Q(destination_party=org))
    return Event.objects.filter(shipped | Q(capture_org=org))


def stampable_lots(actor: Actor, limit: int = 200) -> list[Lot]:
    """The packed lots the actor may stamp (see the module docstring), newest first."""
    if actor.is_public or actor.kind not in ISSUER_KINDS:
        return []
    packed_here = visible(actor, _packing_events()).values("pk")
    own = EventEPC.objects.filter(event_id__in=packed_here, role__in=PACKED_ROLES).values("lot_id")
    owned = EventEPC.objects.filter(event_id__in=_owned_events(actor).values("pk")).values("lot_id")
    packed = EventEPC.objects.filter(
        lot_id__in=owned, role__in=PACKED_ROLES, event_id__in=_packing_events().values("pk")
    ).values("lot_id")
    return list(Lot.objects.filter(Q(pk__in=own) | Q(pk__in=packed)).order_by("-pk")[:limit])


def packing_of(actor: Actor, lot: Lot, typed: str = "") -> Event:
    """The packing that made the lot, if the actor may stamp it; else LotNotStampable."""
    naming = EventEPC.objects.filter(lot=lot, role__in=PACKED_ROLES).values("event_id")
    packings = _packing_events().filter(pk__in=naming).select_related("packing_house__commune")
    event = visible(actor, packings).order_by("-event_time").first()
    if event is None and actor.organisation is not None:
        owns = EventEPC.objects.filter(lot=lot, event_id__in=_owned_events(actor).values("pk"))
        if owns.exists():
            event = packings.order_by("-event_time").first()
    if event is None:
        raise LotNotStampable(typed or lot_code(lot.uri))
    return event


def label(lot: Lot) -> str:
    """How a lot is offered and typed on the stamps page: OWNER:LOT as on its label for a lot
    of the service's namespace, else its identifier (a GTIN lot's Digital Link)."""
    from agritrace.trace.uris import ID_BASE

    return lot_code(lot.uri) if lot.uri.startswith(ID_BASE + "lot:") else lot.uri
