"""The demo province's misuse stories open their cases; the lawful chains open none (the one
exception is the season calendar, which judges the day the demo is built: see below)."""

from datetime import date

import pytest

from agritrace.demo import build_demo
from agritrace.misuse.models import Case

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


def in_dak_lak_durian_season(day: date) -> bool:
    """August–September ± 15 days (supervision.SeasonCalendar, press sources)."""
    return date(day.year, 7, 17) <= day <= date(day.year, 10, 15)


def test_demo_stories_open_their_cases_and_nothing_lawful():
    build_demo()
    cases = {(c.rule.code, c.code): c for c in Case.objects.select_related("rule", "party")}
    assert STORIES <= set(cases)
    borrowed = cases[("area_volume_over_yield", "VN-DLOR-0003")]
    assert 5 <= borrowed.evidence["figures"]["times_can_grow"] < 6.5
    assert borrowed.evidence["figures"]["channel"] in ("received", "packed")
    rented = cases[("party_without_authorisation", "VN-DLOR-0001")]
    assert rented.party.name == "Công ty TNHH Thương mại Hoàng Phát"
    assert cases[("code_not_usable", "VN-DLOR-0002")].evidence["figures"]["statuses"] == [
        "suspended"
    ]
    # The lawful chains (A1 and E1 harvested, packed and shipped with their rights) raise
    # nothing, except that they are harvested about a month before the day the demo is
    # built, which the Đắk Lắk durian calendar (August–September) calls out of season on
    # most days of the year: that finding is then true of the data.
    others = set(cases) - STORIES
    for rule, code in others:
        assert rule == "harvest_out_of_season", (rule, code)
        days = cases[(rule, code)].evidence["figures"]["days"]
        assert not any(in_dak_lak_durian_season(date.fromisoformat(d)) for d in days)
    assert all(c.status == "open" for c in cases.values())
