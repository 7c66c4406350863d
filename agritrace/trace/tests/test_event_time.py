"""Rules judged at the event's time (trace/timing.py): a code's status, an authorisation and a
supply contract as they were when the event happened, not when it reached the repository;
what arrives late is flagged `late_capture`, not refused."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from agritrace.registry import history
from agritrace.registry.models import CodeAuthorisation, CodeStatus, Market, SupplyContract
from agritrace.trace import services
from agritrace.trace.models import CaptureRefusal, Event, EventFlag

from .conftest import harvest, packing
from .test_checks import AREA, HOUSE, LOT_A, PACKED, Registry, capture, rejected

pytestmark = [pytest.mark.django_db, pytest.mark.urls("agritrace.trace.tests.urls")]


@pytest.fixture
def reg(world):
    return Registry(world)


def at(moment) -> str:
    return moment.isoformat()


def suspend(holder, when) -> None:
    """The holder's code was issued long ago and suspended at `when` (its history says so)."""
    type(holder).objects.filter(pk=holder.pk).update(
        code_status=CodeStatus.SUSPENDED, issued_at=when - timedelta(days=400)
    )
    holder.refresh_from_db()
    history.record_change(holder, CodeStatus.SUSPENDED, when, "test suspension")


def rules() -> list[str]:
    return sorted(EventFlag.objects.values_list("rule", flat=True))


def test_a_harvest_before_the_suspension_uploaded_after_it_is_stored_and_flagged_late(world, reg):
    """The issue's case: a harvest of 27 September uploaded on 3 December, after the code was
    suspended that day."""
    now = timezone.now()
    suspend(reg.area, now - timedelta(hours=2))
    capture(world, harvest(LOT_A, AREA, when=at(now - timedelta(days=67))))
    event = Event.objects.get()
    flag = EventFlag.objects.get(event=event)
    assert flag.rule == "late_capture" and flag.severity == "serious"
    assert reg.area.code in flag.message and "suspended" in flag.message.lower()


def test_a_harvest_after_the_suspension_is_refused_as_before(world, reg):
    now = timezone.now()
    suspend(reg.area, now - timedelta(hours=2))
    errors = rejected(world, harvest(LOT_A, AREA, when=at(now - timedelta(minutes=30))))
    message = " ".join(errors["$.epcisBody.eventList[0].bizLocation.id"])
    assert "[area_code_not_issued]" in message and reg.area.code in message


def test_a_harvest_before_the_code_was_issued_is_refused(world, reg):
    now = timezone.now()
    type(reg.area).objects.filter(pk=reg.area.pk).update(issued_at=now - timedelta(days=10))
    errors = rejected(world, harvest(LOT_A, AREA, when=at(now - timedelta(days=20))))
    assert "[area_code_not_issued]" in " ".join(errors["$.epcisBody.eventList[0].bizLocation.id"])


def test_a_harvest_after_a_reinstatement_is_accepted(world, reg):
    now = timezone.now()
    suspend(reg.area, now - timedelta(days=5))
    history.record_change(reg.area, CodeStatus.ISSUED, now - timedelta(days=1), "reinstated")
    type(reg.area).objects.filter(pk=reg.area.pk).update(code_status=CodeStatus.ISSUED)
    capture(world, harvest(LOT_A, AREA, when=at(now - timedelta(hours=3))))
    assert Event.objects.count() == 1 and rules() == []
    errors = rejected(world, harvest(LOT_A, AREA, when=at(now - timedelta(days=3))))
    assert "[area_code_not_issued]" in " ".join(errors["$.epcisBody.eventList[0].bizLocation.id"])


def test_a_recent_event_is_not_late_and_an_old_one_under_a_valid_code_is_a_warning(world, reg):
    now = timezone.now()
    capture(world, harvest(LOT_A, AREA, when=at(now - timedelta(hours=71))))
    assert rules() == []
    capture(world, harvest(services.lot_uri("X", "1"), AREA, when=at(now - timedelta(hours=73))))
    flag = EventFlag.objects.get()
    assert flag.rule == "late_capture" and flag.severity == "warning"


