"""The officer's steps on a misuse case:

```
open ──review──► under_review ──dismiss (reason)──► dismissed
                      │
                      └──confirm──► confirmed ──act (warning | inspection |
                                                     suspension | revocation)──► actioned
```

A further action may follow on an actioned case (a warning, then an inspection, then a
suspension); `Case.action` is the latest. A note may be added in any status.

Each step runs in one transaction: the case row is locked, the status checked (a step out of
order is a ValidationError on ``status``: 422 and nothing changes), the action made through
the app that owns it (the warning through `notifications`, the inspection through
`supervision.services.schedule_visit`, the suspension and revocation through
`registry.lifecycle`, whose rules refuse what they refuse), then a `CaseStep`, the audit
entry and a notification to the commune of the land and the province's authorities.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor
from agritrace.accounts.models import Organisation
from agritrace.audit.services import record, snapshot
from agritrace.notifications.services import notify

from . import access
from .cases import _recipients, case_url
from .models import Case, CaseAction, CaseStatus, CaseStep

S = CaseStatus

#: step → (the statuses it may start from, the permission it needs)
NEXT: dict[str, tuple[tuple[str, ...], str]] = {
    "review": ((S.OPEN,), "review"),
    "dismiss": ((S.REVIEW,), "decide"),
    "confirm": ((S.REVIEW,), "decide"),
    "act": ((S.CONFIRMED, S.ACTIONED), "act"),
    "note": (tuple(S.values), "note"),
}

#: Days ahead a surprise inspection is planned when no date is given.
INSPECTION_DAYS = 7


def allowed_steps(actor: Actor, case: Case) -> list[str]:
    """The steps the actor may take on this case now (the page's forms, the API's hint)."""
    return [
        step
        for step, (from_statuses, permission) in NEXT.items()
        if case.status in from_statuses and access.can(actor, permission)
    ]


def _locked(actor: Actor, case: Case) -> Case:
    return access.get_case(
        actor,
        case.pk,
        Case.objects.select_for_update(of=("self",)).select_related("rule"),
    )


def _check_status(case: Case, step: str) -> None:
    allowed = NEXT[step][0]
    if case.status not in allowed:
        raise ValidationError(
            {
                "status": _("This step (%(step)s) cannot be taken on a case that is %(status)s.")
                % {"step": step, "status": case.get_status_display().lower()}
            }
        )


def _step(
    actor: Actor,
    case: Case,
    step: str,
    to_status: str,
    note: str = "",
    action: str = "",
    result: dict | None = None,
) -> CaseStep:
    before = snapshot(case, exclude=("evidence", "explanation"))
    from_status = case.status
    case.status = to_status
    if action:
        case.action = action
    case.save(update_fields=["status", "action"])
    made = CaseStep.objects.create(
        case=case,
        by=actor.user,
        from_status=from_status,
        to_status=to_status,
        action=action,
        note=note,
        result=result or {},
    )
    after = snapshot(case, exclude=("evidence", "explanation"))
    if result:
        after["result"] = result
    record(actor.user, f"misuse_case.{step}", case, before, after, note)
    title = _("Misuse case %(code)s (%(rule)s): %(step)s") % {
        "code": case.code or case.subject_key,
        "rule": case.rule.title,
        "step": CaseAction(action).label if action else S(to_status).label,
    }
    # The commune of the land and the province's authorities, as for a new case.
    notify(_recipients(case), title, note or case.summary, case_url(case))
    return made


@transaction.atomic
def review(actor: Actor, case: Case, note: str = "") -> Case:
    """Take an open case up: open → under review."""
    access.require(actor, "review")
    case = _locked(actor, case)
    _check_status(case, "review")
    _step(actor, case, "review", S.REVIEW, (note or "").strip())
    return case


@transaction.atomic
def dismiss(actor: Actor, case: Case, reason: str) -> Case:
    """Close a case under review as not misuse; the reason is required."""
    access.require(actor, "decide")
    case = _locked(actor, case)
    _check_status(case, "dismiss")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the case is dismissed.")})
    _step(actor, case, "dismiss", S.DISMISSED, reason)
    return case


@transaction.atomic
def confirm(actor: Actor, case: Case, note: str = "") -> Case:
    """The officer judges the evidence to show misuse: under review → confirmed."""
    access.require(actor, "decide")
    case = _locked(actor, case)
    _check_status(case, "confirm")
    _step(actor, case, "confirm", S.CONFIRMED, (note or "").strip())
    return case


@transaction.atomic
def add_note(actor: Actor, case: Case, note: str) -> Case:
    """A note on the case; its status stays."""
    access.require(actor, "note")
    case = _locked(actor, case)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write the note.")})
    _step(actor, case, "note", case.status, note)
    return case


def holder_of(case: Case):
    """The code holder a case is about (a planting area or a packing house), or None."""
    return case.area or case.packing_house


def firm_of(case: Case) -> Organisation | None:
    """Who a warning goes to: the firm using the code, else the code's holder."""
    if case.party_id:
        return case.party
    if case.area_id:
        return case.area.representative
    if case.packing_house_id:
        return case.packing_house.operator
    return case.organisation


