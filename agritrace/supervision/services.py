"""The rules of supervision. The API, the web pages and the CLI call these; each write is one
transaction, checks the role (require) and the scope (visible/get_visible: out of scope is a
404), leaves an audit entry, and raises ValidationError({field: message}) for bad input.

- Monitoring: `generate_plan` gives every issued code at least one scheduled visit per crop
  season (An Giang decision 1753/QĐ-UBND: "at least once per crop season", seeds 003, 1.2),
  ordered by `risk`; `record_visit` records the checklist, and its outcome: passed, corrective
  actions with a deadline, or a proposal to suspend that an officer decides through the
  registry's lifecycle.
- Pest surveillance: `record_observation`, with the quarantine pests of the area's markets.
- Residue programme: `register_sample`, `enter_result` (the laboratory), `import_results`;
  a result above the limit of one of the area's target markets opens a `ResidueCase`, flags
  the area for that market and plans a follow-up sample.
- Importing countries' notices: `register_notice`, `investigate_notice`, `decide_notice`
  (warning, or suspension/revocation through the lifecycle), `reply_notice`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from agritrace.accounts.access import (
    Actor,
    get_visible,
    require,
    sees_supervision_plans,
    visible,
)
from agritrace.accounts.models import Organisation, OrgKind, Role
from agritrace.audit.services import record, snapshot
from agritrace.diary.models import ActiveIngredient
from agritrace.formats import shown_date
from agritrace.notifications.services import notify
from agritrace.places.models import AdminUnit, Level, Tree
from agritrace.registry import lifecycle
from agritrace.registry.codes import parse_code
from agritrace.registry.models import CodeStatus, Market, PackingHouse, PlantingArea, Plot
from agritrace.registry.positions import check_position

from .catalogue import ingredient_for
from .models import (
    AreaMarketFlag,
    CaseStatus,
    ChecklistTemplate,
    CorrectiveAction,
    Decision,
    Hazard,
    HolderKind,
    ItemResult,
    LabResult,
    MarketPest,
    MonitoringPlan,
    MonitoringVisit,
    Notice,
    NoticeStatus,
    Outcome,
    Pest,
    PestObservation,
    ResidueCase,
    ResidueLimit,
    ResiduePlan,
    Sample,
    SampleStatus,
    SeasonCalendar,
    VisitItem,
    VisitKind,
    VisitPhoto,
    holder_kwargs,
)

Holder = PlantingArea | PackingHouse

#: Codes that are watched: issued ones, and suspended ones until they are reinstated or revoked.
WATCHED = [CodeStatus.ISSUED, CodeStatus.SUSPENDED]

#: The monitoring visit is planned this many days before the season's harvest starts (our
#: choice: late enough to see the crop, early enough to act before fruit is sold).
DAYS_BEFORE_HARVEST = 14
#: A code this risky is visited within HIGH_RISK_DAYS of the plan's start (or of today).
HIGH_RISK = 40
HIGH_RISK_DAYS = 14

#: What each finding adds to a code's risk score; the reasons say which and how many.
RISK_WEIGHTS = {
    "overdue_visit": 20,
    "failed_item": 5,
    "overdue_action": 10,
    "suspension_proposed": 20,
    "open_case": 30,
    "notice": 25,
    "quarantine_pest": 15,
    "diary_flag": 5,
    "never_visited": 10,
}
#: How far back failed items, quarantine pests and notices count.
RISK_WINDOW_DAYS = 365
NOTICE_WINDOW_DAYS = 730

#: Photos: what phones send (JPEG, PNG, WebP, HEIC), up to this size.
PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTOS_PER_VISIT = 30

#: A residue value above this (mg/kg) is a typing error, not a measurement.
ABSURD_MG_KG = Decimal("10000")


# ------------------------------------------------------------------ small helpers


def _today() -> date:
    return timezone.localdate()


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # pages not wired (e.g. in a stripped-down URLconf)
        return ""


def _as_date(value: Any, field: str, errors: dict, required: bool = True) -> date | None:
    if value in (None, ""):
        if required:
            errors[field] = _("This date is required.")
        return None
    if isinstance(value, date):
        return value
    parsed = parse_date(str(value)) if isinstance(value, str) else None
    if parsed is None:
        errors[field] = _("Give a date as YYYY-MM-DD.")
    return parsed


def _as_decimal(value: Any, field: str, errors: dict, required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            errors[field] = _("This number is required.")
        return None
    if isinstance(value, bool):
        errors[field] = _("Give a number.")
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        errors[field] = _("Give a number.")
        return None
    if not number.is_finite():
        errors[field] = _("Give a number.")
        return None
    return number


def _visible_holder(actor: Actor, holder: Holder) -> Holder:
    return get_visible(actor, type(holder).objects.all(), pk=holder.pk)


def _authorities(province: AdminUnit) -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            kind__in=[OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION], unit=province
        )
    )


def _holder_orgs(holder: Holder) -> list[Organisation]:
    """Who hears about findings at a code: its holder and the commune it lies in."""
    orgs = list(Organisation.objects.filter(kind=OrgKind.COMMUNE, unit_id=holder.commune_id))
    orgs.append(holder.representative if isinstance(holder, PlantingArea) else holder.operator)
    return orgs


def _holder_filter(holder: Holder, prefix: str = "") -> Q:
    if isinstance(holder, PlantingArea):
        return Q(**{f"{prefix}area": holder})
    return Q(**{f"{prefix}packing_house": holder})


def _own_province(actor: Actor, province: AdminUnit | int | None) -> AdminUnit:
    """The province an officer works in; naming another one is refused by field."""
    if isinstance(province, AdminUnit):
        unit = province
    else:
        unit = AdminUnit.objects.filter(
            pk=province, tree=Tree.CURRENT, level=Level.PROVINCE
        ).first()
    if unit is None or unit.level != Level.PROVINCE:
        raise ValidationError({"province": _("Choose a province of the current map.")})
    if actor.province_id is not None and unit.pk != actor.province_id:
        raise ValidationError({"province": _("This province is not yours.")})
    return unit


def normalise_ingredient(name: Any) -> str:
    return " ".join(str(name or "").split()).lower()


def find_ingredient(ref: Any) -> ActiveIngredient | None:
    """The input catalogue's active ingredient named `ref` (any case, or a known synonym
    such as chlorpyrifos for chlorpyrifos ethyl), or with that id; None when there is none."""
    if isinstance(ref, ActiveIngredient):
        return ref
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        return ActiveIngredient.objects.filter(pk=int(ref)).first()
    return ingredient_for(ActiveIngredient, ref, create=False)


# ------------------------------------------------------------------ risk


def _diary_flag_count(area: PlantingArea) -> int:
    """Open diary flags of an area, from the diary app when it offers
    `agritrace.diary.services.open_flags(area)`; 0 until then."""
    try:
        from agritrace.diary.services import open_flags  # type: ignore[attr-defined]
    except ImportError:
        return 0
    flags = open_flags(area)
    if isinstance(flags, QuerySet):
        return flags.count()
    return len(list(flags))


def risk(holder: Holder, today: date | None = None) -> tuple[int, list[str]]:
    """A code's risk score and, in words, what makes it: overdue monitoring, failed checklist
    items and corrective actions, a pending suspension proposal, open residue cases,
    quarantine pests found, importing countries' notices, diary flags, and never having been
    visited. Higher is riskier; each reason says what it added."""
    today = today or _today()
    w = RISK_WEIGHTS
    since = today - timedelta(days=RISK_WINDOW_DAYS)
    visits = MonitoringVisit.objects.filter(_holder_filter(holder))
    parts: list[tuple[int, str]] = []

    def add(key: str, n: int, text: str) -> None:
        if n:
            parts.append((w[key] * n, text % {"n": n, "points": w[key] * n}))

    add(
        "overdue_visit",
        visits.filter(recorded_at__isnull=True, due_date__lt=today).count(),
        _("%(n)d monitoring visit(s) overdue (+%(points)d)"),
    )
    add(
        "failed_item",
        VisitItem.objects.filter(
            _holder_filter(holder, "visit__"),
            result=ItemResult.FAIL,
            visit__visited_on__gte=since,
        ).count(),
        _("%(n)d checklist item(s) failed in the last year (+%(points)d)"),
    )
    add(
        "overdue_action",
        CorrectiveAction.objects.filter(
            _holder_filter(holder, "visit__"), done_at__isnull=True, deadline__lt=today
        ).count(),
        _("%(n)d corrective action(s) past their deadline (+%(points)d)"),
    )
    add(
        "suspension_proposed",
        visits.filter(outcome=Outcome.SUSPEND, proposal_decision="").count(),
        _("%(n)d proposal(s) to suspend awaiting a decision (+%(points)d)"),
    )
    if isinstance(holder, PlantingArea):
        add(
            "open_case",
            ResidueCase.objects.filter(area=holder, status=CaseStatus.OPEN).count(),
            _("%(n)d open residue case(s) (+%(points)d)"),
        )
        quarantine = MarketPest.objects.filter(
            crop_id=holder.crop_id, market__in=holder.markets.all()
        ).values("pest")
        add(
            "quarantine_pest",
            PestObservation.objects.filter(area=holder, observed_on__gte=since, pest__in=quarantine)
            .filter(Q(incidence_pct__gt=0) | Q(count_per_tree__gt=0))
            .count(),
            _("%(n)d finding(s) of a quarantine pest of a target market (+%(points)d)"),
        )
        add(
            "diary_flag",
            _diary_flag_count(holder),
            _("%(n)d open farm diary flag(s) (+%(points)d)"),
        )
        notices = Notice.objects.filter(areas=holder)
    else:
        notices = Notice.objects.filter(packing_houses=holder)
    add(
        "notice",
        notices.filter(received_on__gte=today - timedelta(days=NOTICE_WINDOW_DAYS)).count(),
        _("%(n)d importing-country notice(s) in the last two years (+%(points)d)"),
    )
    if not visits.filter(recorded_at__isnull=False).exists():
        add("never_visited", 1, _("No monitoring visit recorded yet (+%(points)d)"))
    parts.sort(key=lambda p: -p[0])
    return sum(p[0] for p in parts), [p[1] for p in parts]


# ------------------------------------------------------------------ monitoring plans


def calendars_for(crop_id: int, province: AdminUnit) -> list[SeasonCalendar]:
    return [c for c in SeasonCalendar.objects.filter(crop_id=crop_id) if c.covers(province)]


def season_targets(
    crop_ids: Iterable[int], province: AdminUnit, start: date, end: date
) -> list[tuple[str, date]]:
    """(season label, date by which to visit) for each crop season whose harvest starts in
    [start, end]; one ("", midpoint) when no season calendar applies."""
    targets: dict[str, date] = {}
    for crop_id in crop_ids:
        for cal in calendars_for(crop_id, province):
            for year in range(start.year, end.year + 1):
                harvest = date(year, cal.harvest_start_month, 1)
                if start <= harvest <= end:
                    label = cal.label if start.year == end.year else f"{cal.label} {year}"
                    target = max(start, harvest - timedelta(days=DAYS_BEFORE_HARVEST))
                    targets[label] = min(targets.get(label, target), target)
    if not targets:
        return [("", start + (end - start) / 2)]
    return sorted(targets.items(), key=lambda kv: kv[1])


def province_inspectors(province: AdminUnit) -> QuerySet:
    """Users who may be sent on visits: the people who inspect in the province
    (`accounts.inspectors`), inspectors first."""
    from agritrace.accounts.inspectors import inspectors

    return inspectors(province.pk)


def _check_inspector(user, province: AdminUnit):
    if user is None:
        return None
    if not province_inspectors(province).filter(pk=getattr(user, "pk", user)).exists():
        raise ValidationError(
            {"inspector": _("Choose an inspector of this province's plant-protection office.")}
        )
    return get_user_model().objects.get(pk=getattr(user, "pk", user))


def _watched_holders(actor: Actor, province: AdminUnit) -> list[Holder]:
    areas = visible(
        actor,
        PlantingArea.objects.filter(code_status__in=WATCHED, commune__parent=province),
    ).order_by("code")
    houses = visible(
        actor,
        PackingHouse.objects.filter(code_status__in=WATCHED, commune__parent=province),
    ).order_by("code")
    return [*areas, *houses.prefetch_related("crops")]


@transaction.atomic
def generate_plan(
    actor: Actor,
    province: AdminUnit | int,
    season: str,
    start: date | None = None,
    end: date | None = None,
    assign: bool = True,
) -> MonitoringPlan:
    """The province's monitoring plan for a season: every watched code (issued or
    suspended) gets one scheduled visit per crop season of its crop that falls in the plan
    (one for the whole plan when no calendar applies), riskiest codes first and soonest.
    Idempotent: running it again adds visits only for codes or seasons not yet planned,
    and refreshes the risk of the visits still to be made."""
    require(actor, "plan_monitoring")
    province = _own_province(actor, province)
    season = (season or "").strip()
    errors: dict = {}
    if not season:
        errors["season"] = _("Name the season, for example 2026.")
    plan = (
        MonitoringPlan.objects.filter(province=province, season=season).first() if season else None
    )
    if plan is None:
        start = _as_date(start, "start", errors)
        end = _as_date(end, "end", errors)
        if start and end and end < start:
            errors["end"] = _("The end comes before the start.")
        elif end and end < _today():
            errors["end"] = _("The plan period is already over.")
        if errors:
            raise ValidationError(errors)
        plan = MonitoringPlan.objects.create(
            province=province, season=season, start=start, end=end, created_by=actor.user
        )
        record(actor.user, "monitoring_plan.create", plan, None, snapshot(plan))
    elif errors:
        raise ValidationError(errors)
    plan = MonitoringPlan.objects.select_for_update().get(pk=plan.pk)
    today = _today()
    first_day = max(plan.start, min(today, plan.end))
    created = 0
    for holder in _watched_holders(actor, province):
        score, reasons = risk(holder, today)
        if isinstance(holder, PlantingArea):
            crop_ids = [holder.crop_id]
        else:
            crop_ids = [c.pk for c in holder.crops.all()]
        for label, target in season_targets(crop_ids, province, plan.start, plan.end):
            due = min(max(target, first_day), plan.end)
            if score >= HIGH_RISK:
                due = min(due, first_day + timedelta(days=HIGH_RISK_DAYS))
            visit, made = MonitoringVisit.objects.get_or_create(
                plan=plan,
                kind=VisitKind.SCHEDULED,
                season_label=label,
                **holder_kwargs(holder),
                defaults={"due_date": due, "risk_score": score, "risk_reasons": reasons},
            )
            if made:
                created += 1
            elif visit.recorded_at is None:
                visit.risk_score, visit.risk_reasons = score, reasons
                visit.save(update_fields=["risk_score", "risk_reasons"])
    if assign:
        _assign_round_robin(plan)
    record(
        actor.user,
        "monitoring_plan.generate",
        plan,
        None,
        {"visits_created": created, "visits": plan.visits.count()},
    )
    return plan


def _assign_round_robin(plan: MonitoringPlan) -> None:
    """Unassigned visits go to the province's inspectors, each to the least loaded one,
    riskiest visits first. Inspectors proper before other officers."""
    users = list(province_inspectors(plan.province).filter(membership__role=Role.INSPECTOR))
    if not users:
        users = list(province_inspectors(plan.province))
    if not users:
        return
    load = dict(
        plan.visits.filter(inspector__in=users, recorded_at__isnull=True)
        .values_list("inspector")
        .annotate(n=Count("pk"))
    )
    load = {u.pk: load.get(u.pk, 0) for u in users}
    by_pk = {u.pk: u for u in users}
    for visit in plan.visits.filter(inspector__isnull=True, recorded_at__isnull=True).order_by(
        "-risk_score", "due_date", "pk"
    ):
        pk = min(load, key=lambda k: (load[k], by_pk[k].username))
        visit.inspector = by_pk[pk]
        visit.save(update_fields=["inspector"])
        load[pk] += 1


def plan_visits(actor: Actor, plan: MonitoringPlan) -> QuerySet:
    """A plan's visits as the actor may see them, riskiest first."""
    return (
        visible(actor, plan.visits.all())
        .select_related("area", "packing_house", "inspector")
        .order_by("-risk_score", "due_date", "pk")
    )


