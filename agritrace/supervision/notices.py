"""Importing countries' notices: registering, investigating, deciding (warning, or
suspension/revocation through the lifecycle) and replying."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import (
    Actor,
    get_visible,
    require,
    visible,
)
from agritrace.accounts.models import Organisation
from agritrace.audit.services import record, snapshot
from agritrace.formats import shown_date
from agritrace.notifications.services import notify
from agritrace.registry import lifecycle
from agritrace.registry.codes import parse_code
from agritrace.registry.models import CodeStatus, Market, PackingHouse, PlantingArea

from .common import WATCHED, Holder, _as_date, _authorities, _holder_orgs, _today, _url
from .models import (
    Decision,
    Hazard,
    Notice,
    NoticeStatus,
    VisitKind,
)
from .plans import schedule_visit
from .residues import register_sample


def _holders_from_codes(actor: Actor, codes: Any, errors: dict) -> tuple[list, list]:
    if isinstance(codes, str):
        codes = [c for c in codes.replace(";", ",").replace("\n", ",").split(",")]
    if not isinstance(codes, list):
        errors["codes"] = _("List the codes the notice names.")
        return [], []
    areas, houses, problems = [], [], []
    for text in codes:
        if not isinstance(text, str) or not text.strip():
            continue
        try:
            code = parse_code(text)
        except ValidationError as exc:
            problems.extend(exc.message_dict.get("code", []))
            continue
        model = PlantingArea if code.split("-")[1].endswith("OR") else PackingHouse
        holder = visible(actor, model.objects.filter(code=code)).first()
        if holder is None:
            problems.append(_("No code %(c)s is known to you.") % {"c": code})
        else:
            bucket = areas if isinstance(holder, PlantingArea) else houses
            if holder not in bucket:
                bucket.append(holder)
    if problems:
        errors["codes"] = problems
    elif not areas and not houses:
        errors["codes"] = _("Name at least one code.")
    return areas, houses


@transaction.atomic
def register_notice(actor: Actor, data: dict) -> Notice:
    """An importing country's non-compliance notice, linked to the codes it names."""
    require(actor, "handle_notices")
    errors: dict = {}
    market_ref = data.get("market")
    market = Market.objects.filter(
        Q(code=str(market_ref or "").upper())
        | Q(pk=market_ref if str(market_ref).isdigit() else None)
    ).first()
    if market is None:
        errors["market"] = _("Choose the importing country.")
    received = _as_date(data.get("received_on"), "received_on", errors)
    if received and received > _today():
        errors["received_on"] = _("The notice cannot be dated in the future.")
    hazard = data.get("hazard")
    if hazard not in Hazard.values:
        errors["hazard"] = _("Choose the kind of hazard.")
    areas, houses = _holders_from_codes(actor, data.get("codes"), errors)
    for field, limit in (("reference", 120), ("shipment_reference", 120)):
        if len(str(data.get(field) or "")) > limit:
            errors[field] = _("At most %(n)d characters.") % {"n": limit}
    if errors:
        raise ValidationError(errors)
    holders = [*areas, *houses]
    province_id = actor.province_id or holders[0].province.pk
    codes = data.get("codes")
    notice = Notice.objects.create(
        market=market,
        reference=str(data.get("reference") or "").strip(),
        received_on=received,
        shipment_reference=str(data.get("shipment_reference") or "").strip(),
        codes_as_received=", ".join(codes) if isinstance(codes, list) else str(codes),
        hazard=hazard,
        detail=str(data.get("detail") or "").strip(),
        province_id=province_id,
        registered_by=actor.user,
        registered_org=actor.organisation,
    )
    notice.areas.set(areas)
    notice.packing_houses.set(houses)
    record(actor.user, "notice.register", notice, None, snapshot(notice))
    orgs: list[Organisation] = []
    for holder in holders:
        orgs += _holder_orgs(holder) + _authorities(holder.province)
    notify(
        orgs,
        _("Non-compliance notice from %(m)s") % {"m": market},
        _("%(hazard)s; codes: %(codes)s")
        % {"hazard": notice.get_hazard_display(), "codes": ", ".join(h.code for h in holders)},
        _url("supervision-notice", notice.pk),
    )
    return notice


def notice_holders(notice: Notice) -> list[Holder]:
    return [*notice.areas.all(), *notice.packing_houses.all()]


