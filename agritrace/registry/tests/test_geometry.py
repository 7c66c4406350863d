"""Tests for plot geometry: parsing, validation, geodesic areas and overlaps.

Pure pytest: no database and no Django settings are needed.
"""

import json
import math
import random

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box

from agritrace.registry.geometry import (
    GeometryError,
    area_discrepancy,
    bbox,
    centroid,
    find_overlaps,
    geodesic_area_m2,
    overlaps,
    parse_geojson,
    to_geojson,
)

LON, LAT = 108.05, 12.67  # Buôn Ma Thuột, Đắk Lắk

# WGS 84 metres per degree at latitude LAT (standard series expansion, good to ~1 cm/°).
_PHI = math.radians(LAT)
M_PER_DEG_LAT = 111132.92 - 559.82 * math.cos(2 * _PHI) + 1.175 * math.cos(4 * _PHI)
M_PER_DEG_LON = 111412.84 * math.cos(_PHI) - 93.5 * math.cos(3 * _PHI)


def square(lon: float, lat: float, side_m: float) -> list[list[float]]:
    """Closed ring (counter-clockwise) of a square ``side_m`` metres wide, SW corner at lon, lat."""
    dlon = side_m / M_PER_DEG_LON
    dlat = side_m / M_PER_DEG_LAT
    return [
        [lon, lat],
        [lon + dlon, lat],
        [lon + dlon, lat + dlat],
        [lon, lat + dlat],
        [lon, lat],
    ]


def polygon(ring: list[list[float]], *holes: list[list[float]]) -> dict:
    return {"type": "Polygon", "coordinates": [ring, *holes]}


def sq_geom(lon: float, lat: float, side_m: float) -> Polygon:
    return Polygon(square(lon, lat, side_m))


def error_of(data) -> GeometryError:
    with pytest.raises(GeometryError) as info:
        parse_geojson(data)
    return info.value


# --------------------------------------------------------------------------- area


def test_one_hectare_square_measures_one_hectare():
    geom = parse_geojson(polygon(square(LON, LAT, 100)))
    area = geodesic_area_m2(geom)
    assert area == pytest.approx(10_000, rel=0.01)

    # Independent check: planar area in UTM zone 49N (EPSG:32649); the zone's scale
    # factor at 108°E distorts areas by under 0.2 %.
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True).transform
    assert area == pytest.approx(shapely.transform(geom, to_utm, interleaved=False).area, rel=0.01)


def test_area_is_orientation_independent():
    ring = square(LON, LAT, 100)
    ccw = geodesic_area_m2(Polygon(ring))
    cw = geodesic_area_m2(Polygon(ring[::-1]))
    assert ccw > 0
    assert cw == pytest.approx(ccw)


def test_multipolygon_area_is_sum_of_parts():
    a = square(LON, LAT, 100)
    b = square(LON + 0.01, LAT, 50)
    # Wind the second part the other way: signed areas would partly cancel.
    multi = parse_geojson({"type": "MultiPolygon", "coordinates": [[a], [b[::-1]]]})
    assert isinstance(multi, MultiPolygon)
    expected = geodesic_area_m2(Polygon(a)) + geodesic_area_m2(Polygon(b))
    assert geodesic_area_m2(multi) == pytest.approx(expected)
    assert geodesic_area_m2(multi) == pytest.approx(12_500, rel=0.01)


def test_polygon_with_hole():
    outer = square(LON, LAT, 100)
    hole = square(LON + 30 / M_PER_DEG_LON, LAT + 30 / M_PER_DEG_LAT, 20)
    for hole_ring in (hole, hole[::-1]):  # either winding: the hole always subtracts
        geom = parse_geojson(polygon(outer, hole_ring))
        assert len(geom.interiors) == 1
        assert geodesic_area_m2(geom) == pytest.approx(10_000 - 400, rel=0.01)


def test_lines_and_points_have_no_area():
    assert geodesic_area_m2(sq_geom(LON, LAT, 100).boundary) == 0.0
    assert geodesic_area_m2(Polygon()) == 0.0


# --------------------------------------------------------------------------- parsing ok


def test_feature_and_feature_collection_accepted():
    geometry = polygon(square(LON, LAT, 100))
    feature = {"type": "Feature", "properties": {"name": "Lô 1"}, "geometry": geometry}
    collection = {"type": "FeatureCollection", "features": [feature]}
    plain = parse_geojson(geometry)
    assert parse_geojson(feature).equals(plain)
    assert parse_geojson(collection).equals(plain)
    assert parse_geojson(json.dumps(collection)).equals(plain)
    assert parse_geojson(json.dumps(collection).encode()).equals(plain)


