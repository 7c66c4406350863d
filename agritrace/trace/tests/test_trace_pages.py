"""Trace pages and the JSON trace API: a lot's chain backward (areas, plots, households,
harvest dates, packing house, diary entries, inspections, residue results) and forward (lots,
shipments, destinations), scoped; the KDE export; the spreadsheet import; wrong roles refused
on every page and endpoint."""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from agritrace.accounts.models import Organisation, OrgKind
from agritrace.trace import builders, chain, export, imports, services
from agritrace.trace.models import Event

from .conftest import bearer_client, session_client
from .ui_fixtures import AREA_CODE, HOUSE_CODE, farm  # noqa: F401

pytestmark = pytest.mark.django_db

H1 = services.lot_uri(AREA_CODE, "H1")
P1 = services.lot_uri(HOUSE_CODE, "P1")
P2 = services.lot_uri(HOUSE_CODE, "P2")


def _at(days_ago: int, hour: int = 8):
    moment = timezone.localtime() - timedelta(days=days_ago)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def capture(world, key, *built):
    return services.capture(world.actor(key), builders.document([b.event for b in built]))


@pytest.fixture
def traced(world, farm):  # noqa: F811
    """Harvest (cooperative) → packing into P1 and P2 → shipping P1 (packing house); a spray
    in the diary, an inspection visit and a residue sample for the area."""
    harvest_day = _at(3).date()
    capture(
        world,
        "coop",
        builders.harvest(
            area=farm.area,
            lot=H1,
            harvest_date=harvest_day,
            amount=Decimal(1200),
            uom="KGM",
            plots=farm.plots[:1],
            households=[farm.plots[0].household],
            moment=_at(3),
        ),
    )
    capture(
        world,
        "packing",
        builders.packing(
            house=farm.house,
            inputs=[(H1, Decimal(1200), "KGM", "in_0_")],
            outputs=[(P1, Decimal(800), "KGM", "out_0_"), (P2, Decimal(300), "KGM", "out_1_")],
            moment=_at(2),
        ),
        builders.shipping(
            lots=[(P1, Decimal(800), "KGM", "lot_0_")],
            origin=services.location_uri(HOUSE_CODE),
            moment=_at(1),
            shipper=world.orgs["packing"],
            destination=builders.place_uri("Pingxiang, Guangxi"),
            destination_name="Pingxiang, Guangxi",
            destination_country="CN",
            receiver=world.orgs["exporter"],
            transport_doc="BL-77",
            customs_declaration="305-1",
        ),
    )
    from agritrace.diary.models import DiaryEntry

    DiaryEntry.objects.create(
        area=farm.area,
        plot=farm.plots[0],
        kind="spraying",
        date=harvest_day - timedelta(days=20),
        other_product="Sulfur 80WG",
    )
    DiaryEntry.objects.create(  # another plot: does not apply
        area=farm.area,
        plot=farm.plots[1],
        kind="fertilising",
        date=harvest_day - timedelta(days=10),
        other_product="NPK plot two",
    )
    from agritrace.supervision.models import MonitoringVisit, Sample

    MonitoringVisit.objects.create(
        area=farm.area,
        due_date=harvest_day - timedelta(days=30),
        visited_on=harvest_day - timedelta(days=30),
        outcome="passed",
    )
    Sample.objects.create(
        code="S-001",
        area=farm.area,
        sampled_on=harvest_day - timedelta(days=2),
        laboratory=world.orgs["lab"],
    )
    return farm


