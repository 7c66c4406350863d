"""The public side: the page a scanned stamp opens (every status, three languages, no login, no
scripts needed), the scan log and the suspected-copy rule with its alert, the JSON lookup for
importers, the public code lookup, rate limiting and caching headers, and bad input of every
kind (a clear page or 4xx JSON, never a 500)."""

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from agritrace.audit.models import AuditEntry
from agritrace.notifications.models import Notification
from agritrace.registry import lifecycle
from agritrace.registry.models import Certificate
from agritrace.stamps import scanstate, services
from agritrace.stamps.models import Scan, Stamp

from .conftest import GTIN_LOT_URN, path_of, recall

pytestmark = pytest.mark.django_db


@pytest.fixture
def stamps(world, chain):
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 5)
    return [services.stamp_uri(s) for s in batch.stamps.order_by("pk")]


def open_page(uri_or_path: str, lang: str = "en", client: Client | None = None, **extra):
    client = client or Client(HTTP_ACCEPT_LANGUAGE=lang, HTTP_USER_AGENT="test-phone")
    path = path_of(uri_or_path) if uri_or_path.startswith("http") else uri_or_path
    return client.get(path, **extra)


def status_of(response) -> str:
    text = response.content.decode()
    marker = 'data-status="'
    return text[text.index(marker) + len(marker) :].split('"', 1)[0]


# ------------------------------------------------------------------ the page


def test_a_genuine_stamp_shows_its_lot_without_personal_data(world, chain, stamps):
    Certificate.objects.create(
        area=chain.area,
        kind="vietgap",
        number="VG-123",
        issuer="Trung tâm",
        valid_from=timezone.localdate() - timedelta(days=10),
        valid_to=timezone.localdate() + timedelta(days=300),
    )
    response = open_page(stamps[0])
    assert response.status_code == 200
    assert status_of(response) == "genuine"
    html = response.content.decode()
    assert "Genuine stamp" in html
    assert "Durian" in html and chain.area.code in html and chain.house.code in html
    assert "Cơ sở đóng gói Phúc Thịnh" in html
    assert world.province.name in html
    assert "2025-06-01" in html and "2025-06-02" in html  # harvest and packing dates
    assert "PC-2025-0001" in html  # the phytosanitary certificate
    assert "VG-123" in html
    for household in chain.area.households.all():  # no household names, no ID numbers
        assert household.name not in html and household.national_id not in html
    assert 'data-bbox="' in html  # a coarse box for the map
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Language"] == "en"


def test_the_page_needs_no_login_and_no_script(stamps):
    response = open_page(stamps[0])
    html = response.content.decode()
    # the verdict and the facts are in the HTML itself; scripts only add the map and a button
    assert "Genuine stamp" in html and "data-share-place hidden" in html


def test_languages_from_the_browser_and_switchable(stamps):
    vi = open_page(stamps[0], lang="vi-VN,vi;q=0.9")
    html = vi.content.decode()
    assert '<html lang="vi">' in html and "Sầu riêng" in html and "Genuine stamp" not in html
    assert "Số sê-ri" in html or "Serial number" not in html
    zh = open_page(stamps[0], lang="zh-CN,zh;q=0.9,en;q=0.5")
    assert '<html lang="zh-Hans">' in zh.content.decode() and "正品标签" in zh.content.decode()
    assert "榴莲" in zh.content.decode()
    assert zh["Content-Language"] == "zh-Hans"
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    switched = client.get(path_of(stamps[0]) + "&lang=en")
    assert "Genuine stamp" in switched.content.decode()
    assert switched.cookies["agritrace_lookup_lang"].value == "en"
    assert "Genuine stamp" in client.get(path_of(stamps[0])).content.decode()  # kept
    assert '<html lang="vi">' in open_page(stamps[0], lang="fr").content.decode()  # default


def test_recalled_lot(world, chain, stamps):
    recall(world, GTIN_LOT_URN)
    services.forget_lot_summary(Stamp.objects.first().batch.lot_id)
    response = open_page(stamps[0])
    assert status_of(response) == "recalled" and "Recalled" in response.content.decode()


def test_a_recalled_harvest_lot_recalls_what_was_packed_from_it(world, chain, stamps):
    recall(world, chain.harvest_lot)
    services.forget_lot_summary(Stamp.objects.first().batch.lot_id)
    assert status_of(open_page(stamps[1])) == "recalled"


