"""Plot boundaries: parsing and checking GeoJSON, geodesic areas and overlaps.

Pure Python on top of shapely and pyproj, with no database or model imports, so the
same checks run in forms, the API, imports from spreadsheets and command-line scripts.

Conventions:

* Coordinates are WGS 84 longitude, latitude in decimal degrees, in that order
  (RFC 7946). Vietnamese surveys are often in VN-2000 (projected metres) or written as
  "latitude, longitude"; both mistakes are caught and explained rather than stored.
* Geometries are kept in degrees. Areas are computed on the WGS 84 ellipsoid
  (``pyproj.Geod``), never from planar degree areas, which are meaningless as m².
* Errors are :class:`GeometryError` with a translatable sentence for people, a stable
  ``code`` for programs and, where it helps, the ``(lon, lat)`` where the problem is.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, TypeVar

import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.strtree import STRtree

from agritrace.numbers import number

__all__ = [
    "GeometryError",
    "MAX_PLOT_AREA_HA",
    "MAX_POSITIONS",
    "VIETNAM_BOXES",
    "area_discrepancy",
    "bbox",
    "centroid",
    "find_overlaps",
    "geodesic_area_m2",
    "overlaps",
    "parse_geojson",
    "to_geojson",
]

K = TypeVar("K", bound=Hashable)
Location = tuple[float, float]

M2_PER_HA = 10_000.0

#: Above this a boundary is not a farm plot (10,000 ha = 100 km², larger than many
#: communes); it is almost certainly a province outline, a wrong CRS or a typo.
MAX_PLOT_AREA_HA = 10_000.0

#: Guard against pathological uploads: a surveyed plot has tens to a few thousand
#: vertices, a GPS walk a few tens of thousands at most.
MAX_POSITIONS = 100_000

#: Boxes (min_lon, min_lat, max_lon, max_lat) that together cover Vietnam's territory.
#: The mainland box also covers Phú Quốc, Côn Đảo, Thổ Chu, Bạch Long Vĩ and the other
#: near-shore islands. Each box is padded by about 5 km so plots on the extreme points
#: (Lũng Cú, A Pa Chải, Mũi Đôi, Mũi Cà Mau) are not rejected.
VIETNAM_BOXES: tuple[tuple[float, float, float, float], ...] = (
    (102.09, 8.13, 109.52, 23.44),  # mainland and near-shore islands
    (110.95, 15.65, 113.05, 17.25),  # Hoàng Sa (Paracel Islands)
    (111.45, 5.95, 117.95, 11.85),  # Trường Sa (Spratly Islands)
)

_GEOD = Geod(ellps="WGS84")
_REASON_POINT = re.compile(r"\[\s*([-+0-9.eE]+|nan)\s+([-+0-9.eE]+|nan)")


def _(message: str) -> str:
    """Translate with Django's gettext when Django is set up, else keep the English.

    Named ``_`` so ``makemessages`` (xgettext) extracts the strings. The fallback keeps
    this module usable from scripts and pure tests that never configure settings.
    """
    try:
        from django.utils.translation import gettext

        return gettext(message)
    except Exception:  # ImproperlyConfigured, AppRegistryNotReady: no translations yet
        return message


class GeometryError(ValueError):
    """A plot boundary that cannot be accepted.

    ``message`` is a translated sentence for the person who drew or uploaded the
    boundary; ``code`` is a stable machine string for APIs and tests; ``location`` is
    the (lon, lat) where the problem is, when there is one place to point at.
    """

    def __init__(self, message: str, *, code: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.location = location

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"GeometryError(code={self.code!r}, message={self.message!r})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for API error responses."""
        return {
            "code": self.code,
            "message": self.message,
            "location": list(self.location) if self.location is not None else None,
        }


def _fmt(value: float) -> str:
    """A coordinate as people write it: up to 6 decimals (~10 cm), no trailing zeros."""
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _fmt_point(lon: float, lat: float) -> str:
    return f"{_fmt(lon)}, {_fmt(lat)}"


# --------------------------------------------------------------------------- parsing


