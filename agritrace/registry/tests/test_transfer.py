import copy
import csv
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from openpyxl import load_workbook

from agritrace.audit.models import AuditEntry
from agritrace.audit.services import verify
from agritrace.registry.models import Household, PlantingArea, Plot
from agritrace.registry.transfer import (
    COLUMNS,
    ImportFailed,
    export,
    export_geojson,
    feature_lines,
    import_plots,
)
from conftest import make_area, square


def _counts() -> tuple[int, ...]:
    return (
        PlantingArea.objects.count(),
        Household.objects.count(),
        Plot.objects.count(),
        AuditEntry.objects.count(),
    )


# ------------------------------------------------------------------ export


@pytest.mark.django_db
def test_it_exports_plots_as_geojson(world):
    area, _app = make_area(world, households=2)
    doc = export_geojson(world.actor("coop"))
    assert doc["type"] == "FeatureCollection"
    assert len(doc["features"]) == 2
    props = doc["features"][0]["properties"]
    assert set(props) == set(COLUMNS)
    assert props["area"] == area.name
    assert props["representative"] == world.orgs["coop"].name
    assert props["crop"] == "durian"
    assert props["province"] == "Đắk Lắk"
    assert props["commune"] == area.commune.name
    assert props["markets"] == ["CN"]
    assert len(props["national_id"]) == 12
    assert props["plot_area_ha"] == pytest.approx(1.0, rel=0.01)
    assert doc["features"][0]["geometry"]["type"] == "Polygon"


@pytest.mark.django_db
def test_csv_and_xlsx_hold_the_same_rows(world):
    make_area(world, households=3)
    actor = world.actor("province")
    text = export(actor, "csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    assert list(rows[0]) == [*COLUMNS, "geometry"]
    assert json.loads(rows[0]["geometry"])["type"] == "Polygon"
    sheet = load_workbook(io.BytesIO(export(actor, "xlsx"))).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == [*COLUMNS, "geometry"]
    assert [r[COLUMNS.index("label")] for r in values[1:]] == [r["label"] for r in rows]
    assert [r[COLUMNS.index("national_id")] for r in values[1:]] == [r["national_id"] for r in rows]


@pytest.mark.django_db
def test_export_is_scoped_to_the_actor(world):
    make_area(world, households=2)
    assert export_geojson(world.actor("other_coop"))["features"] == []
    assert export_geojson(world.actor("other_ppo"))["features"] == []
    assert export_geojson(world.actor("exporter"))["features"] == []
    assert len(export_geojson(world.actor("commune"))["features"]) == 2
    # the operator on the command line (no actor) sees everything
    assert len(export_geojson(None)["features"]) == 2


@pytest.mark.django_db
def test_export_refuses_an_unknown_format(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        export(world.actor("coop"), "kml")
    assert "format" in exc.value.message_dict


# ------------------------------------------------------------------ import


@pytest.mark.django_db
def test_export_then_import_gives_back_the_same_plots(world):
    coop = world.actor("coop")
    with transaction.atomic():
        make_area(world, households=3)
        exported = export(coop, "geojson")
        before = export_geojson(coop)
        transaction.set_rollback(True)
    assert PlantingArea.objects.count() == 0

    result = import_plots(coop, exported)
    assert (result.areas_created, result.households_created, result.plots_created) == (1, 3, 3)
    after = export_geojson(coop)
    assert after == before
    area = PlantingArea.objects.get()
    assert area.households.count() == 3
    assert area.applications.get().status == "draft"
    assert verify().ok
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"area.create", "household.create", "plot.save", "area.households"} <= actions


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(world):
    coop = world.actor("coop")
    make_area(world, households=2)
    exported = export(coop, "geojson")
    counts = _counts()
    result = import_plots(coop, exported)
    assert result.plots_unchanged == 2
    assert result.plots_created == result.plots_updated == 0
    assert _counts() == counts


@pytest.mark.django_db
def test_import_moves_a_plot_and_adds_a_household(world):
    coop = world.actor("coop")
    area, _app = make_area(world, households=2)
    doc = export_geojson(coop)
    moved = doc["features"][0]
    moved["geometry"] = square(108.06, 12.68, 120)
    newcomer = copy.deepcopy(doc["features"][1])
    newcomer["properties"].update(
        household="Trần Thị Lan", national_id="066190123456", label="Tờ 3, thửa 9"
    )
    newcomer["geometry"] = square(108.07, 12.68, 80)
    doc["features"].append(newcomer)

    result = import_plots(coop, json.dumps(doc))
    assert (result.plots_updated, result.plots_created, result.households_created) == (1, 1, 1)
    assert area.households.filter(national_id="066190123456").exists()
    plot = Plot.objects.get(area=area, label=moved["properties"]["label"])
    assert plot.area_m2 == pytest.approx(14_400, rel=0.02)


@pytest.mark.django_db
def test_a_bad_feature_changes_nothing_and_is_named(world):
    coop = world.actor("coop")
    make_area(world, households=2)
    doc = export_geojson(coop)
    for feature in doc["features"]:
        feature["properties"]["label"] += " (new)"
    # a bow-tie: the boundary crosses itself
    doc["features"][1]["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [[108.1, 12.7], [108.101, 12.701], [108.101, 12.7], [108.1, 12.701], [108.1, 12.7]]
        ],
    }
    text = json.dumps(doc, indent=2)
    counts = _counts()

    with pytest.raises(ImportFailed) as exc:
        import_plots(coop, text)
    assert len(exc.value.problems) == 1
    problem = exc.value.problems[0]
    second_line = feature_lines(text)[1]
    assert problem.startswith(f"Feature 2 (line {second_line}), geometry:")
    assert _counts() == counts  # the first, good feature was undone too