def test_a_recall_shows_on_the_stamp_at_once_and_a_lifted_one_clears(
    world, chain, stamps, django_capture_on_commit_callbacks
):
    from agritrace.trace import recall as recalls
    from agritrace.trace.tests.test_recall import failed_sample

    assert status_of(open_page(stamps[0])) == "genuine"  # the lot's summary is now cached
    sample = failed_sample(world, chain, sampled_on=date(2025, 6, 5))
    with django_capture_on_commit_callbacks(execute=True):  # as at a real commit
        made = recalls.start_recall(world.actor("ppo"), sample_id=sample.pk, reason="Cadmium")
    response = open_page(stamps[0])  # no waiting for the cached summary to expire
    assert status_of(response) == "recalled" and "Cadmium" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        recalls.close_recall(world.actor("ppo"), made.pk, outcome="lifted", note="Lab error")
    assert status_of(open_page(stamps[0])) == "genuine"  # released
    with django_capture_on_commit_callbacks(execute=True):
        again = recalls.start_recall(world.actor("ppo"), sample_id=sample.pk)
        recalls.close_recall(world.actor("ppo"), again.pk, outcome="completed", note="Destroyed")
    assert status_of(open_page(stamps[0])) == "recalled"  # withdrawn lots stay recalled


def test_revoked_and_suspended_codes(world, chain, stamps):
    lot_id = Stamp.objects.first().batch.lot_id
    lifecycle.suspend(chain.house, world.actor("ppo"), "pests found")
    services.forget_lot_summary(lot_id)
    assert status_of(open_page(stamps[0])) == "suspended"
    lifecycle.revoke(chain.area, world.actor("ppo"), "misuse")
    services.forget_lot_summary(lot_id)
    response = open_page(stamps[0])
    assert status_of(response) == "revoked" and "Code revoked" in response.content.decode()


def test_a_voided_stamp(world, stamps):
    serial = services.lookup_uri(stamps[2]).serial
    services.void_stamps(world.actor("packing"), [serial], "torn")
    assert status_of(open_page(stamps[2])) == "voided"
    assert status_of(open_page(stamps[3])) == "genuine"


def test_an_upper_cased_serial_and_signature_still_read(stamps):
    path = path_of(stamps[0])
    head, serial_and_query = path.split("/21/")
    assert status_of(open_page(f"{head}/21/{serial_and_query.upper().replace('?S=', '?s=')}")) == (
        "genuine"
    )


def test_a_forged_stamp(stamps):
    # a serial that was never issued, signed by somebody without the key
    path = path_of(stamps[0])
    serial = path.split("/21/")[1].split("?")[0]
    forged = path.replace(serial, "abcdefghijklm")
    response = open_page(forged)
    assert response.status_code == 422 and status_of(response) == "forged"
    assert "Not genuine" in response.content.decode()
    # a genuine serial with its lot changed: the signature no longer matches
    altered = open_page(path.replace("/10/P-77/", "/10/P-78/"))
    assert status_of(altered) == "forged"
    # no signature at all
    assert status_of(open_page(path.split("?")[0])) == "forged"
    assert not Scan.objects.exists()


def test_an_unknown_but_well_signed_serial(world, stamps, settings):
    from agritrace.stamps import signing

    serial = "aaaaaaaaaaaaa"
    signature = signing.sign("01", "08930000123459", "P-77", serial)
    response = open_page(f"/01/08930000123459/10/P-77/21/{serial}?s={signature}")
    assert response.status_code == 404 and status_of(response) == "unknown"
    # a key id the service does not know
    unknown_key = open_page(f"/01/08930000123459/10/P-77/21/{serial}?s=zz.{'a' * 16}")
    assert unknown_key.status_code == 404 and status_of(unknown_key) == "unknown"


