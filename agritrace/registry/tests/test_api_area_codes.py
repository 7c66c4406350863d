"""An area's code over the API: suspend, reinstate, revoke, authorisations to exporters, the
may-use check and the importing country's approval."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agritrace.accounts.models import Role
from agritrace.audit.models import AuditEntry
from agritrace.registry.models import (
    ApprovalStatus,
    CodeAuthorisation,
    CodeStatus,
    Market,
    MarketApproval,
    PlantingArea,
)
from conftest import make_area, make_user, walk_to_issued

pytestmark = pytest.mark.django_db


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def post(client: Client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


@pytest.fixture
def area(world) -> PlantingArea:
    """An issued area of the cooperative, for China and the home market, whose first
    household logs in as world.orgs['household']."""
    area, app = make_area(world, markets=("CN", "VN"))
    walk_to_issued(world, app)
    household = area.households.first()
    household.organisation = world.orgs["household"]
    household.save()
    area.refresh_from_db()
    return area


def market(code: str) -> Market:
    return Market.objects.get(code=code)


def authorise(world, area, key="exporter", code="VN", days=30):
    today = timezone.localdate()
    return post(
        client_for(world, "coop"),
        f"/api/areas/{area.pk}/authorisations",
        {
            "grantee": world.orgs[key].pk,
            "market": market(code).pk,
            "valid_from": today.isoformat(),
            "valid_to": (today + timedelta(days=days)).isoformat(),
        },
    )


# ------------------------------------------------------------------ suspend


def test_suspend_it_works(world, area):
    until = timezone.localdate() + timedelta(days=60)
    r = post(
        client_for(world, "ppo"),
        f"/api/areas/{area.pk}/suspend",
        {"reason": "Dư lượng thuốc BVTV vượt ngưỡng", "until": until.isoformat()},
    )
    assert r.status_code == 200, r.content
    assert r.json()["code_status"] == "suspended"
    assert r.json()["suspended_until"] == until.isoformat()
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED
    assert area.steps.last().action == "suspend"


def test_suspend_it_rejects_bad_input(world, area):
    draft, _app = make_area(world, lon=108.2)
    client = client_for(world, "ppo")
    url = f"/api/areas/{area.pk}/suspend"
    before = AuditEntry.objects.count()
    assert post(client, url, {}).status_code == 422  # reason missing
    assert post(client, url, {"reason": "x", "until": "soon"}).status_code == 422
    r = post(client, url, {"reason": "   "})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    yesterday = timezone.localdate() - timedelta(days=1)
    r = post(client, url, {"reason": "x", "until": yesterday.isoformat()})
    assert r.status_code == 422 and "until" in r.json()["errors"]
    r = post(client, f"/api/areas/{draft.pk}/suspend", {"reason": "x"})
    assert r.status_code == 422 and "action" in r.json()["errors"]
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED
    assert AuditEntry.objects.count() == before


def test_suspend_it_checks_access(world, area):
    url = f"/api/areas/{area.pk}/suspend"
    assert post(Client(), url, {"reason": "x"}).status_code == 401
    # these see the area but may not suspend it
    for key in ("household", "coop", "commune"):
        assert post(client_for(world, key), url, {"reason": "x"}).status_code == 403, key
    for key in ("other_ppo", "coop_b"):
        assert post(client_for(world, key), url, {"reason": "x"}).status_code == 404, key
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED


# ------------------------------------------------------------------ reinstate


def test_reinstate_it_works(world, area):
    client = client_for(world, "ppo")
    post(client, f"/api/areas/{area.pk}/suspend", {"reason": "Kiểm tra lại"})
    r = post(client, f"/api/areas/{area.pk}/reinstate", {"reason": "Đạt yêu cầu"})
    assert r.status_code == 200, r.content
    assert r.json()["code_status"] == "issued"
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED


def test_reinstate_it_rejects_bad_input(world, area):
    client = client_for(world, "ppo")
    url = f"/api/areas/{area.pk}/reinstate"
    assert post(client, url, {"reason": 42}).status_code == 422
    r = post(client, url, {"reason": "not suspended"})
    assert r.status_code == 422 and "action" in r.json()["errors"]


def test_reinstate_it_checks_access(world, area):
    post(client_for(world, "ppo"), f"/api/areas/{area.pk}/suspend", {"reason": "x"})
    url = f"/api/areas/{area.pk}/reinstate"
    assert post(Client(), url, {"reason": "x"}).status_code == 401
    assert post(client_for(world, "coop"), url, {"reason": "x"}).status_code == 403
    assert post(client_for(world, "other_ppo"), url, {"reason": "x"}).status_code == 404
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED


# ------------------------------------------------------------------ revoke


def test_revoke_it_works(world, area):
    assert authorise(world, area).status_code == 201
    r = post(client_for(world, "province"), f"/api/areas/{area.pk}/revoke", {"reason": "Gian lận"})
    assert r.status_code == 200, r.content
    assert r.json()["code_status"] == "revoked"
    assert r.json()["status_reason"] == "Gian lận"
    # revocation ends every authorisation to use the code
    assert not CodeAuthorisation.objects.filter(area=area, withdrawn_at__isnull=True).exists()


def test_revoke_it_rejects_bad_input(world, area):
    client = client_for(world, "ppo")
    url = f"/api/areas/{area.pk}/revoke"
    before = AuditEntry.objects.count()
    assert post(client, url, {}).status_code == 422
    r = post(client, url, {"reason": ""})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED
    assert AuditEntry.objects.count() == before


def test_revoke_it_checks_access(world, area):
    url = f"/api/areas/{area.pk}/revoke"
    assert post(Client(), url, {"reason": "x"}).status_code == 401
    for key in ("commune", "household", "coop"):
        assert post(client_for(world, key), url, {"reason": "x"}).status_code == 403, key
    # a read-only member of the province's office
    viewer = Client()
    viewer.force_login(make_user("ppo_viewer", world.orgs["ppo"], role=Role.VIEWER))
    assert post(viewer, url, {"reason": "x"}).status_code == 403
    assert post(client_for(world, "other_ppo"), url, {"reason": "x"}).status_code == 404
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED


# ------------------------------------------------------------------ authorisations


def test_authorise_it_works(world, area):
    r = authorise(world, area)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["grantee"]["id"] == world.orgs["exporter"].pk
    assert body["market"]["code"] == "VN"
    assert body["area"]["code"] == area.code
    assert body["withdrawn_at"] is None
    # the exporter now sees the area, but not its households' plots
    exporter = client_for(world, "exporter")
    assert exporter.get(f"/api/areas/{area.pk}").status_code == 200
    plots = exporter.get(f"/api/areas/{area.pk}/plots.geojson").json()
    assert plots["features"] == []
    assert exporter.get(f"/api/areas/{area.pk}").json()["households"] == []


def test_authorise_it_rejects_bad_input(world, area):
    client = client_for(world, "coop")
    url = f"/api/areas/{area.pk}/authorisations"
    today = timezone.localdate()
    good = {
        "grantee": world.orgs["exporter"].pk,
        "market": market("VN").pk,
        "valid_from": today.isoformat(),
        "valid_to": (today + timedelta(days=10)).isoformat(),
    }
    assert post(client, url, {**good, "valid_to": "next year"}).status_code == 422
    assert post(client, url, {k: v for k, v in good.items() if k != "grantee"}).status_code == 422
    r = post(client, url, {**good, "market": market("US").pk})
    assert r.status_code == 422 and "market" in r.json()["errors"]
    r = post(client, url, {**good, "grantee": world.orgs["coop_b"].pk})
    assert r.status_code == 422 and "grantee" in r.json()["errors"]
    r = post(client, url, {**good, "valid_to": (today - timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and "valid_to" in r.json()["errors"]
    assert not CodeAuthorisation.objects.exists()


def test_authorise_it_checks_access(world, area):
    today = timezone.localdate()
    data = {
        "grantee": world.orgs["exporter"].pk,
        "market": market("VN").pk,
        "valid_from": today.isoformat(),
        "valid_to": (today + timedelta(days=10)).isoformat(),
    }
    url = f"/api/areas/{area.pk}/authorisations"
    assert post(Client(), url, data).status_code == 401
    assert post(client_for(world, "ppo"), url, data).status_code == 403
    assert post(client_for(world, "household"), url, data).status_code == 403
    for key in ("coop_b", "exporter", "other_ppo"):
        assert post(client_for(world, key), url, data).status_code == 404, key
    assert not CodeAuthorisation.objects.exists()


# ------------------------------------------------------------------ withdraw


def test_withdraw_it_works(world, area):
    auth_id = authorise(world, area).json()["id"]
    r = post(
        client_for(world, "coop"),
        f"/api/authorisations/{auth_id}/withdraw",
        {"reason": "Hợp đồng kết thúc"},
    )
    assert r.status_code == 200, r.content
    assert r.json()["withdrawn_at"] is not None
    assert r.json()["withdrawal_reason"] == "Hợp đồng kết thúc"
    # the exporter no longer sees the area
    assert client_for(world, "exporter").get(f"/api/areas/{area.pk}").status_code == 404


def test_withdraw_it_rejects_bad_input(world, area):
    auth_id = authorise(world, area).json()["id"]
    client = client_for(world, "coop")
    url = f"/api/authorisations/{auth_id}/withdraw"
    assert post(client, url, {}).status_code == 422
    assert post(client, url, {"reason": ""}).status_code == 422
    assert CodeAuthorisation.objects.get(pk=auth_id).withdrawn_at is None
    assert post(client, url, {"reason": "x"}).status_code == 200
    r = post(client, url, {"reason": "again"})
    assert r.status_code == 422 and "action" in r.json()["errors"]


def test_withdraw_it_checks_access(world, area):
    auth_id = authorise(world, area).json()["id"]
    url = f"/api/authorisations/{auth_id}/withdraw"
    assert post(Client(), url, {"reason": "x"}).status_code == 401
    # the exporter sees the area through the authorisation but may not withdraw it
    assert post(client_for(world, "exporter"), url, {"reason": "x"}).status_code == 403
    assert post(client_for(world, "ppo"), url, {"reason": "x"}).status_code == 403
    for key in ("coop_b", "other_ppo", "other_coop"):
        assert post(client_for(world, key), url, {"reason": "x"}).status_code == 404, key
    missing = post(
        client_for(world, "coop"), "/api/authorisations/999999/withdraw", {"reason": "x"}
    )
    assert missing.status_code == 404
    assert CodeAuthorisation.objects.get(pk=auth_id).withdrawn_at is None


# ------------------------------------------------------------------ may-use


def test_may_use_it_works(world, area):
    vn, cn = market("VN"), market("CN")
    exporter = world.orgs["exporter"]
    client = client_for(world, "province")
    url = f"/api/areas/{area.pk}/may-use"
    r = client.get(f"{url}?org={exporter.pk}&market={vn.pk}")
    assert r.status_code == 200
    assert r.json()["allowed"] is False
    authorise(world, area, code="VN", days=10)
    body = client.get(f"{url}?org={exporter.pk}&market={vn.pk}").json()
    assert body["allowed"] is True
    assert body["organisation"]["id"] == exporter.pk
    assert body["date"] == timezone.localdate().isoformat()
    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    body = client.get(f"{url}?org={exporter.pk}&market={vn.pk}&date={later}").json()
    assert body["allowed"] is False
    # China needs the importing country's approval first, even for the representative
    coop = client_for(world, "coop")
    assert coop.get(f"{url}?market={cn.pk}").json()["allowed"] is False
    assert coop.get(f"{url}?market={vn.pk}").json()["allowed"] is True
    # the exporter asks about itself by default
    assert client_for(world, "exporter").get(f"{url}?market={vn.pk}").json()["allowed"] is True


def test_may_use_it_rejects_bad_input(world, area):
    client = client_for(world, "province")
    url = f"/api/areas/{area.pk}/may-use"
    assert client.get(url).status_code == 422  # market missing
    assert client.get(f"{url}?market=CN").status_code == 422
    assert client.get(f"{url}?market={market('VN').pk}&date=someday").status_code == 422
    r = client.get(f"{url}?market=999999")
    assert r.status_code == 422 and "market" in r.json()["errors"]


def test_may_use_it_checks_access(world, area):
    url = f"/api/areas/{area.pk}/may-use?market={market('VN').pk}"
    assert Client().get(url).status_code == 401
    for key in ("other_ppo", "coop_b", "exporter"):
        assert client_for(world, key).get(url).status_code == 404, key
    # an exporter may not look up another organisation
    authorise(world, area)
    r = client_for(world, "exporter").get(f"{url}&org={world.orgs['coop'].pk}")
    assert r.status_code == 404


# ------------------------------------------------------------------ market approvals


def test_market_approval_it_works(world, area):
    cn = market("CN")
    url = f"/api/areas/{area.pk}/market-approvals"
    r = post(client_for(world, "ppo"), url, {"market": cn.pk, "move": "submit"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == ApprovalStatus.SUBMITTED
    ministry = client_for(world, "ministry")
    assert post(ministry, url, {"market": cn.pk, "move": "send"}).json()["status"] == (
        ApprovalStatus.SENT
    )
    r = post(
        ministry,
        url,
        {"market": cn.pk, "move": "approve", "importer_list_ref": "GACC 2025/117"},
    )
    assert r.status_code == 200
    assert r.json()["importer_list_ref"] == "GACC 2025/117"
    assert r.json()["decided_at"] == timezone.localdate().isoformat()
    body = client_for(world, "coop").get(f"/api/areas/{area.pk}/may-use?market={cn.pk}").json()
    assert body["allowed"] is True
    markets = client_for(world, "coop").get(f"/api/areas/{area.pk}").json()["markets"]
    assert {m["code"]: m["approval_status"] for m in markets} == {"CN": "approved", "VN": None}


def test_market_approval_it_rejects_bad_input(world, area):
    cn = market("CN")
    url = f"/api/areas/{area.pk}/market-approvals"
    client = client_for(world, "ppo")
    assert post(client, url, {"market": cn.pk, "move": "fly"}).status_code == 422
    assert post(client, url, {"move": "submit"}).status_code == 422
    assert post(client, url, {"market": cn.pk, "move": "submit", "on": "x"}).status_code == 422
    r = post(client, url, {"market": 999999, "move": "submit"})
    assert r.status_code == 422 and "market" in r.json()["errors"]
    r = post(client, url, {"market": cn.pk, "move": "approve"})
    assert r.status_code == 422 and "move" in r.json()["errors"]
    post(client, url, {"market": cn.pk, "move": "submit"})
    post(client_for(world, "ministry"), url, {"market": cn.pk, "move": "send"})
    r = post(client_for(world, "ministry"), url, {"market": cn.pk, "move": "approve"})
    assert r.status_code == 422 and "importer_list_ref" in r.json()["errors"]
    assert MarketApproval.objects.get(area=area, market=cn).status == ApprovalStatus.SENT


def test_market_approval_it_checks_access(world, area):
    data = {"market": market("CN").pk, "move": "submit"}
    url = f"/api/areas/{area.pk}/market-approvals"
    assert post(Client(), url, data).status_code == 401
    for key in ("coop", "commune", "household"):
        assert post(client_for(world, key), url, data).status_code == 403, key
    for key in ("other_ppo", "coop_b"):
        assert post(client_for(world, key), url, data).status_code == 404, key
    assert not MarketApproval.objects.exists()
