"""Recall pages: the list of recalls in one's scope, one recall with its lots, shipments and
the organisations told, and the POST that starts a recall from a failed sample or a notice.
The work is in trace.recall; these views only call it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from agritrace.accounts.access import can

from . import recall as recalls
from .views_record import _actor

#: Lots listed on a recall's page; the rest are counted (the API and CLI list them all).
LOTS_SHOWN = 500


@login_required
def recall_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    items = recalls.recalls(actor).select_related("sample", "notice__market", "created_org")
    return render(
        request,
        "trace/recall_list.html",
        {"recalls": items.order_by("-created_at")[:200], "may_start": can(actor, "recall")},
    )


@login_required
def recall_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(
        recalls.recalls(_actor(request)).select_related("sample", "notice__market", "created_org"),
        pk=pk,
    )
    lots = found.lots.select_related("lot").order_by("lot__uri")
    return render(
        request,
        "trace/recall_detail.html",
        {
            "recall": found,
            "lots": lots[:LOTS_SHOWN],
            "lot_count": lots.count(),
            "areas": found.areas.order_by("code"),
            "notified": found.notified.order_by("name"),
            "shipments": recalls.shipment_rows(found),
        },
    )


def _id(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_POST
def recall_start(request: HttpRequest) -> HttpResponse:
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "trace-recalls"
    try:
        found = recalls.start_recall(
            _actor(request),
            sample_id=_id(request.POST.get("sample")),
            notice_id=_id(request.POST.get("notice")),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect(back)
    messages.success(request, recalls.started_message(found))
    return redirect("trace-recall", pk=found.pk)