def test_backward_trace_page_shows_the_chain_and_what_applies(world, traced):
    client = session_client(world, "packing")
    response = client.get("/trace/lot/", {"uri": P1})
    assert response.status_code == 200
    text = response.content.decode()
    found = response.context["chain"]
    assert found.direction == "backward"
    assert [s.event.biz_step for s in found.steps] == ["commissioning", "packing", "shipping"]
    assert [a.code for a in found.areas] == [AREA_CODE]
    assert [h.code for h in found.houses] == [HOUSE_CODE]
    assert found.harvests[0].day == _at(3).date() and found.harvests[0].plots == traced.plots[:1]
    assert [d.other_product for d in found.diary] == ["Sulfur 80WG"]
    assert len(found.visits) == 1 and [s.code for s, _r, _c in found.samples] == ["S-001"]
    assert AREA_CODE in text and HOUSE_CODE in text and "Sulfur 80WG" in text
    assert _at(3).date().isoformat() in text
    assert "<svg" in text and "Pingxiang, Guangxi" in text
    # A packing house may not see household names (personal data).
    assert traced.plots[0].household.name not in text
    assert "Household #" in text
    coop = session_client(world, "coop").get("/trace/lot/", {"uri": H1}).content.decode()
    assert traced.plots[0].household.name in coop


def test_backward_trace_leaves_out_sibling_lots_events(world, traced):
    """P2 was packed from the same harvest: the shipment of P1 is not part of P2's trace."""
    found = chain.backward(world.actor("packing"), P2)
    assert [s.event.biz_step for s in found.steps] == ["commissioning", "packing"]
    assert set(found.lots.values()) == {H1, P2}


def test_a_huge_chain_is_cut_on_pages_not_in_the_export(world, traced, monkeypatch):
    monkeypatch.setattr(chain, "MAX_STEPS", 2)
    monkeypatch.setattr(chain, "MAX_LOTS", 1)
    found = chain.backward(world.actor("ministry"), P1)
    assert found.truncated and len(found.steps) == 2 and len(found.lots) == 2
    assert found.as_dict()["truncated"] is True
    assert len(list(export.lot_rows(world.actor("ministry"), P1))) == 3


def test_forward_trace_from_a_lot_area_and_plot(world, traced):
    ministry = world.actor("ministry")
    found = chain.forward(ministry, H1)
    assert set(found.lots.values()) == {H1, P1, P2}
    assert [s.event.biz_step for s in found.steps] == ["commissioning", "packing", "shipping"]
    assert found.destinations == [f"{world.orgs['exporter'].name} · Pingxiang, Guangxi · CN"]
    # The cooperative: its harvest, and the count of events held by others.
    coop = chain.forward(world.actor("coop"), H1)
    assert [s.event.biz_step for s in coop.steps] == ["commissioning"] and coop.hidden == 2
    # From the area and the plot.
    client = session_client(world, "province")
    page = client.get(f"/trace/areas/{traced.area.pk}/")
    assert page.status_code == 200 and "Pingxiang" in page.content.decode()
    assert len(page.context["chain"].shipments) == 1
    assert all(n.key for n in page.context["graph"].nodes)  # no node for a missing start lot
    page = client.get(f"/trace/plots/{traced.plots[0].pk}/")
    assert page.status_code == 200 and len(page.context["chain"].shipments) == 1
    page = client.get(f"/trace/plots/{traced.plots[1].pk}/")  # not harvested
    assert page.status_code == 200 and page.context["chain"].steps == []


def test_links_from_the_event_list_and_the_area_page(world, traced):
    client = session_client(world, "packing")
    text = client.get("/trace/").content.decode()
    assert f"/trace/lot/?uri={quote(P1, safe='')}" in text
    coop = session_client(world, "coop")
    assert (
        f"/trace/areas/{traced.area.pk}/" in coop.get(f"/areas/{traced.area.pk}/").content.decode()
    )


