"""Requesting, voiding and exporting stamps (service, API, web page, command line), with the
roles and scopes that are refused, the audit entries, and the signature and QR code of what
is printed."""

import csv
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.http import Http404

from agritrace.accounts.access import Actor
from agritrace.accounts.models import Role
from agritrace.audit.models import AuditEntry
from agritrace.stamps import digital_link as dl
from agritrace.stamps import services, signing
from agritrace.stamps.models import Stamp, StampBatch
from conftest import make_user

from .conftest import DOMAIN, GTIN_LOT, GTIN_LOT_URN, bearer, logged_in

pytestmark = pytest.mark.django_db


def test_a_packing_house_requests_stamps_for_its_packed_lot(world, chain):
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 25)
    assert batch.count == 25 and batch.stamps.count() == 25
    assert batch.lot.uri == GTIN_LOT
    assert (batch.primary, batch.key, batch.lot_code) == ("01", "08930000123459", "P-77")
    assert batch.packing_house == chain.house
    assert batch.province == world.province
    serials = list(batch.stamps.values_list("serial", flat=True))
    assert len(set(serials)) == 25
    assert all(signing.SERIAL_RE.match(s) for s in serials)
    assert {s.key_id for s in batch.stamps.all()} == {"1"}
    entry = AuditEntry.objects.get(action="stamps.request")
    assert entry.after["count"] == 25 and entry.object_id == str(batch.pk)


def test_serials_are_64_random_bits_and_signed():
    serial = signing.new_serial()
    assert len(serial) == 13  # base32 of 8 bytes
    import base64

    assert len(base64.b32decode(serial.upper() + "===")) == 8
    value = signing.sign("01", "08930000123459", "P-77", serial)
    assert value.startswith("1.") and len(value.split(".")[1]) == signing.SIGNATURE_LENGTH
    ok = signing.verify("01", "08930000123459", "P-77", serial, value)
    assert ok == signing.Verdict.OK
    assert signing.verify("01", "08930000123459", "P-78", serial, value) == signing.Verdict.BAD
    assert signing.verify("01", "08930000123459", "P-77", serial, value[:-3]) == "incomplete"
    assert signing.verify("01", "08930000123459", "P-77", serial, "9." + "a" * 16) == "unknown_key"


def test_the_uri_is_a_digital_link_on_the_services_domain_with_the_signature(world, chain):
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 1)
    stamp = batch.stamps.get()
    uri = services.stamp_uri(stamp)
    assert uri.startswith(f"{DOMAIN}/01/08930000123459/10/P-77/21/{stamp.serial}?s=1.")
    link = dl.parse(uri)
    assert (link.gtin, link.lot, link.serial) == ("08930000123459", "P-77", stamp.serial)
    assert services.lookup_uri(uri).status == "genuine"


def test_own_namespace_lot_without_gtin(world, chain):
    batch = services.request_stamps(world.actor("packing"), chain.own_lot, 2)
    assert batch.primary == dl.OWN_KEY and batch.key == chain.house.code
    uri = services.stamp_uri(batch.stamps.first())
    assert uri.startswith(f"{DOMAIN}/p/{chain.house.code}/10/L-0042/21/")
    assert services.lookup_uri(uri).status == "genuine"


def test_the_qr_code_stays_small_at_level_m(world, chain, settings):
    import segno

    settings.AGRITRACE_STAMP_DOMAIN = "https://truyxuat.dalak.gov.vn"
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 3)
    for stamp in batch.stamps.all():
        uri = services.stamp_uri(stamp)
        qr = segno.make(uri, error="m", micro=False)
        assert qr.error == "M"
        assert qr.version <= 6, (uri, len(uri), qr.version)  # 41×41 modules at most


def test_the_printed_qr_code_reads_back_as_the_same_uri(world, chain):
    zxingcpp = pytest.importorskip("zxingcpp")
    import segno
    from PIL import Image

    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 1)
    uri = services.stamp_uri(batch.stamps.get())
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=4)
    buffer.seek(0)
    results = zxingcpp.read_barcodes(Image.open(buffer))
    assert [r.text for r in results] == [uri]