@transaction.atomic
def assign_inspector(actor: Actor, visit: MonitoringVisit, inspector) -> MonitoringVisit:
    require(actor, "plan_monitoring")
    visit = get_visible(actor, MonitoringVisit.objects.select_for_update(), pk=visit.pk)
    if visit.recorded_at is not None:
        raise ValidationError({"inspector": _("This visit is already recorded.")})
    if inspector in (None, ""):
        raise ValidationError({"inspector": _("Choose an inspector.")})
    before = snapshot(visit)
    visit.inspector = _check_inspector(inspector, visit.holder.province)
    visit.save(update_fields=["inspector"])
    record(actor.user, "monitoring_visit.assign", visit, before, snapshot(visit))
    return visit


@transaction.atomic
def schedule_visit(
    actor: Actor,
    holder: Holder,
    due_date: date | str | None,
    kind: str = VisitKind.SURPRISE,
    inspector=None,
    reason: str = "",
    notice: Notice | None = None,
) -> MonitoringVisit:
    """A visit outside the plan's schedule: a surprise inspection, or one that investigates
    a notice. It joins the plan that covers its date, if any."""
    require(actor, "plan_monitoring")
    holder = _visible_holder(actor, holder)
    errors: dict = {}
    due = _as_date(due_date, "due_date", errors)
    if due and due < _today():
        errors["due_date"] = _("The visit cannot be planned in the past.")
    if kind not in VisitKind.values:
        errors["kind"] = _("Choose scheduled or surprise.")
    if holder.code_status == CodeStatus.NONE:
        errors["holder"] = _("Only a code that has been issued is monitored.")
    if errors:
        raise ValidationError(errors)
    plan = MonitoringPlan.objects.filter(
        province=holder.province, start__lte=due, end__gte=due
    ).first()
    visit = MonitoringVisit.objects.create(
        plan=plan,
        kind=kind,
        due_date=due,
        inspector=_check_inspector(inspector, holder.province),
        reason=(reason or "").strip(),
        notice=notice,
        **holder_kwargs(holder),
    )
    visit.risk_score, visit.risk_reasons = risk(holder)
    visit.save(update_fields=["risk_score", "risk_reasons"])
    record(actor.user, "monitoring_visit.schedule", visit, None, snapshot(visit), reason)
    return visit


