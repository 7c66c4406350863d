"""The capture rules that depend on time: a code judged at the event's time, what arrives late.

Events reach the repository late (a harvest of September uploaded in December, a season
loaded from an enterprise's own software). A rule that depends on a code's status is judged
at the event's ``eventTime`` from the code's history (`agritrace.registry.history`), never at
the moment the document arrives; authorisations and supply contracts are judged on the
event's day by `checks.DocumentChecks._links` (with `CodeAuthorisation.withdrawn_from`).

=========================  ==============================================  ===============
rule                       what                                            outcome
=========================  ==============================================  ===============
``area_code_not_issued``   a harvest at a planting area whose code was     reject
                           not issued at the event's time (none yet,
                           suspended, revoked)
``house_code_not_issued``  a packing (TransformationEvent, or bizStep      reject
                           packing) at a packing house whose code was not
                           issued at the event's time
``late_capture``           an event whose eventTime is more than           flag: serious when
                           ``AGRITRACE_TRACE_LATE_HOURS`` (default 72)     the code it was
                           before its recordTime                           made under is no
                                                                           longer issued,
                                                                           else warning
``event_in_future``        an event (of any organisation) whose eventTime  reject
                           is more than ``AGRITRACE_TRACE_FUTURE_TOLERANCE_S``
                           (default 600 s of clock skew) after its
                           recordTime
=========================  ==============================================  ===============

A late event is not refused for being late: the record of what happened must not be lost.
Its flag says so, and when the code was issued at the event's time but is not any more (the
upload comes after a suspension), the flag is serious: either an honest late upload or a
back-dated one, for the authority (and the misuse app) to look at.
"""

from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from agritrace.registry.history import Timeline
from agritrace.registry.models import CodeStatus

from .models import FlagSeverity

#: Default hours an event may precede its recordTime before it is flagged ``late_capture``.
LATE_HOURS = 72


#: Default seconds an event may be dated after its recordTime (clocks of different devices).
FUTURE_TOLERANCE_S = 600


def future_tolerance() -> timedelta:
    """How far after its arrival an event may be dated (a setting)."""
    seconds = getattr(settings, "AGRITRACE_TRACE_FUTURE_TOLERANCE_S", FUTURE_TOLERANCE_S)
    return timedelta(seconds=float(seconds))


def judge_future(items: Iterable, outcome) -> None:
    """Refuse events dated in the future beyond the clock tolerance: what has not happened
    cannot be recorded (every event of the document, ours or not)."""
    tolerance = future_tolerance()
    for item in items:
        record = item.record
        if record.event_time - record.record_time <= tolerance:
            continue
        outcome.reject(
            f"$.epcisBody.eventList[{item.index}].eventTime",
            "event_in_future",
            _(
                "Event %(n)s is dated %(when)s, after it reached the repository (%(recorded)s) "
                "by more than the %(tolerance)s seconds allowed for clock differences."
            )
            % {
                "n": item.index,
                "when": record.event_time.isoformat(),
                "recorded": record.record_time.isoformat(),
                "tolerance": int(tolerance.total_seconds()),
            },
        )


def late_after() -> timedelta:
    """How old an event may be when it arrives before it is flagged late (a setting)."""
    return timedelta(hours=float(getattr(settings, "AGRITRACE_TRACE_LATE_HOURS", LATE_HOURS)))


def _status_label(status: str) -> str:
    return str(CodeStatus(status).label) if status in CodeStatus.values else status


def _where(item) -> str:
    """The JSON path of the location the event was resolved at (business location first)."""
    from .uris import ID_BASE

    base = f"$.epcisBody.eventList[{item.index}]"
    ours = item.record.biz_location.startswith(ID_BASE + "loc:")
    return f"{base}.bizLocation.id" if ours else f"{base}.readPoint.id"


def judge_codes(
    items: Iterable,
    outcome,
    is_harvest: Callable[[object], bool],
    is_packing: Callable[[object], bool],
) -> None:
    """Refuse harvests and packings under a code that was not issued at the event's time, and
    flag late events (see the module docstring). `items` are `checks.Item`s; `outcome` the
    document's `checks.Outcome`."""
    items = [i for i in items if i.record.error_declaration is None]
    areas = Timeline("area", (i.record.area_id for i in items if i.record.area_id))
    houses = Timeline(
        "packing_house", (i.record.packing_house_id for i in items if i.record.packing_house_id)
    )
    late = late_after()
    for item in items:
        record = item.record
        when = record.event_time
        holder, timeline, rule = None, None, ""
        if record.area is not None and is_harvest(item):
            holder, timeline, rule = record.area, areas, "area_code_not_issued"
        elif record.packing_house is not None and is_packing(item):
            holder, timeline, rule = record.packing_house, houses, "house_code_not_issued"
        status = timeline.status(holder.pk, when) if holder is not None else None
        if holder is not None and status != CodeStatus.ISSUED:
            if rule == "area_code_not_issued":
                message = _(
                    "Planting area %(code)s had no issued code at %(when)s (status then: "
                    "%(status)s): no harvest can be recorded under it."
                )
            else:
                message = _(
                    "Packing house %(code)s had no issued code at %(when)s (status then: "
                    "%(status)s): no packing can be recorded under it."
                )
            outcome.reject(
                _where(item),
                rule,
                message
                % {"code": holder.code, "when": when.isoformat(), "status": _status_label(status)},
            )
            continue
        if not item.own or record.record_time - when <= late:
            continue
        hours = int((record.record_time - when).total_seconds() // 3600)
        message = _(
            "This event of %(when)s reached the repository %(hours)s hours later (%(recorded)s)."
        ) % {"when": when.isoformat(), "hours": hours, "recorded": record.record_time.isoformat()}
        severity = FlagSeverity.WARNING
        if holder is not None and holder.code_status != CodeStatus.ISSUED:
            severity = FlagSeverity.SERIOUS
            message += " " + _(
                "Code %(code)s was issued at the event's time and is %(status)s now."
            ) % {"code": holder.code, "status": _status_label(holder.code_status).lower()}
        outcome.flag(
            item, "late_capture", message, f"$.epcisBody.eventList[{item.index}]", severity
        )
