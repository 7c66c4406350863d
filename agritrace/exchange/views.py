"""The exchange page (/exchange/): the connectors with their deliveries per state, the dead
letters with their error and a re-send button, adding and changing a connector. Thin: each
view parses, calls a service and renders; administrators only (exchange.access, 403)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from agritrace.apiutil import actor as _actor
from agritrace.web.forms import add_service_errors

from . import config, delivery
from .access import require_administer
from .forms import ConnectorForm
from .models import Connector, Delivery, DeliveryState

DEAD_SHOWN = 100


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404(_("No such connector.")) from None


def _resend(request: HttpRequest, back: HttpResponse) -> HttpResponse:
    connector = get_object_or_404(Connector, pk=_int(request.POST.get("connector")))
    one = request.POST.get("delivery")
    count = delivery.resend(_actor(request), connector, [_int(one)] if one else None)
    messages.success(request, _("%(n)d messages are queued again.") % {"n": count})
    return back


@login_required
def index(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require_administer(actor)
    form = ConnectorForm()
    if request.method == "POST":
        if request.POST.get("action") == "resend":
            return _resend(request, redirect("exchange:index"))
        form = ConnectorForm(request.POST)
        if form.is_valid():
            try:
                config.save_connector(actor, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The connector is added."))
                return redirect("exchange:index")
    connectors = list(Connector.objects.order_by("name"))
    for c in connectors:
        c.state_counts = delivery.counts(c)
    dead = (
        Delivery.objects.filter(state=DeliveryState.DEAD)
        .select_related("message", "connector")
        .order_by("-last_attempt_at", "-pk")[:DEAD_SHOWN]
    )
    return render(
        request,
        "exchange/index.html",
        {"connectors": connectors, "dead": dead, "form": form, "states": DeliveryState},
    )


@login_required
def connector_page(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    require_administer(actor)
    connector = get_object_or_404(Connector, pk=pk)
    form = ConnectorForm.of(connector)
    if request.method == "POST":
        if request.POST.get("action") == "resend":
            return _resend(request, redirect("exchange:connector", pk=connector.pk))
        form = ConnectorForm(request.POST)
        if form.is_valid():
            try:
                config.save_connector(actor, form.cleaned_data, connector)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The connector is saved."))
                return redirect("exchange:connector", pk=connector.pk)
    waiting = (
        connector.deliveries.exclude(state=DeliveryState.DELIVERED)
        .select_related("message", "connector")
        .order_by("message_id")[:DEAD_SHOWN]
    )
    return render(
        request,
        "exchange/connector.html",
        {
            "connector": connector,
            "counts": delivery.counts(connector),
            "waiting": waiting,
            "form": form,
        },
    )