def test_altitude_is_dropped():
    ring = [[*p, 480.0] for p in square(LON, LAT, 100)]
    geom = parse_geojson(polygon(ring))
    assert not geom.has_z


def test_islands_accepted():
    # Phú Quốc, Côn Đảo, Trường Sa (Song Tử Tây), Hoàng Sa (Phú Lâm)
    for lon, lat in [(103.96, 10.22), (106.6, 8.69), (114.33, 11.43), (112.33, 16.83)]:
        assert geodesic_area_m2(parse_geojson(polygon(square(lon, lat, 100)))) > 9_000


# --------------------------------------------------------------------------- rejections


def test_bow_tie_rejected_with_location():
    d = 0.001
    ring = [[LON, LAT], [LON + d, LAT + d], [LON + d, LAT], [LON, LAT + d], [LON, LAT]]
    err = error_of(polygon(ring))
    assert err.code == "self_intersection"
    assert err.location == pytest.approx((LON + d / 2, LAT + d / 2))
    assert "Self-intersection at 108.0505, 12.6705" in err.message
    assert str(err) == err.message
    assert isinstance(err, ValueError)
    assert err.as_dict()["location"] == pytest.approx([LON + d / 2, LAT + d / 2])


@pytest.mark.parametrize(
    "lon, lat",
    [
        (100.50, 13.75),  # Bangkok, Thailand
        (0.0, 0.0),  # "null island": unset coordinates
        (110.2, 14.0),  # open sea between the mainland and Hoàng Sa
    ],
)
def test_outside_vietnam_rejected(lon, lat):
    err = error_of(polygon(square(lon, lat, 100)))
    assert err.code == "outside_vietnam"
    assert err.location is not None
    assert err.location[0] == pytest.approx(lon, abs=0.01)
    assert err.location[1] == pytest.approx(lat, abs=0.01)


def test_multipolygon_with_one_part_outside_vietnam_rejected():
    coords = [[square(LON, LAT, 100)], [square(100.5, 13.75, 100)]]
    err = error_of({"type": "MultiPolygon", "coordinates": coords})
    assert err.code == "outside_vietnam"
    assert err.location[0] == pytest.approx(100.5, abs=0.01)


def test_swapped_lat_lon_gives_hint():
    ring = [[lat, lon] for lon, lat in square(LON, LAT, 100)]
    err = error_of(polygon(ring))
    assert err.code == "bad_coordinates"
    assert "swapped" in err.message
    assert "longitude first" in err.message
    assert "108.05, 12.67" in err.message  # the corrected example
    assert err.location == (LAT, LON)


def test_projected_metres_give_hint():
    ring = [[800000, 1402000], [800100, 1402000], [800100, 1402100], [800000, 1402000]]
    err = error_of(polygon(ring))
    assert err.code == "bad_coordinates"
    assert "metres" in err.message


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "108.05", None, True], ids=repr)
def test_non_numeric_or_non_finite_coordinates_rejected(value):
    ring = square(LON, LAT, 100)
    ring[1] = [value, LAT]
    assert error_of(polygon(ring)).code == "bad_coordinates"


def test_nan_in_json_text_rejected():
    text = json.dumps(polygon(square(LON, LAT, 100))).replace("108.05,", "NaN,", 1)
    assert "NaN" in text
    assert error_of(text).code == "bad_coordinates"


@pytest.mark.parametrize(
    "data",
    [
        "",
        "   ",
        {"type": "Polygon", "coordinates": []},
        {"type": "MultiPolygon", "coordinates": []},
        {"type": "MultiPolygon", "coordinates": [[]]},
        {"type": "Feature", "properties": {}, "geometry": None},
        {"type": "FeatureCollection", "features": []},
    ],
    ids=["blank", "spaces", "polygon", "multipolygon", "multi-empty-part", "null", "fc"],
)
def test_empty_rejected(data):
    assert error_of(data).code == "empty"


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [LON, LAT]},
        {"type": "LineString", "coordinates": [[LON, LAT], [LON + 0.001, LAT]]},
        {"type": "MultiPoint", "coordinates": [[LON, LAT]]},
        {"type": "GeometryCollection", "geometries": []},
        {"type": "polygon", "coordinates": [square(LON, LAT, 100)]},  # type is case-sensitive
    ],
    ids=lambda g: g["type"],
)
def test_non_polygon_rejected(geometry):
    err = error_of(geometry)
    assert err.code == "not_polygon"
    assert geometry["type"] in err.message
    feature = {"type": "Feature", "properties": None, "geometry": geometry}
    assert error_of(feature).code == "not_polygon"


