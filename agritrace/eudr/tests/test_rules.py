"""The EUDR file's rules without a database: a Point inside a plot of up to 4 ha and the
polygon above, six decimals in the text, the right-hand rule after rounding; the forest layer's
reading with every problem named by its field and rule."""

import math

import pytest
from shapely.geometry import Point, Polygon

from agritrace.eudr import scope
from agritrace.eudr.baseline import LayerError, parse_layer
from agritrace.eudr.export import eu_geometry, fixed_decimals
from agritrace.registry import geometry as geo

LON, LAT = 108.08, 12.85


def square(hectares: float, clockwise: bool = False) -> Polygon:
    half = math.sqrt(hectares * 10_000) / 2
    d_lat = half / 111_320
    d_lon = half / (111_320 * math.cos(math.radians(LAT)))
    ring = [(LON - d_lon, LAT - d_lat), (LON + d_lon, LAT - d_lat), (LON + d_lon, LAT + d_lat),
            (LON - d_lon, LAT + d_lat)]  # fmt: skip
    return Polygon(ring[::-1] if clockwise else ring)


def _area(shape) -> float:
    return geo.geodesic_area_m2(shape) / 10_000


@pytest.mark.parametrize("hectares,kind", [(0.4, "Point"), (3.8, "Point"), (4.3, "Polygon")])
def test_a_point_up_to_4_ha_and_a_polygon_above(hectares, kind):
    shape = square(hectares)
    assert _area(shape) == pytest.approx(hectares, rel=0.01)
    geometry = eu_geometry(shape, _area(shape))
    assert geometry["type"] == kind
    if kind == "Point":
        assert shape.contains(Point(geometry["coordinates"]))


def test_exactly_4_ha_is_still_a_point_and_just_above_a_polygon():
    shape = square(4.0)
    assert eu_geometry(shape, 4.0)["type"] == "Point"
    assert eu_geometry(shape, 4.0001)["type"] == "Polygon"
    assert scope.point_max_ha() == 4


def test_an_l_shaped_plot_gets_a_point_inside_it():
    ell = Polygon([(0, 0), (2, 0), (2, 0.2), (0.2, 0.2), (0.2, 2), (0, 2)])
    ell = Polygon([(LON + x / 1000, LAT + y / 1000) for x, y in ell.exterior.coords])
    geometry = eu_geometry(ell, 1.0)
    assert not ell.contains(ell.centroid)  # the centroid would be outside
    assert ell.contains(Point(geometry["coordinates"]))


def test_a_clockwise_plot_is_written_counter_clockwise_with_six_decimals():
    shape = square(9.0, clockwise=True)
    geometry = eu_geometry(shape, _area(shape))
    ring = geometry["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) >= 4
    signed = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:], strict=False))
    assert signed > 0
    text = fixed_decimals({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point",
         "coordinates": [108.08, 12.5]}}]}, 6)  # fmt: skip
    assert "108.080000" in text and "12.500000" in text and '"108' not in text


def test_the_scope_names_coffee_and_its_heading_with_the_source():
    coffee = scope.commodity_of("coffee")
    assert coffee.key == "coffee" and coffee.default_hs_code == "0901"
    assert scope.hs_code_allowed(coffee, "0901 11") and not scope.hs_code_allowed(coffee, "0902")
    assert scope.commodity_of("durian") is None
    assert "2023/1115" in scope.scope_data()["source"]
    for rule in scope.format_data()["rules"].values():
        assert "source" in rule and "confirmed" in rule


def _layer(geometry: dict) -> dict:
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": geometry}]}  # fmt: skip


GOOD = {"type": "Polygon", "coordinates": [[[108.0, 12.7], [108.01, 12.7], [108.01, 12.71],
        [108.0, 12.71], [108.0, 12.7]]]}  # fmt: skip


def test_a_good_layer_is_read():
    shape, count = parse_layer(_layer(GOOD))
    assert count == 1 and shape.geom_type == "MultiPolygon" and shape.is_valid


