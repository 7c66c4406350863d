"""The importing country's approval of a packing house's code, over the API and on its page,
mirroring the planting area's (issue 19)."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agritrace.audit.models import AuditEntry
from agritrace.registry import services
from agritrace.registry.models import ApprovalStatus, Crop, Market, MarketApproval, PackingHouse
from conftest import walk_to_issued

pytestmark = pytest.mark.django_db


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def post(client: Client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


@pytest.fixture
def house(world) -> PackingHouse:
    house, app = services.create_packing_house(
        world.actor("packing"),
        {
            "name": "Kho Phúc Thịnh",
            "address": "Km 5",
            "commune": world.orgs["packing"].unit_id,
            "capacity_t_per_day": 30,
            "crops": [Crop.objects.get(code="durian").pk],
        },
    )
    walk_to_issued(world, app)
    house.refresh_from_db()
    house.markets.set(Market.objects.filter(code__in=["CN", "VN"]))
    return house


def test_the_steps_over_the_api(world, house):
    cn = Market.objects.get(code="CN")
    url = f"/api/packing-houses/{house.pk}/market-approvals"
    rows = {r["market"]["code"]: r for r in client_for(world, "ppo").get(url).json()}
    assert rows["CN"]["status"] == "preparing" and rows["CN"]["allowed_moves"] == ["submit"]
    assert rows["VN"]["allowed_moves"] == []
    r = post(client_for(world, "ppo"), url, {"market": cn.pk, "move": "submit"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == ApprovalStatus.SUBMITTED
    ministry = client_for(world, "ministry")
    assert post(ministry, url, {"market": cn.pk, "move": "send"}).status_code == 200
    r = post(ministry, url, {"market": cn.pk, "move": "approve", "importer_list_ref": "GACC 9"})
    assert r.status_code == 200
    assert r.json()["decided_at"] == timezone.localdate().isoformat()
    approval = MarketApproval.objects.get(packing_house=house, market=cn)
    assert approval.status == ApprovalStatus.APPROVED and approval.importer_list_ref == "GACC 9"
    assert AuditEntry.objects.filter(action__startswith="market_approval.").count() == 3
    assert services.code_usable_for(house, cn)
    # the operator reads the state, with no step to record
    rows = {r["market"]["code"]: r for r in client_for(world, "packing").get(url).json()}
    assert rows["CN"]["status"] == "approved" and rows["CN"]["allowed_moves"] == []


def test_bad_steps_are_refused_by_field(world, house):
    cn = Market.objects.get(code="CN")
    url = f"/api/packing-houses/{house.pk}/market-approvals"
    client = client_for(world, "ppo")
    assert post(client, url, {"market": cn.pk, "move": "fly"}).status_code == 422
    r = post(client, url, {"market": 999999, "move": "submit"})
    assert r.status_code == 422 and "market" in r.json()["errors"]
    r = post(client, url, {"market": cn.pk, "move": "approve"})
    assert r.status_code == 422 and "move" in r.json()["errors"]
    r = post(client, url, {"market": Market.objects.get(code="VN").pk, "move": "submit"})
    assert r.status_code == 422 and "market" in r.json()["errors"]
    assert not MarketApproval.objects.exclude(status=ApprovalStatus.PREPARING).exists()


def test_access_to_the_steps(world, house):
    data = {"market": Market.objects.get(code="CN").pk, "move": "submit"}
    url = f"/api/packing-houses/{house.pk}/market-approvals"
    assert post(Client(), url, data).status_code == 401
    for key in ("packing", "commune"):
        assert post(client_for(world, key), url, data).status_code == 403, key
    for key in ("other_ppo", "coop_b", "exporter"):
        assert post(client_for(world, key), url, data).status_code == 404, key
        assert client_for(world, key).get(url).status_code == 404, key
    assert not MarketApproval.objects.filter(status=ApprovalStatus.SUBMITTED).exists()


def test_the_page_offers_the_steps_and_records_them(world, house):
    cn = Market.objects.get(code="CN")
    page_url = reverse("packing-house-detail", args=[house.pk])
    page = client_for(world, "ppo").get(page_url).content.decode()
    action = reverse("ph-market-approval", args=[house.pk])
    assert f'action="{action}"' in page and 'value="submit"' in page
    # the operator sees the table but no step
    assert f'action="{action}"' not in client_for(world, "packing").get(page_url).content.decode()
    response = client_for(world, "ppo").post(
        action, {"market": cn.pk, "move": "submit"}, follow=True
    )
    assert response.status_code == 200
    assert (
        MarketApproval.objects.get(packing_house=house, market=cn).status
        == ApprovalStatus.SUBMITTED
    )
    r = client_for(world, "packing").post(action, {"market": cn.pk, "move": "withdraw"})
    assert r.status_code == 403
    r = client_for(world, "other_ppo").post(action, {"market": cn.pk, "move": "withdraw"})
    assert r.status_code == 404
    assert (
        MarketApproval.objects.get(packing_house=house, market=cn).status
        == ApprovalStatus.SUBMITTED
    )