def visits(actor: Actor) -> QuerySet:
    return visible(actor, MonitoringVisit.objects.all()).select_related(
        "area__commune", "packing_house__commune", "inspector", "plan"
    )


@dataclass
class DaySheet:
    overdue: list[MonitoringVisit]
    today: list[MonitoringVisit]
    week: list[MonitoringVisit]

    @property
    def all(self) -> list[MonitoringVisit]:
        return [*self.overdue, *self.today, *self.week]


def day_sheet(actor: Actor, day: date | None = None, mine: bool = False) -> DaySheet:
    """The inspector's day: visits overdue, due today, and due in the next seven days."""
    day = day or _today()
    qs = visits(actor).filter(recorded_at__isnull=True, due_date__lte=day + timedelta(days=7))
    if mine and actor.user is not None:
        qs = qs.filter(inspector=actor.user)
    qs = qs.order_by("due_date", "-risk_score", "pk")
    rows = list(qs)
    return DaySheet(
        overdue=[v for v in rows if v.due_date < day],
        today=[v for v in rows if v.due_date == day],
        week=[v for v in rows if v.due_date > day],
    )


# ------------------------------------------------------------------ recording a visit


def template_for(visit: MonitoringVisit) -> ChecklistTemplate:
    template = visit.template or ChecklistTemplate.current(visit.holder_kind)
    if template is None:
        raise ValidationError({"items": _("No checklist is defined for this kind of code.")})
    return template


def _clean_items(template: ChecklistTemplate, items: Any, errors: dict) -> dict[str, dict]:
    """{key: "pass"} or {key: {"result": "pass", "note": "..."}} → {key: {result, note}}."""
    if not isinstance(items, dict):
        errors["items"] = _("Give each checklist item as passed, failed or not applicable.")
        return {}
    keys = {i.key for i in template.items.all()}
    unknown = sorted(set(items) - keys)
    if unknown:
        errors["items"] = _("Unknown checklist items: %(k)s") % {"k": ", ".join(unknown)}
    clean = {}
    for item in template.items.all():
        raw = items.get(item.key)
        if isinstance(raw, dict):
            result, note = raw.get("result"), raw.get("note") or ""
        else:
            result, note = raw, ""
        if result not in ItemResult.values:
            errors[f"items.{item.key}"] = _("Mark this item as passed, failed or not applicable.")
            continue
        if not isinstance(note, str):
            errors[f"items.{item.key}"] = _("The note must be text.")
            continue
        if result == ItemResult.FAIL and not note.strip():
            errors[f"items.{item.key}"] = _("Say what was wrong.")
            continue
        clean[item.key] = {"item": item, "result": result, "note": note.strip()}
    return clean