@pytest.mark.parametrize(
    "path",
    [
        "/01/08930000123450/10/P-77/21/abcdefghijklm?s=1.aaaaaaaaaaaaaaaa",  # check digit
        "/01/08930000123459/10/P-77",  # no serial
        "/01/08930000123459/21/abcdefghijklm/10/P-77",  # qualifiers out of order
        "/01/0893000012/10/P-77/21/abcdefghijklm",  # GTIN too short
        "/01/08930000123459/10/P-77/21/abcdefghijklm?17=99",  # bad date attribute
        "/01/08930000123459/10/P-77/21/abcdefghijklm?999=x",  # unknown AI
        "/01/" + "9" * 3000,  # absurdly long
        "/gtin/",
        "/p/",
    ],
)
def test_malformed_uris_give_a_clear_page(stamps, path):
    response = open_page(path)
    assert response.status_code == 400
    assert status_of(response) == "malformed"
    assert "Unreadable code" in response.content.decode()


def test_a_truncated_qr_code(stamps):
    uri = stamps[0]
    for cut in (len(uri) - 3, len(uri) - 10, uri.index("/21/") + 8, uri.index("/10/") + 3):
        response = open_page(uri[:cut])
        assert response.status_code in (400, 422), cut
        assert status_of(response) in ("malformed", "forged"), cut
    # cut inside the signature: an incomplete code, not an accusation of forgery
    assert status_of(open_page(uri[:-3])) == "malformed"
    # cut inside the serial
    assert status_of(open_page(uri[: uri.index("/21/") + 8])) == "malformed"


@pytest.mark.parametrize(
    "suffix",
    [
        "&s=<script>alert(1)</script>",
        "&lang=<script>",
        "&lang=zh%00",
        "&17=%FF%FE",
        "&x=' OR 1=1 --",
        "&17=1' UNION SELECT password FROM auth_user--",
    ],
)
def test_injection_in_parameters(stamps, suffix):
    response = open_page(path_of(stamps[0]) + suffix)
    assert response.status_code in (200, 400, 422)
    assert b"<script>alert" not in response.content and b'<script>"' not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/01/08930000123459/10/%3Cscript%3Ex%3C/21/abcdefghijklm?s=1.aaaa",
        "/01/08930000123459/10/%FF/21/abcdefghijklm",  # not UTF-8
        "/01/08930000123459/10/P'%3B%20DROP%20TABLE%20stamps_stamp%3B--/21/abcdefghijklm",
        "/p/%3Cimg%20src=x%20onerror=alert(1)%3E/10/L/21/abcdefghijklm?s=1." + "a" * 16,
    ],
)
def test_injection_in_the_path_is_refused_or_escaped(stamps, path):
    response = open_page(path)
    assert response.status_code in (200, 400, 422)
    assert status_of(response) in ("malformed", "forged")
    assert b"<script>x" not in response.content and b"<img src=x" not in response.content
    assert Stamp.objects.count() == 5


def test_the_served_page_escapes_a_markup_lot(world, chain):
    """A lot whose code holds markup characters (allowed by GS1) is shown as text."""
    response = open_page("/01/08930000123459/10/%3Cb%3Ebold/21/aaaaaaaaaaaaa?s=1." + "a" * 16)
    assert b"<b>bold" not in response.content


# ------------------------------------------------------------------ scans and copies


def test_every_scan_is_logged_without_the_ip(stamps):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.7")
    open_page(stamps[0], client=client)
    open_page(stamps[0], client=client)
    scans = list(Scan.objects.all())
    assert len(scans) == 2
    assert all("203.0.113.7" not in s.client and len(s.client) == 32 for s in scans)
    assert scans[0].client == scans[1].client
    assert scans[0].lat is None


def test_the_page_tells_when_and_where_the_stamp_was_first_scanned(stamps):
    first = open_page(stamps[0]).content.decode()
    assert "This is the first scan of this stamp." in first
    stamp = Stamp.objects.get(serial=services.lookup_uri(stamps[0]).serial)
    Scan.objects.filter(stamp=stamp).update(
        at=timezone.now() - timedelta(days=2), lat=Decimal("10.8"), lon=Decimal("106.7")
    )
    # the table was edited behind the service's back: drop the stamp's incremental scan state,
    # which is then rebuilt from the table (as after an eviction)
    scanstate.forget(stamp.pk)
    second = open_page(stamps[0]).content.decode()
    assert "First scanned" in second and "10.8" in second and "106.7" in second
    assert "This is the first scan" not in second


