"""The importing country's approval of a code: which steps each actor may record now
(allowed_approval_moves, shared by the pages, the API and the service), the messages of a
refused step, and revocation withdrawing the approvals."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from agritrace.accounts.access import Actor
from agritrace.accounts.models import Role
from agritrace.audit.models import AuditEntry
from agritrace.registry import lifecycle, services
from agritrace.registry.models import (
    ApprovalStatus,
    Crop,
    Market,
    MarketApproval,
    PlantingArea,
)
from conftest import make_area, make_user, walk_to_issued

pytestmark = pytest.mark.django_db


@pytest.fixture
def cn(db) -> Market:
    return Market.objects.get(code="CN")


@pytest.fixture
def area(world) -> PlantingArea:
    area, app = make_area(world, markets=("CN", "EU", "VN"))
    walk_to_issued(world, app)
    area.refresh_from_db()
    return area


def moves(world, key, holder, market) -> list[str]:
    return services.allowed_approval_moves(world.actor(key), holder, market)


def approve(world, holder, market, ref="GACC 2025/117"):
    services.move_market_approval(world.actor("ppo"), holder, market, "submit")
    services.move_market_approval(world.actor("ministry"), holder, market, "send")
    return services.move_market_approval(
        world.actor("ministry"), holder, market, "approve", importer_list_ref=ref
    )


# ------------------------------------------------------------------ allowed moves


def test_allowed_moves_follow_the_steps_and_the_roles(world, area, cn):
    assert moves(world, "ppo", area, cn) == ["submit"]
    assert moves(world, "ministry", area, cn) == ["submit"]
    for key in ("coop", "commune", "packing", "lab"):
        assert moves(world, key, area, cn) == [], key
    services.move_market_approval(world.actor("ppo"), area, cn, "submit")
    assert moves(world, "ppo", area, cn) == ["withdraw"]
    assert moves(world, "ministry", area, cn) == ["send", "withdraw"]
    services.move_market_approval(world.actor("ministry"), area, cn, "send")
    assert moves(world, "ministry", area, cn) == ["approve", "refuse", "withdraw"]
    services.move_market_approval(world.actor("ministry"), area, cn, "refuse")
    assert moves(world, "ppo", area, cn) == ["submit"]


def test_a_read_only_officer_and_an_uncoded_area_get_no_moves(world, area, cn):
    viewer = make_user("viewer", world.orgs["ppo"], Role.VIEWER)
    assert services.allowed_approval_moves(Actor.of(viewer), area, cn) == []
    draft, _ = make_area(world, lon=108.2)
    assert moves(world, "ppo", draft, cn) == []


def test_every_allowed_move_is_accepted_and_no_other(world, area, cn):
    """The buttons and the service agree, whatever the state."""
    for _round in range(2):
        for key in ("ppo", "ministry"):
            allowed = moves(world, key, area, cn)
            for move in services.APPROVAL_MOVES:
                if move in allowed:
                    continue
                with pytest.raises(ValidationError):
                    services.move_market_approval(
                        world.actor(key), area, cn, move, importer_list_ref="R-1"
                    )
        # Take the first allowed step of the national department (or the province).
        step = (moves(world, "ministry", area, cn) or moves(world, "ppo", area, cn))[0]
        services.move_market_approval(
            world.actor("ministry"), area, cn, step, importer_list_ref="R-1"
        )


def test_the_home_market_is_not_filed_with_an_importing_country(world, area):
    vn = Market.objects.get(code="VN")
    with pytest.raises(ValidationError) as exc_info:
        services.move_market_approval(world.actor("ppo"), area, vn, "submit")
    assert exc_info.value.message_dict == {
        "market": ["Domestic needs no approval of an importing country."]
    }
    assert not MarketApproval.objects.exists()
    assert services.code_usable_for(area, vn)


def test_a_refused_step_is_told_in_status_labels(world, area, cn):
    services.move_market_approval(world.actor("ppo"), area, cn, "submit")
    with pytest.raises(ValidationError) as exc_info:
        services.move_market_approval(
            world.actor("ministry"), area, cn, "approve", importer_list_ref="X"
        )
    message = exc_info.value.message_dict["move"][0]
    assert message == (
        "An approval that is Submitted to the Plant Protection Department cannot become "
        "Approved by the importing country."
    )
    assert "approve " not in message


def test_the_area_detail_api_lists_the_allowed_moves(world, area, cn):
    def markets(key):
        client = Client()
        client.force_login(world.users[key])
        body = client.get(f"/api/areas/{area.pk}").json()
        return {m["code"]: m["allowed_moves"] for m in body["markets"]}

    # The home market needs no importing country's approval: nothing to file.
    assert markets("ppo") == {"CN": ["submit"], "EU": ["submit"], "VN": []}
    assert markets("coop") == {"CN": [], "EU": [], "VN": []}
    services.move_market_approval(world.actor("ppo"), area, cn, "submit")
    assert markets("ministry")["CN"] == ["send", "withdraw"]


# ------------------------------------------------------------------ revocation


def test_revoking_a_code_withdraws_its_approvals(world, area, cn):
    approve(world, area, cn)
    eu = Market.objects.get(code="EU")
    services.move_market_approval(world.actor("ppo"), area, eu, "submit")
    assert [r["approved_markets"] for r in services.public_code_list()] == [["CN"]]
    lifecycle.revoke(area, world.actor("ppo"), "Cadimi vượt ngưỡng")
    approvals = {a.market.code: a for a in MarketApproval.objects.select_related("market")}
    assert {code: a.status for code, a in approvals.items()} == {
        "CN": ApprovalStatus.WITHDRAWN,
        "EU": ApprovalStatus.WITHDRAWN,
    }
    assert approvals["CN"].note == "Code revoked"
    assert approvals["CN"].importer_list_ref == "GACC 2025/117"  # the record stays
    entries = AuditEntry.objects.filter(action="market_approval.withdraw").order_by("seq")
    assert [(e.before["status"], e.after["status"]) for e in entries] == [
        (ApprovalStatus.APPROVED, ApprovalStatus.WITHDRAWN),
        (ApprovalStatus.SUBMITTED, ApprovalStatus.WITHDRAWN),
    ]
    assert all(e.reason == "Cadimi vượt ngưỡng" for e in entries)
    row = services.public_code_list()[0]
    assert (row["status"], row["approved_markets"]) == ("revoked", [])
    area.refresh_from_db()
    assert not services.code_usable_for(area, cn)
    assert moves(world, "ppo", area, cn) == []


def test_a_refusal_stays_a_refusal_and_a_suspension_withdraws_nothing(world, area, cn):
    approve(world, area, cn)
    eu = Market.objects.get(code="EU")
    services.move_market_approval(world.actor("ppo"), area, eu, "submit")
    services.move_market_approval(world.actor("ministry"), area, eu, "send")
    services.move_market_approval(world.actor("ministry"), area, eu, "refuse")
    lifecycle.suspend(area, world.actor("ppo"), "Rệp sáp", timezone.localdate() + timedelta(days=9))
    assert MarketApproval.objects.get(market=cn).status == ApprovalStatus.APPROVED
    lifecycle.revoke(area, world.actor("ppo"), "Tái phạm")
    statuses = dict(MarketApproval.objects.values_list("market__code", "status"))
    assert statuses == {"CN": ApprovalStatus.WITHDRAWN, "EU": ApprovalStatus.REFUSED}


def test_revoking_a_packing_house_withdraws_its_approvals(world, cn):
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
    approve(world, house, cn, ref="GACC packing houses 2025")
    assert services.public_code_list({"kind": "packing_house"})[0]["approved_markets"] == ["CN"]
    lifecycle.revoke(house, world.actor("ppo"), "Giả mạo hợp đồng")
    approval = MarketApproval.objects.get(packing_house=house)
    assert (approval.status, approval.note) == (ApprovalStatus.WITHDRAWN, "Code revoked")
    assert services.public_code_list({"kind": "packing_house"})[0]["approved_markets"] == []


def test_the_public_list_never_shows_a_revoked_code_as_approved(world, area, cn):
    """Even for a code revoked before revocation withdrew approvals (older databases)."""
    approve(world, area, cn)
    PlantingArea.objects.filter(pk=area.pk).update(code_status="revoked")
    assert services.public_code_list()[0]["approved_markets"] == []
    page = Client().get("/codes/").content.decode()
    assert area.code in page and "CN ✓" not in page