def test_keys_rotate_without_voiding_old_stamps(world, chain, settings):
    settings.AGRITRACE_STAMP_KEYS = None
    assert signing.active_key_id() == "0"  # derived from SECRET_KEY before any rotation
    old = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 1).stamps.get()
    assert old.key_id == "0"
    out = io.StringIO()
    call_command("stamps", "rotate-key", stdout=out)
    assert "1" in out.getvalue()
    assert signing.active_key_id() == "1"
    new = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 1).stamps.get()
    assert new.key_id == "1"
    call_command("stamps", "rotate-key", stdout=io.StringIO())
    assert signing.active_key_id() == "2"
    assert services.lookup_uri(services.stamp_uri(old)).status == "genuine"
    assert services.lookup_uri(services.stamp_uri(new)).status == "genuine"
    keyring = json.loads(settings.AGRITRACE_STAMP_KEYRING.read_text())
    assert set(keyring["keys"]) == {"1", "2"} and keyring["active"] == "2"
    assert oct(settings.AGRITRACE_STAMP_KEYRING.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("key", ["coop", "household", "ppo", "province", "commune", "lab"])
def test_other_roles_may_not_request_stamps(world, chain, key):
    with pytest.raises(PermissionDenied):
        services.request_stamps(world.actor(key), GTIN_LOT_URN, 5)
    assert not StampBatch.objects.exists()


def test_a_viewer_of_the_packing_house_may_not_request(world, chain):
    viewer = make_user("ph_viewer", world.orgs["packing"], Role.VIEWER)
    with pytest.raises(PermissionDenied):
        services.request_stamps(Actor.of(viewer), GTIN_LOT_URN, 5)


def test_another_exporter_cannot_stamp_a_lot_it_did_not_pack(world, chain):
    from agritrace.accounts.models import Organisation, OrgKind

    other = Organisation.objects.create(
        name="Công ty khác", kind=OrgKind.EXPORTER, unit=world.communes[1]
    )
    user = make_user("other_exporter", other, Role.OFFICER)
    with pytest.raises(Http404):
        services.request_stamps(Actor.of(user), GTIN_LOT_URN, 5)
    # a lot that exists but was never packed (the harvest lot) is no packed lot either
    with pytest.raises(Http404):
        services.request_stamps(world.actor("packing"), chain.harvest_lot, 5)


@pytest.mark.parametrize("count", [0, -1, "abc", None, 10**9])
def test_bad_counts_are_refused(world, chain, count):
    with pytest.raises(ValidationError) as caught:
        services.request_stamps(world.actor("packing"), GTIN_LOT_URN, count)
    assert "count" in caught.value.message_dict


@pytest.mark.parametrize(
    "lot", ["", "urn:epc:id:sscc:8930000.1000000001", "https://id.gs1.org/01/08930000123459"]
)
def test_what_is_not_a_lot_is_refused(world, chain, lot):
    with pytest.raises(ValidationError):
        services.request_stamps(world.actor("packing"), lot, 5)


def test_void_stamps(world, chain):
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 3)
    serial = batch.stamps.first().serial
    assert services.void_stamps(world.actor("packing"), [serial.upper()], "torn label") == 1
    stamp = Stamp.objects.get(serial=serial)
    assert stamp.status == "voided" and stamp.voided_at
    assert AuditEntry.objects.filter(action="stamps.void", reason="torn label").exists()
    assert services.lookup_uri(services.stamp_uri(stamp)).status == "voided"
    with pytest.raises(ValidationError):  # no reason
        services.void_stamps(world.actor("packing"), [serial], "")
    with pytest.raises(ValidationError) as caught:  # not one of its stamps: nothing changes
        services.void_stamps(world.actor("packing"), ["aaaaaaaaaaaaa", serial], "x")
    assert "aaaaaaaaaaaaa" in str(caught.value)
    with pytest.raises(PermissionDenied):
        services.void_stamps(world.actor("coop"), [serial], "x")


