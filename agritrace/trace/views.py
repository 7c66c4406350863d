"""Trace pages: recent events in the actor's scope, and one event. Thin: scope through
accounts.access, queries in services."""

import json
from datetime import datetime, time, timedelta
from urllib.parse import quote, urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, can, get_visible, visible

from . import labels, services, vocab
from .models import Event, EventType

EVENTS_PER_PAGE = 50


def _filters(request: HttpRequest) -> tuple[dict, list[str]]:
    """The filters of the event list, cleaned; unusable values are named, not guessed."""
    problems = []
    event_type = request.GET.get("type", "")
    if event_type and event_type not in EventType.values:
        problems.append(_("Unknown event type."))
        event_type = ""
    biz_step = request.GET.get("biz_step", "").strip()
    day = request.GET.get("date", "").strip()
    parsed_day = None
    if day:
        try:
            parsed_day = datetime.strptime(day, "%Y-%m-%d").date()
        except ValueError:
            problems.append(_("The date must look like 2025-06-30."))
            day = ""
    before = request.GET.get("before", "")
    return {
        "type": event_type,
        "biz_step": biz_step,
        "date": day,
        "parsed_date": parsed_day,
        "before": int(before) if before.isdigit() else None,
    }, problems


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = Actor.of(request.user)
    filters, problems = _filters(request)
    events = visible(actor, Event.objects.all())
    if filters["type"]:
        events = events.filter(event_type=filters["type"])
    if filters["biz_step"]:
        events = events.filter(biz_step=vocab.compact("bizStep", filters["biz_step"]))
    if filters["parsed_date"]:
        start = timezone.make_aware(datetime.combine(filters["parsed_date"], time.min))
        events = events.filter(event_time__gte=start, event_time__lt=start + timedelta(days=1))
    if filters["before"]:
        events = events.filter(pk__lt=filters["before"])
    page = list(
        events.select_related("area", "packing_house").order_by("-pk")[: EVENTS_PER_PAGE + 1]
    )
    older_url = None
    if len(page) > EVENTS_PER_PAGE:
        page = page[:EVENTS_PER_PAGE]
        keep = {k: filters[k] for k in ("type", "biz_step", "date") if filters[k]}
        older_url = "?" + urlencode({**keep, "before": page[-1].pk})
    return render(
        request,
        "trace/home.html",
        {
            "events": page,
            "trace_lots": _trace_lots(page),
            "may_capture": can(actor, "capture_events"),
            "filters": filters,
            "problems": problems,
            "event_types": EventType.choices,
            "biz_steps": labels.biz_step_choices(),
            "older_url": older_url,
            "capture_path": "/api/trace/capture",
            "newest_url": "?"
            + urlencode({k: filters[k] for k in ("type", "biz_step", "date") if filters[k]}),
        },
    )


def _trace_lots(events: list) -> dict[int, str]:
    """The lot each listed event leads to a trace of: what it made, else what it names."""
    from .models import EventEPC, Role

    preference = {Role.OUTPUT_QUANTITY: 0, Role.OUTPUT: 0, Role.QUANTITY: 1, Role.EPC: 1}
    found: dict[int, tuple[int, str]] = {}
    for event_id, role, uri in EventEPC.objects.filter(
        event_id__in=[e.pk for e in events]
    ).values_list("event_id", "role", "lot__uri"):
        rank = preference.get(role, 2)
        if event_id not in found or rank < found[event_id][0]:
            found[event_id] = (rank, uri)
    return {k: v[1] for k, v in found.items()}


@login_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = Actor.of(request.user)
    event = get_visible(
        actor, Event.objects.select_related("area", "packing_house", "capture_job"), pk=pk
    )
    data = services.event_json(event)
    return render(
        request,
        "trace/event_detail.html",
        {
            "event": event,
            "identifiers": event.epcs.select_related("lot").order_by("role", "lot__uri"),
            "json_text": json.dumps(data, indent=2, ensure_ascii=False),
            "json_url": "/api/trace/events/" + quote(event.event_id, safe=""),
        },
    )
