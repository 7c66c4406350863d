"""Which markets a code may serve: the importing countries' approvals of a code (proposed,
sent, approved, refused, withdrawn: the moves and who may make them), and the exporters a
representative authorises to use its area's code for a market and a period."""

from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, can, get_visible, require
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.notifications.services import notify

from .history import authorisation_active_q, status_at
from .market_rules import market_rule_problems
from .models import (
    ApprovalStatus,
    CodeAuthorisation,
    CodeHolder,
    CodeStatus,
    Market,
    MarketApproval,
    PlantingArea,
)


def code_usable_for(holder: CodeHolder, market: Market, on: date | None = None) -> bool:
    """Both approvals hold: Vietnam's issuance and, where needed, the importing country's.

    With `on`, the code's status is the one it had that day (from its history; the end of
    that day, or now for today and later), so a past day keeps its answer after a suspension,
    and an importing country's approval counts from the day it was decided. The residue flags
    are their current state, and so is an approval withdrawn since (its end is not dated)."""
    if on is None:
        status = holder.code_status
    else:
        end_of_day = timezone.make_aware(datetime.combine(on, time.max))
        status = status_at(holder, min(end_of_day, timezone.now()))
    if status != CodeStatus.ISSUED:
        return False
    # An open residue case flags the area for that market (supervision).
    if (
        isinstance(holder, PlantingArea)
        and holder.market_flags.filter(market=market, lifted_at__isnull=True).exists()
    ):
        return False
    if not market.needs_importer_approval:
        return True
    approved = holder.approvals.filter(market=market, status=ApprovalStatus.APPROVED)
    if on is not None:
        approved = approved.filter(Q(decided_at__isnull=True) | Q(decided_at__lte=on))
    return approved.exists()


APPROVAL_MOVES = {
    "submit": (
        {ApprovalStatus.PREPARING, ApprovalStatus.REFUSED, ApprovalStatus.WITHDRAWN},
        ApprovalStatus.SUBMITTED,
    ),
    "send": ({ApprovalStatus.SUBMITTED}, ApprovalStatus.SENT),
    "approve": ({ApprovalStatus.SENT}, ApprovalStatus.APPROVED),
    "refuse": ({ApprovalStatus.SENT}, ApprovalStatus.REFUSED),
    "withdraw": (
        {ApprovalStatus.APPROVED, ApprovalStatus.SENT, ApprovalStatus.SUBMITTED},
        ApprovalStatus.WITHDRAWN,
    ),
}


def _approval_move_problem(
    actor: Actor, holder: CodeHolder, market: Market, status: str, move: str
) -> dict[str, str] | None:
    """Why `actor` cannot make `move` on an approval that is `status` ({field: message}), or
    None. The rules of the market itself are checked when the code is submitted."""
    sources, target = APPROVAL_MOVES[move]
    if move in ("send", "approve", "refuse") and actor.kind != OrgKind.MINISTRY:
        # Sending, approving and refusing are the national department's to record.
        return {"move": _("Only the Plant Protection Department records this.")}
    if move == "submit" and holder.code_status != CodeStatus.ISSUED:
        return {"market": _("Only an issued code can be filed for a market.")}
    if move == "submit" and not market.needs_importer_approval:
        return {
            "market": _("%(market)s needs no approval of an importing country.")
            % {"market": market}
        }
    if status not in sources:
        return {
            "move": _("An approval that is %(s)s cannot become %(t)s.")
            % {"s": ApprovalStatus(status).label, "t": ApprovalStatus(target).label}
        }
    return None


def allowed_approval_moves(actor: Actor, holder: CodeHolder, market: Market) -> list[str]:
    """The steps of the importing country's approval this actor may record now for this
    holder and market (what the page offers as buttons; move_market_approval checks again)."""
    if not can(actor, "market_approval"):
        return []
    approval = next((a for a in holder.approvals.all() if a.market_id == market.pk), None)
    status = approval.status if approval else ApprovalStatus.PREPARING
    return [
        move
        for move in APPROVAL_MOVES
        if _approval_move_problem(actor, holder, market, status, move) is None
    ]


@transaction.atomic
def move_market_approval(
    actor: Actor,
    holder: CodeHolder,
    market: Market,
    move: str,
    on: date | None = None,
    importer_list_ref: str = "",
    note: str = "",
) -> MarketApproval:
    """The importing country's approval of an issued code, step by step: the province
    submits to the Plant Protection Department, which sends to the importing country, which
    approves (with its list reference) or refuses."""
    require(actor, "market_approval")
    holder = get_visible(actor, type(holder).objects.all(), pk=holder.pk)
    if move not in APPROVAL_MOVES:
        raise ValidationError({"move": _("Unknown step '%(m)s'.") % {"m": move}})
    kwargs = {"area": holder} if isinstance(holder, PlantingArea) else {"packing_house": holder}
    approval, _created = MarketApproval.objects.select_for_update().get_or_create(
        market=market, **kwargs
    )
    problem = _approval_move_problem(actor, holder, market, approval.status, move)
    if problem is not None:
        raise ValidationError(problem)
    if move == "submit" and isinstance(holder, PlantingArea):
        problems = market_rule_problems(holder, market)
        if problems:
            raise ValidationError({"market": problems})
    if move == "approve" and not importer_list_ref.strip():
        raise ValidationError(
            {"importer_list_ref": _("Give the importing country's list reference.")}
        )
    _sources, target = APPROVAL_MOVES[move]
    before = snapshot(approval)
    on = on or timezone.localdate()
    approval.status = target
    if move == "submit":
        approval.submitted_at = on
    elif move == "send":
        approval.sent_at = on
    elif move in ("approve", "refuse"):
        approval.decided_at = on
    if importer_list_ref:
        approval.importer_list_ref = importer_list_ref.strip()
    approval.note = note or approval.note
    approval.save()
    record(actor.user, f"market_approval.{move}", approval, before, snapshot(approval), note)
    return approval


