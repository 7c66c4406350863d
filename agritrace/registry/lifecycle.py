"""The life of a code: an application moves from draft to an issued code (or a refusal), and
an issued code can be suspended, reinstated and revoked. Each move is checked here, recorded
as a step (who, when, why, next deadline) and in the audit log, and notified."""

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agritrace.accounts.access import Actor, require
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.exchange import outbox
from agritrace.notifications.services import notify

from . import history
from .codes import allocate_code
from .effective_dates import effective_moment
from .market_rules import market_rule_problems
from .models import (
    Application,
    ApplicationStep,
    ApprovalStatus,
    AppStatus,
    CodeHolder,
    CodeStatus,
    Inspection,
    PlantingArea,
)
from .positions import check_position
from .workdays import add_working_days

S = AppStatus


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    permission: str
    label: object
    needs_reason: bool = False
    #: which step's deadline starts when this move is made (None: no deadline)
    deadline_key: str | None = None
    extra: dict = field(default_factory=dict)


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(
        frozenset({S.DRAFT, S.RETURNED}),
        S.SUBMITTED,
        "apply",
        gettext_lazy("Submit"),
        deadline_key="receive",
    ),
    "start_appraisal": Transition(
        frozenset({S.SUBMITTED}),
        S.UNDER_APPRAISAL,
        "appraise",
        gettext_lazy("Start appraisal"),
        deadline_key="appraise",
    ),
    "return": Transition(
        frozenset({S.SUBMITTED, S.UNDER_APPRAISAL}),
        S.RETURNED,
        "appraise",
        gettext_lazy("Return to applicant"),
        needs_reason=True,
        deadline_key="resubmit",
    ),
    "accept": Transition(
        frozenset({S.UNDER_APPRAISAL}),
        S.FIELD_INSPECTION,
        "appraise",
        gettext_lazy("Accept the file"),
        deadline_key="inspect",
    ),
    "approve": Transition(
        frozenset({S.FIELD_INSPECTION}),
        S.APPROVED,
        "decide",
        gettext_lazy("Approve"),
        deadline_key="issue",
    ),
    "reject": Transition(
        frozenset({S.SUBMITTED, S.UNDER_APPRAISAL, S.FIELD_INSPECTION, S.APPROVED}),
        S.REJECTED,
        "decide",
        gettext_lazy("Reject"),
        needs_reason=True,
    ),
    "issue": Transition(
        frozenset({S.APPROVED}),
        S.ISSUED,
        "decide",
        gettext_lazy("Issue the code"),
    ),
    "withdraw": Transition(
        frozenset({S.DRAFT, S.RETURNED, S.SUBMITTED}),
        S.WITHDRAWN,
        "apply",
        gettext_lazy("Withdraw"),
    ),
}

#: Working days allowed for each step. The legal time limits were not available to us
#: (../shared/design/codes.md): these defaults are configurable via AGRITRACE_STEP_DAYS.
DEFAULT_STEP_DAYS = {
    "receive": 3,
    "appraise": 10,
    "resubmit": 20,
    "inspect": 15,
    "issue": 5,
}


def step_days(key: str) -> int:
    return {**DEFAULT_STEP_DAYS, **getattr(settings, "AGRITRACE_STEP_DAYS", {})}[key]


def _subject_kind(app: Application) -> str:
    return "area" if app.area_id else "packing_house"


def subject_url(holder: CodeHolder) -> str:
    if isinstance(holder, PlantingArea):
        return reverse("area-detail", args=[holder.pk])
    return reverse("packing-house-detail", args=[holder.pk])


def allowed_actions(app: Application, actor: Actor) -> list[str]:
    """The moves this actor may make now: what the page offers as buttons."""
    from agritrace.accounts.access import can

    result = []
    for name, tr in TRANSITIONS.items():
        if app.status in tr.sources and can(actor, tr.permission):
            if tr.permission == "apply" and actor.organisation != app.applicant:
                continue
            result.append(name)
    if app.status == S.FIELD_INSPECTION and can(actor, "inspect"):
        result.append("schedule_inspection")
        if app.inspections.filter(recorded_at__isnull=True).exists():
            result.append("record_inspection")
    return result


