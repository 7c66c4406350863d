"""A code's supervision history and what its page shows of it."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from agritrace.accounts.access import (
    Actor,
    sees_supervision_plans,
    visible,
)
from agritrace.registry.models import PlantingArea

from .common import Holder, _holder_filter, _visible_holder
from .models import (
    AreaMarketFlag,
    CorrectiveAction,
    HolderKind,
    MonitoringVisit,
    Notice,
    PestObservation,
    ResidueCase,
    Sample,
)
from .risk import risk


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
