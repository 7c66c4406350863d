"""When the half-year and annual reports are due (`data/report_deadlines.json`, with its
source), the default period of each, the deadlines a province has ahead, and the reminders the
scheduler sends (`agritrace reports remind`)."""

import calendar
import json
from datetime import date
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.models import Organisation, OrgKind
from agritrace.places.models import AdminUnit

from .models import PeriodicReport, ReminderSent, ReportKind, ReportStatus

DATA = Path(__file__).parent / "data" / "report_deadlines.json"

#: Days ahead of a due date on which the inbox is reminded (settings.AGRITRACE_REPORT_REMIND_DAYS).
DEFAULT_REMIND_DAYS = (14, 3)


@cache
def _data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def source() -> str:
    return _data()["source"]


def due_on(kind: str, year: int) -> date:
    spec = _data()["reports"][kind]
    return date(year, spec["due_month"], spec["due_day"])


def default_period(kind: str, year: int) -> tuple[date, date]:
    month = _data()["reports"][kind]["period_end_month"]
    return date(year, 1, 1), date(year, month, calendar.monthrange(year, month)[1])


def remind_days() -> tuple[int, ...]:
    return tuple(getattr(settings, "AGRITRACE_REPORT_REMIND_DAYS", DEFAULT_REMIND_DAYS))


def upcoming(province: AdminUnit, today: date | None = None) -> list[dict]:
    """The next due date of each report for the province, whether it is submitted, and the
    days left (negative: overdue), soonest first."""
    today = today or timezone.localdate()
    out = []
    for kind in ReportKind.values:
        year = today.year
        due = due_on(kind, year)
        submitted = PeriodicReport.objects.filter(
            province=province, kind=kind, year=year, status=ReportStatus.SUBMITTED
        ).exists()
        if submitted and today > due:
            year += 1
            due = due_on(kind, year)
            submitted = False
        out.append(
            {
                "kind": kind,
                "label": str(ReportKind(kind).label),
                "year": year,
                "due_on": due,
                "days_left": (due - today).days,
                "submitted": submitted,
            }
        )
    return sorted(out, key=lambda d: d["due_on"])


def for_actor(actor) -> list[dict]:
    """The deadlines of one's province (the ministry, who reports to nobody here: none)."""
    from agritrace.accounts.models import OrgKind as Kind

    from . import access

    access.require_see_reports(actor)
    if actor.kind == Kind.MINISTRY:
        return []
    return upcoming(actor.organisation.unit.province)


def _authorities(province: AdminUnit) -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            unit=province, kind__in=[OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION]
        )
    )


def remind(today: date | None = None) -> list[str]:
    """Put a reminder in the inbox (and e-mail) of each province's authorities for every
    report due within a reminder's days and not yet submitted; each once. Returns what was
    sent, one line each."""
    from agritrace.notifications.services import notify

    today = today or timezone.localdate()
    sent = []
    provinces = AdminUnit.objects.filter(
        pk__in=Organisation.objects.filter(
            kind__in=[OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION]
        ).values("unit_id"),
        level="province",
    )
    for province in provinces:
        for item in upcoming(province, today):
            if item["submitted"] or item["days_left"] < 0:
                continue
            steps = [d for d in sorted(remind_days()) if item["days_left"] <= d]
            if not steps:
                continue
            step = steps[0]
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(
                        province=province, kind=item["kind"], year=item["year"], days_ahead=step
                    )
                    title = _("%(report)s %(year)d due by %(day)s") % {
                        "report": item["label"],
                        "year": item["year"],
                        "day": item["due_on"].strftime("%d/%m/%Y"),
                    }
                    body = _(
                        "The %(report)s of %(province)s for %(year)d is due in %(n)d day(s) "
                        "(%(source)s). Generate it, check it and submit it on the reports page."
                    ) % {
                        "report": item["label"].lower(),
                        "province": province.name,
                        "year": item["year"],
                        "n": item["days_left"],
                        "source": source(),
                    }
                    notify(_authorities(province), title, body, reverse("reports:periodic"))
            except IntegrityError:
                continue
            sent.append(f"{province.name}: {item['kind']} {item['year']} ({step} days ahead)")
    return sent