def _check_scope(app: Application, actor: Actor) -> None:
    from agritrace.accounts.access import visible

    if not visible(actor, Application.objects.filter(pk=app.pk)).exists():
        from django.http import Http404

        raise Http404


def _record_step(
    app: Application | None,
    holder: CodeHolder,
    action: str,
    actor: Actor,
    from_status: str,
    to_status: str,
    reason: str = "",
    deadline: date | None = None,
    data: dict | None = None,
) -> ApplicationStep:
    kwargs = {"area": holder} if isinstance(holder, PlantingArea) else {"packing_house": holder}
    return ApplicationStep.objects.create(
        application=app,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor.user,
        actor_org=actor.organisation,
        reason=reason,
        deadline=deadline,
        data=data or {},
        **kwargs,
    )


def submission_problems(app: Application) -> dict[str, list[str]]:
    """What keeps a file from being submitted, by field."""
    problems: dict[str, list[str]] = {}
    holder = app.subject
    if isinstance(holder, PlantingArea):
        if not holder.households.exists():
            problems.setdefault("households", []).append(
                _("A planting area needs at least one member household.")
            )
        if not holder.plots.exists():
            problems.setdefault("plots", []).append(
                _("A planting area needs at least one plot with its map polygon.")
            )
        for market in holder.markets.all():
            for problem in market_rule_problems(holder, market):
                problems.setdefault("markets", []).append(problem)
    return problems


@transaction.atomic
def transition(
    app: Application, action: str, actor: Actor, reason: str = "", **data
) -> Application:
    """Make one move of the lifecycle (see TRANSITIONS), or raise ValidationError naming why
    not. Nothing changes unless everything succeeds."""
    if action == "schedule_inspection":
        return schedule_inspection(app, actor, **data)
    if action == "record_inspection":
        return record_inspection(app, actor, **data)
    tr = TRANSITIONS.get(action)
    if tr is None:
        raise ValidationError({"action": _("Unknown action '%(a)s'.") % {"a": action}})
    _check_scope(app, actor)
    require(actor, tr.permission)
    app = Application.objects.select_for_update().get(pk=app.pk)
    if tr.permission == "apply" and actor.organisation != app.applicant:
        raise ValidationError({"action": _("Only the applicant may do this.")})
    if app.status not in tr.sources:
        raise ValidationError(
            {
                "action": _("Cannot %(action)s an application that is %(status)s.")
                % {"action": str(tr.label).lower(), "status": app.get_status_display().lower()}
            }
        )
    reason = (reason or "").strip()
    if tr.needs_reason and not reason:
        raise ValidationError(
            {"reason": _("A reason is required to %(action)s.") % {"action": str(tr.label).lower()}}
        )
    if action == "submit":
        problems = submission_problems(app)
        if problems:
            raise ValidationError(problems)
    if action == "approve" and not app.inspections.filter(result="passed").exists():
        raise ValidationError(
            {"action": _("A field inspection must be recorded as passed before approval.")}
        )

    holder = app.subject
    before = snapshot(app)
    old = app.status
    app.status = tr.target
    today = timezone.localdate()
    app.deadline = add_working_days(today, step_days(tr.deadline_key)) if tr.deadline_key else None
    app.save()
    code_before = snapshot(holder)
    if action == "issue":
        _issue(app, holder)
    _record_step(app, holder, action, actor, old, app.status, reason, app.deadline)
    record(actor.user, f"application.{action}", app, before, snapshot(app), reason)
    if action == "issue":
        record(actor.user, "code.issue", holder, code_before, snapshot(holder), reason)
        _notify_code_change(
            holder,
            _("Code %(code)s issued") % {"code": holder.code},
            _("The code %(code)s was issued to %(name)s.")
            % {"code": holder.code, "name": holder.name},
        )
    elif action in ("return", "reject"):
        notify(
            [app.applicant],
            _("Application %(id)s: %(status)s")
            % {"id": app.pk, "status": app.get_status_display()},
            reason,
            reverse("application-detail", args=[app.pk]),
        )
    elif action == "submit":
        notify(
            _authorities_for(holder),
            _("New application %(id)s: %(name)s") % {"id": app.pk, "name": holder.name},
            "",
            reverse("application-detail", args=[app.pk]),
        )
    return app


