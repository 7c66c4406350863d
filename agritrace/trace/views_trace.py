"""Trace pages: a lot's chain backward or forward as a timeline and a graph, with what applies
to it (areas, plots, households, harvest dates, diary entries, inspections, residue results,
shipments, destinations); the forward trace of a planting area or a plot; the FSMA 204 key
data elements of a lot or a time range; the spreadsheet import of harvests, packings and
shipments. Scope through chain.find_lot / accounts.access; the work is in chain, export and
imports."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, can, get_visible, require
from agritrace.registry.models import PlantingArea, Plot

from . import chain, export, imports
from .forms import ExportForm, ImportForm
from .views_record import _actor, trace_url


def _direction(request: HttpRequest) -> str:
    direction = request.GET.get("direction", "backward")
    return direction if direction in ("backward", "forward") else "backward"


def _page(request: HttpRequest, found: chain.Chain, title: str, **extra) -> HttpResponse:
    drawn = chain.graph(found)
    context = {
        "chain": found,
        "graph": drawn,
        "title": title,
        "node_w": chain.NODE_W,
        "node_h": chain.NODE_H,
        "households": [
            (h, [found.household_label(x) for x in h.households]) for h in found.harvests
        ],
        **extra,
    }
    return render(request, "trace/trace.html", context)


@login_required
def lot_trace(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require_tracer(actor)
    uri = request.GET.get("uri", "").strip()
    if not uri:
        raise Http404
    direction = _direction(request)
    found = chain.backward(actor, uri) if direction == "backward" else chain.forward(actor, uri)
    other = "forward" if direction == "backward" else "backward"
    return _page(
        request,
        found,
        _("Backward trace") if direction == "backward" else _("Forward trace"),
        lot=found.start,
        other_url=trace_url(found.start, other),
        other_label=_("Forward trace") if direction == "backward" else _("Backward trace"),
        export_url=reverse("trace-lot-kde") + "?" + _query(uri=found.start),
        api_url=f"/api/trace/lots/{quote(found.start, safe=':/')}/trace?direction={direction}",
        completeness=_completeness(found.start),
    )


def _completeness(uri: str):
    """The plan's minimum data for the lot (products.completeness), shown with its trace."""
    from agritrace.products.completeness import check

    from .models import Lot

    lot = Lot.objects.filter(uri=uri).select_related("crop").first()
    return check(lot) if lot is not None else None


def _query(**params) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def _require_tracer(actor: Actor) -> None:
    if not chain.may_trace(actor):
        raise PermissionDenied(_("Your organisation does not trace lots."))


@login_required
def area_trace(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    _require_tracer(actor)
    area = get_visible(actor, PlantingArea.objects.select_related("commune"), pk=pk)
    found = chain.build(actor, chain.harvest_lots_of_area(area), "forward", "")
    return _page(request, found, _("Forward trace of a planting area"), area=area, lot=None)


@login_required
def plot_trace(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    _require_tracer(actor)
    plot = Plot.objects.select_related("area", "household").filter(pk=pk).first()
    if plot is None or plot.area_id is None:
        raise Http404
    get_visible(actor, PlantingArea.objects.all(), pk=plot.area_id)
    found = chain.build(actor, chain.harvest_lots_of_plot(plot), "forward", "")
    return _page(request, found, _("Forward trace of a plot"), plot=plot, area=plot.area, lot=None)


@login_required
def sample_trace(request: HttpRequest, pk: int) -> HttpResponse:
    """Forward from a residue sample, as a recall would go (the lot it names, else the
    area's harvests from RECALL_DAYS_BEFORE_SAMPLE days before it), without marking anything."""
    from agritrace.supervision.models import Sample

    from .recall import start_of_sample

    actor = _actor(request)
    _require_tracer(actor)
    sample = get_visible(actor, Sample.objects.select_related("area__commune"), pk=pk)
    start, _areas, origin = start_of_sample(sample)
    found = chain.build(actor, start, "forward", "")
    return _page(
        request,
        found,
        _("Forward trace of residue sample %(code)s") % {"code": sample.code},
        area=sample.area,
        lot=None,
        sample=sample,
        origin=origin,
        api_url=f"/api/trace/samples/{sample.pk}/trace",
    )


# ------------------------------------------------------------------ key data elements


def _fmt(request: HttpRequest) -> str:
    fmt = request.GET.get("format", "xlsx")
    return fmt if fmt in ("xlsx", "csv") else "xlsx"


@login_required
def lot_kde(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require_tracer(actor)
    uri = request.GET.get("uri", "").strip()
    if not uri:
        raise Http404
    rows = export.lot_rows(actor, uri)
    stamp = timezone.localdate().isoformat()
    return export.download(rows, _fmt(request), f"fsma204-kde-lot-{stamp}")


@login_required
def range_kde(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require_tracer(actor)
    form = ExportForm(request.GET or None)
    if request.GET and form.is_valid():
        data = form.cleaned_data
        events = export.range_events(actor, data["start"], data["end"])
        name = f"fsma204-kde-{data['start']}-{data['end']}"
        return export.download(export.rows_for(events), data["format"], name)
    return render(request, "trace/export.html", {"form": form})


# ------------------------------------------------------------------ spreadsheet import


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, "capture_events")
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = imports.import_file(
                actor, upload.read(), upload.name, kind=form.cleaned_data.get("kind") or ""
            )
        except imports.ImportRejected as exc:
            errors = exc.lines
        else:
            messages.success(
                request,
                _("Imported %(n)s events (%(d)s already recorded).")
                % {"n": result.stored, "d": result.duplicates},
            )
    return render(
        request,
        "trace/import.html",
        {
            "form": form,
            "errors": errors,
            "result": result,
            "may_capture": can(actor, "capture_events"),
        },
    )


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, "capture_events")
    response = HttpResponse(
        imports.template_xlsx(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="agritrace-trace-import.xlsx"'
    return response