def parse_geojson(data: str | bytes | Mapping[str, Any]) -> Polygon | MultiPolygon:
    """Parse and check a plot boundary given as GeoJSON (RFC 7946).

    Accepts a Polygon or MultiPolygon geometry object, a Feature holding one, or a
    FeatureCollection with exactly one such Feature (what most web map editors and
    QGIS exports produce for a single plot). An optional third coordinate (altitude)
    is dropped. Ring orientation is not checked: RFC 7946 asks writers for
    counter-clockwise outer rings but tells readers not to reject the other way.

    Raises :class:`GeometryError` with one of the codes ``invalid_json``, ``empty``,
    ``multiple_features``, ``not_polygon``, ``bad_coordinates``, ``too_few_positions``,
    ``unclosed_ring``, ``too_complex``, ``outside_vietnam``, ``self_intersection``,
    ``invalid_geometry`` or ``too_large``.
    """
    obj = _load(data)
    geometry = _unwrap(obj)
    gtype = geometry.get("type")
    if gtype not in ("Polygon", "MultiPolygon"):
        raise GeometryError(
            _("Only Polygon or MultiPolygon boundaries are accepted, not %(type)s.")
            % {"type": gtype if isinstance(gtype, str) and gtype else _("an unknown type")},
            code="not_polygon",
        )
    if "coordinates" not in geometry:
        raise GeometryError(_("The geometry has no “coordinates” member."), code="invalid_json")
    coordinates = geometry["coordinates"]
    if coordinates is None or coordinates == []:
        raise GeometryError(_("The boundary is empty: it has no coordinates."), code="empty")

    counter = [0]
    if gtype == "Polygon":
        parts = [_parse_polygon_coords(coordinates, counter)]
    else:
        if not isinstance(coordinates, list):
            raise _structure_error()
        parts = [_parse_polygon_coords(p, counter) for p in coordinates]
    geom: Polygon | MultiPolygon
    if gtype == "Polygon":
        geom = Polygon(parts[0][0], parts[0][1:])
    else:
        geom = MultiPolygon([Polygon(rings[0], rings[1:]) for rings in parts])

    _check_in_vietnam(geom)
    _check_valid(geom)
    area_ha = geodesic_area_m2(geom) / M2_PER_HA
    if area_ha > MAX_PLOT_AREA_HA:
        raise GeometryError(
            _(
                "The boundary covers %(area)s ha, more than the %(limit)s ha allowed for one "
                "plot. Check that it outlines a single plot and that coordinates are in "
                "degrees."
            )
            % {"area": number(area_ha, 0), "limit": number(MAX_PLOT_AREA_HA, 0)},
            code="too_large",
            location=centroid(geom),
        )
    return geom


def _load(data: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, str | bytes | bytearray):
        if not data.strip():
            raise GeometryError(_("The boundary is empty: no GeoJSON was given."), code="empty")
        try:
            data = json.loads(data)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, nesting
            raise GeometryError(
                _("The boundary is not valid JSON: %(error)s") % {"error": exc},
                code="invalid_json",
            ) from None
    if not isinstance(data, Mapping):
        raise GeometryError(
            _("The boundary must be a GeoJSON object with a “type” member."),
            code="invalid_json",
        )
    return data