def _reason(case: Case, reason: str) -> str:
    """The case's reason as the lifecycle's reason: the officer's words, else the words of the
    confirmation, else the case's summary; always naming the case."""
    text = (reason or "").strip()
    if not text:
        confirmed = case.steps.filter(to_status=S.CONFIRMED).exclude(note="").last()
        text = confirmed.note if confirmed else case.summary or case.rule.title
    return _("Misuse case %(id)s (%(rule)s): %(reason)s") % {
        "id": case.pk,
        "rule": case.rule.title,
        "reason": text,
    }


def _as_date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    parsed = parse_date(str(value))
    if parsed is None:
        raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")})
    return parsed


def _need_holder(case: Case, action: str):
    holder = holder_of(case)
    if holder is None:
        raise ValidationError(
            {
                "action": _(
                    "A %(action)s needs a code: this case is about an organisation, not a "
                    "planting area or packing house."
                )
                % {"action": CaseAction(action).label.lower()}
            }
        )
    return holder


@transaction.atomic
def act(
    actor: Actor,
    case: Case,
    action: str,
    reason: str = "",
    due_date: date | str | None = None,
    until: date | str | None = None,
    inspector=None,
) -> Case:
    """Take an action on a confirmed (or already actioned) case: a warning to the firm, a
    surprise inspection in the monitoring plan, or the code's suspension (until an optional
    date) or revocation through the registry's lifecycle."""
    from agritrace.registry import lifecycle

    access.require(actor, "act")
    case = _locked(actor, case)
    _check_status(case, "act")
    if action not in CaseAction.values:
        raise ValidationError(
            {"action": _("Choose a warning, an inspection, a suspension or a revocation.")}
        )
    text = _reason(case, reason)
    result: dict = {}
    if action == CaseAction.WARNING:
        firm = firm_of(case)
        if firm is None:
            raise ValidationError({"action": _("Nobody is known to warn for this case.")})
        notify(
            [firm],
            _("Warning about the use of code %(code)s") % {"code": case.code or case.subject_key},
            text,
        )
        result = {"warned": firm.pk}
    elif action == CaseAction.INSPECTION:
        from agritrace.supervision.models import VisitKind
        from agritrace.supervision.services import schedule_visit

        holder = _need_holder(case, action)
        due = _as_date(due_date, "due_date") or timezone.localdate() + timedelta(
            days=INSPECTION_DAYS
        )
        visit = schedule_visit(actor, holder, due, VisitKind.SURPRISE, inspector, text)
        result = {"visit": visit.pk}
    elif action == CaseAction.SUSPENSION:
        holder = _need_holder(case, action)
        holder = lifecycle.suspend(holder, actor, text, _as_date(until, "until"))
        result = {"code_status": holder.code_status}
    else:
        holder = _need_holder(case, action)
        holder = lifecycle.revoke(holder, actor, text)
        result = {"code_status": holder.code_status}
    _step(actor, case, "act", S.ACTIONED, text, action, result)
    return case


STEPS = {"review": review, "dismiss": dismiss, "confirm": confirm, "note": add_note}
