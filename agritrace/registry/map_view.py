"""Where a planting area's map opens and what it draws besides the area's own plots, for
maps that work without a tile server (issue 17, item 10).

The view, first that applies:
1. the extent of the area's plots ("area");
2. the area's commune from the places data (centre and land area, `places.geography`);
3. the extent of the plots of the commune's other areas ("commune_plots");
4. the area's province from the places data, then the extent of the province's plots;
5. Viet Nam ("country"), only when none of these is known.

Neighbouring plots: the plots of other areas inside the view (widened by a margin), drawn
read-only, only those the person may see (`visible`), at most `NEIGHBOUR_LIMIT`.
The commune's outline: the places data carries none, so `outline` is None and the page says
nothing about it.
"""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Max, Min

from agritrace.accounts.access import Actor, visible
from agritrace.places.geography import Place, place_of, source

from .geometry import VIETNAM_BOXES
from .models import PlantingArea, Plot

NEIGHBOUR_LIMIT = 300
#: The smallest view (km a side): one small plot's extent would zoom in past the street.
MIN_SIDE_KM = 0.6
#: Neighbours are looked for this far around the view (its own size times this).
MARGIN = 0.25
KM_PER_DEGREE = 111.32

Bounds = tuple[tuple[float, float], tuple[float, float]]  # ((south, west), (north, east))


def _plot_extent(plots) -> Bounds | None:
    found = plots.aggregate(w=Min("min_lon"), s=Min("min_lat"), e=Max("max_lon"), n=Max("max_lat"))
    if found["w"] is None:
        return None
    return _at_least(((found["s"], found["w"]), (found["n"], found["e"])))


def _at_least(bounds: Bounds) -> Bounds:
    """The bounds grown around their centre to MIN_SIDE_KM a side where smaller."""
    (s, w), (n, e) = bounds
    lat = (s + n) / 2
    lon = (w + e) / 2
    half_lat = max((n - s) / 2, MIN_SIDE_KM / 2 / KM_PER_DEGREE)
    half_lon = max(
        (e - w) / 2, MIN_SIDE_KM / 2 / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    )
    return (
        (round(lat - half_lat, 6), round(lon - half_lon, 6)),
        (round(lat + half_lat, 6), round(lon + half_lon, 6)),
    )


def _country() -> Bounds:
    w, s, e, n = VIETNAM_BOXES[0]
    return ((s, w), (n, e))


def _from_place(place: Place | None) -> Bounds | None:
    return place.bounds() if place is not None else None


def area_view(area: PlantingArea, exclude_plot: Plot | None = None) -> dict[str, Any]:
    """{bounds, source, place, data_source}: where the map of `area` opens (see the module).
    The extents of plots used here are aggregates over all plots of the commune or province
    (not the plots themselves), so they are the same for everyone who may see the area."""
    own = Plot.objects.filter(area=area)
    if exclude_plot is not None:
        own = own.exclude(pk=exclude_plot.pk)
    commune = area.commune
    province = commune.parent if commune is not None else None
    others = Plot.objects.exclude(area=area)
    steps = (
        ("area", area.name, lambda: _plot_extent(own), ""),
        (
            "commune",
            commune.name if commune else "",
            lambda: _from_place(place_of(commune)),
            source(),
        ),
        (
            "commune_plots",
            commune.name if commune else "",
            lambda: _plot_extent(others.filter(area__commune=commune)) if commune else None,
            "",
        ),
        (
            "province",
            province.name if province else "",
            lambda: _from_place(place_of(province)),
            source(),
        ),
        (
            "province_plots",
            province.name if province else "",
            lambda: (
                _plot_extent(others.filter(area__commune__parent=province)) if province else None
            ),
            "",
        ),
    )
    for kind, name, find, data_source in steps:
        bounds = find()
        if bounds is not None:
            return {"bounds": bounds, "source": kind, "place": name, "data_source": data_source}
    return {"bounds": _country(), "source": "country", "place": "", "data_source": ""}


def neighbour_plots(actor: Actor, area: PlantingArea, bounds: Bounds) -> list[Plot]:
    """The plots of other areas (or of none) that the actor may see, inside `bounds` widened by
    MARGIN, nearest first cut at NEIGHBOUR_LIMIT."""
    (s, w), (n, e) = bounds
    dlat = (n - s) * MARGIN
    dlon = (e - w) * MARGIN
    found = (
        visible(actor, Plot.objects.all())
        .exclude(area=area)
        .filter(
            max_lon__gte=w - dlon,
            min_lon__lte=e + dlon,
            max_lat__gte=s - dlat,
            min_lat__lte=n + dlat,
        )
        .select_related("area")
        .order_by("pk")[: NEIGHBOUR_LIMIT * 4]
    )
    lat0, lon0 = (s + n) / 2, (w + e) / 2
    plots = sorted(found, key=lambda p: (p.centroid_lat - lat0) ** 2 + (p.centroid_lon - lon0) ** 2)
    return plots[:NEIGHBOUR_LIMIT]


def neighbour_features(plots: list[Plot]) -> dict[str, Any]:
    """A FeatureCollection of neighbouring plots: plain-text labels, no links."""
    features = []
    for plot in plots:
        area = plot.area
        where = f"{area.name} ({area.code})" if area is not None and area.code else ""
        if area is not None and not where:
            where = area.name
        features.append(
            {
                "type": "Feature",
                "geometry": plot.geometry,
                "properties": {
                    "kind": "neighbour",
                    "label": " · ".join(x for x in (plot.label, where) if x),
                    "area": plot.area_id,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def map_data(actor: Actor, area: PlantingArea, exclude_plot: Plot | None = None) -> dict:
    """What the page hands its map: the view and the neighbouring plots."""
    view = area_view(area, exclude_plot)
    plots = neighbour_plots(actor, area, view["bounds"])
    return {
        "view": {
            "bounds": [list(view["bounds"][0]), list(view["bounds"][1])],
            "source": view["source"],
            "place": view["place"],
            "data_source": view["data_source"],
        },
        "neighbours": neighbour_features(plots),
        "outline": None,
    }
