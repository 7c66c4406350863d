"""A code's status at a moment, from the history that the lifecycle writes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agritrace.registry import history, lifecycle
from agritrace.registry.models import CodeStatus, CodeStatusChange
from conftest import make_area, walk_to_issued

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(world):
    area, app = make_area(world)
    walk_to_issued(world, app)
    area.refresh_from_db()
    return area


def test_issue_suspend_reinstate_revoke_are_recorded_in_order(world, issued):
    ppo = world.actor("ppo")
    lifecycle.suspend(issued, ppo, "residue above the limit")
    lifecycle.reinstate(issued, ppo, "follow-up sample clean")
    lifecycle.revoke(issued, ppo, "code sold to another firm")
    statuses = list(issued.status_changes.values_list("status", flat=True))
    assert statuses == ["issued", "suspended", "issued", "revoked"]
    assert issued.status_changes.get(status="suspended").reason == "residue above the limit"


def test_status_at_a_moment_keeps_the_past(world, issued):
    before_issue = issued.issued_at - timedelta(days=1)
    lifecycle.suspend(issued, world.actor("ppo"), "residue")
    suspended_at = issued.status_changes.get(status="suspended").effective_at
    assert history.status_at(issued, before_issue) == CodeStatus.NONE
    issued_row = issued.status_changes.get(status="issued").effective_at
    assert history.status_at(issued, issued_row) == CodeStatus.ISSUED
    assert history.status_at(issued, suspended_at) == CodeStatus.SUSPENDED
    assert history.status_at(issued, timezone.now()) == CodeStatus.SUSPENDED


def test_a_back_dated_change_is_judged_by_its_effective_time(world, issued):
    month_ago = timezone.now() - timedelta(days=30)
    issued.status_changes.update(effective_at=month_ago)
    type(issued).objects.filter(pk=issued.pk).update(issued_at=month_ago)
    week_ago = timezone.now() - timedelta(days=7)
    history.record_change(issued, CodeStatus.SUSPENDED, week_ago, "imported", source="test")
    timeline = history.Timeline("area", [issued.pk])
    assert timeline.status(issued.pk, week_ago - timedelta(minutes=1)) == CodeStatus.ISSUED
    assert timeline.status(issued.pk, week_ago + timedelta(minutes=1)) == CodeStatus.SUSPENDED


def test_a_holder_without_history_falls_back_to_its_current_state(world, issued):
    CodeStatusChange.objects.filter(area=issued).delete()
    assert history.status_at(issued, issued.issued_at - timedelta(days=1)) == CodeStatus.NONE
    assert history.status_at(issued, timezone.now()) == CodeStatus.ISSUED


def test_a_withdrawn_authorisation_keeps_its_past_days(world, issued):
    from agritrace.registry import services
    from agritrace.registry.models import CodeAuthorisation

    today = timezone.localdate()
    auth = services.authorise_exporter(
        world.actor("coop"),
        issued,
        world.orgs["exporter"].pk,
        issued.markets.first().pk,
        today - timedelta(days=30),
        today + timedelta(days=30),
    )
    services.withdraw_authorisation(world.actor("coop"), auth, "contract ended")
    auth.refresh_from_db()
    assert auth.is_active_on(today - timedelta(days=1))
    assert not auth.is_active_on(today)
    active = CodeAuthorisation.objects.filter(history.authorisation_active_q(today - timedelta(1)))
    assert list(active) == [auth]
    assert not CodeAuthorisation.objects.filter(history.authorisation_active_q(today)).exists()
