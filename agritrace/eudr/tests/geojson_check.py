"""An RFC 7946 checker for the EUDR geolocation file, written for the tests (no GeoJSON
validator is a dependency): member types, coordinate order and ranges, exactly the file's
decimals in the text, closed rings of four or more positions, the right-hand rule (exterior
counter-clockwise, holes clockwise), no `crs` member, the EU's named properties, a Point only
up to 4 ha and a polygon above; and the JSON Schema of data/eu_geojson.schema.json."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import jsonschema

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "eu_geojson.schema.json"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _signed_area(ring: list) -> float:
    return (
        sum(
            float(a[0]) * float(b[1]) - float(b[0]) * float(a[1])
            for a, b in zip(ring, ring[1:], strict=False)
        )
        / 2
    )


def _position(p, where: str, decimals: int, problems: list[str]) -> None:
    if not isinstance(p, list) or len(p) != 2:
        problems.append(f"{where}: a position is [longitude, latitude]")
        return
    lon, lat = p
    if not (isinstance(lon, Decimal) and isinstance(lat, Decimal)):
        problems.append(f"{where}: coordinates must be numbers")
        return
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        problems.append(f"{where}: out of range (longitude first)")
    for value in (lon, lat):
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int) or -exponent != decimals:
            problems.append(f"{where}: {value} is not written with {decimals} decimals")


def _ring(ring, where: str, decimals: int, exterior: bool, problems: list[str]) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        problems.append(f"{where}: a ring has at least 4 positions")
        return
    for i, p in enumerate(ring):
        _position(p, f"{where}[{i}]", decimals, problems)
    if ring[0] != ring[-1]:
        problems.append(f"{where}: the ring is not closed")
    area = _signed_area(ring)
    if exterior and area <= 0:
        problems.append(f"{where}: the exterior ring is not counter-clockwise")
    if not exterior and area >= 0:
        problems.append(f"{where}: a hole is not clockwise")


def _polygon(rings, where: str, decimals: int, problems: list[str]) -> None:
    if not isinstance(rings, list) or not rings:
        problems.append(f"{where}: a polygon is a list of rings")
        return
    for i, ring in enumerate(rings):
        _ring(ring, f"{where}[{i}]", decimals, i == 0, problems)


def problems_of(text: str, decimals: int = 6, point_max_ha: float = 4.0) -> list[str]:
    """Every departure of the file's text from RFC 7946 and the EU's rules (empty: valid)."""
    doc = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    problems: list[str] = []
    if doc.get("type") != "FeatureCollection":
        problems.append("the file is a FeatureCollection")
    if "crs" in doc:
        problems.append("RFC 7946 has no crs member")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        return [*problems, "features: a non-empty list"]
    for n, f in enumerate(features):
        where = f"features[{n}]"
        if f.get("type") != "Feature" or "crs" in f:
            problems.append(f"{where}: a Feature without crs")
        props = f.get("properties") or {}
        for name in ("ProducerName", "ProducerCountry", "ProductionPlace"):
            if not isinstance(props.get(name), str) or not props[name]:
                problems.append(f"{where}.properties.{name}: required text")
        if not re.fullmatch(r"[A-Z]{2}", str(props.get("ProducerCountry", ""))):
            problems.append(f"{where}.properties.ProducerCountry: ISO 3166 alpha-2")
        g = f.get("geometry") or {}
        kind, coords = g.get("type"), g.get("coordinates")
        if "crs" in g:
            problems.append(f"{where}.geometry: no crs")
        if kind == "Point":
            _position(coords, f"{where}.geometry.coordinates", decimals, problems)
            area = props.get("Area")
            if not isinstance(area, Decimal) or not 0 < area <= Decimal(str(point_max_ha)):
                problems.append(f"{where}.properties.Area: a Point's area, more than 0, <= 4 ha")
        elif kind == "Polygon":
            _polygon(coords, f"{where}.geometry.coordinates", decimals, problems)
        elif kind == "MultiPolygon":
            for i, poly in enumerate(coords or []):
                _polygon(poly, f"{where}.geometry.coordinates[{i}]", decimals, problems)
        else:
            problems.append(f"{where}.geometry.type: Point, Polygon or MultiPolygon")
        if kind in ("Polygon", "MultiPolygon") and "AgriTraceAreaHa" in props:
            if props["AgriTraceAreaHa"] <= Decimal(str(point_max_ha)):
                problems.append(f"{where}: a polygon for a plot of at most 4 ha")
    return problems


def schema_problems(text: str) -> list[str]:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(json.loads(text))
    ]
