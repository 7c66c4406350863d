"""The home page, the dashboard and the map data of the code pages: counts by status and crop,
the areas' map in GeoJSON. Thin: each view calls the registry and renders."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet
from django.db.models.query import EmptyQuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from agritrace.accounts.access import visible
from agritrace.registry import services
from agritrace.registry.models import (
    CodeStatus,
    Crop,
    PackingHouse,
    PlantingArea,
    Plot,
)

from .templatetags.agritrace_ui import status_label
from .view_common import _actor, _open_app_statuses, _plot_features

__all__ = [
    "areas_geojson",
    "dashboard",
    "home",
]


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return redirect("public-codes")


def _count_by(qs: QuerySet, field: str) -> dict:
    return {
        row[field]: row["n"]
        for row in qs.order_by().values(field).annotate(n=Count("pk", distinct=True))
    }


def _status_counts(qs: QuerySet, field: str, choices, kind: str) -> list[dict]:
    counts = _count_by(qs, field)
    return [
        {"status": value, "label": status_label(value, kind), "count": counts.get(value, 0)}
        for value, _label in choices
    ]


def _crop_counts(qs: QuerySet, field: str) -> list[tuple[Crop, int]]:
    counts = {k: v for k, v in _count_by(qs, field).items() if k is not None}
    crops = Crop.objects.in_bulk(list(counts))
    return sorted(
        ((crops[pk], n) for pk, n in counts.items()), key=lambda row: (-row[1], str(row[0]))
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    areas = visible(actor, PlantingArea.objects.all())
    houses = visible(actor, PackingHouse.objects.all())
    open_apps = services.open_applications(actor)
    today = timezone.localdate()
    overdue = (
        open_apps.filter(deadline__lt=today)
        .select_related("area", "packing_house", "applicant")
        .order_by("deadline", "pk")
    )
    app_counts = _count_by(open_apps, "status")
    context = {
        "area_total": areas.count(),
        "areas_by_status": _status_counts(areas, "code_status", CodeStatus.choices, "code"),
        "areas_by_crop": _crop_counts(areas, "crop"),
        "house_total": houses.count(),
        "houses_by_status": _status_counts(houses, "code_status", CodeStatus.choices, "code"),
        "houses_by_crop": _crop_counts(houses, "crops"),
        "apps_by_status": [
            {"status": s, "label": status_label(s, "app"), "count": app_counts.get(s, 0)}
            for s in _open_app_statuses()
        ],
        "open_total": sum(app_counts.values()),
        "overdue": overdue[:50],
        "overdue_total": overdue.count(),
        "today": today,
        # The map draws areas at their plots: whoever may see no plot by rule (a laboratory,
        # a packing house, an exporter) would get a map counting areas and showing none.
        "show_map": not isinstance(visible(actor, Plot.objects.all()), EmptyQuerySet),
        "legend": [(s, status_label(s, "app")) for s in _open_app_statuses()]
        + [
            (s, status_label(s, "code"))
            for s in (CodeStatus.ISSUED, CodeStatus.SUSPENDED, CodeStatus.REVOKED)
        ],
    }
    from agritrace.supervision.worklist import lab_samples

    context["lab_samples"] = lab_samples(actor)
    from agritrace.reports.access import may_see_reports
    from agritrace.reports.deadlines import for_actor

    context["deadlines"] = for_actor(actor) if may_see_reports(actor) else []
    return render(request, "codes/dashboard.html", context)


@login_required
def areas_geojson(request: HttpRequest) -> JsonResponse:
    """The planting areas the actor sees (or one: ?area=<id>): a point per area (kind
    "area") and its plots (kind "plot")."""
    actor = _actor(request)
    areas = visible(actor, PlantingArea.objects.all())
    if request.GET.get("area"):
        try:
            areas = areas.filter(pk=int(request.GET["area"]))
        except ValueError:
            areas = areas.none()
    plots = visible(actor, Plot.objects.filter(area__in=areas))
    return JsonResponse(
        _plot_features(actor, plots, with_areas=True), content_type="application/geo+json"
    )