def _issue(app: Application, holder: CodeHolder) -> None:
    if holder.code_status == CodeStatus.REVOKED:
        raise ValidationError({"action": _("A revoked code is final; apply for a new code.")})
    if not holder.code:
        holder.code = allocate_code(holder)
    holder.code_status = CodeStatus.ISSUED
    holder.issued_at = holder.issued_at or timezone.now()
    holder.save()
    change = history.record_change(
        holder, CodeStatus.ISSUED, timezone.now(), _("Code issued"), source="lifecycle"
    )
    outbox.code_changed(holder, "issue", change.pk)  # for the national side, in this transaction


def _authorities_for(holder: CodeHolder) -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            kind__in=[OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION], unit=holder.province
        )
    )


def _notify_code_change(holder: CodeHolder, title: str, body: str) -> None:
    """Issue, suspension and revocation reach the representative (or operator), every member
    household, the commune and the province."""
    orgs: list[Organisation] = list(_authorities_for(holder))
    orgs += list(Organisation.objects.filter(kind=OrgKind.COMMUNE, unit=holder.commune))
    if isinstance(holder, PlantingArea):
        orgs.append(holder.representative)
        orgs += [
            h.organisation
            for h in holder.households.select_related("organisation")
            if h.organisation
        ]
    else:
        orgs.append(holder.operator)
    notify(orgs, title, body, subject_url(holder))


@transaction.atomic
def schedule_inspection(
    app: Application, actor: Actor, scheduled_for: date | None = None, inspector=None, **_x
) -> Application:
    _check_scope(app, actor)
    require(actor, "inspect")
    app = Application.objects.select_for_update().get(pk=app.pk)
    if app.status != S.FIELD_INSPECTION:
        raise ValidationError({"action": _("Inspections are scheduled once the file is accepted.")})
    if scheduled_for is None:
        raise ValidationError({"scheduled_for": _("Give the date of the inspection.")})
    if scheduled_for < timezone.localdate():
        raise ValidationError({"scheduled_for": _("The inspection date cannot be in the past.")})
    inspection = Inspection.objects.create(
        application=app, scheduled_for=scheduled_for, inspector=inspector or actor.user
    )
    app.deadline = max(scheduled_for, app.deadline or scheduled_for)
    app.save(update_fields=["deadline", "updated_at"])
    _record_step(
        app,
        app.subject,
        "schedule_inspection",
        actor,
        app.status,
        app.status,
        deadline=app.deadline,
        data={"inspection": inspection.pk, "scheduled_for": scheduled_for.isoformat()},
    )
    record(actor.user, "inspection.schedule", inspection, None, snapshot(inspection))
    notify(
        [app.applicant],
        _("Field inspection scheduled"),
        _("Inspection on %(d)s.") % {"d": scheduled_for.isoformat()},
        reverse("application-detail", args=[app.pk]),
    )
    return app


#: The points a field inspection records (../shared/design/codes.md, "Field inspection
#: records"). Data, so the authority can change the list.
INSPECTION_CHECKLIST = [
    ("tree_age", gettext_lazy("Tree age and growth stage recorded")),
    ("variety", gettext_lazy("Variety matches the file")),
    ("pesticides", gettext_lazy("Only pesticides allowed in Vietnam and by the importer")),
    ("diary", gettext_lazy("Farm diary kept")),
    ("pests", gettext_lazy("Pest composition and density surveyed")),
    ("weeds", gettext_lazy("Weeds and plant residue managed")),
    ("packaging", gettext_lazy("Pesticide packaging collected")),
    ("boundaries", gettext_lazy("Plots on the ground match the map")),
]
CHECK_VALUES = {"pass", "fail", "na"}


