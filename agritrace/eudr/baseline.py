"""The forest baseline layers: reading a province's GeoJSON (every problem named by its field
and rule), importing it in one transaction (audited), and which of them a plot overlaps.

A layer is a FeatureCollection of Polygon or MultiPolygon features (or one such Feature or
geometry), WGS 84 longitude, latitude (RFC 7946). Unlike a plot, a layer may be as large as a
national park, so the plot's size limit does not apply; each polygon must still be valid, and
inside Viet Nam's boxes (registry.geometry.VIETNAM_BOXES)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from agritrace.accounts.access import Actor
from agritrace.audit.services import record, snapshot
from agritrace.registry import geometry as geo

from . import access
from .models import ForestBaseline

#: At most this many positions in one layer (a province's forest map of a few thousand
#: polygons stays far below; the request body limit applies first).
MAX_POSITIONS = 2_000_000


class LayerError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _position(value: Any, field: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        raise LayerError(field, _("A position is a list of 2 numbers: longitude, latitude."))
    for number in value:
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise LayerError(field, _("A coordinate must be a number."))
        if not math.isfinite(number):
            raise LayerError(field, _("A coordinate must be a finite number."))
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise LayerError(
            field,
            _("Longitude must be from -180 to 180 and latitude from -90 to 90 (longitude first)."),
        )
    return lon, lat


def _ring(value: Any, field: str, counter: list[int]) -> list[tuple[float, float]]:
    if not isinstance(value, list):
        raise LayerError(field, _("A ring must be a list of positions."))
    counter[0] += len(value)
    if counter[0] > MAX_POSITIONS:
        raise LayerError(field, _("The layer has too many positions; simplify it."))
    positions = [_position(p, f"{field}[{i}]") for i, p in enumerate(value)]
    if len(positions) < 4:
        raise LayerError(field, _("A ring needs at least 4 positions (the first repeated last)."))
    if positions[0] != positions[-1]:
        raise LayerError(field, _("A ring must end on its first position (closed)."))
    return positions


def _polygon(value: Any, field: str, counter: list[int]) -> Polygon:
    if not isinstance(value, list) or not value:
        raise LayerError(field, _("A polygon must be a non-empty list of rings."))
    rings = [_ring(r, f"{field}[{i}]", counter) for i, r in enumerate(value)]
    return Polygon(rings[0], rings[1:])


def _geometry(value: Any, field: str, counter: list[int]) -> Polygon | MultiPolygon:
    if not isinstance(value, dict):
        raise LayerError(field, _("The geometry must be a GeoJSON object."))
    kind = value.get("type")
    coordinates = value.get("coordinates")
    if kind == "Polygon":
        geom: Polygon | MultiPolygon = _polygon(coordinates, f"{field}.coordinates", counter)
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise LayerError(f"{field}.coordinates", _("A MultiPolygon needs polygons."))
        geom = MultiPolygon(
            [_polygon(p, f"{field}.coordinates[{i}]", counter) for i, p in enumerate(coordinates)]
        )
    else:
        raise LayerError(f"{field}.type", _("Only Polygon and MultiPolygon geometries are read."))
    reason = shapely.is_valid_reason(geom)
    if reason != "Valid Geometry":
        raise LayerError(field, _("The polygon is not valid (%(reason)s).") % {"reason": reason})
    if not any(
        b[0] <= geom.bounds[0]
        and b[1] <= geom.bounds[1]
        and geom.bounds[2] <= b[2]
        and geom.bounds[3] <= b[3]
        for b in geo.VIETNAM_BOXES
    ):
        raise LayerError(field, _("The polygon is outside Viet Nam (WGS 84 degrees expected)."))
    return geom


def parse_layer(data: Any) -> tuple[MultiPolygon, int]:
    """The layer's polygons as one MultiPolygon and the number of features read; LayerError
    names the field (`features[3].geometry.coordinates[0][5]`) and the rule."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise LayerError("geojson", _("Not valid JSON: %(e)s") % {"e": exc}) from None
    if not isinstance(data, dict):
        raise LayerError("geojson", _("The layer must be a GeoJSON object."))
    if "crs" in data:
        raise LayerError("geojson.crs", _("RFC 7946 GeoJSON has no crs member: use WGS 84."))
    counter = [0]
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or not features:
            raise LayerError("geojson.features", _("The FeatureCollection has no features."))
        items = [(f, f"geojson.features[{i}]") for i, f in enumerate(features)]
    elif kind == "Feature":
        items = [(data, "geojson")]
    else:
        items = [({"type": "Feature", "geometry": data}, "")]
    parts: list[Polygon] = []
    for feature, field in items:
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise LayerError(f"{field}.type", _("Each item must be a GeoJSON Feature."))
        where = f"{field}.geometry" if field else "geojson"
        geom = _geometry(feature.get("geometry"), where, counter)
        parts.extend(getattr(geom, "geoms", [geom]))
    return MultiPolygon(parts), len(items)


