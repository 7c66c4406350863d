"""The EUDR page (/eudr/) for exporters and the province: choose a lot one may export, preview
its plots on the map (the EU point of a small plot, the polygon of a large one, the forest
baseline layers and the plots that overlap them), read the statement's fields and download
the GeoJSON and the PDF; the province imports forest baseline layers. Thin: access is
`eudr.access` (403 for those who use none, 404 for a lot out of scope)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.translation import gettext as _

from agritrace.apiutil import actor as _actor
from agritrace.apiutil import error_dict
from agritrace.numbers import number

from . import access, baseline, export
from .forms import BaselineForm
from .models import ForestBaseline

MAX_LOTS = 300


def _preview(s: export.Statement) -> dict:
    """What the map draws: each plot's outline (red when it overlaps a forest layer), the
    point the EU file declares for a small plot, and the forest layers near them."""
    features = []
    for p in s.plots:
        flag = (
            _("overlaps the forest baseline by %(ha)s ha") % {"ha": number(p.forest_ha, 2)}
            if p.flagged else _("no forest overlap")
        )  # fmt: skip
        popup = (
            f"<strong>{escape(p.place)}</strong><br>{escape(p.producer)}<br>"
            f"{escape(number(p.area_ha, 2))} ha · {escape(p.kind)}<br>{escape(flag)}"
        )
        features.append(
            {
                "type": "Feature",
                "geometry": p.plot.geometry,
                "properties": {
                    "label": f"{p.place} · {number(p.area_ha, 2)} ha",
                    "popup": popup,
                    "status": "rejected" if p.flagged else "issued",
                    "plot": p.plot.pk,
                    "flagged": p.flagged,
                },
            }
        )
        if p.kind == "Point":
            features.append(
                {
                    "type": "Feature",
                    "geometry": p.geometry,
                    "properties": {
                        "label": _("EU point of %(place)s") % {"place": p.place},
                        "status": "submitted",
                        "plot": p.plot.pk,
                    },
                }
            )
    layers = {o.layer.pk: o.layer for p in s.plots for o in p.overlaps}
    forest = [
        {
            "type": "Feature",
            "geometry": layer.geometry,
            "properties": {"label": f"{layer.name} ({layer.source_date:%Y-%m-%d})"},
        }
        for layer in layers.values()
    ]
    return {
        "plots": {"type": "FeatureCollection", "features": features},
        "forest": {"type": "FeatureCollection", "features": forest},
    }


def _import(request: HttpRequest, who) -> HttpResponse | BaselineForm:
    form = BaselineForm(request.POST, request.FILES)
    if not form.is_valid():
        return form
    data = form.cleaned_data
    try:
        layer = baseline.import_layer(
            who,
            baseline.LayerIn(
                data["name"], data["source"], data["source_date"], data["file"].read()
            ),
        )
    except ValidationError as exc:
        for field, problems in error_dict(exc).items():
            target = field if field in form.fields else None
            for problem in problems:
                form.add_error(target, f"{field}: {problem}" if target is None else problem)
        return form
    messages.success(
        request,
        _("Forest baseline “%(name)s” imported: %(n)s polygons, %(ha)s ha.")
        % {"name": layer.name, "n": layer.feature_count, "ha": number(layer.area_ha, 1)},
    )
    return redirect("eudr:home")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    who = _actor(request)
    access.require_use(who)
    form = BaselineForm() if access.may_import(who) else None
    if request.method == "POST":
        access.require_import(who)
        result = _import(request, who)
        if isinstance(result, HttpResponse):
            return result
        form = result
    uri = request.GET.get("lot", "").strip()
    statement, errors = None, {}
    if uri:
        try:
            statement = export.statement(who, uri, request.GET.get("hs_code") or None)
        except ValidationError as exc:
            errors = error_dict(exc)
    layers = access.baselines_in_scope(who, ForestBaseline.objects.select_related("province"))[:50]
    return render(
        request,
        "eudr/home.html",
        {
            "lots": list(access.shipped_lots(who)[:MAX_LOTS]),
            "chosen": uri,
            "statement": statement,
            "fields": statement.fields() if statement else None,
            "errors": errors,
            "preview": _preview(statement) if statement else None,
            "layers": layers,
            "form": form,
        },
    )
