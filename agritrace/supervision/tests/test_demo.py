"""The supervision part of the demo runs through the services on issued codes."""

from agritrace.supervision.demo import build_supervision_demo
from agritrace.supervision.models import (
    AreaMarketFlag,
    MonitoringPlan,
    Notice,
    ResiduePlan,
    Sample,
)

from .conftest import issue_area


def test_the_demo_story(world, area, house):
    issue_area(world, lon=108.2, lat=12.75)
    moves = []
    made = build_supervision_demo(world.actor("ppo"), world.actor("lab"), at=moves.append)
    assert moves == [130, 100, 90, 70, 62, 55, 47, 40, 20]
    # two samples, and the follow-up of the one above China's limit, taken
    assert made == {"visits_recorded": 2, "samples": 3, "cases": 1, "notices": 1}
    assert MonitoringPlan.objects.count() == 1 and ResiduePlan.objects.get().target_samples == 100
    assert AreaMarketFlag.objects.filter(lifted_at__isnull=True).count() == 1
    assert Sample.objects.filter(status="sent").get().follow_up_of is not None
    assert Notice.objects.get().visits.count() == 1


def test_the_demo_needs_issued_codes(world):
    assert build_supervision_demo(world.actor("ppo"), world.actor("lab"))["samples"] == 0
