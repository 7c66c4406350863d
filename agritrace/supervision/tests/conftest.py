"""Supervision fixtures: issued codes in the world's province (Đắk Lắk) and elsewhere."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from agritrace.accounts.models import Role
from agritrace.registry import services as registry
from conftest import make_area, make_user, walk_to_issued


def walk_with(world, app, officer: str, applicant: str) -> None:
    """walk_to_issued, for an application decided by another province's office."""
    from agritrace.registry.lifecycle import INSPECTION_CHECKLIST, transition

    ppo, coop = world.actor(officer), world.actor(applicant)
    transition(app, "submit", coop)
    transition(app, "start_appraisal", ppo)
    transition(app, "accept", ppo)
    transition(app, "schedule_inspection", ppo, scheduled_for=timezone.localdate())
    transition(
        app, "record_inspection", ppo, checklist={k: "pass" for k, _l in INSPECTION_CHECKLIST}
    )
    transition(app, "approve", ppo)
    transition(app, "issue", ppo)


def issue_area(world, **kwargs):
    area, app = make_area(world, **kwargs)
    if kwargs.get("key") == "other_coop":
        walk_with(world, app, "other_ppo", "other_coop")
    else:
        walk_to_issued(world, app)
    area.refresh_from_db()
    return area


def issue_packing_house(world, key="packing"):
    house, app = registry.create_packing_house(
        world.actor(key),
        {
            "name": "Cơ sở đóng gói Phúc Thịnh",
            "address": "Thôn 3",
            "commune": world.orgs[key].unit_id,
            "capacity_t_per_day": 30,
            "lon": 108.06,
            "lat": 12.68,
        },
    )
    walk_to_issued(world, app)
    house.refresh_from_db()
    return house


@pytest.fixture
def area(world):
    return issue_area(world)


@pytest.fixture
def house(world):
    return issue_packing_house(world)


@pytest.fixture
def other_area(world):
    """An issued area in another commune of the same province (coop_b's)."""
    return issue_area(world, lon=108.10, lat=12.70, key="coop_b")


@pytest.fixture
def foreign_area(world):
    """An issued area in Đồng Tháp, outside the world's province."""
    return issue_area(world, lon=105.6, lat=10.45, key="other_coop")


@pytest.fixture
def lab_b(world):
    from agritrace.accounts.models import Organisation, OrgKind

    org = Organisation.objects.create(
        name="Phòng thử nghiệm B", kind=OrgKind.LABORATORY, unit=world.province
    )
    make_user("lab_b_user", org, Role.OFFICER)
    return org


@pytest.fixture
def year_plan():
    """A plan period covering the whole current year (the plan must not be over)."""
    today = timezone.localdate()
    return date(today.year, 1, 1), date(today.year, 12, 31)


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)