def _clean_actions(raw: Any, visited_on: date | None, errors: dict) -> list[dict]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors["corrective_actions"] = _("Give a list of actions with a deadline each.")
        return []
    out = []
    for n, action in enumerate(raw, 1):
        sub: dict = {}
        if not isinstance(action, dict):
            errors[f"corrective_actions.{n}"] = _("Give a description and a deadline.")
            continue
        text = str(action.get("description") or "").strip()
        deadline = _as_date(action.get("deadline"), "deadline", sub)
        if not text:
            sub["description"] = _("Say what must be corrected.")
        if deadline and visited_on and deadline <= visited_on:
            sub["deadline"] = _("The deadline must come after the visit.")
        for field, message in sub.items():
            errors[f"corrective_actions.{n}.{field}"] = message
        if not sub:
            out.append({"description": text, "deadline": deadline, "item_key": ""})
    return out


@transaction.atomic
def record_visit(
    actor: Actor,
    visit: MonitoringVisit,
    items: Any,
    outcome: str | None = None,
    notes: str = "",
    lon: Any = None,
    lat: Any = None,
    visited_on: Any = None,
    corrective_deadline: Any = None,
    corrective_actions: Any = None,
    photos: Iterable[Any] = (),
) -> MonitoringVisit:
    """Record what the inspector found: every checklist item passed, failed (with a note)
    or not applicable, the position, photos, and the outcome. Failed items become
    corrective actions with a deadline unless the inspector proposes to suspend the code;
    the holder and the commune are told, and a proposal reaches the province's officers.
    Nothing is saved unless everything is valid."""
    require(actor, "inspect")
    visit = get_visible(actor, MonitoringVisit.objects.select_for_update(), pk=visit.pk)
    if visit.recorded_at is not None:
        raise ValidationError({"visit": _("This visit is already recorded.")})
    template = template_for(visit)
    errors: dict = {}
    clean = _clean_items(template, items, errors)
    day = _as_date(visited_on, "visited_on", errors, required=False) or _today()
    if day > _today():
        errors["visited_on"] = _("The visit date cannot be in the future.")
    lon_f, lat_f = check_position(lon, lat, errors, area=visit.area)
    notes = (notes or "").strip() if isinstance(notes, str) else ""
    failed = [c for c in clean.values() if c["result"] == ItemResult.FAIL]
    extra = _clean_actions(corrective_actions, day, errors)
    outcome = outcome or (Outcome.CORRECTIVE if failed or extra else Outcome.PASSED)
    deadline = None
    if outcome not in Outcome.values:
        errors["outcome"] = _("Choose passed, corrective actions or a proposal to suspend.")
    elif outcome == Outcome.PASSED and failed:
        errors["outcome"] = _("A visit with failed items cannot pass.")
    elif outcome == Outcome.CORRECTIVE:
        if not failed and not extra and not errors:
            errors["outcome"] = _("Corrective actions follow from failed items; none failed.")
        if failed:
            deadline = _as_date(corrective_deadline, "corrective_deadline", errors)
            if deadline and deadline <= day:
                errors["corrective_deadline"] = _("The deadline must come after the visit.")
            elif deadline and deadline > day + timedelta(days=366):
                errors["corrective_deadline"] = _("Give a deadline within a year.")
    elif outcome == Outcome.SUSPEND:
        if not notes:
            errors["notes"] = _("Give the reasons for proposing to suspend the code.")
        if visit.holder.code_status != CodeStatus.ISSUED:
            errors["outcome"] = _("Only an issued code can be suspended.")
    photos = list(photos or [])
    if len(photos) > PHOTOS_PER_VISIT:
        errors["photos"] = _("At most %(n)d photos per visit.") % {"n": PHOTOS_PER_VISIT}
    for photo in photos:
        problem = photo_problem(photo)
        if problem:
            errors["photos"] = problem
            break
    if errors:
        raise ValidationError(errors)

    before = snapshot(visit)
    for c in clean.values():
        VisitItem.objects.create(visit=visit, item=c["item"], result=c["result"], note=c["note"])
    if outcome == Outcome.CORRECTIVE:
        for c in failed:
            CorrectiveAction.objects.create(
                visit=visit,
                item_key=c["item"].key,
                description=f"{c['item']}: {c['note']}",
                deadline=deadline,
            )
        for a in extra:
            CorrectiveAction.objects.create(visit=visit, **a)
    visit.template = template
    visit.visited_on = day
    visit.recorded_at = timezone.now()
    visit.recorded_by = actor.user
    visit.inspector = visit.inspector or actor.user
    visit.lon, visit.lat = lon_f, lat_f
    visit.outcome = outcome
    visit.notes = notes
    visit.save()
    for photo in photos:
        _save_photo(actor, visit, photo)
    record(actor.user, "monitoring_visit.record", visit, before, snapshot(visit), notes)

    holder = visit.holder
    url = _url("supervision-visit", visit.pk)
    if outcome == Outcome.CORRECTIVE:
        lines = [
            f"- {a.description} ({shown_date(a.deadline)})" for a in visit.corrective_actions.all()
        ]
        notify(
            _holder_orgs(holder),
            _("Corrective actions for %(code)s") % {"code": holder.code},
            "\n".join(lines),
            url,
        )
    elif outcome == Outcome.SUSPEND:
        notify(
            _authorities(holder.province),
            _("Proposal to suspend code %(code)s") % {"code": holder.code},
            notes,
            url,
        )
    return visit


def photo_problem(upload: Any) -> str | None:
    """Why an uploaded file is not an acceptable photo (None when it is): JPEG, PNG, WebP
    or HEIC by its first bytes, not by its name, and not larger than PHOTO_MAX_BYTES."""
    size = getattr(upload, "size", None)
    if size is None:
        return _("Upload a photo file.")
    limit = getattr(settings, "AGRITRACE_PHOTO_MAX_BYTES", PHOTO_MAX_BYTES)
    if size == 0:
        return _("The photo is empty.")
    if size > limit:
        return _("The photo is larger than %(mb).0f MB.") % {"mb": limit / 1024 / 1024}
    if photo_type(upload) is None:
        return _("A photo must be a JPEG, PNG, WebP or HEIC image.")
    return None


def photo_type(upload: Any) -> str | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "image/heic"
    return None


def _save_photo(
    actor: Actor, visit: MonitoringVisit, upload: Any, item_key: str = ""
) -> VisitPhoto:
    return VisitPhoto.objects.create(
        visit=visit,
        item_key=item_key,
        file=upload,
        content_type=photo_type(upload) or "",
        size=upload.size,
        uploaded_by=actor.user,
    )


@transaction.atomic
def add_photo(actor: Actor, visit: MonitoringVisit, upload: Any, item_key: str = "") -> VisitPhoto:
    require(actor, "inspect")
    visit = get_visible(actor, MonitoringVisit.objects.select_for_update(), pk=visit.pk)
    errors: dict = {}
    problem = photo_problem(upload)
    if problem:
        errors["photo"] = problem
    if visit.photos.count() >= PHOTOS_PER_VISIT:
        errors["photo"] = _("At most %(n)d photos per visit.") % {"n": PHOTOS_PER_VISIT}
    if item_key and not template_for(visit).items.filter(key=item_key).exists():
        errors["item_key"] = _("Unknown checklist item.")
    if errors:
        raise ValidationError(errors)
    photo = _save_photo(actor, visit, upload, item_key)
    record(actor.user, "monitoring_visit.photo", visit, None, {"photo": photo.file.name})
    return photo


