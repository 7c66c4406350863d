"""Pages that record traceability events through forms: a harvest, a purchase or receiving,
a packing, a phytosanitary inspection, a shipment. Each form is turned into an EPCIS 2.0
document (builders) and captured through services.capture, so the same validation and domain
checks apply; a rejection is shown beside the fields and nothing is saved."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agritrace.accounts.access import Actor, can, require

from . import builders, forms, recording, services
from .readable import errors_for_page

FORMS = {
    "harvest": (
        forms.HarvestForm,
        gettext_lazy("Record a harvest"),
        gettext_lazy("A harvest lot at a planting area, with its plots and harvest date."),
    ),
    "receiving": (
        forms.ReceivingForm,
        gettext_lazy("Record a purchase or a receiving"),
        gettext_lazy("Lots bought or arriving, with the delivery or purchase document."),
    ),
    "packing": (
        forms.PackingForm,
        gettext_lazy("Record a packing"),
        gettext_lazy("Lots going into a packing house and the packed lots coming out."),
    ),
    "inspection": (
        forms.InspectionForm,
        gettext_lazy("Record a phytosanitary inspection"),
        gettext_lazy("An inspection of lots, with the certificate number."),
    ),
    "shipping": (
        forms.ShippingForm,
        gettext_lazy("Record a shipment"),
        gettext_lazy("Lots leaving, with their destination and transport or customs papers."),
    ),
}


def _actor(request: HttpRequest) -> Actor:
    current = getattr(request, "_actor", None)
    if current is None:
        current = Actor.of(request.user)
        request._actor = current
    return current


def trace_url(uri: str, direction: str = "backward") -> str:
    from django.urls import reverse

    return reverse("trace-lot") + "?" + urlencode({"uri": uri, "direction": direction})


@login_required
def record_menu(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, "capture_events")
    return render(
        request,
        "trace/record_menu.html",
        {"forms": [(key, title, text) for key, (_f, title, text) in FORMS.items()]},
    )


def capture_form(actor: Actor, form) -> builders.Built | None:
    """Capture what a valid form describes; on a rejection put the errors on the form and
    return None (nothing is stored: a document is one transaction)."""
    built = form.build()
    try:
        recording.capture(actor, [built])
    except services.CaptureRejected as exc:
        errors = errors_for_page({p: [str(m) for m in ms] for p, ms in exc.message_dict.items()})
        for name, msgs in builders.field_errors(errors, [built]).items():
            form.add_error(name if name in form.fields else None, msgs)
        return None
    return built


@login_required
def record(request: HttpRequest, kind: str) -> HttpResponse:
    actor = _actor(request)
    if kind not in FORMS:
        raise Http404
    require(actor, "capture_events")
    form_class, title, intro = FORMS[kind]
    if request.method == "POST":
        form = form_class(request.POST, actor=actor)
    else:
        # A GET with values (the harvest form's "show the plots of this area") pre-fills it.
        form = form_class(initial=request.GET.dict(), actor=actor)
    if request.method == "POST" and form.is_valid():
        built = capture_form(actor, form)
        if built is not None:
            codes = ", ".join(builders.lot_code(u) for u in built.lots)
            messages.success(request, _("Recorded: %(lots)s.") % {"lots": codes})
            return redirect(trace_url(built.lots[0]))
    return render(
        request,
        "trace/record_form.html",
        {
            "form": form,
            "kind": kind,
            "title": title,
            "intro": intro,
            "form_in": form.row_groups("in_"),
            "form_out": form.row_groups("out_"),
            "form_lots": form.row_groups("lot_"),
            "lot_suggestions": forms.suggested_lots(actor),
            "may_capture": can(actor, "capture_events"),
        },
    )
