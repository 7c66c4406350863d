"""Recall pages: the list of recalls in one's scope, one recall with its lots, shipments and
the organisations told, and the POST that starts a recall from a failed sample or a notice.
The work is in trace.recall; these views only call it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agritrace.accounts.access import can
from agritrace.web.forms import add_service_errors

from . import recall as recalls
from .forms import CloseRecallForm
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
    actor = _actor(request)
    found = get_object_or_404(
        recalls.recalls(actor).select_related("sample", "notice__market", "created_org"),
        pk=pk,
    )
    form = CloseRecallForm(request.POST or None) if recalls.may_close(actor, found) else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Your organisation may not close this recall."))
        if form.is_valid():
            try:
                recalls.close_recall(actor, found.pk, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Recall %(ref)s closed.") % {"ref": found.reference})
                return redirect("trace-recall", pk=found.pk)
    lots = found.lots.select_related("lot").order_by("lot__uri")
    return render(
        request,
        "trace/recall_detail.html",
        {
            "recall": found,
            "form": form,
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