@transaction.atomic
def complete_action(actor: Actor, action: CorrectiveAction, note: str = "") -> CorrectiveAction:
    """An inspector confirms that a corrective action was carried out."""
    require(actor, "inspect")
    action = get_visible(actor, CorrectiveAction.objects.select_for_update(), pk=action.pk)
    if action.done_at is not None:
        raise ValidationError({"action": _("This action is already marked as done.")})
    before = snapshot(action)
    action.done_at = timezone.now()
    action.done_note = (note or "").strip()
    action.save()
    record(actor.user, "corrective_action.done", action, before, snapshot(action), note)
    return action


@transaction.atomic
def decide_suspension(
    actor: Actor,
    visit: MonitoringVisit,
    accept: bool,
    reason: str = "",
    until: date | None = None,
) -> MonitoringVisit:
    """An officer decides an inspector's proposal to suspend: accepting suspends the code
    through the registry's lifecycle (which records, audits and notifies)."""
    require(actor, "decide")
    visit = get_visible(actor, MonitoringVisit.objects.select_for_update(), pk=visit.pk)
    if not visit.suspension_pending:
        raise ValidationError({"action": _("There is no proposal to suspend to decide.")})
    reason = (reason or "").strip()
    before = snapshot(visit)
    if accept:
        lifecycle.suspend(visit.holder, actor, reason or visit.notes, until)
        visit.proposal_decision = "suspended"
    else:
        if not reason:
            raise ValidationError({"reason": _("Say why the code is not suspended.")})
        visit.proposal_decision = "declined"
    visit.proposal_decided_at = timezone.now()
    visit.save(update_fields=["proposal_decision", "proposal_decided_at"])
    record(actor.user, "monitoring_visit.decide", visit, before, snapshot(visit), reason)
    return visit


# ------------------------------------------------------------------ pest surveillance


def quarantine_pests(area: PlantingArea) -> QuerySet:
    """The quarantine pests that the area's target markets name for its crop."""
    return MarketPest.objects.filter(
        crop_id=area.crop_id, market__in=area.markets.all()
    ).select_related("market", "pest")


@transaction.atomic
def record_observation(actor: Actor, data: dict) -> PestObservation:
    """Pest surveillance at an area (or one of its plots) on a date: incidence in % of trees
    or a count per tree. A quarantine pest of one of the area's markets is reported to the
    province and the representative."""
    require(actor, "observe_pests")
    area = get_visible(actor, PlantingArea.objects.all(), pk=data.get("area"))
    errors: dict = {}
    plot = None
    if data.get("plot") not in (None, ""):
        plot_id = data.get("plot")
        if str(plot_id).isdigit():
            plot = visible(actor, Plot.objects.filter(area=area)).filter(pk=plot_id).first()
        if plot is None:
            errors["plot"] = _("Choose a plot of this area.")
    day = _as_date(data.get("observed_on"), "observed_on", errors)
    if day and day > _today():
        errors["observed_on"] = _("The date cannot be in the future.")
    elif day and day.year < 2000:
        errors["observed_on"] = _("Give the date of the observation.")
    pest_ref = data.get("pest")
    pest = None
    if pest_ref not in (None, ""):
        pest = Pest.objects.filter(
            Q(key=str(pest_ref)) | Q(pk=pest_ref if str(pest_ref).isdigit() else None)
        ).first()
    if pest is None:
        errors["pest"] = _("Choose a pest from the list.")
    incidence = _as_decimal(data.get("incidence_pct"), "incidence_pct", errors, required=False)
    count = _as_decimal(data.get("count_per_tree"), "count_per_tree", errors, required=False)
    if incidence is not None and not (0 <= incidence <= 100):
        errors["incidence_pct"] = _("Incidence is a percentage from 0 to 100.")
    if count is not None and not (0 <= count <= 100000):
        errors["count_per_tree"] = _("A count per tree is a number from 0 up.")
    if (
        incidence is None
        and count is None
        and "incidence_pct" not in errors
        and "count_per_tree" not in errors
    ):
        errors["incidence_pct"] = _("Give the incidence or the count per tree.")
    visit = None
    if data.get("visit") not in (None, ""):
        visit = visible(actor, MonitoringVisit.objects.filter(area=area, pk=data["visit"])).first()
        if visit is None:
            errors["visit"] = _("Choose a visit to this area.")
    if errors:
        raise ValidationError(errors)
    obs = PestObservation.objects.create(
        area=area,
        plot=plot,
        observed_on=day,
        pest=pest,
        incidence_pct=incidence,
        count_per_tree=count,
        observer=actor.user,
        observer_org=actor.organisation,
        visit=visit,
        note=str(data.get("note") or "").strip(),
    )
    record(actor.user, "pest_observation.create", obs, None, snapshot(obs))
    found = (incidence or 0) > 0 or (count or 0) > 0
    markets = [mp.market for mp in quarantine_pests(area).filter(pest=pest)]
    if found and markets:
        notify(
            [*_authorities(area.province), area.representative],
            _("Quarantine pest at %(code)s: %(pest)s")
            % {"code": area.code or area.name, "pest": pest},
            _("A quarantine pest of %(markets)s was found on %(day)s.")
            % {"markets": ", ".join(str(m) for m in markets), "day": shown_date(day)},
            _url("supervision-history-area", area.pk),
        )
    return obs


# ------------------------------------------------------------------ residue programme


@transaction.atomic
def set_residue_plan(
    actor: Actor,
    province: AdminUnit | int,
    year: Any,
    target_samples: Any,
    source: str = "",
    source_date: Any = None,
) -> ResiduePlan:
    """The province's yearly number of residue samples (An Giang: 100 a year, seeds 003),
    with the decision it comes from and its date ('unknown' when not given)."""
    require(actor, "plan_monitoring")
    province = _own_province(actor, province)
    errors: dict = {}
    try:
        year = int(year)
        if not 2000 <= year <= 2100:
            raise ValueError
    except (TypeError, ValueError):
        errors["year"] = _("Give a year such as 2026.")
    try:
        target = int(target_samples)
        if not 1 <= target <= 100000:
            raise ValueError
    except (TypeError, ValueError):
        errors["target_samples"] = _("Give the number of samples planned (1 or more).")
    source = " ".join(str(source or "").split())
    if len(source) > 300:
        errors["source"] = _("At most 300 characters.")
    day = _as_date(source_date, "source_date", errors, required=False)
    if day and day > _today():
        errors["source_date"] = _("The source's date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    plan, created = ResiduePlan.objects.get_or_create(
        province=province,
        year=year,
        defaults={"target_samples": target, "source": source or "unknown", "source_date": day},
    )
    before = None if created else snapshot(plan)
    if not created:
        plan.target_samples = target
        plan.source = source or plan.source
        plan.source_date = day or plan.source_date
        plan.save()
    record(actor.user, "residue_plan.set", plan, before, snapshot(plan))
    return plan