@pytest.mark.parametrize(
    "data",
    [
        "{not json",
        '{"type": "Polygon", "coordinates": [[[108.05, 12.67]',
        "[1, 2, 3]",
        "42",
        b"\xff\xfe",
        {"coordinates": [square(LON, LAT, 100)]},
        {"type": "Polygon"},
        {"type": "Polygon", "coordinates": [[LON, LAT]]},
        {"type": "Polygon", "coordinates": "108.05 12.67"},
        {"type": "Feature", "properties": {}},
    ],
)
def test_invalid_json_rejected(data):
    assert error_of(data).code == "invalid_json"


def test_unclosed_ring_rejected():
    ring = square(LON, LAT, 100)[:-1]  # 4 positions, last != first
    err = error_of(polygon(ring))
    assert err.code == "unclosed_ring"
    assert err.location == (LON, LAT)


def test_ring_with_too_few_positions_rejected():
    ring = [[LON, LAT], [LON + 0.001, LAT], [LON, LAT]]
    assert error_of(polygon(ring)).code == "too_few_positions"
    collapsed = [[LON, LAT]] * 4  # closed, 4 positions, but a single point
    assert error_of(polygon(collapsed)).code == "too_few_positions"


def test_several_features_rejected():
    feature = {"type": "Feature", "properties": {}, "geometry": polygon(square(LON, LAT, 100))}
    err = error_of({"type": "FeatureCollection", "features": [feature, feature]})
    assert err.code == "multiple_features"


def test_hole_outside_shell_rejected():
    outer = square(LON, LAT, 100)
    hole = square(LON + 0.01, LAT, 10)
    err = error_of(polygon(outer, hole))
    assert err.code == "invalid_geometry"
    assert err.location is not None


def test_overlapping_multipolygon_parts_rejected():
    coords = [[square(LON, LAT, 100)], [square(LON + 50 / M_PER_DEG_LON, LAT, 100)]]
    assert error_of({"type": "MultiPolygon", "coordinates": coords}).code == "self_intersection"


def test_too_large_rejected():
    # ~11 km x 11 km = ~12,100 ha: a commune, not a plot.
    err = error_of(polygon(square(LON, LAT, 11_000)))
    assert err.code == "too_large"
    # ~9.5 km x 9.5 km = ~9,025 ha is allowed (large state farms exist).
    assert geodesic_area_m2(parse_geojson(polygon(square(LON, LAT, 9_500)))) < 1e8


# --------------------------------------------------------------------------- output


def test_to_geojson_round_trip():
    ring = square(LON, LAT, 100)
    geom = parse_geojson(polygon(ring[::-1]))  # clockwise in
    out = to_geojson(geom)
    assert out["type"] == "Polygon"
    assert Polygon(out["coordinates"][0]).exterior.is_ccw  # RFC 7946 winding out
    for lon, lat in out["coordinates"][0]:
        assert lon == round(lon, 7) and lat == round(lat, 7)
    json.dumps(out)  # plain lists and floats
    back = parse_geojson(out)
    assert shapely.equals_exact(back.normalize(), geom.normalize(), tolerance=1e-7)

    hole = square(LON + 30 / M_PER_DEG_LON, LAT + 30 / M_PER_DEG_LAT, 20)
    multi = parse_geojson({"type": "MultiPolygon", "coordinates": [[ring, hole]]})
    out = to_geojson(multi)
    assert out["type"] == "MultiPolygon"
    assert len(out["coordinates"][0]) == 2
    assert not Polygon(out["coordinates"][0][1]).exterior.is_ccw  # holes clockwise


def test_bbox_and_centroid():
    geom = box(LON, LAT, LON + 0.002, LAT + 0.001)
    assert bbox(geom) == pytest.approx((LON, LAT, LON + 0.002, LAT + 0.001))
    assert centroid(geom) == pytest.approx((LON + 0.001, LAT + 0.0005))


# --------------------------------------------------------------------------- overlaps


def test_half_overlapping_squares():
    a = sq_geom(LON, LAT, 100)
    b = sq_geom(LON + 50 / M_PER_DEG_LON, LAT, 100)
    assert overlaps(a, b) == pytest.approx(5_000, rel=0.01)
    assert overlaps(b, a) == pytest.approx(overlaps(a, b))