@pytest.mark.django_db
def test_every_bad_feature_is_reported(world):
    coop = world.actor("coop")
    make_area(world, households=1)
    doc = export_geojson(coop)
    good = doc["features"][0]
    doc["features"] = [
        {**good, "properties": {**good["properties"], "label": ""}},
        {**good, "properties": {**good["properties"], "household": ""}},
        "not a feature",
        {**good, "properties": {**good["properties"], "area_code": "VN-XXOR-12"}},
        {**good, "properties": {**good["properties"], "markets": 5, "area": "New", "label": "x"}},
    ]
    with pytest.raises(ImportFailed) as exc:
        import_plots(coop, json.dumps(doc))
    problems = exc.value.problems
    assert any(p.startswith("Feature 1") and "label" in p for p in problems)
    assert any(p.startswith("Feature 2") and "household" in p for p in problems)
    assert any(p.startswith("Feature 3") and "type" in p for p in problems)
    assert any(p.startswith("Feature 4") and "area_code" in p for p in problems)
    assert any(p.startswith("Feature 5") and "markets" in p for p in problems)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{\n  "type": "FeatureCollection",\n  "features": [\n}', "line 4"),
        ('{"type": "Feature", "geometry": null}', "FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "no features"),
        ("[1, 2]", "FeatureCollection"),
        (b"\xff\xfe not utf-8", "not valid"),
    ],
)
def test_it_refuses_what_is_not_a_feature_collection(world, text, expected):
    with pytest.raises(ImportFailed) as exc:
        import_plots(world.actor("coop"), text)
    assert expected in exc.value.problems[0]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["packing", "exporter", "lab", "commune", "ministry"])
def test_roles_that_do_not_keep_the_registry_may_not_import(world, key):
    make_area(world, households=1)
    exported = export(world.actor("coop"), "geojson")
    with pytest.raises(PermissionDenied):
        import_plots(world.actor(key), exported)


@pytest.mark.django_db
def test_another_representative_cannot_reach_an_area_by_its_code(world):
    from conftest import walk_to_issued

    _area, app = make_area(world, households=1)
    walk_to_issued(world, app)
    doc = export_geojson(world.actor("coop"))
    assert doc["features"][0]["properties"]["area_code"] == "VN-DLOR-0001"
    counts = _counts()
    with pytest.raises(ImportFailed) as exc:
        import_plots(world.actor("other_coop"), json.dumps(doc))
    assert "area_code" in exc.value.problems[0]
    assert "VN-DLOR-0001" in exc.value.problems[0]
    assert _counts() == counts


@pytest.mark.django_db
def test_an_authority_names_the_representative(world):
    coop = world.actor("coop")
    with transaction.atomic():
        make_area(world, households=1)
        doc = export_geojson(coop)
        transaction.set_rollback(True)
    del doc["features"][0]["properties"]["representative"]
    with pytest.raises(ImportFailed) as exc:
        import_plots(world.actor("ppo"), json.dumps(doc))
    assert "representative" in exc.value.problems[0]

    doc["features"][0]["properties"]["representative"] = world.orgs["coop"].name
    result = import_plots(world.actor("ppo"), json.dumps(doc))
    assert result.areas_created == 1
    assert PlantingArea.objects.get().representative == world.orgs["coop"]


@pytest.mark.django_db
def test_an_id_number_must_match_the_household_name(world):
    coop = world.actor("coop")
    make_area(world, households=1)
    doc = export_geojson(coop)
    doc["features"][0]["properties"]["household"] = "Someone Else"
    with pytest.raises(ImportFailed) as exc:
        import_plots(coop, json.dumps(doc))
    assert "national_id" in exc.value.problems[0]
    assert "Someone Else" in exc.value.problems[0]


def test_feature_lines_finds_where_each_feature_starts():
    text = (
        '{\n "type": "FeatureCollection",\n "name": "x",\n "features": [\n  {"a": 1},\n\n'
        '  {"b": [\n2]}\n ]\n}'
    )
    assert feature_lines(text) == [5, 7]
    assert feature_lines('{"features": [{}, {}, {}]}') == [1, 1, 1]
    assert feature_lines("[]") is None
    assert feature_lines('{"features": [{}') is None
