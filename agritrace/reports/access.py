"""Who sees and changes the province's targets, achieved figures, reports and training: the
one place where the reports app decides access (on `agritrace.accounts.access.Actor`).

* the ministry: every province's figures and reports (read only);
* a province's authority (the provincial department, the plant-protection office): its
  province's; it enters targets, records training classes, generates and submits reports
  (never with the read-only viewer role);
* a commune: the figures, targets and classes of its own unit (read only), no report;
* representatives, households, packing houses, exporters, laboratories and the public: none
  (403). A household sees the classes it attended on its own page (`training.classes_of`,
  within the household page's own access).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from agritrace.accounts.access import READ_ONLY_ROLES, Actor
from agritrace.accounts.models import OrgKind

PROVINCE_AUTHORITY = {OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION}
SEEING_KINDS = {OrgKind.MINISTRY, *PROVINCE_AUTHORITY, OrgKind.COMMUNE}
#: Who sees the periodic reports (a commune reports to the province, it does not read its report).
REPORT_KINDS = {OrgKind.MINISTRY, *PROVINCE_AUTHORITY}


def may_see(actor: Actor) -> bool:
    return actor.kind in SEEING_KINDS


def may_see_reports(actor: Actor) -> bool:
    return actor.kind in REPORT_KINDS


def may_edit(actor: Actor) -> bool:
    """Enter targets, record training, generate and submit reports."""
    return (
        not actor.is_public
        and actor.role not in READ_ONLY_ROLES
        and actor.kind in PROVINCE_AUTHORITY
    )


def require_see(actor: Actor) -> None:
    if not may_see(actor):
        raise PermissionDenied(
            _("Only the authorities and the communes see the plan's targets and figures.")
        )


def require_see_reports(actor: Actor) -> None:
    if not may_see_reports(actor):
        raise PermissionDenied(_("Only the authorities see the periodic reports."))


def require_edit(actor: Actor) -> None:
    if not may_edit(actor):
        raise PermissionDenied(
            _("Only the province's department or plant-protection office may change this.")
        )


def province_q(actor: Actor, path: str = "province") -> Q:
    """Rows of the actor's province (everything for the ministry)."""
    require_see(actor)
    if actor.kind == OrgKind.MINISTRY:
        return Q()
    return Q(**{f"{path}_id": actor.province_id})


def visible_targets(actor: Actor, queryset: QuerySet) -> QuerySet:
    qs = queryset.filter(province_q(actor))
    if actor.kind == OrgKind.COMMUNE:
        from .units import legacy_units_of

        unit = actor.organisation.unit
        qs = qs.filter(Q(unit=unit) | Q(unit__in=legacy_units_of(unit)))
    return qs


def visible_classes(actor: Actor, queryset: QuerySet) -> QuerySet:
    qs = queryset.filter(province_q(actor))
    if actor.kind == OrgKind.COMMUNE:
        qs = qs.filter(commune_id=actor.organisation.unit_id)
    return qs


def visible_reports(actor: Actor, queryset: QuerySet) -> QuerySet:
    require_see_reports(actor)
    if actor.kind == OrgKind.MINISTRY:
        return queryset
    return queryset.filter(province_id=actor.province_id)