def test_sharing_a_coarse_place(stamps):
    client = Client(HTTP_ACCEPT_LANGUAGE="en", enforce_csrf_checks=False)
    open_page(stamps[0], client=client)
    response = client.post(path_of(stamps[0]), {"lat": "10.823456", "lon": "106.629871"})
    assert response.status_code == 200
    assert "your approximate place was recorded" in response.content.decode()
    scan = Scan.objects.get()  # put on the same scan, not a new one
    assert (scan.lat, scan.lon) == (Decimal("10.8"), Decimal("106.6"))
    bad = client.post(path_of(stamps[0]), {"lat": "abc", "lon": "1e999"})
    assert bad.status_code == 200 and Scan.objects.count() == 1
    outside = client.post(path_of(stamps[0]), {"lat": "95", "lon": "10"})
    assert outside.status_code == 200 and Scan.objects.count() == 1


def test_two_places_too_far_apart_make_a_suspected_copy_and_an_alert(world, stamps):
    stamp = Stamp.objects.get(serial=services.lookup_uri(stamps[0]).serial)
    hanoi = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.1")
    saigon = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.2")
    hanoi.post(path_of(stamps[0]), {"lat": "21.0", "lon": "105.8"})
    assert status_of(open_page(stamps[0])) == "genuine"
    response = saigon.post(path_of(stamps[0]), {"lat": "10.8", "lon": "106.7"})
    assert status_of(response) == "copy"
    stamp.refresh_from_db()
    assert stamp.suspected_copy_at is not None
    assert status_of(open_page(stamps[0])) == "copy"
    assert status_of(open_page(stamps[1])) == "genuine"  # the others are not touched
    alerted = set(Notification.objects.values_list("organisation__name", flat=True))
    assert world.orgs["packing"].name in alerted
    assert world.orgs["ppo"].name in alerted and world.orgs["province"].name in alerted
    assert world.orgs["other_ppo"].name not in alerted
    assert AuditEntry.objects.filter(action="stamps.suspected_copy").count() == 1
    # a third far scan does not alert again
    Client(REMOTE_ADDR="198.51.100.3").post(path_of(stamps[0]), {"lat": "16.0", "lon": "108.2"})
    assert AuditEntry.objects.filter(action="stamps.suspected_copy").count() == 1


def test_many_clients_make_a_suspected_copy(stamps, settings):
    settings.AGRITRACE_STAMP_COPY_RULES = {"max_clients": 3}
    for i in range(3):
        assert status_of(open_page(stamps[0], client=Client(REMOTE_ADDR=f"192.0.2.{i}"))) in (
            "genuine",
        )
    assert status_of(open_page(stamps[0], client=Client(REMOTE_ADDR="192.0.2.99"))) == "copy"


def test_many_places_make_a_suspected_copy(stamps, settings):
    settings.AGRITRACE_STAMP_COPY_RULES = {"max_places": 2, "min_distance_km": 10_000}
    client = Client()
    for lat in ("10.1", "10.3", "10.5"):
        response = client.post(path_of(stamps[0]), {"lat": lat, "lon": "106.0"})
        open_page(stamps[0], client=client)  # a new scan for the next place
    assert status_of(response) == "copy"


def test_the_same_person_scanning_again_is_no_copy(stamps):
    client = Client(REMOTE_ADDR="192.0.2.1")
    for _i in range(30):
        response = open_page(stamps[0], client=client)
    assert status_of(response) == "genuine"


# ------------------------------------------------------------------ JSON API and codes


def test_json_lookup_by_uri_and_serial(chain, stamps):
    client = Client()
    response = client.get("/api/stamps/lookup", {"uri": stamps[0]})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "genuine" and body["lot"] == "P-77"
    assert body["planting_areas"][0]["code"] == chain.area.code
    assert body["packing_house"]["code"] == chain.house.code
    assert body["pack_date"] == "2025-06-02" and body["recalled"] is False
    assert "household" not in response.content.decode().lower()
    assert response["Cache-Control"] == "no-store"  # every check must reach the scan count
    serial = body["serial"]
    by_serial = client.get("/api/stamps/lookup", {"serial": serial.upper()})
    assert by_serial.status_code == 200 and by_serial.json()["uri"] == stamps[0]
    assert Scan.objects.count() == 2  # machines' lookups are scans too (issue 19)