@transaction.atomic
def authorise_exporter(
    actor: Actor, area: PlantingArea, grantee_id, market_id, valid_from: date, valid_to: date
) -> CodeAuthorisation:
    """The representative lets an exporter or packing house use its area code for a market
    and a period; the commune and the grantee are told."""
    require(actor, "authorise_exporter")
    area = get_visible(actor, PlantingArea.objects.select_for_update(), pk=area.pk)
    errors = {}
    grantee = Organisation.objects.filter(
        pk=grantee_id, kind__in=[OrgKind.EXPORTER, OrgKind.PACKING_HOUSE]
    ).first()
    if grantee is None:
        errors["grantee"] = _("Choose an exporter or a packing house.")
    market = area.markets.filter(pk=market_id).first()
    if market is None:
        errors["market"] = _("Choose one of the area's target markets.")
    if area.code_status != CodeStatus.ISSUED:
        errors["area"] = _("Only an issued code can be authorised for use.")
    if not valid_from or not valid_to:
        errors["valid_to"] = _("Give the start and end of the authorisation.")
    elif valid_to < valid_from:
        errors["valid_to"] = _("The end comes before the start.")
    elif valid_to < timezone.localdate():
        errors["valid_to"] = _("The authorisation would already be over.")
    if errors:
        raise ValidationError(errors)
    auth = CodeAuthorisation.objects.create(
        area=area,
        grantee=grantee,
        market=market,
        valid_from=valid_from,
        valid_to=valid_to,
        granted_by=actor.user,
    )
    record(actor.user, "code.authorise", area, None, snapshot(auth))
    communes = Organisation.objects.filter(kind=OrgKind.COMMUNE, unit=area.commune)
    notify(
        [*communes, grantee],
        _("%(org)s may use code %(code)s") % {"org": grantee.name, "code": area.code},
        _("For %(market)s from %(a)s to %(b)s.")
        % {"market": market, "a": valid_from.isoformat(), "b": valid_to.isoformat()},
        reverse("area-detail", args=[area.pk]),
    )
    return auth


@transaction.atomic
def withdraw_authorisation(
    actor: Actor, auth: CodeAuthorisation, reason: str, effective: date | None = None
) -> CodeAuthorisation:
    """End an authorisation from `effective` (by default today; never in the future): the
    days before keep their answer, so a use on those days stays lawful."""
    require(actor, "authorise_exporter")
    get_visible(actor, PlantingArea.objects.all(), pk=auth.area_id)
    auth = CodeAuthorisation.objects.select_for_update().get(pk=auth.pk)
    if auth.withdrawn_at is not None:
        raise ValidationError({"action": _("This authorisation was already withdrawn.")})
    today = timezone.localdate()
    effective = effective or today
    if effective > today:
        raise ValidationError(
            {"withdrawn_from": _("A withdrawal cannot take effect in the future.")}
        )
    before = snapshot(auth)
    auth.withdrawn_at = timezone.now()
    # Withdrawn before it began: it never held (its first day is the withdrawal's).
    auth.withdrawn_from = max(effective, auth.valid_from)
    auth.withdrawal_reason = reason
    auth.save()
    record(actor.user, "code.withdraw_authorisation", auth.area, before, snapshot(auth), reason)
    communes = Organisation.objects.filter(kind=OrgKind.COMMUNE, unit=auth.area.commune)
    notify(
        [*communes, auth.grantee],
        _("Authorisation to use %(code)s withdrawn") % {"code": auth.area.code},
        reason,
        reverse("area-detail", args=[auth.area_id]),
    )
    return auth


def may_use_code(
    org: Organisation, area: PlantingArea, market: Market, day: date
) -> tuple[bool, str]:
    """Whether `org` may lawfully put `area`'s code on produce for `market` on `day`: the
    test that tells a lawful use from a rented or borrowed code."""
    if not code_usable_for(area, market, day):
        return False, _("The code is not valid for this market.")
    if org.pk == area.representative_id:
        return True, _("The code's own representative.")
    active = area.authorisations.filter(authorisation_active_q(day), grantee=org, market=market)
    if active.exists():
        return True, _("Authorised by the representative.")
    return False, _("No authorisation from the representative for this market and date.")