def test_json_trace_api(world, traced):
    client = bearer_client(world, "packing")
    response = client.get(f"/api/trace/lots/{P1}/trace", {"direction": "backward"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["lot"] == P1 and data["direction"] == "backward"
    assert [e["bizStep"] for e in data["events"]] == ["commissioning", "packing", "shipping"]
    assert data["plantingAreas"][0]["code"] == AREA_CODE
    assert data["packingHouses"][0]["code"] == HOUSE_CODE
    assert data["harvests"][0]["harvestDate"] == _at(3).date().isoformat()
    assert data["harvests"][0]["households"] == [f"Household #{traced.plots[0].household.pk}"]
    assert data["diaryEntries"][0]["product"] == "Sulfur 80WG"
    assert data["shipments"][0]["documents"] == [
        {"type": "bol", "number": "BL-77"},
        {"type": "customsDeclaration", "number": "305-1"},
    ]
    forward = client.get(f"/api/trace/lots/{H1}/trace", {"direction": "forward"}).json()
    assert sorted(forward["lots"]) == sorted([H1, P1, P2])
    assert client.get(f"/api/trace/lots/{H1}/trace", {"direction": "up"}).status_code == 422
    area = bearer_client(world, "ppo").get(f"/api/trace/areas/{traced.area.pk}/trace")
    assert area.status_code == 200 and len(area.json()["shipments"]) == 1


def test_scope_of_traces(world, traced):
    """Exporter: what was shipped to it; packing house and cooperative: their own; a province:
    its province; another province, a household, a laboratory, the public: nothing."""
    path = f"/api/trace/lots/{P1}/trace"
    for key in ("ministry", "province", "ppo", "packing", "exporter", "commune"):
        assert bearer_client(world, key).get(path).status_code == 200, key
    for key in ("other_ppo", "other_coop", "coop_b", "commune_b"):
        assert bearer_client(world, key).get(path).status_code == 404, key
    for key in ("household", "lab"):
        assert bearer_client(world, key).get(path).status_code == 403, key
    assert Client().get(path).status_code == 401
    # The cooperative sees its harvest lot, not the packed lot (made by the packing house).
    assert bearer_client(world, "coop").get(f"/api/trace/lots/{H1}/trace").status_code == 200
    assert bearer_client(world, "coop").get(path).status_code == 404
    # A lot nobody recorded.
    assert bearer_client(world, "ministry").get("/api/trace/lots/urn:x:y/trace").status_code == 404


def test_exporter_sees_what_it_received(world, traced):
    """Received lots are in the exporter's scope once it records their receiving."""
    exporter = world.actor("exporter")
    other = Organisation.objects.create(
        name="Other exporter", kind=OrgKind.EXPORTER, unit=world.communes[0]
    )
    from conftest import make_user

    make_user("other_exp", other)
    other_client = Client()
    other_client.force_login(other.memberships.first().user)
    assert other_client.get("/trace/lot/", {"uri": P1}).status_code == 404
    services.capture(
        exporter,
        builders.document(
            [
                builders.receiving(
                    lots=[(P1, Decimal(800), "KGM", "lot_0_")],
                    location=builders.party_uri(exporter.organisation),
                    moment=_at(1, 20),  # (in the past at any hour: no future events)
                    receiver=exporter.organisation,
                ).event
            ]
        ),
    )
    page = session_client(world, "exporter").get("/trace/lot/", {"uri": P1})
    assert page.status_code == 200
    assert [a.code for a in page.context["chain"].areas] == [AREA_CODE]


@pytest.mark.parametrize(
    "url",
    [
        "/trace/lot/?uri=" + quote(P1, safe=""),
        "/trace/lot/kde/?uri=" + quote(P1, safe=""),
        "/trace/export/",
        "/trace/import/",
        "/trace/import/template.xlsx",
        "/trace/record/",
        "AREA",
        "PLOT",
    ],
)
def test_trace_pages_refuse_wrong_roles(world, traced, url):
    url = url.replace("AREA", f"/trace/areas/{traced.area.pk}/").replace(
        "PLOT", f"/trace/plots/{traced.plots[0].pk}/"
    )
    public = Client().get(url)
    assert public.status_code == 302 and "/login/" in public["Location"]
    for key in ("household", "lab"):
        assert session_client(world, key).get(url).status_code == 403, key
    if "/lot/" in url or "/areas/" in url or "/plots/" in url:
        assert session_client(world, "other_ppo").get(url).status_code == 404
        assert session_client(world, "ministry").get(url).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"/api/trace/lots/{P1}/trace",
        f"/api/trace/lots/{P1}/kde",
        "/api/trace/kde?start=2025-01-01&end=2025-01-02",
        "AREA",
    ],
)
def test_api_endpoints_refuse_wrong_roles(world, traced, path):
    path = path.replace("AREA", f"/api/trace/areas/{traced.area.pk}/trace")
    assert Client().get(path).status_code == 401
    for key in ("household", "lab"):
        assert bearer_client(world, key).get(path).status_code == 403, key


