"""The demo province's misuse stories open their cases and the lawful chains open none,
whatever day the demo is built: its lawful harvests are dated in the crop's season calendar
(agritrace.demo.season_shift)."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from agritrace.demo import PROVINCE, build_demo
from agritrace.misuse.detect.patterns import HARVEST_STEPS
from agritrace.misuse.models import Case
from agritrace.supervision.calendar import in_season
from agritrace.trace.models import Event

pytestmark = pytest.mark.django_db

STORIES = {
    ("area_volume_over_yield", "VN-DLOR-0003"),  # borrowed: A3, about five times
    ("house_over_capacity", "VN-DLPH-0001"),  # PH1 packs the borrowed produce
    ("house_without_contract", "VN-DLPH-0001"),  # PH1 has no contract with A3
    ("party_without_authorisation", "VN-DLOR-0001"),  # rented: exporter 2 ships A1's lot
    ("code_not_usable", "VN-DLOR-0002"),  # A2 used while suspended
    ("plot_in_two_codes", "VN-DLOR-0004"),  # C1's plot is also in C2
    ("stamp_copied", "VN-DLOR-0001"),  # a stamp of A1's lot scanned by 30 phones
}


def _assert_stories_and_nothing_else() -> None:
    cases = {(c.rule.code, c.code): c for c in Case.objects.select_related("rule", "party")}
    # Nothing lawful is flagged: no season, diary or pre-harvest-interval finding either.
    assert set(cases) == STORIES
    borrowed = cases[("area_volume_over_yield", "VN-DLOR-0003")]
    assert 5 <= borrowed.evidence["figures"]["times_can_grow"] < 6.5
    assert borrowed.evidence["figures"]["channel"] in ("received", "packed")
    rented = cases[("party_without_authorisation", "VN-DLOR-0001")]
    assert rented.party.name == "Công ty TNHH Thương mại Hoàng Phát"
    assert cases[("code_not_usable", "VN-DLOR-0002")].evidence["figures"]["statuses"] == [
        "suspended"
    ]
    assert all(c.status == "open" for c in cases.values())


def test_demo_stories_open_their_cases_and_nothing_lawful():
    build_demo()
    _assert_stories_and_nothing_else()


@pytest.mark.parametrize("month_day", [(1, 15), (6, 1), (12, 3)])
def test_demo_harvests_in_season_whatever_the_build_day(month_day):
    """Built as of three days spread over last year: the harvests fall in the Đắk Lắk
    calendar of their crop (durian August–September, coffee October–December), after the
    codes were issued and the diaries kept, nothing is dated after the build moment, and only
    the stories open cases."""
    now = datetime(timezone.localdate().year - 1, *month_day, 10, 0, tzinfo=UTC)
    build_demo(now=now)
    harvests = list(Event.objects.filter(biz_step__in=HARVEST_STEPS).select_related("area"))
    assert len(harvests) >= 3
    for event in harvests:
        day = timezone.localdate(event.event_time)
        # each crop in its own calendar of its own province: the durian's, C1's coffee for the
        # EU (eudr.demo); Lai Châu's tea (demo_laichau) where a calendar covers it there
        crop, province = event.area.crop.code, event.area.commune.province
        if province.name == PROVINCE:
            assert in_season(crop, province, day), (crop, day)
        else:
            assert in_season(crop, province, day) is not False, (crop, province.name, day)
        assert event.area.issued_at is not None and event.area.issued_at < event.event_time
        first_entry = event.area.diary_entries.order_by("date").values_list("date", flat=True)
        assert first_entry.first() is not None and first_entry.first() < day
    assert not Event.objects.filter(event_time__gt=now).exists()
    assert not Event.objects.filter(record_time__gt=now).exists()
    _assert_stories_and_nothing_else()
