"""The one check of a typed position (longitude, latitude in WGS 84 decimal degrees), for
every record that keeps one: a packing house's place, an official field inspection, a
supervision visit. Forms and the API both reach it through the services, so a bad position
comes back as a message on the field (422 on the API, beside the field on a page).

1. Both or neither; each a finite number.
2. Range: latitude -90..90, longitude -180..180 (a latitude of 200 is a typing error).
3. In Viet Nam: inside one of the boxes of `settings.AGRITRACE_POSITION_BOXES` (by default
   `geometry.VIETNAM_BOXES`: the mainland with its near-shore islands, Hoàng Sa, Trường Sa).
   A bounding-box check, configurable, not a border test.
4. Near the area, when the record concerns a planting area whose plots have a geometry:
   within `settings.AGRITRACE_POSITION_NEAR_KM` (5 km by default) of the plots' extent.
"""

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .geometry import VIETNAM_BOXES

LAT_RANGE = (-90.0, 90.0)
LON_RANGE = (-180.0, 180.0)
DEFAULT_NEAR_KM = 5.0
KM_PER_DEGREE = 111.32


def position_boxes() -> tuple[tuple[float, float, float, float], ...]:
    """(min_lon, min_lat, max_lon, max_lat) boxes a position must fall in."""
    return tuple(getattr(settings, "AGRITRACE_POSITION_BOXES", None) or VIETNAM_BOXES)


def near_km() -> float:
    return float(getattr(settings, "AGRITRACE_POSITION_NEAR_KM", None) or DEFAULT_NEAR_KM)


def _number(value: Any, field: str, errors: dict) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        errors[field] = _("Give a number in decimal degrees.")
        return None
    try:
        number = float(Decimal(str(value).strip().replace(",", ".")))
    except (InvalidOperation, ValueError):
        errors[field] = _("Give a number in decimal degrees.")
        return None
    if not math.isfinite(number):
        errors[field] = _("Give a number in decimal degrees.")
        return None
    return number


def _km_outside(lon: float, lat: float, extent: tuple[float, float, float, float]) -> float:
    """How far (km, roughly) the point lies outside the extent; 0 inside it."""
    min_lon, min_lat, max_lon, max_lat = extent
    dlon = max(min_lon - lon, 0.0, lon - max_lon)
    dlat = max(min_lat - lat, 0.0, lat - max_lat)
    return math.hypot(dlon * KM_PER_DEGREE * math.cos(math.radians(lat)), dlat * KM_PER_DEGREE)


def area_extent(area) -> tuple[float, float, float, float] | None:
    """The extent of a planting area's plots, or None when it has no plot drawn."""
    from django.db.models import Max, Min

    from .models import Plot

    found = Plot.objects.filter(area=area).aggregate(
        a=Min("min_lon"), b=Min("min_lat"), c=Max("max_lon"), d=Max("max_lat")
    )
    if found["a"] is None:
        return None
    return (found["a"], found["b"], found["c"], found["d"])


def check_position(
    lon: Any,
    lat: Any,
    errors: dict,
    *,
    lon_field: str = "lon",
    lat_field: str = "lat",
    area=None,
) -> tuple[float | None, float | None]:
    """The position as two floats (or None, None), with any problem added to `errors` on the
    field it concerns (a position outside Viet Nam or far from the area: on the longitude's
    field, as the services did before). `area`: a planting area the position must be near
    (when its plots are drawn)."""
    lon_f = _number(lon, lon_field, errors)
    lat_f = _number(lat, lat_field, errors)
    if lon_field in errors or lat_field in errors:
        return None, None
    if (lon_f is None) != (lat_f is None):
        errors[lat_field if lat_f is None else lon_field] = _(
            "Give both longitude and latitude, or neither."
        )
        return None, None
    if lon_f is None:
        return None, None
    if not LAT_RANGE[0] <= lat_f <= LAT_RANGE[1]:
        errors[lat_field] = _("A latitude lies between -90 and 90 degrees; %(value)s does not.") % {
            "value": lat
        }
    if not LON_RANGE[0] <= lon_f <= LON_RANGE[1]:
        errors[lon_field] = _(
            "A longitude lies between -180 and 180 degrees; %(value)s does not."
        ) % {"value": lon}
    if lon_field in errors or lat_field in errors:
        return None, None
    if not any(b[0] <= lon_f <= b[2] and b[1] <= lat_f <= b[3] for b in position_boxes()):
        errors[lon_field] = _(
            "Latitude %(lat)s, longitude %(lon)s is outside Viet Nam: give WGS 84 decimal "
            "degrees (latitude about 8 to 23.5, longitude about 102 to 118)."
        ) % {"lat": lat_f, "lon": lon_f}
        return None, None
    extent = area_extent(area) if area is not None else None
    if extent is not None:
        away = _km_outside(lon_f, lat_f, extent)
        if away > near_km():
            errors[lon_field] = _(
                "This position is %(km)s km from the area's plots; it must be within "
                "%(limit)s km of them."
            ) % {"km": f"{away:.1f}", "limit": f"{near_km():g}"}
            return None, None
    return lon_f, lat_f