def test_the_lateness_threshold_is_a_setting(world, reg, settings):
    settings.AGRITRACE_TRACE_LATE_HOURS = 1
    now = timezone.now()
    capture(world, harvest(LOT_A, AREA, when=at(now - timedelta(hours=2))))
    assert rules() == ["late_capture"]


def test_packing_at_a_house_suspended_since_is_stored_and_flagged_late(world, reg):
    now = timezone.now()
    suspend(reg.house, now - timedelta(hours=2))
    capture(
        world,
        harvest(LOT_A, AREA, when=at(now - timedelta(days=9))),
        packing([LOT_A], PACKED, HOUSE, when=at(now - timedelta(days=8))),
    )
    assert Event.objects.count() == 2
    late = EventFlag.objects.get(rule="late_capture", event__packing_house=reg.house)
    assert late.severity == "serious" and reg.house.code in late.message


def test_packing_at_a_house_whose_code_is_suspended_is_refused(world, reg):
    now = timezone.now()
    suspend(reg.house, now - timedelta(hours=2))
    errors = rejected(
        world,
        harvest(LOT_A, AREA, when=at(now - timedelta(hours=1))),
        packing([LOT_A], PACKED, HOUSE, when=at(now - timedelta(minutes=30))),
    )
    message = " ".join(errors["$.epcisBody.eventList[1].bizLocation.id"])
    assert "[house_code_not_issued]" in message and reg.house.code in message


def test_an_authorisation_withdrawn_today_still_links_the_days_before(world, reg):
    """The packing house's operator was authorised to use the area's code; the authorisation
    is withdrawn from today on: a packing of last week keeps its link."""
    SupplyContract.objects.all().delete()
    now = timezone.now()
    today = timezone.localdate()
    CodeAuthorisation.objects.create(
        area=reg.area,
        grantee=world.orgs["packing"],
        market=Market.objects.get(code="CN"),
        valid_from=date(2020, 1, 1),
        valid_to=today + timedelta(days=300),
        withdrawn_at=now,
        withdrawn_from=today,
    )
    capture(
        world,
        harvest(LOT_A, AREA, when=at(now - timedelta(days=8))),
        packing([LOT_A], PACKED, HOUSE, when=at(now - timedelta(days=7))),
    )
    assert "packing_unlinked" not in rules()
    capture(
        world,
        harvest(services.lot_uri("X", "1"), AREA, when=at(now - timedelta(minutes=50))),
        packing([services.lot_uri("X", "1")], services.lot_uri("X", "2"), HOUSE, when=at(now)),
    )
    assert rules().count("packing_unlinked") == 1


# ------------------------------------------------------------------ events in the future


def test_an_event_dated_beyond_the_clock_tolerance_is_refused(world, reg):
    later = timezone.now() + timedelta(minutes=11)
    errors = rejected(world, harvest(LOT_A, AREA, when=at(later)))
    message = " ".join(errors["$.epcisBody.eventList[0].eventTime"])
    assert "[event_in_future]" in message and "Event 0" in message and "600 seconds" in message
    refusal = CaptureRefusal.objects.get()
    assert refusal.rule == "event_in_future" and refusal.area == reg.area


def test_a_few_minutes_of_clock_skew_are_accepted(world, reg):
    capture(world, harvest(LOT_A, AREA, when=at(timezone.now() + timedelta(minutes=8))))
    assert Event.objects.count() == 1


def test_another_organisations_event_in_the_future_is_refused_too(world):
    foreign = harvest(
        "urn:epc:class:lgtin:4012345.012345.998877",
        "urn:epc:id:sgln:4012345.00001.0",
        when=at(timezone.now() + timedelta(days=2)),
    )
    errors = rejected(world, foreign)
    assert "[event_in_future]" in " ".join(errors["$.epcisBody.eventList[0].eventTime"])


def test_the_future_tolerance_is_a_setting(world, reg, settings):
    settings.AGRITRACE_TRACE_FUTURE_TOLERANCE_S = 60
    errors = rejected(world, harvest(LOT_A, AREA, when=at(timezone.now() + timedelta(minutes=5))))
    assert "[event_in_future]" in " ".join(errors["$.epcisBody.eventList[0].eventTime"])