# ------------------------------------------------------------------ key data elements


def _csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_kde_export_of_a_lot(world, traced):
    client = session_client(world, "packing")
    response = client.get("/trace/lot/kde/", {"uri": P1, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response.getvalue())
    assert [r["Critical tracking event"] for r in rows] == [
        "Harvesting",
        "Initial packing",
        "Shipping",
    ]
    harvest, packing, shipping = rows
    assert harvest["Traceability lot code"] == f"{AREA_CODE}:H1"
    assert harvest["Harvest date"] == _at(3).date().isoformat()
    assert AREA_CODE in harvest["Traceability lot code source"]
    assert "Durian" in harvest["Product description"]
    assert packing["Traceability lot code"] == f"{HOUSE_CODE}:P1"
    assert packing["Input traceability lot codes"] == f"{AREA_CODE}:H1"
    assert HOUSE_CODE in packing["Traceability lot code source"]
    assert AREA_CODE in packing["Harvest location"]
    assert shipping["Quantity"] == "800.0" and shipping["Unit of measure"] == "KGM"
    assert "Pingxiang" in shipping["Ship-to location"]
    assert HOUSE_CODE in shipping["Ship-from location"]
    assert shipping["Reference document type"] == "Bill of lading; Customs declaration"
    assert shipping["Reference document number"] == "BL-77; 305-1"
    assert shipping["Harvest date"] == _at(3).date().isoformat()
    # XLSX, sortable: a filter on the header row, dates as dates.
    from openpyxl import load_workbook

    xlsx = client.get("/trace/lot/kde/", {"uri": P1, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.getvalue())).active
    assert sheet.auto_filter.ref == f"A1:U{len(rows) + 1}"
    assert sheet["A1"].value == "Critical tracking event" and sheet.max_row == len(rows) + 1
    # The same through the API.
    api = bearer_client(world, "packing").get(f"/api/trace/lots/{P1}/kde", {"format": "csv"})
    assert _csv_rows(api.getvalue()) == rows


def test_kde_export_of_a_time_range(world, traced):
    start, end = _at(5).date().isoformat(), _at(0).date().isoformat()
    client = session_client(world, "province")
    assert client.get("/trace/export/").status_code == 200
    response = client.get("/trace/export/", {"start": start, "end": end, "format": "csv"})
    assert len(_csv_rows(response.getvalue())) == 4  # harvest, packing P1 and P2, shipping
    api = bearer_client(world, "province").get(
        "/api/trace/kde", {"start": start, "end": end, "format": "csv"}
    )
    assert api.status_code == 200 and len(_csv_rows(api.getvalue())) == 4
    wrong = bearer_client(world, "province").get(
        "/api/trace/kde", {"start": end, "end": start, "format": "pdf"}
    )
    assert wrong.status_code == 422
    bad = client.get("/trace/export/", {"start": end, "end": start, "format": "csv"})
    assert bad.status_code == 200 and "end" in bad.context["form"].errors
    # Another province sees none of it.
    other = session_client(world, "other_ppo")
    response = other.get("/trace/export/", {"start": start, "end": end, "format": "csv"})
    assert _csv_rows(response.getvalue()) == []


def test_a_csv_export_streams_in_the_language_of_its_request(world, traced):
    from django.utils import translation

    start, end = _at(5).date().isoformat(), _at(0).date().isoformat()
    from agritrace.accounts.preferences import set_language

    set_language(world.users["province"], "vi")  # a signed-in person's saved language
    client = session_client(world, "province")
    response = client.get("/trace/export/", {"start": start, "end": end, "format": "csv"})
    assert response.streaming and response["Content-Disposition"].endswith('.csv"')
    # The rows are made while the body is read, after the view returned: by then another
    # request on this thread may have switched the language.
    with translation.override("en"):
        body = response.getvalue()
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header[0] == "Sự kiện truy xuất trọng yếu (CTE)" and rows[0][0] == "Thu hoạch"
    xlsx = client.get("/trace/export/", {"start": start, "end": end, "format": "xlsx"})
    assert xlsx["Content-Disposition"] == (f'attachment; filename="fsma204-kde-{start}-{end}.xlsx"')
    assert xlsx.getvalue()[:2] == b"PK"  # a zip


@pytest.mark.django_db(databases=[])
def test_the_csv_comes_in_pieces_and_stops_at_the_row_cap(monkeypatch):
    from datetime import date

    rows = [[f"r{i}", date(2025, 1, 2), None, 1.5] for i in range(50)]
    pieces = list(export.stream_csv(iter(rows), chunk=64))
    assert len(pieces) > 10 and pieces[0].startswith("\ufeff".encode())
    lines = b"".join(pieces).decode("utf-8-sig").splitlines()
    assert len(lines) == 51 and lines[1] == "r0,2025-01-02,,1.5"
    monkeypatch.setattr(export, "MAX_ROWS", 10)
    assert len(b"".join(export.stream_csv(iter(rows))).splitlines()) == 11


def test_kde_export_of_a_sizeable_graph_takes_seconds(world, farm):  # noqa: F811
    """300 harvest lots → 60 packings (5 in, 2 out) → 120 shipments: 480 events, 540 rows,
    written from one packed lot's chain and from the whole range in a few seconds."""
    import time

    harvests, packings, shipments = [], [], []
    for i in range(300):
        harvests.append(
            builders.harvest(
                area=farm.area,
                lot=services.lot_uri(AREA_CODE, f"B{i}"),
                harvest_date=_at(5).date(),
                amount=Decimal(100),
                uom="KGM",
                moment=_at(5),
            ).event
        )
    for j in range(60):
        inputs = [
            (services.lot_uri(AREA_CODE, f"B{5 * j + k}"), Decimal(100), "KGM", "")
            for k in range(5)
        ]
        outs = [
            (services.lot_uri(HOUSE_CODE, f"Q{j}-{k}"), Decimal(200), "KGM", "") for k in range(2)
        ]
        packings.append(
            builders.packing(house=farm.house, inputs=inputs, outputs=outs, moment=_at(4)).event
        )
        for out in outs:
            shipments.append(
                builders.shipping(
                    lots=[out],
                    origin=services.location_uri(HOUSE_CODE),
                    moment=_at(3),
                    destination_name="Port",
                    destination=builders.place_uri("Port"),
                ).event
            )
    actor = world.actor("packing")
    services.capture(world.actor("coop"), builders.document(harvests))
    services.capture(actor, builders.document(packings + shipments))
    ministry = world.actor("ministry")
    started = time.perf_counter()
    content, _type = export.export(
        export.rows_for(export.range_events(ministry, _at(6).date(), _at(0).date())), "xlsx"
    )
    elapsed = time.perf_counter() - started
    from openpyxl import load_workbook

    assert load_workbook(io.BytesIO(content)).active.max_row == 1 + 300 + 120 + 120
    assert elapsed < 20, elapsed
    started = time.perf_counter()
    rows = list(export.lot_rows(ministry, services.lot_uri(HOUSE_CODE, "Q7-1")))
    assert len(rows) == 5 + 1 + 1 and time.perf_counter() - started < 5
    print(f"range export: 540 rows in {elapsed:.2f}s")


# ------------------------------------------------------------------ import


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheets(harvest_qty="1000"):
    day = _at(3).date()
    return {
        "harvests": [
            [
                "area_code*",
                "harvest_date*",
                "quantity*",
                "unit",
                "lot_code",
                "crop",
                "variety",
                "plots",
            ],
            [AREA_CODE, day, harvest_qty, "KGM", "X1", "durian", None, "P0"],
            [AREA_CODE, day.isoformat(), 500, None, "X2", None, None, None],
        ],
        "packings": [
            [
                "packing_house_code",
                "date",
                "time",
                "inputs",
                "input_unit",
                "output_lot",
                "output_quantity",
                "output_unit",
            ],
            [
                HOUSE_CODE,
                _at(2).date(),
                "09:30",
                f"{AREA_CODE}:X1=1000; {AREA_CODE}:X2=500",
                "KGM",
                "Y1",
                1200,
                "KGM",
            ],
        ],
        "shipments": [
            [
                "from_code",
                "date",
                "time",
                "lots",
                "unit",
                "destination",
                "destination_country",
                "transport_doc",
                "customs_declaration",
            ],
            [
                HOUSE_CODE,
                _at(1).date(),
                "10:00",
                f"{HOUSE_CODE}:Y1=1200",
                "KGM",
                "Lạng Sơn",
                "CN",
                "BL-9",
                "3051",
            ],
        ],
    }


def test_import_workbook_all_rows_in_one_transaction(world, farm):  # noqa: F811
    result = imports.import_file(world.actor("packing"), _workbook(_sheets()), "events.xlsx")
    assert result.stored == 4
    assert Event.objects.filter(biz_step="commissioning").count() == 2
    found = chain.backward(world.actor("packing"), services.lot_uri(HOUSE_CODE, "Y1"))
    assert [s.event.biz_step for s in found.steps] == [
        "commissioning",
        "commissioning",
        "packing",
        "shipping",
    ]


def test_import_names_rows_and_stores_nothing(world, farm):  # noqa: F811
    sheets = _sheets(harvest_qty="lots")
    sheets["shipments"][1][0] = "VN-XXPH-9999"
    with pytest.raises(imports.ImportRejected) as caught:
        imports.import_file(world.actor("packing"), _workbook(sheets), "events.xlsx")
    lines = caught.value.lines
    assert "harvests, row 2, quantity: Not a number: lots" in lines
    assert any(line.startswith("shipments, row 2, from_code:") for line in lines)
    assert Event.objects.count() == 0
    # A problem found at capture (a negative quantity) is named by its row too.
    sheets = _sheets()
    sheets["harvests"][2][2] = -5
    with pytest.raises(imports.ImportRejected) as caught:
        imports.import_file(world.actor("packing"), _workbook(sheets), "events.xlsx")
    assert any(line.startswith("harvests, row 3, quantity:") for line in caught.value.lines), (
        caught.value.lines
    )
    assert Event.objects.count() == 0


def test_import_csv_and_the_cli_and_the_web_page(world, farm, tmp_path):  # noqa: F811
    day = _at(3).date().isoformat()
    text = f"area_code,harvest_date,quantity,unit,lot_code\n{AREA_CODE},{day},700,KGM,C1\n"
    path = tmp_path / "harvests.csv"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("trace", "import", str(path), "--as", "coop_user", stdout=out)
    assert "Imported 1 events" in out.getvalue()
    assert Event.objects.count() == 1
    template = tmp_path / "template.xlsx"
    call_command("trace", "template", str(template), stdout=io.StringIO())
    from openpyxl import load_workbook

    assert load_workbook(template).sheetnames == [
        "instructions",
        "harvests",
        "packings",
        "shipments",
    ]
    kde = io.StringIO()
    call_command(
        "trace",
        "kde",
        "--as",
        "coop_user",
        "--lot",
        services.lot_uri(AREA_CODE, "C1"),
        "-o",
        str(tmp_path / "k.csv"),
        stdout=kde,
    )
    assert "Harvesting" in (tmp_path / "k.csv").read_text(encoding="utf-8-sig")
    # The web page: a bad row is listed, nothing stored.
    client = session_client(world, "coop")
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile(
        "h.csv", f"area_code,harvest_date,quantity\n{AREA_CODE},{day},x\n".encode()
    )
    response = client.post("/trace/import/", {"file": bad})
    assert response.status_code == 200
    assert response.context["errors"] == ["harvests, row 2, quantity: Not a number: x"]
    assert Event.objects.count() == 1
    good = SimpleUploadedFile(
        "h.csv", f"area_code,harvest_date,quantity\n{AREA_CODE},{day},5\n".encode()
    )
    response = client.post("/trace/import/", {"file": good})
    assert response.context["result"].stored == 1 and Event.objects.count() == 2
    assert client.get("/trace/import/template.xlsx").status_code == 200