FORGED_URI = "https://x/01/08930000123459/10/P-77/21/abcdefghijklm?s=1.aaaaaaaaaaaaaaaa"


@pytest.mark.parametrize(
    "params,status,verdict",
    [
        ({}, 400, "malformed"),
        ({"uri": "not a uri"}, 400, "malformed"),
        ({"uri": "https://x/01/08930000123450/21/a"}, 400, "malformed"),
        ({"serial": "zzzz"}, 400, "malformed"),
        ({"serial": "aaaaaaaaaaaaa"}, 404, "unknown"),
        ({"serial": "' OR 1=1 --"}, 400, "malformed"),
        ({"uri": FORGED_URI}, 422, "forged"),
    ],
)
def test_json_lookup_bad_input(stamps, params, status, verdict):
    response = Client().get("/api/stamps/lookup", params)
    assert response.status_code == status
    assert response.json()["status"] == verdict


def test_public_code_lookup_page_and_api(chain):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/lookup/", {"code": chain.area.code.lower()})
    assert page.status_code == 200
    html = page.content.decode()
    assert chain.area.code in html and 'data-code-status="issued"' in html and "CN" in html
    assert page["Cache-Control"] == "public, max-age=60"
    assert "Durian" in html
    vi = Client().get("/lookup/", {"code": chain.area.code, "lang": "vi"}).content.decode()
    assert "Sầu riêng" in vi
    compact = chain.house.code.replace("VN-", "VN", 1)  # written without the first hyphen
    assert client.get("/lookup/", {"code": compact}).status_code == 200
    missing = client.get("/lookup/", {"code": "VN-XXOR-9999"})
    assert missing.status_code == 404 and "No published code matches." in missing.content.decode()
    api = client.get(f"/api/stamps/codes/{quote(chain.area.code)}")
    assert api.status_code == 200 and api.json()["status"] == "issued"
    assert api.json()["markets"] == ["CN"]
    assert client.get("/api/stamps/codes/%3Cscript%3E").status_code == 404


def test_serial_lookup_page(stamps):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    serial = services.lookup_uri(stamps[0]).serial
    response = client.get("/lookup/", {"serial": serial.upper()})
    assert response.status_code == 302
    assert response["Location"].startswith(path_of(stamps[0]).split("?")[0])
    followed = client.get(response["Location"])
    assert status_of(followed) == "genuine"
    assert client.get("/lookup/", {"serial": "aaaaaaaaaaaaa"}).status_code == 404
    assert client.get("/lookup/", {"serial": "<script>"}).status_code == 400
    assert client.get("/lookup/").status_code == 200


# ------------------------------------------------------------------ limits


def test_rate_limit_answers_429(stamps, settings):
    settings.AGRITRACE_STAMP_RATE_LIMIT = 3
    client = Client(REMOTE_ADDR="192.0.2.50", HTTP_ACCEPT_LANGUAGE="en")
    for _i in range(3):
        assert open_page(stamps[0], client=client).status_code == 200
    page = open_page(stamps[0], client=client)
    assert page.status_code == 429 and 1 <= int(page["Retry-After"]) <= 60
    assert "Too many requests" in page.content.decode()
    api = client.get("/api/stamps/lookup", {"uri": stamps[0]})
    assert api.status_code == 429 and "detail" in api.json()
    other = Client(REMOTE_ADDR="192.0.2.51")
    assert open_page(stamps[0], client=other).status_code == 200


def test_the_lookup_is_one_stamp_query_with_a_cached_summary(stamps, django_assert_max_num_queries):
    services.lookup_uri(stamps[0])  # warms the lot summary
    with django_assert_max_num_queries(1):
        result = services.lookup_uri(stamps[1])
    assert result.status == "genuine"


@pytest.mark.django_db(databases=[])
@pytest.mark.parametrize("lang", ["vi", "zh"])
def test_every_word_of_the_public_pages_is_translated(lang):
    """Vietnamese from the gettext catalogue, Chinese from strings.ZH: none left in English
    (except the names and codes that read the same)."""
    from agritrace.stamps import strings

    english = strings.texts("en")
    same = {k for k, v in strings.texts(lang).items() if v == english[k]}
    assert same <= {k for k, v in english.items() if not any(c.isalpha() for c in v)}, same