def _unwrap(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the geometry object inside a Feature or single-feature FeatureCollection."""
    otype = obj.get("type")
    if otype == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list):
            raise GeometryError(
                _("The FeatureCollection has no “features” list."), code="invalid_json"
            )
        if not features:
            raise GeometryError(_("The FeatureCollection has no features."), code="empty")
        if len(features) > 1:
            raise GeometryError(
                _(
                    "The FeatureCollection has %(count)d features; give exactly one boundary "
                    "per plot."
                )
                % {"count": len(features)},
                code="multiple_features",
            )
        obj = features[0]
        if not isinstance(obj, Mapping) or obj.get("type") != "Feature":
            raise GeometryError(
                _("The FeatureCollection must contain a Feature."), code="invalid_json"
            )
        otype = "Feature"
    if otype == "Feature":
        if "geometry" not in obj:
            raise GeometryError(_("The Feature has no “geometry” member."), code="invalid_json")
        geometry = obj["geometry"]
        if geometry is None:
            raise GeometryError(_("The Feature has no geometry."), code="empty")
        if not isinstance(geometry, Mapping):
            raise GeometryError(_("The Feature's geometry is not an object."), code="invalid_json")
        return geometry
    if not isinstance(otype, str):
        raise GeometryError(
            _("The boundary must be a GeoJSON object with a “type” member."),
            code="invalid_json",
        )
    return obj


def _structure_error() -> GeometryError:
    return GeometryError(
        _("The coordinates are not nested as GeoJSON requires for this geometry type."),
        code="invalid_json",
    )


def _parse_polygon_coords(coords: Any, counter: list[int]) -> list[list[Location]]:
    """Check one polygon's rings; return them as lists of (lon, lat) tuples."""
    if not isinstance(coords, list):
        raise _structure_error()
    if not coords:
        raise GeometryError(_("A polygon of the boundary is empty."), code="empty")
    return [_parse_ring(ring, counter) for ring in coords]


def _parse_ring(ring: Any, counter: list[int]) -> list[Location]:
    if not isinstance(ring, list):
        raise _structure_error()
    counter[0] += len(ring)
    if counter[0] > MAX_POSITIONS:
        raise GeometryError(
            _("The boundary has more than %(limit)s points; simplify it before uploading.")
            % {"limit": number(MAX_POSITIONS)},
            code="too_complex",
        )
    positions = [_parse_position(p) for p in ring]
    if len(positions) < 4:
        raise GeometryError(
            _(
                "A ring has %(count)d positions; at least 4 are needed (3 corners and the "
                "first corner repeated at the end)."
            )
            % {"count": len(positions)},
            code="too_few_positions",
            location=positions[0] if positions else None,
        )
    if positions[0] != positions[-1]:
        raise GeometryError(
            _(
                "A ring is not closed: it starts at %(first)s but ends at %(last)s. The last "
                "position must repeat the first."
            )
            % {"first": _fmt_point(*positions[0]), "last": _fmt_point(*positions[-1])},
            code="unclosed_ring",
            location=positions[0],
        )
    return positions


def _parse_position(position: Any) -> Location:
    if not isinstance(position, list | tuple):
        raise _structure_error()
    if len(position) not in (2, 3):
        raise GeometryError(
            _("A position must have 2 numbers (longitude, latitude), not %(count)d.")
            % {"count": len(position)},
            code="bad_coordinates",
        )
    for value in position:
        # bool is an int subclass; "108.05" as a string is a common spreadsheet mistake.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise GeometryError(
                _("Coordinate %(value)s is not a number.") % {"value": json.dumps(value)},
                code="bad_coordinates",
            )
        if not math.isfinite(value):
            raise GeometryError(
                _("Coordinate %(value)s is not a finite number.") % {"value": value},
                code="bad_coordinates",
            )
    lon, lat = float(position[0]), float(position[1])
    if -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0:
        return lon, lat

    where = _fmt_point(lon, lat)
    if max(abs(lon), abs(lat)) > 1000:
        hint = _(
            "These look like projected coordinates in metres (for example VN-2000 or UTM); "
            "convert them to WGS 84 longitude, latitude in degrees."
        )
    elif abs(lon) <= 90.0 and abs(lat) <= 180.0:
        hint = _(
            "Latitude and longitude look swapped: GeoJSON lists longitude first, e.g. %(example)s."
        ) % {"example": _fmt_point(lat, lon)}
    else:
        hint = _("Longitude must be between -180 and 180 and latitude between -90 and 90.")
    raise GeometryError(
        _("Position %(position)s is out of range. %(hint)s") % {"position": where, "hint": hint},
        code="bad_coordinates",
        location=(lon, lat),
    )


def _in_boxes(bounds: tuple[float, float, float, float]) -> bool:
    min_lon, min_lat, max_lon, max_lat = bounds
    return any(
        b[0] <= min_lon and b[1] <= min_lat and max_lon <= b[2] and max_lat <= b[3]
        for b in VIETNAM_BOXES
    )