def residue_progress(actor: Actor, plan: ResiduePlan) -> dict:
    """How far the year's programme has come against its target."""
    samples = visible(actor, Sample.objects.filter(area__commune__parent=plan.province)).filter(
        Q(sampled_on__year=plan.year) | Q(sampled_on__isnull=True, planned_for__year=plan.year)
    )
    taken = samples.filter(sampled_on__isnull=False).exclude(status=SampleStatus.CANCELLED)
    analysed = taken.filter(status=SampleStatus.ANALYSED).count()
    above = taken.filter(cases__isnull=False).distinct().count()
    n_taken = taken.count()
    return {
        "target": plan.target_samples,
        "taken": n_taken,
        "planned": samples.filter(status=SampleStatus.PLANNED).count(),
        "at_laboratory": taken.filter(status=SampleStatus.SENT).count(),
        "analysed": analysed,
        "above_limit": above,
        "percent": round(100 * n_taken / plan.target_samples) if plan.target_samples else 0,
    }


def _clean_analyses(raw: Any, errors: dict) -> list[str]:
    """The catalogue names of the active ingredients to test for."""
    if isinstance(raw, str):
        raw = [p for p in raw.replace(";", ",").split(",")]
    if not isinstance(raw, list):
        errors["analyses"] = _("List the active ingredients to test for.")
        return []
    names = []
    for name in raw:
        if not isinstance(name, str):
            errors["analyses"] = _("Each analysis is the name of an active ingredient.")
            return []
        if not normalise_ingredient(name):
            continue
        if len(name) > 120:
            errors["analyses"] = _("An ingredient name is at most 120 characters.")
            return []
        found = find_ingredient(name)
        if found is None:
            errors["analyses"] = _(
                "“%(i)s” is not in the input catalogue: name its active ingredients as the "
                "catalogue does."
            ) % {"i": name.strip()}
            return []
        if found.name not in names:
            names.append(found.name)
    if not names:
        errors["analyses"] = _("List the active ingredients to test for.")
    return names


def _next_sample_code(province: AdminUnit, year: int) -> str:
    prefix = f"RS-{province.code}-{year}-"
    n = Sample.objects.filter(code__startswith=prefix).count() + 1
    while Sample.objects.filter(code=f"{prefix}{n:04d}").exists():
        n += 1
    return f"{prefix}{n:04d}"


@transaction.atomic
def register_sample(actor: Actor, data: dict, notice: Notice | None = None) -> Sample:
    """Register a residue sample taken at an area (sampled_on given: it goes to the
    laboratory) or planned for a date (planned_for)."""
    require(actor, "inspect")
    area = get_visible(actor, PlantingArea.objects.all(), pk=data.get("area"))
    errors: dict = {}
    if area.code_status == CodeStatus.NONE:
        errors["area"] = _("Samples are taken at areas that hold a code.")
    code = str(data.get("code") or "").strip()
    if code and Sample.objects.filter(code=code).exists():
        errors["code"] = _("Another sample has this code.")
    elif len(code) > 40:
        errors["code"] = _("A sample code is at most 40 characters.")
    sampled_on = _as_date(data.get("sampled_on"), "sampled_on", errors, required=False)
    planned_for = _as_date(data.get("planned_for"), "planned_for", errors, required=False)
    if sampled_on and sampled_on > _today():
        errors["sampled_on"] = _("The sampling date cannot be in the future.")
    if not sampled_on and not planned_for and "sampled_on" not in errors:
        errors["sampled_on"] = _("Give the date the sample was taken (or the planned date).")
    if planned_for and not sampled_on and planned_for < _today():
        errors["planned_for"] = _("A planned sample cannot be planned in the past.")
    lab = Organisation.objects.filter(pk=data.get("laboratory"), kind=OrgKind.LABORATORY).first()
    if lab is None:
        errors["laboratory"] = _("Choose a laboratory.")
    analyses = _clean_analyses(data.get("analyses"), errors)
    plot_or_lot = str(data.get("plot_or_lot") or "").strip()
    if len(plot_or_lot) > 120:
        errors["plot_or_lot"] = _("At most 120 characters.")
    if errors:
        raise ValidationError(errors)
    day = sampled_on or planned_for
    sample = Sample.objects.create(
        code=code or _next_sample_code(area.province, day.year),
        area=area,
        plot_or_lot=plot_or_lot,
        sampled_on=sampled_on,
        planned_for=planned_for,
        laboratory=lab,
        analyses=analyses,
        status=SampleStatus.SENT if sampled_on else SampleStatus.PLANNED,
        notice=notice,
        registered_by=actor.user,
    )
    record(actor.user, "sample.register", sample, None, snapshot(sample))
    if sampled_on:
        notify(
            [lab],
            _("Sample %(code)s sent for analysis") % {"code": sample.code},
            ", ".join(analyses),
            _url("supervision-sample", sample.pk),
        )
    return sample