@transaction.atomic
def investigate_notice(
    actor: Actor,
    notice: Notice,
    visit_due: Any = None,
    inspector=None,
    sample: dict | None = None,
) -> dict:
    """Open the investigation: a surprise visit to every code the notice names and/or a
    sample at every named area, each linked to the notice."""
    require(actor, "plan_monitoring")
    notice = get_visible(actor, Notice.objects.select_for_update(), pk=notice.pk)
    if visit_due in (None, "") and not sample:
        raise ValidationError({"visit_due": _("Plan a visit, a sample, or both.")})
    made: dict = {"visits": [], "samples": []}
    reason = _("Investigation of notice %(ref)s") % {"ref": notice.reference or notice.pk}
    for holder in notice_holders(notice):
        if visit_due not in (None, ""):
            try:
                made["visits"].append(
                    schedule_visit(
                        actor, holder, visit_due, VisitKind.SURPRISE, inspector, reason, notice
                    )
                )
            except ValidationError as exc:
                raise ValidationError(
                    {
                        ("visit_due" if k == "due_date" else k): v
                        for k, v in exc.message_dict.items()
                    }
                ) from exc
        if sample and isinstance(holder, PlantingArea):
            made["samples"].append(register_sample(actor, {**sample, "area": holder.pk}, notice))
    before = snapshot(notice)
    if notice.status == NoticeStatus.OPEN:
        notice.status = NoticeStatus.INVESTIGATING
        notice.save(update_fields=["status"])
    record(actor.user, "notice.investigate", notice, before, snapshot(notice), reason)
    return made


@transaction.atomic
def decide_notice(
    actor: Actor, notice: Notice, decision: str, reason: str, until: Any = None
) -> Notice:
    """The province's decision on a notice: a warning to the holders, or the suspension or
    revocation of every named code, through the registry's lifecycle (which records, audits
    and notifies as for any suspension or revocation)."""
    require(actor, "decide")
    notice = get_visible(actor, Notice.objects.select_for_update(), pk=notice.pk)
    errors: dict = {}
    if decision not in Decision.values:
        errors["decision"] = _("Choose a warning, a suspension or a revocation.")
    if notice.decision:
        errors["decision"] = _("This notice has already been decided.")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give the reasons for the decision.")
    until_day = _as_date(until, "until", errors, required=False)
    if errors:
        raise ValidationError(errors)
    holders = notice_holders(notice)
    text = _("Notice %(ref)s from %(m)s: %(r)s") % {
        "ref": notice.reference or notice.pk,
        "m": notice.market,
        "r": reason,
    }
    if decision == Decision.SUSPENSION:
        targets = [h for h in holders if h.code_status == CodeStatus.ISSUED]
        if not targets:
            raise ValidationError({"decision": _("None of the named codes is issued.")})
        for holder in targets:
            lifecycle.suspend(holder, actor, text, until_day)
    elif decision == Decision.REVOCATION:
        targets = [h for h in holders if h.code_status in WATCHED]
        if not targets:
            raise ValidationError({"decision": _("None of the named codes can be revoked.")})
        for holder in targets:
            lifecycle.revoke(holder, actor, text)
    else:
        orgs: list[Organisation] = []
        for holder in holders:
            orgs += _holder_orgs(holder)
        notify(
            orgs,
            _("Warning after a notice from %(m)s") % {"m": notice.market},
            text,
            _url("supervision-notice", notice.pk),
        )
    before = snapshot(notice)
    notice.decision = decision
    notice.decision_reason = reason
    notice.decided_at = timezone.now()
    notice.decided_by = actor.user
    notice.status = NoticeStatus.DECIDED
    notice.save()
    record(actor.user, "notice.decide", notice, before, snapshot(notice), reason)
    return notice


@transaction.atomic
def reply_notice(actor: Actor, notice: Notice, text: str, replied_on: Any = None) -> Notice:
    """Record the reply sent to the importing country."""
    require(actor, "handle_notices")
    notice = get_visible(actor, Notice.objects.select_for_update(), pk=notice.pk)
    errors: dict = {}
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        errors["reply_text"] = _("Give the text of the reply.")
    day = _as_date(replied_on, "replied_on", errors, required=False) or _today()
    if day < notice.received_on:
        errors["replied_on"] = _("The reply cannot come before the notice (%(d)s).") % {
            "d": shown_date(notice.received_on)
        }
    elif day > _today():
        errors["replied_on"] = _("The reply cannot be dated in the future.")
    if notice.status == NoticeStatus.REPLIED:
        errors["reply_text"] = _("The reply has already been recorded.")
    if errors:
        raise ValidationError(errors)
    before = snapshot(notice)
    notice.reply_text = text
    notice.replied_on = day
    notice.status = NoticeStatus.REPLIED
    notice.save()
    record(actor.user, "notice.reply", notice, before, snapshot(notice))
    return notice
