"""houses_far_apart, grouped in SQL (detect/far_apart.py): a lot of an area's namespace that
no harvest made counts for the area beside its harvest lots, and a run over the area equals
the full scan."""

import pytest

from agritrace.misuse.scan import scan

from .conftest import capture, harvest, lot, make_area, make_house
from .test_patterns import receiving

pytestmark = pytest.mark.django_db


def test_unharvested_lot_of_the_namespace_at_a_far_house(world):
    area, other = make_area(world, ha=5), make_area(world, ha=5)
    near = make_house(world, lon=108.06, lat=12.68)
    far = make_house(world, lon=106.70, lat=10.78)  # about 260 km away
    event, harvested = harvest(area, "H1", 1_000, day="2026-08-10")
    capture(world, "coop", event)
    capture(world, "packing", receiving(near, harvested, 1_000, "2026-08-11"))
    # bought "of" the area's code with no harvest recorded, the same day, far away
    job = capture(world, "packing", receiving(far, lot(area.code, "X1"), 800, "2026-08-11"))
    # another area's lots at one house only: lawful
    event, theirs = harvest(other, "H1", 1_000, day="2026-08-10")
    capture(world, "coop", event)
    capture(world, "packing", receiving(far, theirs, 1_000, "2026-08-11"))
    [finding] = scan(world.province, "2026", rules=["houses_far_apart"])
    assert finding.subject_id == area.pk and finding.figures["day"] == "2026-08-11"
    assert sorted(finding.figures["houses"]) == sorted([near.code, far.code])
    assert job.events.get().pk in finding.events and len(finding.events) == 2
    subjects = {"area": {area.pk, other.pk}}
    assert scan(world.province, "2026", rules=["houses_far_apart"], subjects=subjects) == [finding]