def test_another_packing_house_cannot_void_them(world, chain):
    from agritrace.accounts.models import Organisation, OrgKind

    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 1)
    other = Organisation.objects.create(
        name="Đóng gói khác", kind=OrgKind.PACKING_HOUSE, unit=world.communes[1]
    )
    user = make_user("other_packer", other, Role.OFFICER)
    with pytest.raises(ValidationError):
        services.void_stamps(Actor.of(user), [batch.stamps.get().serial], "x")
    assert batch.stamps.get().status == "active"


def test_csv_export_for_label_printers(world, chain):
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 4)
    rows = list(csv.reader(io.StringIO(services.export_csv(world.actor("packing"), batch))))
    assert rows[0] == ["serial", "uri", "status", "lot", "key_id"]
    assert len(rows) == 5
    for serial, uri, status, lot, key_id in rows[1:]:
        assert uri == services.stamp_uri(Stamp.objects.get(serial=serial))
        assert (status, lot, key_id) == ("active", "P-77", "1")


# ------------------------------------------------------------------ API


def test_api_request_list_csv_and_void(world, chain):
    client = bearer(world, "packing")
    response = client.post(
        "/api/stamps/batches",
        json.dumps({"lot": GTIN_LOT_URN, "count": 3}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    batch_id = response.json()["id"]
    listed = client.get("/api/stamps/batches").json()
    assert [b["id"] for b in listed] == [batch_id]
    assert client.get(f"/api/stamps/batches/{batch_id}").json()["count"] == 3
    body = client.get(f"/api/stamps/batches/{batch_id}/serials.csv").content.decode()
    serial = body.splitlines()[1].split(",")[0]
    voided = client.post(
        "/api/stamps/void",
        json.dumps({"serials": [serial], "reason": "damaged"}),
        content_type="application/json",
    )
    assert voided.status_code == 200 and voided.json() == {"voided": 1}


def test_api_refuses_wrong_roles_and_bad_input(world, chain):
    payload = json.dumps({"lot": GTIN_LOT_URN, "count": 3})
    assert (
        bearer(world, "coop")
        .post("/api/stamps/batches", payload, content_type="application/json")
        .status_code
        == 403
    )
    from django.test import Client

    assert (
        Client().post("/api/stamps/batches", payload, content_type="application/json").status_code
        == 401
    )
    bad = bearer(world, "packing").post(
        "/api/stamps/batches",
        json.dumps({"lot": GTIN_LOT_URN, "count": 0}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and "count" in bad.json()["errors"]
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 1)
    assert bearer(world, "coop").get(f"/api/stamps/batches/{batch.pk}").status_code == 404
    assert bearer(world, "other_ppo").get(f"/api/stamps/batches/{batch.pk}").status_code == 404
    assert bearer(world, "ppo").get(f"/api/stamps/batches/{batch.pk}").status_code == 200
    assert bearer(world, "packing").get("/api/stamps/batches/abc").status_code == 404


# ------------------------------------------------------------------ web pages


def test_web_page_requests_shows_and_voids(world, chain):
    client = logged_in(world, "packing")
    page = client.get("/stamps/")
    assert page.status_code == 200 and GTIN_LOT.encode() in page.content
    response = client.post("/stamps/", {"lot": GTIN_LOT, "count": "5"})
    batch = StampBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/stamps/batches/{batch.pk}/"
    detail = client.get(response["Location"])
    assert detail.status_code == 200 and b"<svg" in detail.content
    serial = batch.stamps.first().serial
    assert serial.encode() in detail.content
    csv_response = client.get(f"/stamps/batches/{batch.pk}/serials.csv")
    assert csv_response.status_code == 200 and serial in csv_response.content.decode()
    client.post(f"/stamps/batches/{batch.pk}/void/", {"serials": serial, "reason": "torn"})
    assert Stamp.objects.get(serial=serial).status == "voided"


def test_web_page_refuses_bad_input_and_wrong_roles(world, chain):
    client = logged_in(world, "packing")
    bad = client.post("/stamps/", {"lot": GTIN_LOT, "count": "0"})
    assert bad.status_code == 422 and not StampBatch.objects.exists()
    coop = logged_in(world, "coop")
    page = coop.get("/stamps/")
    assert page.status_code == 200 and b'name="count"' not in page.content
    assert coop.post("/stamps/", {"lot": GTIN_LOT, "count": "5"}).status_code == 403
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 1)
    assert coop.get(f"/stamps/batches/{batch.pk}/").status_code == 404
    assert coop.get(f"/stamps/batches/{batch.pk}/serials.csv").status_code == 404
    from django.test import Client

    assert Client().get("/stamps/").status_code == 302  # to the login page


# ------------------------------------------------------------------ command line


def test_command_line(world, chain, tmp_path):
    out = io.StringIO()
    call_command(
        "stamps",
        "request",
        "--as",
        "packing_user",
        "--lot",
        GTIN_LOT_URN,
        "--count",
        "2",
        stdout=out,
    )
    batch = StampBatch.objects.get()
    assert f"Batch {batch.pk}" in out.getvalue()
    target = tmp_path / "serials.csv"
    call_command(
        "stamps",
        "export",
        str(batch.pk),
        "--as",
        "packing_user",
        "-o",
        str(target),
        stderr=io.StringIO(),
    )
    serial = target.read_text().splitlines()[1].split(",")[0]
    call_command(
        "stamps", "void", serial, "--as", "packing_user", "--reason", "torn", stdout=io.StringIO()
    )
    assert Stamp.objects.get(serial=serial).status == "voided"
    looked = io.StringIO()
    call_command("stamps", "lookup", serial, stdout=looked)
    assert looked.getvalue().strip() == "voided"
    with pytest.raises(CommandError):
        call_command(
            "stamps", "request", "--as", "coop_user", "--lot", GTIN_LOT_URN, "--count", "2"
        )
    with pytest.raises(CommandError):
        call_command(
            "stamps", "request", "--as", "packing_user", "--lot", GTIN_LOT_URN, "--count", "0"
        )


def test_label_sheets_as_pdf(world, chain, tmp_path):
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 4)
    client = logged_in(world, "packing")
    response = client.get(f"/stamps/batches/{batch.pk}/labels.pdf?layout=a4")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    (tmp_path / "labels.pdf").write_bytes(response.content)
    roll = client.get(f"/stamps/batches/{batch.pk}/labels.pdf?layout=roll")
    assert roll.status_code == 200 and roll.content.startswith(b"%PDF")
    assert client.get(f"/stamps/batches/{batch.pk}/labels.pdf?layout=x").status_code == 422
    assert logged_in(world, "coop").get(f"/stamps/batches/{batch.pk}/labels.pdf").status_code == 404
    assert logged_in(world, "ppo").get(f"/stamps/batches/{batch.pk}/labels.pdf").status_code == 403


def test_lot_keys():
    key = services.lot_key(GTIN_LOT_URN)
    assert (key.primary, key.key, key.lot) == ("01", "08930000123459", "P-77")
    own = services.lot_key("urn:agritrace:lot:VN-DLPH-0001:L-1")
    assert (own.primary, own.key, own.lot) == ("p", "VN-DLPH-0001", "L-1")
    for bad in (
        "https://id.gs1.org/01/08930000123459/10/A%2FB",  # a slash cannot be routed
        "urn:agritrace:lot:VN-DLPH-0001:" + "x" * 30,  # longer than AI 10 allows
        "urn:agritrace:loc:VN-DLPH-0001",
        "https://id.gs1.org/00/106141411234567897",
    ):
        with pytest.raises(ValidationError):
            services.lot_key(bad)


def test_api_void_refuses_other_roles(world, chain):
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 1)
    payload = json.dumps({"serials": [batch.stamps.get().serial], "reason": "x"})
    for key in ("coop", "ppo"):
        response = bearer(world, key).post(
            "/api/stamps/void", payload, content_type="application/json"
        )
        assert response.status_code == 403
    assert batch.stamps.get().status == "active"