@transaction.atomic
def record_inspection(
    app: Application,
    actor: Actor,
    checklist: dict | None = None,
    notes: str = "",
    lon: float | None = None,
    lat: float | None = None,
    **_x,
) -> Application:
    _check_scope(app, actor)
    require(actor, "inspect")
    app = Application.objects.select_for_update().get(pk=app.pk)
    inspection = app.inspections.filter(recorded_at__isnull=True).order_by("scheduled_for").first()
    if app.status != S.FIELD_INSPECTION or inspection is None:
        raise ValidationError({"action": _("There is no scheduled inspection to record.")})
    checklist = checklist or {}
    errors = {}
    for key, _label in INSPECTION_CHECKLIST:
        if checklist.get(key) not in CHECK_VALUES:
            errors[f"checklist.{key}"] = _("Mark this point as pass, fail or not applicable.")
    unknown = set(checklist) - {k for k, _l in INSPECTION_CHECKLIST}
    if unknown:
        errors["checklist"] = _("Unknown checklist points: %(p)s") % {
            "p": ", ".join(sorted(unknown))
        }
    lon, lat = check_position(lon, lat, errors, area=app.area)
    if errors:
        raise ValidationError(errors)
    inspection.checklist = checklist
    inspection.result = "failed" if "fail" in checklist.values() else "passed"
    inspection.notes = notes
    inspection.lon, inspection.lat = lon, lat
    inspection.recorded_at = timezone.now()
    inspection.inspector = inspection.inspector or actor.user
    inspection.save()
    app.deadline = add_working_days(timezone.localdate(), step_days("issue"))
    app.save(update_fields=["deadline", "updated_at"])
    _record_step(
        app,
        app.subject,
        "record_inspection",
        actor,
        app.status,
        app.status,
        notes,
        app.deadline,
        {"inspection": inspection.pk, "result": inspection.result},
    )
    record(actor.user, "inspection.record", inspection, None, snapshot(inspection), notes)
    return app


# ---------------------------------------------------------------- the code after issuance


def _locked_holder(holder: CodeHolder) -> CodeHolder:
    return type(holder).objects.select_for_update().get(pk=holder.pk)