@transaction.atomic
def take_sample(actor: Actor, sample: Sample, sampled_on: Any, plot_or_lot: str = "") -> Sample:
    """A planned sample (a follow-up, say) has been taken and goes to the laboratory."""
    require(actor, "inspect")
    sample = get_visible(actor, Sample.objects.select_for_update(), pk=sample.pk)
    errors: dict = {}
    if sample.status != SampleStatus.PLANNED:
        errors["status"] = _("Only a planned sample can be taken.")
    day = _as_date(sampled_on, "sampled_on", errors)
    if day and day > _today():
        errors["sampled_on"] = _("The sampling date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    before = snapshot(sample)
    sample.sampled_on = day
    sample.status = SampleStatus.SENT
    if plot_or_lot:
        sample.plot_or_lot = plot_or_lot.strip()
    sample.save()
    record(actor.user, "sample.take", sample, before, snapshot(sample))
    notify(
        [sample.laboratory],
        _("Sample %(code)s sent for analysis") % {"code": sample.code},
        ", ".join(sample.analyses),
        _url("supervision-sample", sample.pk),
    )
    return sample


def limit_for(
    market: Market, crop_id: int, ingredient: ActiveIngredient | str
) -> ResidueLimit | None:
    """The limit that applies: the crop's own for the ingredient, else any crop's, else the
    market's default for the crop, else its default."""
    found = find_ingredient(ingredient)
    ingredient_id = found.pk if found is not None else None
    rows = {
        (r.crop_id, r.ingredient_id): r
        for r in ResidueLimit.objects.filter(market=market)
        .filter(Q(ingredient__isnull=True) | Q(ingredient_id=ingredient_id))
        .filter(Q(crop_id=crop_id) | Q(crop__isnull=True))
    }
    keys = [(crop_id, None), (None, None)]
    if ingredient_id is not None:
        keys = [(crop_id, ingredient_id), (None, ingredient_id), *keys]
    for key in keys:
        if key in rows:
            return rows[key]
    return None


def _clean_result(sample: Sample, data: dict, errors: dict) -> dict:
    raw = data.get("ingredient")
    ingredient = find_ingredient(raw) if normalise_ingredient(raw) else None
    asked = ", ".join(sample.analyses)
    if not normalise_ingredient(raw):
        errors["ingredient"] = _("Name the active ingredient.")
    elif ingredient is None or ingredient.name not in sample.analyses:
        errors["ingredient"] = _(
            "The laboratory was not asked to test this sample for %(i)s (asked: %(list)s)."
        ) % {"i": ingredient or str(raw).strip(), "list": asked}
    elif sample.results.filter(ingredient=ingredient).exists():
        errors["ingredient"] = _("This sample already has a result for %(i)s.") % {"i": ingredient}
    value = _as_decimal(data.get("value_mg_kg"), "value_mg_kg", errors)
    if value is not None and value < 0:
        errors["value_mg_kg"] = _("A residue cannot be negative.")
    elif value is not None and value > ABSURD_MG_KG:
        errors["value_mg_kg"] = _("%(v)s mg/kg is not a plausible residue.") % {"v": value}
    loq = _as_decimal(data.get("loq_mg_kg"), "loq_mg_kg", errors, required=False)
    if loq is not None and loq < 0:
        errors["loq_mg_kg"] = _("A limit of quantification cannot be negative.")
    elif loq is not None and loq > ABSURD_MG_KG:
        errors["loq_mg_kg"] = _("%(v)s mg/kg is not a plausible limit.") % {"v": loq}
    analysed_on = _as_date(data.get("analysed_on"), "analysed_on", errors)
    if analysed_on and sample.sampled_on and analysed_on < sample.sampled_on:
        errors["analysed_on"] = _("The result is dated before the sample was taken (%(d)s).") % {
            "d": shown_date(sample.sampled_on)
        }
    elif analysed_on and analysed_on > _today():
        errors["analysed_on"] = _("The date of analysis cannot be in the future.")
    return {
        "ingredient": ingredient,
        "value_mg_kg": value,
        "loq_mg_kg": loq,
        "analysed_on": analysed_on,
    }


@transaction.atomic
def enter_result(actor: Actor, sample: Sample, data: dict) -> tuple[LabResult, list[ResidueCase]]:
    """The laboratory enters one result (active ingredient, mg/kg, limit of quantification,
    date). It is compared with the limits of each of the area's target markets: above one,
    a case is opened, the area is flagged for that market, and a follow-up sample is planned.
    A follow-up sample whose results are all within the limits closes the cases behind it
    and lifts their flags."""
    require(actor, "enter_lab_results")
    sample = get_visible(actor, Sample.objects.select_for_update(), pk=sample.pk)
    if sample.status != SampleStatus.SENT:
        raise ValidationError(
            {
                "sample": _("Results are entered for a sample at the laboratory, not a %(s)s one.")
                % {"s": sample.get_status_display().lower()}
            }
        )
    errors: dict = {}
    clean = _clean_result(sample, data, errors)
    if errors:
        raise ValidationError(errors)
    result = LabResult.objects.create(sample=sample, entered_by=actor.user, **clean)
    record(actor.user, "lab_result.enter", result, None, snapshot(result))
    cases = _compare_with_limits(actor, sample, result)
    done = set(sample.results.values_list("ingredient__name", flat=True))
    if set(sample.analyses) <= done:
        sample.status = SampleStatus.ANALYSED
        sample.save(update_fields=["status"])
        _close_cases_behind(actor, sample)
    return result, cases


def _compare_with_limits(actor: Actor, sample: Sample, result: LabResult) -> list[ResidueCase]:
    if not result.detected:
        return []
    area = sample.area
    cases = []
    for market in area.markets.all():
        limit = limit_for(market, area.crop_id, result.ingredient)
        if limit is None or result.value_mg_kg <= limit.mrl_mg_kg:
            continue
        cases.append(_open_case(actor, sample, result, market, limit))
    return cases


def _open_case(
    actor: Actor, sample: Sample, result: LabResult, market: Market, limit: ResidueLimit
) -> ResidueCase:
    area = sample.area
    follow_up = _follow_up_sample(actor, sample, result.ingredient.name)
    case = ResidueCase.objects.create(
        sample=sample,
        result=result,
        area=area,
        market=market,
        ingredient=result.ingredient,
        value_mg_kg=result.value_mg_kg,
        limit_mg_kg=limit.mrl_mg_kg,
        limit_source=limit.source[:300],
        follow_up=follow_up,
    )
    record(actor.user, "residue_case.open", case, None, snapshot(case))
    reason = _("%(i)s at %(v)s mg/kg above the %(m)s limit of %(l)s mg/kg (sample %(s)s)") % {
        "i": result.ingredient,
        "v": result.value_mg_kg.normalize(),
        "m": market.code,
        "l": limit.mrl_mg_kg.normalize(),
        "s": sample.code,
    }
    flag = AreaMarketFlag.objects.filter(area=area, market=market, lifted_at__isnull=True).first()
    if flag is None:
        flag = AreaMarketFlag.objects.create(area=area, market=market, reason=reason, case=case)
        record(actor.user, "area_market_flag.raise", area, None, snapshot(flag), reason)
    notify(
        [*_authorities(area.province), *_holder_orgs(area)],
        _("Residue above the %(m)s limit at %(code)s") % {"m": market.code, "code": area.code},
        reason,
        _url("supervision-case", case.pk),
    )
    return case


def _follow_up_sample(actor: Actor, sample: Sample, ingredient: str) -> Sample:
    """One planned follow-up per sample; a second ingredient above a limit joins it."""
    existing = sample.follow_ups.filter(status=SampleStatus.PLANNED).first()
    if existing is not None:
        if ingredient not in existing.analyses:
            existing.analyses = [*existing.analyses, ingredient]
            existing.save(update_fields=["analyses"])
        return existing
    n = sample.follow_ups.count() + 1
    code = f"{sample.code}-F{n}"[:40]
    while Sample.objects.filter(code=code).exists():
        n += 1
        code = f"{sample.code}-F{n}"[:40]
    follow = Sample.objects.create(
        code=code,
        area=sample.area,
        plot_or_lot=sample.plot_or_lot,
        planned_for=_today() + timedelta(days=14),
        laboratory=sample.laboratory,
        analyses=list(sample.analyses),
        status=SampleStatus.PLANNED,
        follow_up_of=sample,
        notice=sample.notice,
        registered_by=actor.user,
    )
    record(actor.user, "sample.plan_follow_up", follow, None, snapshot(follow))
    return follow


def _close_cases_behind(actor: Actor, sample: Sample) -> None:
    """Once a follow-up sample is fully analysed, the cases that asked for it close: within
    the limits, with their flags lifted; above again, pointing at the new case."""
    for case in ResidueCase.objects.filter(follow_up=sample, status=CaseStatus.OPEN):
        again = sample.cases.filter(market=case.market).first()
        if again is not None:
            text = _("Follow-up sample %(s)s is again above the limit: see case %(n)d.") % {
                "s": sample.code,
                "n": again.pk,
            }
        else:
            text = _("Follow-up sample %(s)s is within the limits.") % {"s": sample.code}
        _close_case(actor, case, text, lift=again is None)


def _close_case(actor: Actor, case: ResidueCase, resolution: str, lift: bool) -> ResidueCase:
    before = snapshot(case)
    case.status = CaseStatus.CLOSED
    case.closed_at = timezone.now()
    case.closed_by = actor.user
    case.resolution = resolution
    case.save()
    record(actor.user, "residue_case.close", case, before, snapshot(case), resolution)
    still_open = ResidueCase.objects.filter(
        area=case.area, market=case.market, status=CaseStatus.OPEN
    ).exists()
    if lift and not still_open:
        for flag in AreaMarketFlag.objects.filter(
            area=case.area, market=case.market, lifted_at__isnull=True
        ):
            before_flag = snapshot(flag)
            flag.lifted_at = timezone.now()
            flag.lifted_by = actor.user
            flag.lift_reason = resolution
            flag.save()
            record(
                actor.user,
                "area_market_flag.lift",
                case.area,
                before_flag,
                snapshot(flag),
                resolution,
            )
        notify(
            _holder_orgs(case.area),
            _("%(code)s may again be used for %(m)s") % {"code": case.area.code, "m": case.market},
            resolution,
            _url("supervision-case", case.pk),
        )
    return case


@transaction.atomic
def close_case(actor: Actor, case: ResidueCase, resolution: str) -> ResidueCase:
    """An officer closes a case (for instance after the area was cleared another way); the
    area's flag for the market lifts when no other case for it stays open."""
    require(actor, "decide")
    case = get_visible(actor, ResidueCase.objects.select_for_update(), pk=case.pk)
    if case.status != CaseStatus.OPEN:
        raise ValidationError({"action": _("This case is already closed.")})
    if not (resolution or "").strip():
        raise ValidationError({"resolution": _("Say how the case was resolved.")})
    return _close_case(actor, case, resolution.strip(), lift=True)


def active_flags(area: PlantingArea) -> QuerySet:
    return AreaMarketFlag.objects.filter(area=area, lifted_at__isnull=True).select_related(
        "market", "case"
    )


def is_flagged_for(area: PlantingArea, market: Market) -> bool:
    """Whether the area must not be used for this market because of a residue finding
    (what registry.services.code_usable_for can honour)."""
    return AreaMarketFlag.objects.filter(area=area, market=market, lifted_at__isnull=True).exists()


# ------------------------------------------------------------------ importing results

RESULT_COLUMNS = ["sample_code", "ingredient", "value_mg_kg", "loq_mg_kg", "analysed_on"]


@dataclass
class ImportSummary:
    results: int
    cases: int


def _rows_from(data: bytes, filename: str) -> list[dict]:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ValidationError({"file": _("This is not a readable XLSX file.")}) from exc
        rows = list(book.active.iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h or "").strip().lower() for h in rows[0]]
        return [
            {header[i]: cell for i, cell in enumerate(row) if i < len(header)}
            for row in rows[1:]
            if any(c not in (None, "") for c in row)
        ]
    if name.endswith(".csv") or not name:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError({"file": _("A CSV file must be UTF-8 text.")}) from exc
        reader = csv.DictReader(io.StringIO(text))
        reader.fieldnames = [str(f or "").strip().lower() for f in reader.fieldnames or []]
        return [
            r for r in reader if any((v or "").strip() for v in r.values() if isinstance(v, str))
        ]
    raise ValidationError({"file": _("Upload a CSV or XLSX file.")})


