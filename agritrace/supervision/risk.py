"""The explained risk score of a code, which orders the monitoring plan: each finding adds its
weight (`RISK_WEIGHTS`) and a reason saying which and how many."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from agritrace.registry.models import PlantingArea

from .common import Holder, _holder_filter, _today
from .models import (
    CaseStatus,
    CorrectiveAction,
    ItemResult,
    MarketPest,
    MonitoringVisit,
    Notice,
    Outcome,
    PestObservation,
    ResidueCase,
    VisitItem,
)

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
    # Configurable: no legal figure is known. Issue 12: "the misuse and risk rules may use
    # 'never trained' as a factor"; the training classes are the reports app's records.
    "never_trained": 5,
}
#: How far back failed items, quarantine pests and notices count.
RISK_WINDOW_DAYS = 365
NOTICE_WINDOW_DAYS = 730


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


def never_trained(holder: Holder, today: date) -> bool:
    """Whether nobody behind a code has attended a training class held by `today`: for a
    planting area its member households and its representative, for a packing house its
    operator (the attendees of `reports.TrainingClass`, through their reverse relations)."""
    held = Q(training_classes__held_on__isnull=False, training_classes__held_on__lte=today)
    if isinstance(holder, PlantingArea):
        if holder.households.filter(held).exists():
            return False
        organisation = holder.representative
    else:
        organisation = holder.operator
    return not type(organisation).objects.filter(held, pk=organisation.pk).exists()


def risk(holder: Holder, today: date | None = None) -> tuple[int, list[str]]:
    """A code's risk score and, in words, what makes it: overdue monitoring, failed checklist
    items and corrective actions, a pending suspension proposal, open residue cases,
    quarantine pests found, importing countries' notices, diary flags, never having been
    visited, and nobody behind the code ever trained. Higher is riskier; each reason says what
    it added."""
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
    if never_trained(holder, today):
        add(
            "never_trained",
            1,
            _("Nobody behind the code has attended a training class (+%(points)d)"),
        )
    parts.sort(key=lambda p: -p[0])
    return sum(p[0] for p in parts), [p[1] for p in parts]
