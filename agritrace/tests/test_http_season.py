"""A province's season loaded over HTTP only, as an outside system would (issue 19, "done
when"), and every fact read back over HTTP where it should have landed.

The one step that is not HTTP: an API token for the province's plant-protection office user,
made with the project's token service (`ApiToken.issue`, what `agritrace tokens create` calls)
— a token cannot mint tokens, and someone has to hold the first one. The places, the province
(with its abbreviation) and its authorities come from the shared `world` fixture (conftest.py);
the organisations this season needs are made anew over HTTP, not taken from it.

Everything else goes through `django.test.Client`: the office creates a cooperative, a packing
house operator and an exporter (`POST /api/accounts/organisations`) and invites one person to
each; each person follows the set-password link from the e-mail, logs in on `/login/` and makes
an API token with `POST /api/accounts/tokens` (session + CSRF, checks enforced); from then on
every organisation speaks with `Authorization: Bearer <token>` only. The registry is filled by
names (commune codes and names, area codes), the codes issued before AgriTrace come in with their
history through the existing-codes workbook (template downloaded, filled with openpyxl, dry run,
then apply), authorisations and supply contracts are recorded with periods that began in the
past, and the EPCIS 2.0 JSON documents go to `POST /epcis/capture`. The misuse checks run
after each capture's commit (`django_capture_on_commit_callbacks(execute=True)`), and the
cases are read back through `/api/misuse/cases` as the province and the commune see them.

Dates: the lawful chain is last year's durian season in Đắk Lắk (the season calendar says
August-September; a harvest out of season or with no diary entry is a misuse pattern), so every
period lies in the past whatever day the test runs, and every event arrives late (flagged
`late_capture`, never refused for it).

The GeoJSON import sets `expected_yield_t` on the areas it creates only (registry/transfer.py),
and the codes workbook has no such column, so an imported area's expected yield is set with
`PATCH /api/areas/{id}`.
"""

import io
import json
import re
from datetime import date, datetime, timedelta
from urllib.parse import quote, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from agritrace.accounts.models import ApiToken
from conftest import square

pytestmark = pytest.mark.django_db

CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"agt": "urn:agritrace:voc:"},
]
AREA_OK = "VN-DLOR-0101"  # issued, lawful chain
AREA_SUSPENDED = "VN-DLOR-0102"  # issued, suspended 30 days ago
HOUSE = "VN-DLPH-0201"


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def ok(response, status=200) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    if response.get("Content-Type", "").startswith("application/") and response.content:
        return response.json()
    return {}


def post_json(client: Client, url: str, data, status=201) -> dict:
    return ok(client.post(url, json.dumps(data), content_type="application/json"), status)


def csrf(client: Client) -> str:
    return client.cookies["csrftoken"].value


def onboard(office: Client, org: dict, email: str, on_commit) -> str:
    """Invite a person to `org`, let them set a password through the e-mailed link, log in
    and make an API token in their session: returns the raw token."""
    sent = len(mail.outbox)
    with on_commit(execute=True):  # the invitation leaves on commit
        post_json(
            office,
            f"/api/accounts/organisations/{org['identifier']}/invitations",
            {"email": email, "role": "officer", "first_name": "Test"},
        )
    assert len(mail.outbox) == sent + 1 and mail.outbox[-1].to == [email]
    link = re.search(r"http\S+/accounts/invitations/\S+/", mail.outbox[-1].body).group(0)
    browser = Client(enforce_csrf_checks=True)
    path = urlsplit(link).path
    ok(browser.get(path))
    password = "Mùa-vụ-2026-an-toàn"
    done = browser.post(
        path,
        {
            "new_password1": password,
            "new_password2": password,
            "csrfmiddlewaretoken": csrf(browser),
        },
    )
    assert done.status_code == 302, done.content[:2000]
    # Log in as the person would (a fresh browser: the login page gives the CSRF cookie).
    browser = Client(enforce_csrf_checks=True)
    ok(browser.get("/login/"))
    username = email.split("@")[0]
    r = browser.post(
        "/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": csrf(browser)},
    )
    assert r.status_code == 302, r.content[:2000]
    me = ok(browser.get("/api/accounts/me"))
    assert me["organisation"]["id"] == org["id"]
    # Without the CSRF header the session may not mint a token; with it, it may.
    refused = browser.post(
        "/api/accounts/tokens", json.dumps({"name": "erp"}), content_type="application/json"
    )
    assert refused.status_code == 403
    made = ok(
        browser.post(
            "/api/accounts/tokens",
            json.dumps({"name": "erp"}),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=csrf(browser),
        ),
        201,
    )
    raw = made["token"]
    # A token cannot mint tokens.
    again = bearer(raw).post(
        "/api/accounts/tokens", json.dumps({"name": "x"}), content_type="application/json"
    )
    assert again.status_code in (401, 403)
    return raw