@transaction.atomic
def import_results(actor: Actor, data: bytes, filename: str) -> ImportSummary:
    """Results from the laboratory's spreadsheet (columns: sample_code, ingredient,
    value_mg_kg, loq_mg_kg, analysed_on). All or nothing: every row is tried, every problem
    is reported with its row number and field, and if there is any, nothing is kept."""
    require(actor, "enter_lab_results")
    rows = _rows_from(data, filename)
    if not rows:
        raise ValidationError({"file": _("The file has no rows.")})
    missing = [c for c in RESULT_COLUMNS if c != "loq_mg_kg" and c not in rows[0]]
    if missing:
        raise ValidationError({"file": _("Missing columns: %(c)s") % {"c": ", ".join(missing)}})
    problems: list[str] = []
    results = cases = 0
    samples = visible(actor, Sample.objects.all())
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        code = str(row.get("sample_code") or "").strip()
        sample = samples.filter(code=code).first() if code else None
        if sample is None:
            problems.append(
                _("row %(n)d, sample_code: no sample %(c)s sent to you.") % {"n": n, "c": code}
            )
            continue
        value = row.get("analysed_on")
        if hasattr(value, "date"):
            value = value.date()
        try:
            _r, opened = enter_result(
                actor,
                sample,
                {
                    "ingredient": row.get("ingredient"),
                    "value_mg_kg": row.get("value_mg_kg"),
                    "loq_mg_kg": row.get("loq_mg_kg"),
                    "analysed_on": value,
                },
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    problems.append(
                        _("row %(n)d, %(f)s: %(m)s") % {"n": n, "f": field, "m": message}
                    )
            continue
        results += 1
        cases += len(opened)
    if problems:
        raise ValidationError({"rows": problems})
    return ImportSummary(results=results, cases=cases)


# ------------------------------------------------------------------ notices


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


# ------------------------------------------------------------------ a code's history


def history(actor: Actor, holder: Holder) -> dict:
    """Everything supervision knows about one code, as the actor may see it: for the
    code's own page (template supervision/_history.html)."""
    holder = _visible_holder(actor, holder)
    f = _holder_filter(holder)
    out: dict[str, Any] = {
        "holder": holder,
        "holder_kind": HolderKind.AREA
        if isinstance(holder, PlantingArea)
        else HolderKind.PACKING_HOUSE,
        "visits": list(
            visible(actor, MonitoringVisit.objects.filter(f))
            .select_related("inspector", "plan")
            .order_by("-due_date", "-pk")
        ),
        "corrective_actions": list(
            visible(
                actor, CorrectiveAction.objects.filter(_holder_filter(holder, "visit__"))
            ).filter(done_at__isnull=True)
        ),
        "observations": [],
        "samples": [],
        "cases": [],
        "flags": [],
    }
    if isinstance(holder, PlantingArea):
        out["observations"] = list(
            visible(actor, PestObservation.objects.filter(area=holder)).select_related("pest")[:50]
        )
        out["samples"] = list(
            visible(actor, Sample.objects.filter(area=holder)).select_related("laboratory")
        )
        out["cases"] = list(
            visible(actor, ResidueCase.objects.filter(area=holder)).select_related("market")
        )
        out["flags"] = list(
            visible(
                actor, AreaMarketFlag.objects.filter(area=holder, lifted_at__isnull=True)
            ).select_related("market")
        )
        notices = Notice.objects.filter(areas=holder)
    else:
        notices = Notice.objects.filter(packing_houses=holder)
    out["notices"] = list(visible(actor, notices).select_related("market"))
    out["risk_score"], out["risk_reasons"] = (
        risk(holder) if sees_supervision_plans(actor) else (None, [])
    )
    return out


def supervision_context(actor: Actor, holder: Holder) -> dict:
    """Context for including supervision/_history.html in a code's page:
    `context.update(supervision_context(actor, area))`. Empty when the actor sees nothing."""
    try:
        return {"supervision": history(actor, holder)}
    except Http404:
        return {"supervision": None}
