"""Monitoring plans per season from the season calendar: every watched code gets at least one visit
per crop season (An Giang decision 1753/QĐ-UBND: "at least once per crop season", seeds 003,
1.2), ordered by risk; inspectors, surprise visits, the day sheet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from agritrace.accounts.access import (
    Actor,
    get_visible,
    require,
    visible,
)
from agritrace.accounts.models import Role
from agritrace.audit.services import record, snapshot
from agritrace.places.models import AdminUnit
from agritrace.registry.models import CodeStatus, PackingHouse, PlantingArea

from .common import WATCHED, Holder, _as_date, _own_province, _today, _visible_holder
from .models import (
    MonitoringPlan,
    MonitoringVisit,
    Notice,
    SeasonCalendar,
    VisitKind,
    holder_kwargs,
)
from .risk import risk

#: The monitoring visit is planned this many days before the season's harvest starts (our
#: choice: late enough to see the crop, early enough to act before fruit is sold).
DAYS_BEFORE_HARVEST = 14
#: A code this risky is visited within HIGH_RISK_DAYS of the plan's start (or of today).
HIGH_RISK = 40
HIGH_RISK_DAYS = 14


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