def codes_workbook(template: bytes, rows: list[dict]) -> bytes:
    """Fill the downloaded template by its headers (required ones end in *): keep the header
    row, replace the example row."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template))
    sheet = book["codes"]
    headers = [str(cell.value).rstrip("*") for cell in sheet[1]]
    for row in rows:
        assert set(row) <= set(headers), set(row) - set(headers)
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(content: bytes, name: str = "codes.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def lot(owner: str, name: str) -> str:
    return f"urn:agritrace:lot:{owner}:{name}"


def loc(code: str) -> str:
    return f"urn:agritrace:loc:{code}"


def document(*events: dict) -> str:
    return json.dumps(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": timezone.now().isoformat(),
            "epcisBody": {"eventList": list(events)},
        }
    )


def at(day, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00+07:00"


def harvest(area_code: str, name: str, kg: int, when: str) -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": when,
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "quantityList": [{"epcClass": lot(area_code, name), "quantity": kg, "uom": "KGM"}],
        "readPoint": {"id": loc(area_code)},
        "bizLocation": {"id": loc(area_code)},
    }


def capture(client: Client, *events: dict):
    return client.post("/epcis/capture", document(*events), content_type="application/ld+json")


def test_a_season_loaded_over_http_lands_where_it_should(
    world, communes, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    # Last year's durian season in Đắk Lắk (August-September by the season calendar): the
    # whole season lies in the past, whatever day the test runs.
    season_day = date(today.year - 1, 9, 15)
    commune = communes[0]  # the place the world fixture's commune committee sits on
    # an outside system finds the commune's official code in the public places API
    [place] = ok(Client().get("/api/places/communes", {"province": "dak lak", "q": commune.name}))[
        "items"
    ]
    assert place["code"] == commune.code
    # -- bootstrap: the one token made outside HTTP -----------------------------------------
    _token, office_raw = ApiToken.issue(world.users["ppo"], "season loader")
    office = bearer(office_raw)

    # -- organisations and people ----------------------------------------------------------
    orgs = {}
    for key, kind, name in [
        ("coop", "representative", "HTX Sầu riêng Mùa Mới"),
        ("packing", "packing_house", "Công ty Đóng gói Mùa Mới"),
        ("exporter", "exporter", "Công ty XNK Mùa Mới"),
    ]:
        orgs[key] = post_json(
            office,
            "/api/accounts/organisations",
            {"name": name, "kind": kind, "commune_code": commune.code, "email": f"{key}@mm.vn"},
        )
        assert orgs[key]["unit"]["code"] == commune.code
        assert orgs[key]["party"].startswith("urn:agritrace:org:")
    tokens = {
        key: onboard(office, orgs[key], f"{key}.lead@mm.vn", django_capture_on_commit_callbacks)
        for key in orgs
    }
    coop, packer, exporter = (bearer(tokens[k]) for k in ("coop", "packing", "exporter"))
    # the commune's People's Committee is already registered: find it by place, invite someone
    [ward] = [
        o
        for o in ok(office.get("/api/accounts/organisations", {"kind": "commune"}))["items"]
        if o["unit"]["code"] == commune.code
    ]
    ward_client = bearer(
        onboard(office, ward, "ward.officer@mm.vn", django_capture_on_commit_callbacks)
    )
    listed = ok(office.get("/api/accounts/organisations", {"q": "Mùa Mới"}))
    assert {o["identifier"] for o in listed["items"]} == {o["identifier"] for o in orgs.values()}
    detail = ok(office.get(f"/api/accounts/organisations/{orgs['coop']['identifier']}"))
    assert [m["active"] for m in detail["members"]] == [True]

    # -- codes issued before AgriTrace, with their history --------------------------------
    r = office.get("/api/registry/code-imports/template.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    suspended_on = season_day + timedelta(days=2)
    base = {
        "Xã/phường": commune.code,
        "Tỉnh": "Đắk Lắk",
        "Ngày cấp": "2024-03-01",
        "Thị trường": "CN=2024-04-01",
    }
    rows = [
        {
            **base,
            "Mã số": AREA_OK,
            "Loại": "area",
            "Tên vùng trồng": "Vùng sầu riêng Mùa Mới 1",
            "Mã định danh tổ chức": orgs["coop"]["identifier"],
            "Cây trồng": "durian",
            "Giống": "Ri6",
            "Diện tích (ha)": "10",
        },
        {
            **base,
            "Mã số": AREA_SUSPENDED,
            "Loại": "area",
            "Tên vùng trồng": "Vùng sầu riêng Mùa Mới 2",
            "Mã định danh tổ chức": orgs["coop"]["identifier"],
            "Cây trồng": "durian",
            "Diện tích (ha)": "8",
            "Ngày tạm dừng": suspended_on.isoformat(),
            "Lý do tạm dừng": "Quarantine pest found",
        },
        {
            **base,
            "Mã số": HOUSE,
            "Loại": "packing_house",
            "Tên vùng trồng": "Cơ sở đóng gói Mùa Mới",
            "Mã định danh tổ chức": orgs["packing"]["identifier"],
            "Cây trồng": "durian",
            "Công suất (tấn/ngày)": "40",
            "Địa chỉ": "Thôn 2",
        },
    ]
    content = codes_workbook(r.content, rows)
    dry = ok(office.post("/api/registry/code-imports", {"file": upload(content)}))
    assert dry["applied"] is False, dry
    assert dry["counts"] == {"create": 3, "update": 0, "unchanged": 0, "problems": 0}, dry
    assert ok(coop.get("/api/areas"))["items"] == []  # a dry run writes nothing
    # a bad cell: named by row and column, and nothing is written
    bad = codes_workbook(r.content, [rows[0], {**rows[1], "Thị trường": "XX=2024-04-01"}])
    r_bad = office.post("/api/registry/code-imports", {"file": upload(bad), "dry_run": "false"})
    assert r_bad.status_code == 422, r_bad.content[:2000]
    assert r_bad.json()["errors"] == {"row 3: markets": ["Unknown market: XX"]}
    assert ok(coop.get("/api/areas"))["items"] == []
    applied = ok(
        office.post("/api/registry/code-imports", {"file": upload(content), "dry_run": "false"})
    )
    assert applied["applied"] is True
    areas = {a["code"]: a for a in ok(coop.get("/api/areas"))["items"]}
    assert set(areas) == {AREA_OK, AREA_SUSPENDED}
    area_ok = ok(coop.get(f"/api/areas/{areas[AREA_OK]['id']}"))
    assert area_ok["code_status"] == "issued" and area_ok["commune"]["id"] == commune.pk
    issued_at = datetime.fromisoformat(area_ok["issued_at"].replace("Z", "+00:00"))
    assert timezone.localtime(issued_at).date() == date(2024, 3, 1)  # local midnight
    cn = next(m for m in area_ok["markets"] if m["code"] == "CN")
    assert cn["approval_status"] == "approved"
    area_susp = ok(coop.get(f"/api/areas/{areas[AREA_SUSPENDED]['id']}"))
    assert area_susp["code_status"] == "suspended"
    assert area_susp["status_reason"] == "Quarantine pest found"
    [house] = ok(packer.get("/api/packing-houses"))["items"]
    assert house["code"] == HOUSE and house["code_status"] == "issued"
    approvals = ok(packer.get(f"/api/packing-houses/{house['id']}/market-approvals"))
    assert [(a["market"]["code"], a["status"]) for a in approvals] == [("CN", "approved")]
    public = {c["code"]: c for c in ok(Client().get("/api/public/codes"))["items"]}
    assert public[AREA_OK]["status"] == "issued" and public[AREA_OK]["approved_markets"] == ["CN"]
    assert public[AREA_SUSPENDED]["status"] == "suspended"
    assert public[HOUSE]["kind"] == "packing_house"
    # the day of issue as the province wrote it (a local midnight, not the UTC date before it)
    assert {public[c]["issued_at"] for c in (AREA_OK, AREA_SUSPENDED, HOUSE)} == {"2024-03-01"}
    # the province files the house's code with a second importing country (a past day)
    catalogue = ok(Client().get("/api/public/catalogue"))
    market_id = {m["code"]: m["id"] for m in catalogue["markets"]}
    filed = ok(
        office.post(
            f"/api/packing-houses/{house['id']}/market-approvals",
            json.dumps({"market": market_id["KR"], "move": "submit", "on": "2024-06-03"}),
            content_type="application/json",
        )
    )
    approvals = ok(packer.get(f"/api/packing-houses/{house['id']}/market-approvals"))
    assert [(a["market"]["code"], a["status"]) for a in approvals] == [
        ("CN", "approved"),
        ("KR", filed["status"]),
    ]
    assert approvals[1]["submitted_at"] == "2024-06-03"
    # the same workbook again changes nothing
    again = ok(
        office.post("/api/registry/code-imports", {"file": upload(content), "dry_run": "false"})
    )
    assert again["counts"]["unchanged"] == 3, again

    # -- the registry by names -------------------------------------------------------------
    durian = next(c for c in catalogue["crops"] if c["code"] == "durian")
    cn_id = market_id["CN"]
    # plots and households of an issued area, by its code, from the coop's GIS (GeoJSON)
    features = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": square(108.05 + i * 0.01, 12.67, 300),
                "properties": {
                    "area_code": AREA_OK,
                    "commune_code": commune.code,
                    "expected_yield_t": 120,
                    "harvests_per_year": 1,
                    "household": f"Hộ Mùa Mới {i}",
                    "national_id": f"06619100000{i}",
                    "label": f"MM-{i}",
                },
            }
            for i in (1, 2)
        ],
    }
    geo = json.dumps(features)
    dry = ok(coop.post("/api/areas/import", geo, content_type="application/geo+json"))
    assert (dry["applied"], dry["households_created"], dry["plots_created"]) == (False, 2, 2), dry
    assert ok(coop.get(f"/api/areas/{area_ok['id']}"))["plots"]["count"] == 0
    done = ok(coop.post("/api/areas/import?apply=true", geo, content_type="application/geo+json"))
    assert done["applied"] is True and done["plots_created"] == 2, done
    area_ok = ok(coop.get(f"/api/areas/{area_ok['id']}"))
    assert area_ok["plots"]["count"] == 2 and len(area_ok["households"]) == 2
    r = coop.patch(
        f"/api/areas/{area_ok['id']}",
        json.dumps({"expected_yield_t": "120", "harvests_per_year": 1, "reason": "season 2025"}),
        content_type="application/json",
    )
    area_ok = ok(r)
    assert (area_ok["expected_yield_t"], area_ok["harvests_per_year"]) == (120.0, 1)
    assert area_ok["code_status"] == "issued"
    # a new area, its household and plot, naming the commune by name and province
    draft = post_json(
        coop,
        "/api/areas",
        {
            "name": "Vùng sầu riêng Mùa Mới 3",
            "crop": durian["id"],
            "commune_name": commune.name,
            "province_name": "Đắk Lắk",
            "declared_area_ha": "2",
            "markets": [cn_id],
        },
    )
    household = post_json(
        coop,
        "/api/households",
        {"name": "Hộ Y Mùa", "commune_code": commune.code, "national_id": "066191000009"},
    )
    post_json(
        coop,
        "/api/plots",
        {
            "household": household["id"],
            "area": draft["id"],
            "label": "MM-9",
            "geometry": square(108.2, 12.7, 140),
        },
    )
    r = coop.put(
        f"/api/areas/{draft['id']}/households",
        json.dumps({"household_ids": [household["id"]]}),
        content_type="application/json",
    )
    draft = ok(r)
    assert draft["code"] in ("", None) and draft["code_status"] == "none"
    assert draft["commune"]["id"] == commune.pk and draft["plots"]["count"] == 1
    assert [h["id"] for h in draft["households"]] == [household["id"]]

    # -- authorisations and supply contracts with past periods -----------------------------
    since, until = season_day - timedelta(days=60), season_day + timedelta(days=30)
    auth = post_json(
        office,
        "/api/authorisations",
        {
            "area_code": AREA_OK,
            "grantee": orgs["exporter"]["identifier"],
            "market": "CN",
            "valid_from": since.isoformat(),
            "valid_to": until.isoformat(),
            "document_number": "45/UQ-HTX",
            "document_date": (since - timedelta(days=3)).isoformat(),
        },
    )
    assert (auth["origin"], auth["grantee"]["id"]) == ("paper", orgs["exporter"]["id"])
    listed = ok(exporter.get("/api/authorisations"))["items"]
    assert [a["id"] for a in listed] == [auth["id"]]

    def may_use(day: date) -> dict:
        query = {"market": cn_id, "org": orgs["exporter"]["id"], "day": day.isoformat()}
        return ok(office.get(f"/api/areas/{area_ok['id']}/may-use", query))

    assert may_use(season_day)["allowed"] is True  # a past day inside the period
    assert may_use(since - timedelta(days=1))["allowed"] is False
    assert may_use(until + timedelta(days=1))["allowed"] is False
    # the cooperative withdraws it from a past day on: the days before keep their answer
    withdrawn = post_json(
        coop,
        f"/api/authorisations/{auth['id']}/withdraw",
        {
            "reason": "contract ended early",
            "withdrawn_from": (until - timedelta(days=5)).isoformat(),
        },
        status=200,
    )
    assert withdrawn["withdrawn_from"] == (until - timedelta(days=5)).isoformat()
    assert may_use(season_day)["allowed"] is True
    assert may_use(until - timedelta(days=4))["allowed"] is False
    contract = post_json(
        packer,
        f"/api/packing-houses/{house['id']}/supply-contracts",
        {
            "area_code": AREA_OK,
            "valid_from": since.isoformat(),
            "valid_to": until.isoformat(),
            "reference": "HD-2025-07",
        },
    )
    active = ok(packer.get("/api/supply-contracts", {"active_on": season_day.isoformat()}))
    assert [c["id"] for c in active["items"]] == [contract["id"]]
    assert ok(packer.get("/api/supply-contracts", {"active_on": today.isoformat()}))["items"] == []
    # the authorisation is over: the exporter no longer sees the area (access honours its end)
    assert exporter.get(f"/api/areas/{area_ok['id']}").status_code == 404
    assert ok(exporter.get("/api/areas"))["items"] == []
    area_ok = ok(coop.get(f"/api/areas/{area_ok['id']}"))
    assert [c["packing_house"]["code"] for c in area_ok["supply_contracts"]] == [HOUSE]

    # the farm diary of the season (a harvest with no diary at all is a misuse pattern)
    for plot_day in (season_day - timedelta(days=40), season_day - timedelta(days=20)):
        post_json(
            coop,
            "/api/diary/entries",
            {"kind": "pruning", "date": plot_day.isoformat(), "area": area_ok["id"]},
        )

    # -- EPCIS events -----------------------------------------------------------------------
    day = season_day  # the lawful chain, uploaded after the season (late, not unlawful)
    harvest_lot, packed_lot = lot(AREA_OK, "H-0001"), lot(HOUSE, "P-0001")
    packing = {
        "type": "TransformationEvent",
        "eventTime": at(day, 10),
        "eventTimeZoneOffset": "+07:00",
        "bizStep": "packing",
        "inputQuantityList": [{"epcClass": harvest_lot, "quantity": 2000, "uom": "KGM"}],
        "outputQuantityList": [{"epcClass": packed_lot, "quantity": 1800, "uom": "KGM"}],
        "readPoint": {"id": loc(HOUSE)},
        "bizLocation": {"id": loc(HOUSE)},
    }
    shipping = {
        "type": "ObjectEvent",
        "eventTime": at(day + timedelta(days=1), 16),
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "quantityList": [{"epcClass": packed_lot, "quantity": 1800, "uom": "KGM"}],
        "readPoint": {"id": loc(HOUSE)},
        "sourceList": [
            {"type": "location", "source": loc(HOUSE)},
            {"type": "owning_party", "source": orgs["exporter"]["party"]},
            {"type": "possessing_party", "source": orgs["packing"]["party"]},
        ],
        "destinationList": [{"type": "location", "destination": "urn:agritrace:place:Huu%20Nghi"}],
        "agt:destinationName": "Hữu Nghị border gate",
        "agt:destinationCountry": "CN",
    }
    with django_capture_on_commit_callbacks(execute=True):  # the misuse checks run on commit
        for client, event in [
            (coop, harvest(AREA_OK, "H-0001", 2000, at(day, 7))),
            (packer, packing),
            (exporter, shipping),
        ]:
            r = capture(client, event)
            assert r.status_code == 202, r.content[:2000]
            job = ok(client.get(r["Location"]))
            assert job["success"] is True, job
    # a harvest under the suspended code, dated after its suspension: refused, and kept
    with django_capture_on_commit_callbacks(execute=True):
        refused = capture(
            coop, harvest(AREA_SUSPENDED, "H-0002", 900, at(suspended_on + timedelta(days=2), 8))
        )
    assert refused.status_code == 400, refused.content[:2000]
    message = " ".join(refused.json()["errors"]["$.epcisBody.eventList[0].bizLocation.id"])
    assert "[area_code_not_issued]" in message and AREA_SUSPENDED in message
    refused_id = refused.json()["captureID"]
    # one dated before the suspension, uploaded long after it: accepted (flagged late)
    with django_capture_on_commit_callbacks(execute=True):
        accepted = capture(
            coop, harvest(AREA_SUSPENDED, "H-0001", 700, at(suspended_on - timedelta(days=7), 8))
        )
    assert accepted.status_code == 202, accepted.content[:2000]

    # -- where it landed ------------------------------------------------------------------
    for client in (coop, office):  # the sender and the province's authority see the refusal
        failed = ok(client.get("/api/trace/capture-jobs", {"status": "failed"}))["captureJobs"]
        assert [(j["captureID"], j["status"]) for j in failed] == [(refused_id, "failed")]
        assert (failed[0]["eventCount"], failed[0]["storedCount"]) == (1, 0)
    job = ok(office.get(f"/api/trace/capture-jobs/{refused_id}"))
    assert job["success"] is False
    assert ok(coop.get(f"/epcis/capture/{refused_id}"))["success"] is False
    assert [(x["rule"], x["area"]) for x in job["refusals"]] == [
        ("area_code_not_issued", AREA_SUSPENDED)
    ]
    assert ok(exporter.get("/api/trace/capture-jobs", {"status": "failed"}))["captureJobs"] == []

    def events(**query) -> list[dict]:
        body = ok(office.get("/epcis/events", query))
        return body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]

    [shipped] = events(EQ_bizStep="shipping")
    assert shipped["quantityList"][0]["epcClass"] == packed_lot
    assert {"type": "owning_party", "source": orgs["exporter"]["party"]} in shipped["sourceList"]
    harvests = events(EQ_bizStep="commissioning")
    assert sorted(e["quantityList"][0]["epcClass"] for e in harvests) == [
        harvest_lot,
        lot(AREA_SUSPENDED, "H-0001"),
    ]  # the refused harvest H-0002 is not among them
    assert events(MATCH_anyEPCClass=lot(AREA_SUSPENDED, "H-0002")) == []
    flags = ok(office.get("/api/trace/flags"))["flags"]
    late = {f["eventID"]: f["severity"] for f in flags if f["rule"] == "late_capture"}
    assert {f["rule"] for f in flags} == {"late_capture"}, flags
    assert sorted(late.values()) == ["serious", "warning", "warning", "warning"]

    trace = ok(exporter.get(f"/api/trace/lots/{quote(packed_lot, safe=':')}/trace"))
    assert sorted(trace["lots"]) == sorted([harvest_lot, packed_lot])
    assert [e["bizStep"] for e in trace["events"]] == ["commissioning", "packing", "shipping"]
    assert [a["code"] for a in trace["plantingAreas"]] == [AREA_OK]
    assert [h["code"] for h in trace["packingHouses"]] == [HOUSE]
    forward = ok(
        coop.get(f"/api/trace/lots/{quote(harvest_lot, safe=':')}/trace?direction=forward")
    )
    assert sorted(forward["lots"]) == sorted([harvest_lot, packed_lot])

    # the misuse cases, as the province sees them: the attempt under the suspended code is a
    # case; the lawful chain (authorised, under contract, in season, with a diary) is none
    cases = ok(office.get("/api/misuse/cases"))["items"]
    assert not [c for c in cases if c["code"] in (AREA_OK, HOUSE)], cases
    [unusable] = [c for c in cases if c["rule"] == "code_not_usable"]
    assert unusable["code"] == AREA_SUSPENDED and unusable["party"]["id"] == orgs["coop"]["id"]
    figures = ok(office.get(f"/api/misuse/cases/{unusable['id']}"))["evidence"]["figures"]
    assert (figures["events"], figures["refused_attempts"]) == (0, 1), figures
    assert figures["statuses"] == ["refused", "suspended"]
    # the commune sees the case on its land, and the areas
    ward_cases = ok(ward_client.get("/api/misuse/cases"))["items"]
    assert [c["id"] for c in ward_cases] == [c["id"] for c in cases]
    assert {a["code"] for a in ok(ward_client.get("/api/areas"))["items"]} == {
        AREA_OK,
        AREA_SUSPENDED,
        None,
    }
    # no firm sees a case, not even about itself
    for client in (coop, exporter):
        assert client.get("/api/misuse/cases").status_code in (403, 404)