def test_touching_squares_do_not_overlap():
    a = square(LON, LAT, 100)
    east = Polygon([a[1], [2 * a[1][0] - a[0][0], a[1][1]], [2 * a[2][0] - a[3][0], a[2][1]], a[2]])
    assert Polygon(a).touches(east)
    assert overlaps(Polygon(a), east) == 0.0
    corner = box(a[2][0], a[2][1], a[2][0] + 0.001, a[2][1] + 0.001)  # shares one point
    assert overlaps(Polygon(a), corner) == 0.0


def test_min_overlap_threshold():
    a = sq_geom(LON, LAT, 100)
    sliver = sq_geom(LON + 99.9 / M_PER_DEG_LON, LAT, 100)  # ~0.1 m x 100 m = ~10 m²
    assert overlaps(a, sliver) == pytest.approx(10, rel=0.05)
    assert overlaps(a, sliver, min_overlap_m2=50) == 0.0
    far = sq_geom(LON + 0.1, LAT, 100)
    assert overlaps(a, far) == 0.0


def test_find_overlaps_among_many_squares():
    rng = random.Random(20250701)
    candidate = sq_geom(LON, LAT, 200)
    c_min_lon, c_min_lat, c_max_lon, c_max_lat = candidate.bounds

    others = []
    expected = {}
    for i in range(1000):
        # Spread over ~2 km x 2 km around the candidate so a few dozen hit it.
        lon = LON + rng.uniform(-1000, 1200) / M_PER_DEG_LON
        lat = LAT + rng.uniform(-1000, 1200) / M_PER_DEG_LAT
        side = rng.uniform(20, 150)
        geom = sq_geom(lon, lat, side)
        others.append((f"plot-{i}", geom))
        # Axis-aligned squares: the shared area is the product of the overlaps in x and y.
        g_min_lon, g_min_lat, g_max_lon, g_max_lat = geom.bounds
        dx = min(c_max_lon, g_max_lon) - max(c_min_lon, g_min_lon)
        dy = min(c_max_lat, g_max_lat) - max(c_min_lat, g_min_lat)
        if dx > 0 and dy > 0:
            expected[f"plot-{i}"] = dx * M_PER_DEG_LON * dy * M_PER_DEG_LAT

    # A neighbour that only touches, and one wholly inside the candidate.
    others.append(("touching", sq_geom(c_max_lon, LAT, 100)))
    others.append(("inside", sq_geom(LON + 0.0002, LAT + 0.0002, 50)))
    expected["inside"] = 2_500.0

    found = find_overlaps(candidate, iter(others))  # any iterable, even a generator
    found_keys = {key for key, _ in found}
    clear = {k for k, area in expected.items() if area > 2.0}
    borderline = {k for k, area in expected.items() if area <= 2.0}
    assert len(clear) > 10  # the random layout really exercises the search
    assert clear <= found_keys
    assert found_keys <= clear | borderline
    assert "touching" not in found_keys
    for key, area in found:
        assert area == pytest.approx(expected[key], rel=0.01, abs=0.5)
    areas = [area for _, area in found]
    assert areas == sorted(areas, reverse=True)

    assert find_overlaps(candidate, []) == []
    assert find_overlaps(candidate, [("none", None), ("empty", Polygon())]) == []


# --------------------------------------------------------------------------- area_discrepancy


@pytest.mark.parametrize(
    "declared, measured, expected",
    [
        (1.0, 1.0, None),
        (1.0, 1.05, None),
        (1.0, 0.95, None),
        (1.0, 1.1, None),  # exactly at the tolerance: not flagged despite float rounding
        (1.0, 0.9, None),
        (1.0, 1.2, 0.2),
        (2.0, 1.5, -0.25),
        (0.0, 0.0, None),
        (0.0, 0.5, math.inf),
    ],
)
def test_area_discrepancy(declared, measured, expected):
    result = area_discrepancy(declared, measured)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_area_discrepancy_custom_tolerance_and_bad_input():
    assert area_discrepancy(1.0, 1.05, tolerance=0.02) == pytest.approx(0.05)
    assert area_discrepancy(1.0, 1.5, tolerance=0.6) is None
    for bad in [(-1.0, 1.0), (1.0, float("nan")), (1.0, 1.0, -0.1)]:
        with pytest.raises(ValueError):
            area_discrepancy(*bad)
