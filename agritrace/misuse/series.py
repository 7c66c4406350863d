"""The series behind a case's chart: a code's kilograms through the season, week by week and
cumulative, against what it can carry.

* A planting area: the kilograms of each channel the volume rule reads (harvested at the
  area, received and packed of its harvest lots; `detect.volume`) against what the area can
  grow in the season (hectares, measured else declared, × the crop's `diary.CropYield`) and
  that × the rule's tolerance.
* A packing house: the kilograms it packed against its capacity (tonnes/day) × the days of
  the season gone by at the end of each week (and × the capacity rule's tolerance).

Weeks start on Monday in the service's time zone, from the season's first week. The chart
draws what this returns; no figure is made up here: a missing yield or capacity leaves its
line out and says so."""

from datetime import datetime, timedelta

from django.db.models import Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.diary.models import CropYield
from agritrace.trace.models import EventEPC

from .detect.base import HANDLED_ROLES, INPUT_ROLES, kg_expression, named_lots
from .detect.volume import CHANNELS, _channel_rows, _named_rows, area_ha
from .findings import season_bounds
from .models import Case, Rule
from .rules import threshold

PACKING_STEPS = ("packing",)


def _weekly(rows, time_path: str = "event__event_time") -> dict:
    zone = timezone.get_current_timezone()
    out: dict = {}
    for week, kg in (
        rows.annotate(week=TruncWeek(time_path, tzinfo=zone))
        .values("week")
        .annotate(kg=Sum(kg_expression()))
        .values_list("week", "kg")
    ):
        if week is not None and kg:
            day = week.date() if isinstance(week, datetime) else week
            out[day] = out.get(day, 0.0) + float(kg)
    return out


def _weeks(per_line: list[dict], start: datetime, end: datetime) -> list:
    """Every Monday from the season's first week to the last week with kilograms (or to this
    week, while the season runs); none when the season has no kilograms."""
    days = sorted({d for line in per_line for d in line})
    if not days:
        return []
    last = days[-1]
    today = timezone.localdate()
    if start.date() <= today < end.date():
        last = max(last, today - timedelta(days=today.weekday()))
    first = start.date() - timedelta(days=start.date().weekday())
    weeks, day = [], min(first, days[0])
    while day <= last:
        weeks.append(day)
        day += timedelta(days=7)
    return weeks


def _cumulative(weekly: dict, weeks: list) -> list[float]:
    total, out = 0.0, []
    for week in weeks:
        total += weekly.get(week, 0.0)
        out.append(round(total, 1))
    return out


def _rule(code: str) -> Rule | None:
    return Rule.objects.filter(code=code).first()


def _area_series(case: Case, start: datetime, end: datetime) -> dict:
    area = case.area
    lines = {}
    for channel in CHANNELS:
        rows, _key = _channel_rows(channel, [area.pk], start, end)
        weekly = _weekly(rows)
        if channel != "harvested":
            named = list(named_lots([area.pk]))
            if named:
                for week, kg in _weekly(_named_rows(channel, named, start, end)[0]).items():
                    weekly[week] = weekly.get(week, 0.0) + kg
        lines[channel] = weekly
    weeks = _weeks(list(lines.values()), start, end)
    labels = {
        "harvested": _("Harvested (kg, cumulative)"),
        "received": _("Received by buyers (kg, cumulative)"),
        "packed": _("Packed (kg, cumulative)"),
    }
    datasets = [
        {"key": channel, "label": labels[channel], "data": _cumulative(lines[channel], weeks)}
        for channel in CHANNELS
        if lines[channel]
    ]
    notes = []
    yield_row = CropYield.objects.filter(crop_id=area.crop_id).first()
    hectares = area_ha(area.measured_area_ha, area.declared_area_ha)
    if yield_row is None:
        notes.append(_("No yield per hectare is known for this crop: what it can grow is unknown."))
    elif weeks:
        can_grow = hectares * float(yield_row.tonnes_per_ha) * 1000
        rule = _rule("area_volume_over_yield")
        tolerance = float(threshold(rule, "tolerance", 1.2)) if rule else 1.2
        datasets.append(
            {
                "key": "can_grow",
                "label": _("What the area can grow (kg)"),
                "data": [round(can_grow, 1)] * len(weeks),
                "limit": True,
            }
        )
        datasets.append(
            {
                "key": "can_grow_tolerance",
                "label": _("… × tolerance %(tolerance)s (kg)") % {"tolerance": tolerance},
                "data": [round(can_grow * tolerance, 1)] * len(weeks),
                "limit": True,
            }
        )
    return {"weeks": weeks, "datasets": datasets, "notes": notes}


def _house_series(case: Case, start: datetime, end: datetime) -> dict:
    house = case.packing_house
    rows = EventEPC.objects.filter(
        event__packing_house=house,
        event__biz_step__in=PACKING_STEPS,
        event__event_time__gte=start,
        event__event_time__lt=end,
        event__error_declaration__isnull=True,
        role__in=(*INPUT_ROLES, *HANDLED_ROLES),
    )
    weekly = _weekly(rows)
    weeks = _weeks([weekly], start, end)
    datasets = []
    if weekly:
        datasets.append(
            {
                "key": "packed",
                "label": _("Packed (kg, cumulative)"),
                "data": _cumulative(weekly, weeks),
            }
        )
    notes = []
    capacity = float(house.capacity_t_per_day or 0) * 1000
    if not capacity:
        notes.append(_("The packing house declared no capacity."))
    elif weeks:
        rule = _rule("house_over_capacity")
        tolerance = float(threshold(rule, "tolerance", 1.1)) if rule else 1.1
        first = start.date()
        days = [min((w + timedelta(days=7) - first).days, 366) for w in weeks]
        datasets.append(
            {
                "key": "capacity",
                "label": _("Capacity × days of the season (kg)"),
                "data": [round(capacity * d, 1) for d in days],
                "limit": True,
            }
        )
        datasets.append(
            {
                "key": "capacity_tolerance",
                "label": _("… × tolerance %(tolerance)s (kg)") % {"tolerance": tolerance},
                "data": [round(capacity * d * tolerance, 1) for d in days],
                "limit": True,
            }
        )
    return {"weeks": weeks, "datasets": datasets, "notes": notes}


def case_series(case: Case) -> dict:
    """{"labels": ["2026-06-01", …] (Mondays), "datasets": [{key, label, data, limit?}],
    "notes": [...]} for the case's code in its season; no series for an organisation."""
    try:
        start, end = season_bounds(case.season)
    except ValueError:
        return {"labels": [], "datasets": [], "notes": [_("Unknown season.")]}
    if case.area_id:
        out = _area_series(case, start, end)
    elif case.packing_house_id:
        out = _house_series(case, start, end)
    else:
        return {"labels": [], "datasets": [], "notes": [_("No chart for an organisation.")]}
    return {
        "labels": [w.isoformat() for w in out["weeks"]],
        "datasets": out["datasets"],
        "notes": out["notes"],
    }
