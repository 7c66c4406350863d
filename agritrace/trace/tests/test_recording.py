"""What an organisation records itself (the record forms, the spreadsheet import) names only
lots the trace knows and the organisation holds; quantities above 0; nothing dated ahead; a
receiving from a lot already used up says so (trace/recording.py, issue 17 item 3)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agritrace.trace import builders, imports, services
from agritrace.trace.models import Event, Lot

from .conftest import session_client
from .test_forms import _harvest, _now, harvest_post
from .test_trace_pages import _sheets, _workbook
from .ui_fixtures import AREA_CODE, HOUSE_CODE, farm  # noqa: F401

pytestmark = pytest.mark.django_db

UNITS = {f"lot_{i}_unit": "KGM" for i in range(3)}


def _premises(world, key: str) -> str:
    return builders.party_uri(world.orgs[key])


def _ship(client, lot: str, kg: str = "100", origin: str = "", **extra):
    return client.post(
        "/trace/record/shipping/",
        {
            "origin": origin or services.location_uri(HOUSE_CODE),
            "when": _now(),
            "lot_0_lot": lot,
            "lot_0_quantity": kg,
            "destination_name": "Hữu Nghị border gate",
            **UNITS,
            **extra,
        },
    )


def _receive(client, lot: str, kg: str = "100", when: str | None = None, location: str = ""):
    return client.post(
        "/trace/record/receiving/",
        {
            "kind": "receiving",
            "location": location or services.location_uri(HOUSE_CODE),
            "when": when or _now(),
            "lot_0_lot": lot,
            "lot_0_quantity": kg,
            **UNITS,
        },
    )


def _pack(client, farm, lot: str, kg: str):  # noqa: F811
    return client.post(
        "/trace/record/packing/",
        {
            "packing_house": farm.house.pk,
            "when": _now(),
            "in_0_lot": lot,
            "in_0_quantity": kg,
            "out_0_lot": "P1",
            "out_0_quantity": str(int(kg) - 100),
            **{f"{p}_{i}_unit": "KGM" for p in ("in", "out") for i in range(4)},
        },
    )


def test_a_phantom_lot_is_refused_beside_its_field(world, farm):  # noqa: F811
    client = session_client(world, "packing")
    response = _ship(client, f"{HOUSE_CODE}:NOPE-1")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "No lot VN-DLPH-0101:NOPE-1 is known" in errors["lot_0_lot"][0], errors
    assert response.context["form"]["lot_0_lot"].value() == f"{HOUSE_CODE}:NOPE-1"
    assert Event.objects.count() == 0 and Lot.objects.count() == 0
    # Packing and receiving a phantom: refused the same way.
    response = _pack(client, farm, f"{AREA_CODE}:NOPE-2", "500")
    assert "in_0_lot" in response.context["form"].errors
    response = _receive(client, f"{AREA_CODE}:NOPE-3")
    assert "lot_0_lot" in response.context["form"].errors
    inspection = session_client(world, "ppo").post(
        "/trace/record/inspection/",
        {
            "location": services.location_uri(HOUSE_CODE),
            "when": _now(),
            "certificate": "KDTV-1",
            "result": "conformant",
            "lot_0_lot": f"{AREA_CODE}:NOPE-4",
            "lot_0_quantity": "10",
            **UNITS,
        },
    )
    assert "lot_0_lot" in inspection.context["form"].errors
    assert Event.objects.count() == 0 and Lot.objects.count() == 0


def test_quantity_zero_is_refused(world, farm):  # noqa: F811
    h1 = _harvest(world, farm)
    response = _ship(session_client(world, "packing"), h1, kg="0")
    assert response.context["form"].errors["lot_0_quantity"] == [
        "The quantity must be more than 0."
    ]
    response = harvest_post(session_client(world, "coop"), farm, quantity="0", lot_code="H2")
    assert "quantity" in response.context["form"].errors
    assert Event.objects.count() == 1


def test_a_receiving_dated_years_ahead_is_refused(world, farm):  # noqa: F811
    h1 = _harvest(world, farm)
    ahead = (timezone.localtime() + timedelta(days=3 * 365)).strftime("%Y-%m-%dT%H:%M")
    response = _receive(session_client(world, "packing"), h1, when=ahead)
    assert response.status_code == 200
    assert "in the future" in response.context["form"].errors["when"][0]
    response = harvest_post(
        session_client(world, "coop"),
        farm,
        lot_code="H2",
        harvest_date=(timezone.localdate() + timedelta(days=2)).isoformat(),
    )
    assert "harvest_date" in response.context["form"].errors
    assert Event.objects.count() == 1


def test_only_lots_the_organisation_holds_are_shipped(world, farm):  # noqa: F811
    h1 = _harvest(world, farm)
    exporter = session_client(world, "exporter")
    response = _ship(exporter, h1, origin=_premises(world, "exporter"))
    assert "not held by your organisation" in response.context["form"].errors["lot_0_lot"][0]
    assert Event.objects.filter(biz_step="shipping").count() == 0
    # The packing house (supplied by the area under contract) ships it to the exporter …
    packing = session_client(world, "packing")
    response = _ship(packing, h1, receiver=world.orgs["exporter"].pk)
    assert response.status_code == 302, response.context["form"].errors
    # … which now holds it and may ship it on.
    response = _ship(exporter, h1, origin=_premises(world, "exporter"))
    assert response.status_code == 302, response.context["form"].errors


def test_receiving_from_a_used_up_lot_says_so(world, farm):  # noqa: F811
    h1 = _harvest(world, farm, kg=1200)
    packing = session_client(world, "packing")
    assert _pack(packing, farm, h1, "1200").status_code == 302
    response = _receive(
        session_client(world, "exporter"), h1, kg="100", location=_premises(world, "exporter")
    )
    errors = response.context["form"].errors["lot_0_lot"]
    assert "is used up" in errors[0] and "1200 kg" in errors[0], errors
    assert Event.objects.filter(biz_step="receiving").count() == 0


def test_receiving_more_than_is_left_says_how_much_is_left(world, farm):  # noqa: F811
    h1 = _harvest(world, farm, kg=1200)
    packing = session_client(world, "packing")
    assert _pack(packing, farm, h1, "1000").status_code == 302
    exporter = session_client(world, "exporter")
    at = _premises(world, "exporter")
    response = _receive(exporter, h1, kg="300", location=at)
    assert "Only 200 kg" in response.context["form"].errors["lot_0_lot"][0]
    assert _receive(exporter, h1, kg="200", location=at).status_code == 302


def test_the_import_refuses_a_phantom_lot_by_row_and_column(world, farm):  # noqa: F811
    sheets = _sheets()
    sheets["shipments"][1][3] = f"{HOUSE_CODE}:NOPE-1=100"
    with pytest.raises(imports.ImportRejected) as caught:
        imports.import_file(world.actor("packing"), _workbook(sheets), "events.xlsx")
    assert any(
        line.startswith("shipments, row 2, lots:") and "NOPE-1" in line
        for line in caught.value.lines
    ), caught.value.lines
    assert Event.objects.count() == 0
    # The lots an earlier row of the same file makes are known to the later rows.
    result = imports.import_file(world.actor("packing"), _workbook(_sheets()), "events.xlsx")
    assert result.stored == 4


def test_the_import_refuses_quantity_zero(world, farm):  # noqa: F811
    sheets = _sheets()
    sheets["harvests"][1][2] = 0
    with pytest.raises(imports.ImportRejected) as caught:
        imports.import_file(world.actor("packing"), _workbook(sheets), "events.xlsx")
    assert "harvests, row 2, quantity: The quantity must be more than 0." in caught.value.lines
    assert Event.objects.count() == 0


def test_the_api_import_applies_the_same_rules(world, farm):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(client, sheets):
        data = {"file": SimpleUploadedFile("events.xlsx", _workbook(sheets))}
        return client.post("/api/trace/import", data)

    sheets = _sheets()
    sheets["shipments"][1][3] = f"{HOUSE_CODE}:NOPE-1=100"
    response = upload(session_client(world, "packing"), sheets)
    assert response.status_code == 422
    body = response.json()
    assert any(p.startswith("shipments, row 2, lots:") for p in body["problems"]), body
    assert body["errors"]["file"] == body["problems"]
    assert Event.objects.count() == 0
    for key in ("household", "lab"):
        assert upload(session_client(world, key), _sheets()).status_code == 403
    response = upload(session_client(world, "packing"), _sheets())
    assert response.status_code == 200, response.content
    assert response.json()["stored"] == 4
    # The file as the body, named by ?filename=.
    response = session_client(world, "packing").post(
        "/api/trace/import?filename=x.txt", b"abc", content_type="application/octet-stream"
    )
    assert response.status_code == 422 and "XLSX" in response.json()["problems"][0]