def _check_in_vietnam(geom: Polygon | MultiPolygon) -> None:
    """Reject boundaries that are not inside Vietnam.

    This is a bounding-box check, not a border test: each polygon must lie wholly
    inside one of :data:`VIETNAM_BOXES`. It catches the usual mistakes (a wrong CRS,
    swapped or dropped digits, a test plot at 0, 0) cheaply, but accepts plots just
    across the border in Laos, Cambodia or China, which fall inside the mainland box.
    Whether a plot is in the commune it is registered to is a separate check.
    """
    for part in getattr(geom, "geoms", [geom]):
        if not _in_boxes(part.bounds):
            where = centroid(part)
            raise GeometryError(
                _(
                    "The boundary near %(position)s is outside Vietnam. Coordinates must be "
                    "WGS 84 longitude, latitude in decimal degrees."
                )
                % {"position": _fmt_point(*where)},
                code="outside_vietnam",
                location=where,
            )


def _check_valid(geom: Polygon | MultiPolygon) -> None:
    """Reject invalid polygons, pointing at where GEOS found the problem.

    Invalid polygons give wrong areas and unreliable overlaps, so they are refused
    rather than silently repaired: a repaired bow-tie is two triangles the farmer never
    drew.
    """
    reason = shapely.is_valid_reason(geom)
    if reason == "Valid Geometry":
        return
    location: Location | None = None
    match = _REASON_POINT.search(reason)
    if match:
        try:
            location = (float(match.group(1)), float(match.group(2)))
        except ValueError:
            location = None
    where = _fmt_point(*location) if location else "?"
    kind = reason.split("[", 1)[0].strip().lower()
    if "self-intersection" in kind:
        raise GeometryError(
            _("Self-intersection at %(position)s: the boundary crosses or touches itself.")
            % {"position": where},
            code="self_intersection",
            location=location,
        )
    if kind.startswith("too few points"):
        raise GeometryError(
            _("The boundary collapses to a line or point at %(position)s.") % {"position": where},
            code="too_few_positions",
            location=location,
        )
    messages = {
        "hole lies outside shell": _("A hole lies outside the outer boundary, at %(position)s."),
        "nested holes": _("A hole lies inside another hole, at %(position)s."),
        "interior is disconnected": _("Holes split the plot into separate pieces at %(position)s."),
        "nested shells": _("One part of the boundary lies inside another, at %(position)s."),
        "duplicate rings": _("The boundary repeats the same ring twice, at %(position)s."),
    }
    template = messages.get(kind, _("The boundary is not a valid polygon at %(position)s."))
    raise GeometryError(template % {"position": where}, code="invalid_geometry", location=location)


# --------------------------------------------------------------------------- output


def _round_ring(coords: Iterable[tuple[float, ...]]) -> list[list[float]]:
    return [[round(c[0], 7), round(c[1], 7)] for c in coords]


def _polygon_coords(polygon: Polygon) -> list[list[list[float]]]:
    polygon = orient(polygon, sign=1.0)  # RFC 7946: outer ring counter-clockwise
    return [_round_ring(polygon.exterior.coords)] + [
        _round_ring(ring.coords) for ring in polygon.interiors
    ]


def to_geojson(geom: Polygon | MultiPolygon) -> dict[str, Any]:
    """Return an RFC 7946 geometry dict: lon, lat, 7 decimals (~1 cm), CCW outer rings.

    Altitudes are dropped; only Polygon and MultiPolygon are supported.
    """
    if isinstance(geom, Polygon):
        return {"type": "Polygon", "coordinates": _polygon_coords(geom)}
    if isinstance(geom, MultiPolygon):
        return {
            "type": "MultiPolygon",
            "coordinates": [_polygon_coords(p) for p in geom.geoms],
        }
    raise GeometryError(
        _("Only Polygon or MultiPolygon boundaries are accepted, not %(type)s.")
        % {"type": getattr(geom, "geom_type", type(geom).__name__)},
        code="not_polygon",
    )


# --------------------------------------------------------------------------- measuring


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    """All polygons in any geometry (intersections can yield mixed collections)."""
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def _ring_area(ring: Any) -> float:
    lons, lats = ring.xy
    area, _perimeter = _GEOD.polygon_area_perimeter(lons, lats)
    return abs(area)


