"""Who uses the EUDR export: the one place where the app decides access.

* an exporter: the lots it owns or shipped (a shipment whose owning party it is) and the lots
  it captured itself;
* a province's authority (the provincial department, the plant-protection office): every lot
  of its province (an event of the lot captured in the province); it imports the forest
  baseline layers (not with the read-only viewer role);
* the ministry: every lot and every layer (read only);
* anyone else: none (403); the public: not signed in (401, or the login page).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from agritrace.accounts.access import READ_ONLY_ROLES, Actor
from agritrace.accounts.models import OrgKind
from agritrace.trace.identifiers import canonical_epc
from agritrace.trace.models import Event, EventEPC, Lot

PROVINCE_AUTHORITY = {OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION}
USERS = {OrgKind.EXPORTER, OrgKind.MINISTRY, *PROVINCE_AUTHORITY}


def may_use(actor: Actor) -> bool:
    return not actor.is_public and actor.kind in USERS


def may_import(actor: Actor) -> bool:
    return (
        not actor.is_public
        and actor.kind in PROVINCE_AUTHORITY
        and actor.role not in READ_ONLY_ROLES
    )


def require_use(actor: Actor) -> None:
    if not may_use(actor):
        raise PermissionDenied(_("Only exporters and the authorities use the EUDR export."))


def require_import(actor: Actor) -> None:
    if not may_import(actor):
        raise PermissionDenied(
            _("Only the province's department or plant-protection office imports forest layers.")
        )


def events_in_scope(actor: Actor) -> QuerySet:
    """The events whose lots the actor may export."""
    require_use(actor)
    events = Event.objects.filter(error_declaration__isnull=True)
    if actor.kind == OrgKind.MINISTRY:
        return events
    if actor.kind == OrgKind.EXPORTER:
        org = actor.organisation
        return events.filter(Q(owning_party=org) | Q(capture_org=org))
    return events.filter(province_id=actor.province_id)


def lots_in_scope(actor: Actor) -> QuerySet:
    return Lot.objects.filter(
        pk__in=EventEPC.objects.filter(event__in=events_in_scope(actor)).values("lot_id")
    )


def shipped_lots(actor: Actor) -> QuerySet:
    """The lots of the actor's scope that were shipped (what a due-diligence statement is
    made for), newest shipment first."""
    shipments = events_in_scope(actor).filter(biz_step="shipping")
    return (
        Lot.objects.filter(pk__in=EventEPC.objects.filter(event__in=shipments).values("lot_id"))
        .select_related("crop")
        .order_by("-first_seen", "-id")
    )


def find_lot(actor: Actor, uri: str) -> Lot:
    """The lot if the actor may export it: 403 for those who use none, 404 out of scope."""
    require_use(actor)
    try:
        canonical = canonical_epc(uri)
    except Exception:  # a malformed identifier names no lot
        raise Http404 from None
    lot = Lot.objects.select_related("crop").filter(uri=canonical).first()
    if lot is None or not lots_in_scope(actor).filter(pk=lot.pk).exists():
        raise Http404
    return lot


def baselines_in_scope(actor: Actor, queryset: QuerySet) -> QuerySet:
    require_use(actor)
    if actor.kind in (OrgKind.MINISTRY, OrgKind.EXPORTER):
        # an exporter sees the layers its lots are judged against, wherever they are
        return queryset
    return queryset.filter(province_id=actor.province_id)