@dataclass
class LayerIn:
    name: str
    source: str
    source_date: date | None
    geojson: Any


def import_layer(actor: Actor, data: LayerIn) -> ForestBaseline:
    """Read and store a layer for the actor's province, all or nothing, audited."""
    access.require_import(actor)
    errors: dict[str, list[str]] = {}
    if not (data.name or "").strip():
        errors["name"] = [_("Give the layer a name.")]
    if not (data.source or "").strip():
        errors["source"] = [_("Say where the layer comes from (its source).")]
    if data.source_date is None:
        errors["source_date"] = [_("Give the date of the layer.")]
    try:
        shape, count = parse_layer(data.geojson)
    except LayerError as exc:
        errors[exc.field] = [exc.message]
        shape, count = None, 0
    if errors:
        raise ValidationError(errors)
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    layer = ForestBaseline(
        name=data.name.strip(),
        source=data.source.strip(),
        source_date=data.source_date,
        province_id=actor.province_id,
        geometry=geo.to_geojson(shape),
        feature_count=count,
        area_m2=geo.geodesic_area_m2(shape),
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
        imported_by=actor.user,
    )
    with transaction.atomic():
        layer.save()
        record(actor.user, "eudr.baseline.import", layer, None, snapshot(layer, ("geometry",)))
    return layer


def layer_shape(layer: ForestBaseline) -> BaseGeometry:
    return shapely.geometry.shape(layer.geometry)


@dataclass
class Overlap:
    layer: ForestBaseline
    area_m2: float

    @property
    def area_ha(self) -> float:
        return self.area_m2 / 10_000


class Baselines:
    """The layers near some plots, read once (bounding boxes first), with their polygons in
    an STRtree so each plot is intersected only with the polygons near it."""

    def __init__(self, bounds: tuple[float, float, float, float]) -> None:
        min_lon, min_lat, max_lon, max_lat = bounds
        self.layers = list(
            ForestBaseline.objects.filter(
                min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat,
                max_lat__gte=min_lat,
            ).order_by("id")
        )  # fmt: skip
        self.parts: list[BaseGeometry] = []
        self.owner: list[ForestBaseline] = []
        for layer in self.layers:
            for part in getattr(layer_shape(layer), "geoms", []):
                self.parts.append(part)
                self.owner.append(layer)
        self.tree = STRtree(self.parts) if self.parts else None

    def overlaps(self, plot_shape: BaseGeometry) -> list[Overlap]:
        if self.tree is None:
            return []
        found: dict[int, Overlap] = {}
        for index in self.tree.query(plot_shape, predicate="intersects"):
            area = geo.overlaps(plot_shape, self.parts[index])
            if area > 0:
                layer = self.owner[index]
                found.setdefault(layer.pk, Overlap(layer, 0.0)).area_m2 += area
        return sorted(found.values(), key=lambda o: -o.area_m2)