@pytest.mark.parametrize(
    "data,field,words",
    [
        ("{not json", "geojson", "JSON"),
        ({**_layer(GOOD), "crs": {}}, "geojson.crs", "crs"),
        ({"type": "FeatureCollection", "features": []}, "geojson.features", "no features"),
        (_layer({"type": "LineString", "coordinates": [[108, 12], [108.1, 12]]}),
         "geojson.features[0].geometry.type", "Polygon"),
        (_layer({"type": "Polygon", "coordinates": [[[108.0, 12.7], [108.01, 12.7],
         [108.01, 12.71], [108.0, 12.71]]]}),
         "geojson.features[0].geometry.coordinates[0]", "closed"),
        (_layer({"type": "Polygon", "coordinates": [[[12.7, 108.0], [12.7, 108.01],
         [12.71, 108.01], [12.7, 108.0]]]}),
         "geojson.features[0].geometry.coordinates[0][0]", "latitude"),
        (_layer({"type": "Polygon", "coordinates": [[[108.0, 12.7], [108.01, 12.71],
         [108.01, 12.7], [108.0, 12.71], [108.0, 12.7]]]}),
         "geojson.features[0].geometry", "not valid"),
        (_layer({"type": "Polygon", "coordinates": [[[2.0, 48.0], [2.1, 48.0], [2.1, 48.1],
         [2.0, 48.0]]]}), "geojson.features[0].geometry", "outside Viet Nam"),
    ],
)  # fmt: skip
def test_a_bad_layer_names_the_field_and_the_rule(data, field, words):
    with pytest.raises(LayerError) as caught:
        parse_layer(data)
    assert caught.value.field == field
    assert words in caught.value.message


def test_a_multipolygon_with_a_hole_keeps_the_right_hand_rule():
    from shapely.geometry import MultiPolygon

    outer = square(9.0)
    hole = square(1.0, clockwise=False)  # written counter-clockwise: must come out clockwise
    far = Polygon([(x + 0.01, y) for x, y in square(6.0).exterior.coords])
    shape = MultiPolygon([Polygon(outer.exterior.coords, [hole.exterior.coords]), far])
    geometry = eu_geometry(shape, _area(shape))
    assert geometry["type"] == "MultiPolygon" and len(geometry["coordinates"]) == 2

    def signed(ring):
        return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:], strict=False))

    first = geometry["coordinates"][0]
    assert signed(first[0]) > 0 and signed(first[1]) < 0


def _file(geometry: dict, **props) -> str:
    base = {"ProducerName": "A", "ProducerCountry": "VN", "ProductionPlace": "P"}
    feature = {"type": "Feature", "properties": {**base, **props}, "geometry": geometry}
    return fixed_decimals({"type": "FeatureCollection", "features": [feature]}, 6)


def test_the_checker_finds_what_the_eu_refuses():
    from agritrace.eudr.tests.geojson_check import problems_of, schema_problems

    ring = [[108.0, 12.7], [108.01, 12.7], [108.01, 12.71], [108.0, 12.71], [108.0, 12.7]]
    good = _file({"type": "Polygon", "coordinates": [ring]})
    assert problems_of(good) == [] and schema_problems(good) == []
    clockwise = _file({"type": "Polygon", "coordinates": [ring[::-1]]})
    assert any("counter-clockwise" in p for p in problems_of(clockwise))
    five = good.replace("108.000000", "108.00000")
    assert any("6 decimals" in p for p in problems_of(five))
    unclosed = _file({"type": "Polygon", "coordinates": [ring[:-1]]})
    assert any("not closed" in p for p in problems_of(unclosed))
    swapped = _file({"type": "Point", "coordinates": [12.7, 108.0]}, Area=1.0)
    assert any("out of range" in p for p in problems_of(swapped)) and schema_problems(swapped)
    no_area = _file({"type": "Point", "coordinates": [108.0, 12.7]})
    assert any("Area" in p for p in problems_of(no_area)) and schema_problems(no_area)
    with_crs = good.replace('"type": "FeatureCollection"', '"crs": {}, "type": "FeatureCollection"')
    assert any("crs" in p for p in problems_of(with_crs)) and schema_problems(with_crs)
    country = _file({"type": "Point", "coordinates": [108.0, 12.7]}, Area=1.0,
                    ProducerCountry="VNM")  # fmt: skip
    assert any("ProducerCountry" in p for p in problems_of(country))
