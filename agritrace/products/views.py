"""The products pages: the catalogue (products, kinds, processing relations, the plan's
minimum data), processing facilities (list and register, scoped like packing houses) and
recording a processing step (then the output lot's trace page, with its minimum data)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from agritrace.accounts.access import can, require, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.apiutil import actor as _actor
from agritrace.registry.models import Crop
from agritrace.trace.builders import lot_code
from agritrace.trace.views_record import trace_url
from agritrace.web.forms import add_service_errors, communes_for

from . import processing, registration
from .catalogue import data as catalogue_data
from .forms import ProcessingForm
from .models import ProcessingFacility, ProcessingRelation, Product, ProductKind


def _processed_products():
    return Crop.objects.filter(product__kind=ProductKind.PROCESSED).order_by("code")


@login_required
def catalogue_page(request: HttpRequest) -> HttpResponse:
    minimum = catalogue_data()["minimum_data"]
    return render(
        request,
        "products/catalogue.html",
        {
            "products": Product.objects.select_related("crop"),
            "relations": ProcessingRelation.objects.select_related("input", "output"),
            "minimum": minimum["items"],
            "minimum_source": minimum["source"],
        },
    )


@login_required
def facilities_page(request: HttpRequest) -> HttpResponse:
    from .forms import FacilityForm

    actor = _actor(request)
    if actor.is_public:
        raise PermissionDenied
    facilities = visible(
        actor, ProcessingFacility.objects.select_related("operator", "commune__parent")
    )
    form = None
    if can(actor, "register_facility"):
        operators = None
        if actor.kind != OrgKind.PROCESSOR:  # the province names the operator
            province = actor.province_id
            operators = Organisation.objects.filter(kind=OrgKind.PROCESSOR).filter(
                Q(unit_id=province) | Q(unit__parent_id=province)
            )
        options = {
            "communes": communes_for(actor),
            "operators": operators,
            "products": _processed_products(),
        }
        form = FacilityForm(request.POST or None, **options)
        if request.method == "POST" and form.is_valid():
            try:
                facility = registration.register_facility(actor, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Facility %(name)s is registered.") % {"name": facility.name}
                )
                return redirect("products:facilities")
    elif request.method == "POST":
        require(actor, "register_facility")
    return render(request, "products/facilities.html", {"facilities": facilities, "form": form})


@login_required
def processing_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, "capture_events")
    if actor.kind != OrgKind.PROCESSOR:
        raise PermissionDenied(_("Only a processing facility's operator records processing."))
    facilities = ProcessingFacility.objects.filter(operator=actor.organisation)
    form = ProcessingForm(
        request.POST or None, facilities=facilities, products=_processed_products()
    )
    if request.method == "POST" and form.is_valid():
        try:
            made = processing.record_processing(actor, form.data_for_service())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Recorded: %(lots)s.") % {"lots": lot_code(made.lot)})
            return redirect(trace_url(made.lot))
    return render(request, "products/processing.html", {"form": form})
