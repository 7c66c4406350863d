"""Who sees which misuse case and who may act on it: the one place where the misuse app
decides access (on top of `agritrace.accounts.access`, whose Actor it uses).

Seeing cases (and the rules):

* the ministry: every case;
* a province's authority (the provincial department, the plant-protection office): the cases
  of its province;
* a commune: only the cases whose land (`Case.commune`) is its unit;
* exporters, packing houses, representatives, households, laboratories and the public: none
  (403). A case names the firm using a code and the evidence of other firms' lots, so a firm
  never sees one, not even a case about itself: it hears of a case through the warning, the
  inspection or the lifecycle decision that an officer takes.

Acting on cases (never with the read-only viewer role):

* ``note``: the province's authority and the commune (for its land), to add what they know;
* ``review``: the province's authority and the commune for its land (the communes supervise
  how codes are used on their land, so they may take an open case up);
* ``decide`` (dismiss, confirm) and ``act`` (warning, surprise inspection, suspension,
  revocation): the province's authority only (the plant-protection office detects and
  handles fraud; suspensions and revocations are its decisions in `registry.lifecycle`);
* ``edit_rules`` (thresholds, enabled): the ministry and the provinces' authorities, like the
  catalogue's other configurable figures. The rules are one national table, so a change
  applies to every province (audited with who made it).

The ministry reads every case but does not take the province's steps.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from agritrace.accounts.access import READ_ONLY_ROLES, Actor
from agritrace.accounts.models import OrgKind

from .models import Case

PROVINCE_AUTHORITY = {OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION}

#: The organisation kinds that see cases at all.
SEEING_KINDS = {OrgKind.MINISTRY, *PROVINCE_AUTHORITY, OrgKind.COMMUNE}

#: action → organisation kinds that may take it (scope is checked on the case).
CASE_PERMISSIONS: dict[str, set[str]] = {
    "note": {*PROVINCE_AUTHORITY, OrgKind.COMMUNE},
    "review": {*PROVINCE_AUTHORITY, OrgKind.COMMUNE},
    "decide": set(PROVINCE_AUTHORITY),
    "act": set(PROVINCE_AUTHORITY),
    "edit_rules": {OrgKind.MINISTRY, *PROVINCE_AUTHORITY},
}


def may_see(actor: Actor) -> bool:
    """Whether the actor sees misuse cases and rules at all (the menu link, the pages)."""
    return actor.kind in SEEING_KINDS


def can(actor: Actor, action: str) -> bool:
    if actor.is_public or actor.role in READ_ONLY_ROLES:
        return False
    return actor.kind in CASE_PERMISSIONS[action]


def require(actor: Actor, action: str) -> None:
    if not can(actor, action):
        raise PermissionDenied(_("Your role may not do this: %(action)s") % {"action": action})


def require_see(actor: Actor) -> None:
    if not may_see(actor):
        raise PermissionDenied(_("Only the authorities and the communes see misuse cases."))


def visible_cases(actor: Actor, queryset: QuerySet | None = None) -> QuerySet:
    """The cases the actor may see; PermissionDenied for those who see none."""
    require_see(actor)
    qs = Case.objects.all() if queryset is None else queryset
    if actor.kind == OrgKind.MINISTRY:
        return qs
    if actor.kind in PROVINCE_AUTHORITY:
        return qs.filter(province_id=actor.province_id)
    return qs.filter(commune_id=actor.organisation.unit_id)


def get_case(actor: Actor, case_id: int, queryset: QuerySet | None = None) -> Case:
    """One visible case, or Http404 (a case outside one's scope does not exist for them)."""
    return get_object_or_404(visible_cases(actor, queryset), pk=case_id)