def geodesic_area_m2(geom: BaseGeometry) -> float:
    """Area in m² on the WGS 84 ellipsoid.

    ``Geod.geometry_area_perimeter`` returns a signed area that relies on ring
    orientation (holes only subtract when wound opposite to the outer ring, and
    multipolygon parts wound differently cancel out), so each ring is measured
    separately and combined as |outer| − Σ|holes|. Lines and points count as 0, so the
    result of an intersection can be measured directly.
    """
    total = 0.0
    for polygon in _polygons(geom):
        area = _ring_area(polygon.exterior) - sum(_ring_area(r) for r in polygon.interiors)
        total += max(area, 0.0)
    return total


def bbox(geom: BaseGeometry) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat)."""
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    return (min_lon, min_lat, max_lon, max_lat)


def centroid(geom: BaseGeometry) -> Location:
    """(lon, lat) of the centroid, rounded to 7 decimals.

    Computed in degrees: over a plot the distortion is far below GPS error. For a
    multipolygon whose parts are far apart, the point may fall outside every part.
    """
    point = geom.centroid
    return (round(point.x, 7), round(point.y, 7))


def _valid(geom: BaseGeometry) -> BaseGeometry:
    # Stored geometries passed parse_geojson, but older rows or other sources might not;
    # intersecting an invalid polygon can raise a GEOS TopologyException.
    return geom if geom.is_valid else shapely.make_valid(geom)


def overlaps(geom_a: BaseGeometry, geom_b: BaseGeometry, min_overlap_m2: float = 1.0) -> float:
    """Geodesic area in m² shared by two plots, or 0.0 when below ``min_overlap_m2``.

    Plots that only touch (a shared border or corner) share no area. The threshold
    absorbs slivers from neighbours digitised on the same boundary with rounding or
    GPS noise; 1 m² is a small fraction of any real plot.
    """
    if not geom_a.intersects(geom_b):
        return 0.0
    shared = _valid(geom_a).intersection(_valid(geom_b))
    area = geodesic_area_m2(shared)
    return area if area >= min_overlap_m2 and area > 0.0 else 0.0


def find_overlaps(
    candidate: BaseGeometry,
    others: Iterable[tuple[K, BaseGeometry]],
    min_overlap_m2: float = 1.0,
) -> list[tuple[K, float]]:
    """Keys of the ``others`` that overlap ``candidate``, with the shared area in m².

    Sorted by shared area, largest first. An STRtree prefilters by bounding box so only
    nearby plots are intersected exactly. When re-checking a stored plot, leave it out
    of ``others`` (it overlaps itself completely). Entries with empty or missing
    geometry are skipped.
    """
    keys: list[K] = []
    geoms: list[BaseGeometry] = []
    for key, geom in others:
        if geom is None or geom.is_empty:
            continue
        keys.append(key)
        geoms.append(geom)
    if not geoms or candidate.is_empty:
        return []
    tree = STRtree(geoms)
    found: list[tuple[K, float]] = []
    for index in tree.query(candidate, predicate="intersects"):
        area = overlaps(candidate, geoms[index], min_overlap_m2)
        if area > 0.0:
            found.append((keys[index], area))
    found.sort(key=lambda item: item[1], reverse=True)
    return found


def area_discrepancy(
    declared_ha: float, measured_ha: float, tolerance: float = 0.10
) -> float | None:
    """Relative difference (measured − declared) / declared if it exceeds ``tolerance``.

    Positive when the drawn boundary is larger than the declared area, negative when
    smaller; ``None`` when within tolerance. A tiny epsilon keeps exact-boundary cases
    (1.0 ha declared, 1.1 ha measured, 10 %) from being flagged by float rounding.

    With nothing declared (0 ha) any measured area is an infinite relative difference
    and ``math.inf`` is returned (``None`` if the measurement is 0 too); callers that
    serialise to JSON should present that case as "no declared area".
    """
    for name, value in (
        ("declared_ha", declared_ha),
        ("measured_ha", measured_ha),
        ("tolerance", tolerance),
    ):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number ≥ 0, not {value!r}")
    if declared_ha == 0:
        return None if measured_ha == 0 else math.inf
    relative = (measured_ha - declared_ha) / declared_ha
    return relative if abs(relative) > tolerance + 1e-9 else None
