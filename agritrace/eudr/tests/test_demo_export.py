"""The demo's coffee lot for the EU, exported as the EU Information System's GeoJSON: valid
RFC 7946 with the EU's properties (the checker of geojson_check.py and the JSON Schema), points
up to 4 ha and a polygon above, the plot under the forest layer flagged and the others not; its
PDF; the exporter's and the province's access, and everyone else's refusal."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils import translation

from agritrace.accounts.access import Actor
from agritrace.audit.models import AuditEntry
from agritrace.demo import build_demo
from agritrace.eudr import export
from agritrace.eudr.demo import EXPORT_LOT, LARGE_PLOT_HA
from agritrace.eudr.models import ForestBaseline
from agritrace.eudr.tests.geojson_check import problems_of, schema_problems
from agritrace.registry.models import PlantingArea
from agritrace.trace.models import Lot

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), translation.override("en"), transaction.atomic():
        build_demo(seed=2026)
        c1 = PlantingArea.objects.get(name="Vùng cà phê Robusta Buôn Sah")
        lot = Lot.objects.get(uri__endswith=f":{c1.code}:{EXPORT_LOT}")
        yield {"lot": lot.uri, "area": c1}
        transaction.set_rollback(True)


def _client(username: str) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def _actor(username: str) -> Actor:
    return Actor.of(get_user_model().objects.get(username=username))


def test_the_demo_lot_is_valid_rfc7946_with_the_eu_properties(demo):
    r = _client("exporter").get(f"/api/eudr/lots/{demo['lot']}/geojson")
    assert r.status_code == 200, r.content
    assert r["Content-Type"] == "application/geo+json"
    text = r.content.decode()
    assert problems_of(text) == []
    assert schema_problems(text) == []
    strict = _client("exporter").get(f"/api/eudr/lots/{demo['lot']}/geojson?strict=true")
    assert problems_of(strict.content.decode()) == []
    props = json.loads(strict.content)["features"][0]["properties"]
    assert set(props) <= {"ProducerName", "ProducerCountry", "ProductionPlace", "Area"}


def test_points_up_to_4_ha_and_a_polygon_above(demo):
    s = export.statement(_actor("exporter"), demo["lot"])
    kinds = {(p.kind, p.area_ha > 4) for p in s.plots}
    assert kinds == {("Point", False), ("Polygon", True)}
    large = [p for p in s.plots if p.kind == "Polygon"]
    assert len(large) == 1 and large[0].area_ha == pytest.approx(LARGE_PLOT_HA, rel=0.25)
    for p in s.plots:
        if p.kind == "Point":
            from shapely.geometry import Point

            assert p.shape.contains(Point(p.geometry["coordinates"]))
    assert s.hs_code == "0901" and s.country_of_production == "VN"
    assert s.operator.name == "Công ty CP Xuất nhập khẩu Đắk Lắk"
    assert s.net_mass_kg and s.net_mass_kg > 0
    assert "Hamburg" in " ".join(s.destinations)


def test_the_plot_under_the_forest_layer_is_flagged_and_no_other(demo):
    s = export.statement(_actor("officer"), demo["lot"])
    assert ForestBaseline.objects.count() == 1
    flagged = s.flagged
    assert len(flagged) == 1
    assert 0 < flagged[0].forest_ha < 0.5
    assert all(not p.overlaps for p in s.plots if p is not flagged[0])
    feature = next(
        f for f in s.feature_collection()["features"]
        if f["properties"]["AgriTracePlotId"] == flagged[0].plot.pk
    )  # fmt: skip
    assert feature["properties"]["AgriTraceForestOverlap"] is True
    assert feature["properties"]["AgriTraceForestOverlapHa"] > 0


def test_the_pdf_summary_and_the_audit(demo):
    before = AuditEntry.objects.filter(action__startswith="eudr.export").count()
    r = _client("exporter").get(f"/api/eudr/lots/{demo['lot']}/statement.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    import pypdfium2

    pdf = pypdfium2.PdfDocument(r.content)
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "0901" in text and "VN" in text and "overlaps" in text
    assert AuditEntry.objects.filter(action="eudr.export.pdf").count() == 1
    assert AuditEntry.objects.filter(action__startswith="eudr.export").count() == before + 1


def test_who_may_export_the_lot(demo):
    uri = demo["lot"]
    for username, status in [
        ("exporter", 200), ("officer", 200), ("inspector", 200), ("ministry", 200),
        ("exporter2", 404), ("coop2", 403), ("packing", 403), ("lab", 403), ("household", 403),
    ]:  # fmt: skip
        r = _client(username).get(f"/api/eudr/lots/{uri}/statement")
        assert r.status_code == status, (username, r.content)
    assert Client().get(f"/api/eudr/lots/{uri}/geojson").status_code == 401
    lots = _client("exporter").get("/api/eudr/lots").json()
    assert uri in [x["lot"] for x in lots["items"]]
    assert uri not in [x["lot"] for x in _client("exporter2").get("/api/eudr/lots").json()["items"]]


def test_a_durian_lot_is_refused_naming_the_product(demo):
    durian = Lot.objects.filter(crop__code="durian").exclude(uri__contains="G-C1").first()
    r = _client("officer").get(f"/api/eudr/lots/{durian.uri}/geojson")
    assert r.status_code == 422, r.content
    assert "product" in r.json()["errors"]


def test_an_hs_code_outside_the_annex_heading_is_refused(demo):
    r = _client("exporter").get(f"/api/eudr/lots/{demo['lot']}/statement?hs_code=0902")
    assert r.status_code == 422 and "hs_code" in r.json()["errors"]
    ok = _client("exporter").get(f"/api/eudr/lots/{demo['lot']}/statement?hs_code=090111")
    assert ok.status_code == 200 and ok.json()["hsCode"] == "090111"


def test_a_plot_with_an_invalid_boundary_is_refused_naming_it(demo):
    from agritrace.registry.models import Plot

    s = export.statement(_actor("officer"), demo["lot"])
    plot = s.plots[1].plot
    bowtie = {"type": "Polygon", "coordinates": [[[108.08, 12.85], [108.082, 12.852],
              [108.082, 12.85], [108.08, 12.852], [108.08, 12.85]]]}  # fmt: skip
    Plot.objects.filter(pk=plot.pk).update(geometry=bowtie)
    r = _client("exporter").get(f"/api/eudr/lots/{demo['lot']}/geojson")
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["plots[1].geometry"]
    assert "Self-intersection" in r.json()["errors"]["plots[1].geometry"][0]


def test_a_coffee_lot_whose_harvest_names_no_plot_is_refused(demo):
    from decimal import Decimal

    from django.utils import timezone

    from agritrace.accounts.models import Organisation
    from agritrace.trace import builders
    from agritrace.trace import services as trace

    area = demo["area"]
    lot = trace.lot_uri(area.code, "H-C1-NOPLOT")
    now = timezone.now()
    harvest = builders.harvest(area=area, lot=lot, harvest_date=timezone.localdate(),
                               amount=Decimal(100), uom="KGM", moment=now)  # fmt: skip
    trace.capture(_actor("coop2"), builders.document([harvest.event]))
    shipped = builders.shipping(
        lots=[(lot, Decimal(100), "KGM", "")], origin=trace.location_uri(area.code), moment=now,
        shipper=Organisation.objects.get(name="Công ty CP Xuất nhập khẩu Đắk Lắk"),
        destination_country="EU",
    )  # fmt: skip
    trace.capture(_actor("exporter"), builders.document([shipped.event]))
    r = _client("exporter").get(f"/api/eudr/lots/{lot}/statement")
    assert r.status_code == 422 and list(r.json()["errors"]) == ["plots"]


def test_the_province_imports_a_forest_layer_all_or_nothing(demo):
    before = ForestBaseline.objects.count()
    square = [[108.3, 12.7], [108.31, 12.7], [108.31, 12.71], [108.3, 12.71], [108.3, 12.7]]
    body = {
        "name": "Rừng phòng hộ",
        "source": "Chi cục Kiểm lâm (test)",
        "source_date": "2020-12-31",
        "geojson": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
             "coordinates": [square]}},
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
             "coordinates": [square[:-1]]}},
        ]},
    }  # fmt: skip
    officer = _client("officer")
    r = officer.post("/api/eudr/forest-baselines", body, content_type="application/json")
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["geojson.features[1].geometry.coordinates[0]"]
    assert ForestBaseline.objects.count() == before  # nothing of it kept
    body["geojson"]["features"].pop()
    r = officer.post("/api/eudr/forest-baselines", body, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["feature_count"] == 1 and r.json()["province"] == "Đắk Lắk"
    assert AuditEntry.objects.filter(action="eudr.baseline.import").count() == 2
    for username in ("viewer", "exporter", "coop2"):
        refused = _client(username).post(
            "/api/eudr/forest-baselines", body, content_type="application/json"
        )
        assert refused.status_code == 403, username


def test_the_page_previews_the_lot_and_explains_a_refusal(demo):
    exporter = _client("exporter")
    r = exporter.get("/eudr/", {"lot": demo["lot"]})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="eudr-map"' in html and 'data-flagged="true"' in html
    assert "/api/eudr/lots/" in html and "statement.pdf" in html
    assert "baseline-form" not in html  # an exporter imports no layer
    durian = Lot.objects.filter(crop__code="durian", uri__contains="VN-DLPH-0001").first()
    refused = exporter.get("/eudr/", {"lot": durian.uri})
    assert refused.status_code == 200 and 'id="eudr-refused"' in refused.content.decode()
    assert _client("exporter2").get("/eudr/", {"lot": demo["lot"]}).status_code == 404
    assert "baseline-form" in _client("officer").get("/eudr/").content.decode()


def test_the_command_writes_the_geojson_and_the_pdf(demo, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "lot.geojson"
    call_command("eudr", "export", demo["lot"], "--as", "exporter", "--out", str(out))
    assert problems_of(out.read_text(encoding="utf-8")) == []
    pdf = tmp_path / "lot.pdf"
    call_command("eudr", "export", demo["lot"], "--as", "officer", "--out", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")


def test_the_page_imports_a_layer_and_names_a_bad_ring(demo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    square = [[108.3, 12.7], [108.31, 12.7], [108.31, 12.71], [108.3, 12.71]]
    before = ForestBaseline.objects.count()

    def post(ring):
        layer = {"type": "Feature", "properties": {},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip
        upload = SimpleUploadedFile("forest.geojson", json.dumps(layer).encode())
        data = {"name": "Rừng", "source": "test", "source_date": "2020-12-31", "file": upload}
        return _client("officer").post("/eudr/", data)

    bad = post(square)
    assert bad.status_code == 200
    assert "geojson.geometry.coordinates[0]" in bad.content.decode()
    assert ForestBaseline.objects.count() == before
    good = post([*square, square[0]])
    assert good.status_code == 302 and ForestBaseline.objects.count() == before + 1