@transaction.atomic
def suspend(
    holder: CodeHolder,
    actor: Actor,
    reason: str,
    until: date | None = None,
    effective_date: date | None = None,
):
    require(actor, "decide")
    _check_holder_scope(holder, actor)
    holder = _locked_holder(holder)
    if holder.code_status != CodeStatus.ISSUED:
        raise ValidationError({"action": _("Only an issued code can be suspended.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("A reason is required to suspend a code.")})
    if until is not None and until <= timezone.localdate():
        raise ValidationError({"until": _("The end of a suspension must be in the future.")})
    at = effective_moment(holder, effective_date, reason)
    return _change_code(
        holder,
        actor,
        "suspend",
        CodeStatus.SUSPENDED,
        reason,
        until,
        _("Code %(code)s suspended"),
        at,
    )


@transaction.atomic
def reinstate(
    holder: CodeHolder, actor: Actor, reason: str = "", effective_date: date | None = None
):
    require(actor, "decide")
    _check_holder_scope(holder, actor)
    holder = _locked_holder(holder)
    if holder.code_status != CodeStatus.SUSPENDED:
        raise ValidationError({"action": _("Only a suspended code can be reinstated.")})
    at = effective_moment(holder, effective_date, reason)
    return _change_code(
        holder,
        actor,
        "reinstate",
        CodeStatus.ISSUED,
        reason,
        None,
        _("Code %(code)s reinstated"),
        at,
    )


@transaction.atomic
def revoke(holder: CodeHolder, actor: Actor, reason: str, effective_date: date | None = None):
    require(actor, "decide")
    _check_holder_scope(holder, actor)
    holder = _locked_holder(holder)
    if holder.code_status not in (CodeStatus.ISSUED, CodeStatus.SUSPENDED):
        raise ValidationError({"action": _("Only an issued or suspended code can be revoked.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("A reason is required to revoke a code.")})
    at = effective_moment(holder, effective_date, reason)
    holder = _change_code(
        holder,
        actor,
        "revoke",
        CodeStatus.REVOKED,
        reason,
        None,
        _("Code %(code)s revoked"),
        at,
    )
    # Revocation ends every authorisation to use the code from the day it takes effect...
    if isinstance(holder, PlantingArea):
        holder.authorisations.filter(withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now(),
            withdrawn_from=timezone.localtime(at[0]).date(),
            withdrawal_reason=_("Code revoked"),
        )
    # ... and withdraws the importing countries' approvals, so that no list shows a revoked
    # code as approved for a market.
    _withdraw_approvals(holder, actor, reason)
    return holder


def _withdraw_approvals(holder: CodeHolder, actor: Actor, reason: str) -> None:
    open_approvals = holder.approvals.select_for_update().exclude(
        status__in=[ApprovalStatus.REFUSED, ApprovalStatus.WITHDRAWN]
    )
    for approval in open_approvals.order_by("pk"):
        before = snapshot(approval)
        approval.status = ApprovalStatus.WITHDRAWN
        approval.note = _("Code revoked")
        approval.save(update_fields=["status", "note"])
        record(actor.user, "market_approval.withdraw", approval, before, snapshot(approval), reason)


def _check_holder_scope(holder: CodeHolder, actor: Actor) -> None:
    from django.http import Http404

    from agritrace.accounts.access import visible

    if not visible(actor, type(holder).objects.filter(pk=holder.pk)).exists():
        raise Http404


def _change_code(holder, actor, action, status, reason, until, title, at=None):
    """Make the move; `at` is (effective moment, back-dated?) from `effective_moment`."""
    effective_at, back_dated = at or (timezone.now(), False)
    before = snapshot(holder)
    old = holder.code_status
    holder.code_status = status
    holder.status_reason = reason
    holder.suspended_until = until
    holder.save()
    change = history.record_change(
        holder, status, effective_at, reason, actor.user, source="lifecycle", until=until
    )
    outbox.code_changed(holder, action, change.pk)
    data = {"until": until.isoformat() if until else None}
    if back_dated:
        data.update({"effective_at": effective_at.isoformat(), "back_dated": True})
    _record_step(None, holder, action, actor, old, status, reason, data=data)
    after = snapshot(holder)
    if back_dated:
        after.update({"effective_at": effective_at.isoformat(), "back_dated": True})
    name = f"code.{action}" + (".back_dated" if back_dated else "")
    record(actor.user, name, holder, before, after, reason)
    _notify_code_change(holder, title % {"code": holder.code}, reason)
    return holder


@transaction.atomic
def reopen_review(holder: CodeHolder, actor: Actor, what: str) -> Application | None:
    """A change of households, plots, representative or area after submission sends the file
    back to appraisal; after issuance it opens a change application (the code stays valid
    while the change is reviewed)."""
    open_app = holder.applications.filter(
        status__in=[S.SUBMITTED, S.UNDER_APPRAISAL, S.FIELD_INSPECTION, S.APPROVED]
    ).first()
    reason = _("Changed after submission: %(what)s") % {"what": what}
    if open_app is not None:
        if open_app.status != S.SUBMITTED:
            old = open_app.status
            open_app.status = S.SUBMITTED
            open_app.deadline = add_working_days(timezone.localdate(), step_days("receive"))
            open_app.save()
            _record_step(
                open_app, holder, "reopen", actor, old, open_app.status, reason, open_app.deadline
            )
            record(
                actor.user,
                "application.reopen",
                open_app,
                {"status": old},
                {"status": open_app.status},
                reason,
            )
        return open_app
    if holder.code_status in (CodeStatus.ISSUED, CodeStatus.SUSPENDED):
        if holder.applications.filter(status__in=[S.DRAFT, S.RETURNED], kind="change").exists():
            return None
        applicant = holder.representative if isinstance(holder, PlantingArea) else holder.operator
        kwargs = {"area": holder} if isinstance(holder, PlantingArea) else {"packing_house": holder}
        app = Application.objects.create(
            kind="change",
            status=S.SUBMITTED,
            applicant=applicant,
            deadline=add_working_days(timezone.localdate(), step_days("receive")),
            notes=reason,
            **kwargs,
        )
        _record_step(app, holder, "reopen", actor, "", app.status, reason, app.deadline)
        record(actor.user, "application.reopen", app, None, snapshot(app), reason)
        notify(
            _authorities_for(holder),
            _("Change to issued code %(code)s") % {"code": holder.code},
            reason,
            reverse("application-detail", args=[app.pk]),
        )
        return app
    return None
