"""Certificates of a planting area (VietGAP, GlobalG.A.P., organic, other): who may record
them, what is refused, and that markets' rules read them; through the services and the API."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.utils import timezone

from agritrace.accounts.models import Role
from agritrace.audit.models import AuditEntry
from agritrace.registry import lifecycle, services
from agritrace.registry.market_rules import market_rule_problems
from agritrace.registry.models import Certificate, Market, MarketRule
from conftest import make_area, make_user, walk_to_issued

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def cert_data(**overrides) -> dict:
    data = {
        "kind": "vietgap",
        "number": "VietGAP-TT-25-01-66-0012",
        "issuer": "Trung tâm Chứng nhận Phù hợp (QUACERT)",
        "valid_from": TODAY() - timedelta(days=30),
        "valid_to": TODAY() + timedelta(days=700),
    }
    data.update(overrides)
    return data


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


@pytest.fixture
def area(world):
    area, _app = make_area(world)
    return area


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


# ------------------------------------------------------------------ services


def test_a_representative_records_a_certificate(world, area):
    certificate = services.add_certificate(world.actor("coop"), area, cert_data(number=" V-1 "))
    assert certificate.area == area
    assert certificate.number == "V-1"
    assert certificate.is_valid_on(TODAY())
    entry = AuditEntry.objects.get(action="certificate.add")
    assert entry.object_id == str(certificate.pk)
    assert entry.after["number"] == "V-1"
    assert entry.actor == world.users["coop"]


@pytest.mark.parametrize("key", ["province", "ppo"])
def test_the_province_records_certificates_too(world, area, key):
    services.add_certificate(world.actor(key), area, cert_data())
    assert area.certificates.count() == 1


@pytest.mark.parametrize("key", ["ministry", "commune", "household", "packing", "exporter", "lab"])
def test_other_roles_may_not_record_certificates(world, area, key):
    with pytest.raises(PermissionDenied):
        services.add_certificate(world.actor(key), area, cert_data())
    assert not Certificate.objects.exists()


def test_a_viewer_may_not_record_certificates(world, area):
    viewer = make_user("viewer", world.orgs["ppo"], Role.VIEWER)
    from agritrace.accounts.access import Actor

    with pytest.raises(PermissionDenied):
        services.add_certificate(Actor.of(viewer), area, cert_data())


@pytest.mark.parametrize("key", ["other_ppo", "coop_b"])
def test_out_of_scope_areas_do_not_exist(world, area, key):
    with pytest.raises(Http404):
        services.add_certificate(world.actor(key), area, cert_data())


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"number": ""}, "number"),
        ({"number": "   "}, "number"),
        ({"number": None}, "number"),
        ({"number": 12}, "number"),
        ({"number": "x" * 61}, "number"),
        ({"kind": "gap-ish"}, "kind"),
        ({"kind": None}, "kind"),
        ({"issuer": "x" * 201}, "issuer"),
        ({"valid_from": None}, "valid_from"),
        ({"valid_from": "2025-13-01"}, "valid_from"),
        ({"valid_to": "tomorrow"}, "valid_to"),
        ({"valid_to": 20260101}, "valid_to"),
    ],
)
def test_bad_certificates_are_refused_by_field(world, area, overrides, field):
    with pytest.raises(ValidationError) as exc_info:
        services.add_certificate(world.actor("coop"), area, cert_data(**overrides))
    assert field in errors_of(exc_info)
    assert not Certificate.objects.exists()


def test_the_end_of_validity_may_not_come_before_its_start(world, area):
    with pytest.raises(ValidationError) as exc_info:
        services.add_certificate(
            world.actor("coop"),
            area,
            cert_data(valid_from=date(2025, 6, 1), valid_to=date(2025, 5, 31)),
        )
    assert errors_of(exc_info) == {"valid_to": ["The end of validity comes before its start."]}
    # One day of validity is fine, and dates may come as ISO text.
    one_day = services.add_certificate(
        world.actor("coop"), area, cert_data(valid_from="2025-06-01", valid_to="2025-06-01")
    )
    assert one_day.valid_from == one_day.valid_to == date(2025, 6, 1)


def test_a_certificate_is_recorded_once_per_area(world, area):
    services.add_certificate(world.actor("coop"), area, cert_data(number="VG-7"))
    with pytest.raises(ValidationError) as exc_info:
        services.add_certificate(world.actor("ppo"), area, cert_data(number="vg-7"))
    assert errors_of(exc_info) == {
        "number": ["This certificate is already recorded for this area."]
    }
    # Another kind with the same number is another certificate.
    services.add_certificate(world.actor("coop"), area, cert_data(kind="organic", number="VG-7"))
    assert area.certificates.count() == 2


def test_one_certificate_may_cover_areas_of_one_holder_but_not_of_two(world, area):
    second, _ = make_area(world, lon=108.2)
    services.add_certificate(world.actor("coop"), area, cert_data(number="GG-1", kind="globalgap"))
    services.add_certificate(
        world.actor("coop"), second, cert_data(number="GG-1", kind="globalgap")
    )
    theirs, _ = make_area(world, lon=108.3, key="coop_b")
    with pytest.raises(ValidationError) as exc_info:
        services.add_certificate(
            world.actor("coop_b"), theirs, cert_data(number="GG-1", kind="globalgap")
        )
    assert errors_of(exc_info) == {
        "number": ["This certificate number is recorded for another holder."]
    }


def test_a_certificate_is_edited_and_its_change_audited(world, area):
    certificate = services.add_certificate(world.actor("coop"), area, cert_data())
    new_end = TODAY() + timedelta(days=1000)
    services.update_certificate(
        world.actor("ppo"), certificate, {"valid_to": new_end, "reason": "Gia hạn"}
    )
    certificate.refresh_from_db()
    assert certificate.valid_to == new_end
    assert certificate.number == "VietGAP-TT-25-01-66-0012"  # untouched
    entry = AuditEntry.objects.get(action="certificate.update")
    assert entry.before["valid_to"] != entry.after["valid_to"] == new_end.isoformat()
    assert entry.reason == "Gia hạn"
    # Saving it unchanged is not a duplicate of itself.
    services.update_certificate(world.actor("coop"), certificate, {})


def test_a_bad_edit_changes_nothing(world, area):
    certificate = services.add_certificate(world.actor("coop"), area, cert_data())
    other = services.add_certificate(world.actor("coop"), area, cert_data(number="N-2"))
    with pytest.raises(ValidationError) as exc_info:
        services.update_certificate(
            world.actor("coop"), certificate, {"number": "N-2", "valid_to": date(2000, 1, 1)}
        )
    assert set(errors_of(exc_info)) == {"number", "valid_to"}
    certificate.refresh_from_db()
    assert certificate.number == "VietGAP-TT-25-01-66-0012"
    with pytest.raises(PermissionDenied):
        services.update_certificate(world.actor("commune"), other, {"number": "N-3"})
    with pytest.raises(Http404):
        services.update_certificate(world.actor("coop_b"), other, {"number": "N-3"})


def test_a_certificate_is_removed_with_an_audit_entry(world, area):
    certificate = services.add_certificate(world.actor("coop"), area, cert_data())
    with pytest.raises(PermissionDenied):
        services.remove_certificate(world.actor("exporter"), certificate)
    with pytest.raises(Http404):
        services.remove_certificate(world.actor("other_ppo"), certificate)
    services.remove_certificate(world.actor("coop"), certificate, "Nhập nhầm")
    assert not Certificate.objects.exists()
    entry = AuditEntry.objects.get(action="certificate.remove")
    assert entry.before["number"] == "VietGAP-TT-25-01-66-0012"
    assert entry.after is None
    assert entry.reason == "Nhập nhầm"


def test_a_revoked_area_keeps_its_certificates_as_they_were(world):
    area, app = make_area(world)
    certificate = services.add_certificate(world.actor("coop"), area, cert_data())
    walk_to_issued(world, app)
    lifecycle.revoke(area, world.actor("ppo"), "Cadimi vượt ngưỡng")
    with pytest.raises(ValidationError) as exc_info:
        services.add_certificate(world.actor("coop"), area, cert_data(number="N-9"))
    assert "area" in errors_of(exc_info)
    with pytest.raises(ValidationError):
        services.update_certificate(world.actor("ppo"), certificate, {"number": "N-9"})
    with pytest.raises(ValidationError):
        services.remove_certificate(world.actor("ppo"), certificate)
    assert Certificate.objects.get().number == "VietGAP-TT-25-01-66-0012"


def test_market_rules_read_valid_certificates(world, area):
    cn = Market.objects.get(code="CN")
    MarketRule.objects.create(market=cn, crop=area.crop, required_certificates=["vietgap"])
    assert any("valid certificate" in p for p in market_rule_problems(area, cn))
    expired = services.add_certificate(
        world.actor("coop"),
        area,
        cert_data(valid_from=date(2020, 1, 1), valid_to=TODAY() - timedelta(days=1)),
    )
    assert any("valid certificate" in p for p in market_rule_problems(area, cn))
    services.update_certificate(world.actor("coop"), expired, {"valid_to": TODAY()})
    assert market_rule_problems(area, cn) == []


# ------------------------------------------------------------------ API


def api_post(client, url, data):
    return client.post(url, data, content_type="application/json")


def json_cert(**overrides) -> dict:
    data = cert_data(**overrides)
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


def test_api_adds_edits_and_removes_certificates(world, area):
    client = client_for(world, "coop")
    r = api_post(client, f"/api/areas/{area.pk}/certificates", json_cert(kind="organic"))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "organic" and body["expired"] is False
    cert_id = body["id"]
    r = client.patch(
        f"/api/certificates/{cert_id}",
        {"valid_to": (TODAY() - timedelta(days=1)).isoformat(), "valid_from": "2024-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["expired"] is True
    detail = client.get(f"/api/areas/{area.pk}").json()
    assert [(c["id"], c["expired"]) for c in detail["certificates"]] == [(cert_id, True)]
    r = client_for(world, "ppo").delete(f"/api/certificates/{cert_id}?reason=trùng")
    assert r.status_code == 204
    assert not Certificate.objects.exists()
    assert AuditEntry.objects.get(action="certificate.remove").reason == "trùng"


def test_api_names_the_bad_fields(world, area):
    client = client_for(world, "coop")
    url = f"/api/areas/{area.pk}/certificates"
    r = api_post(client, url, json_cert(kind="iso", number="", valid_to="2000-01-01"))
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"kind", "number", "valid_to"}
    # Wrong types and missing fields are refused by the schema.
    assert api_post(client, url, json_cert(valid_from="soon")).status_code == 422
    assert api_post(client, url, {"kind": "vietgap", "number": "1"}).status_code == 422
    assert api_post(client, url, json_cert(number=["a"])).status_code == 422
    assert not Certificate.objects.exists()
    certificate = services.add_certificate(world.actor("coop"), area, cert_data())
    r = client.patch(
        f"/api/certificates/{certificate.pk}",
        {"valid_to": "1999-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 422 and "valid_to" in r.json()["errors"]


def test_api_refuses_other_roles_and_hides_other_areas(world, area):
    url = f"/api/areas/{area.pk}/certificates"
    assert api_post(Client(), url, json_cert()).status_code == 401
    for key in ("commune", "ministry"):
        assert api_post(client_for(world, key), url, json_cert()).status_code == 403, key
    for key in ("other_ppo", "coop_b", "packing"):
        assert api_post(client_for(world, key), url, json_cert()).status_code == 404, key
    certificate = services.add_certificate(world.actor("coop"), area, cert_data())
    assert client_for(world, "coop_b").delete(
        f"/api/certificates/{certificate.pk}"
    ).status_code == (404)
    assert client_for(world, "commune").delete(
        f"/api/certificates/{certificate.pk}"
    ).status_code == (403)
    assert client_for(world, "coop").delete("/api/certificates/999999").status_code == 404
    assert Certificate.objects.count() == 1
