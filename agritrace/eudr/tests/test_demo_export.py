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
    assert "DE" in " ".join(s.destinations)


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
