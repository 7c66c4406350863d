"""Deadlines in working days: Monday to Friday, less the public holidays the authority lists."""

from datetime import date, timedelta

from django.conf import settings


def holidays() -> set[date]:
    return {date.fromisoformat(d) for d in getattr(settings, "AGRITRACE_HOLIDAYS", [])}


def add_working_days(start: date, days: int) -> date:
    off = holidays()
    day = start
    added = 0
    while added < days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            added += 1
    return day
