"""Suspend, reinstate and revoke with an effective date: back-dated within the authority's
limit, never in the future, with the reason, audited as back-dated; `status_at` answers from
that day on. Through the service, the API, the page's form and the command."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from agritrace.audit.models import AuditEntry
from agritrace.registry import code_import, history, lifecycle
from agritrace.registry.models import CodeStatus, PackingHouse, PlantingArea
from agritrace.registry.tests.code_import_fixtures import local, sample_rows, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(world, commune):
    """An area and a packing house issued years ago (imported with their history); the area
    was suspended and reinstated in 2024, the house is revoked."""
    rows = sample_rows(commune)
    rows[1][14] = rows[1][15] = None  # the house stays issued
    code_import.import_codes(world.actor("ppo"), workbook(rows), "codes.xlsx", apply=True)
    return PlantingArea.objects.get(code="VN-DLOR-017"), PackingHouse.objects.get(
        code="VN-DLPH-0036"
    )


def days_ago(n: int):
    return timezone.localdate() - timedelta(days=n)


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_a_back_dated_suspension_answers_from_that_day(world, imported):
    area, _house = imported
    day = days_ago(10)
    lifecycle.suspend(area, world.actor("ppo"), "Residue above the limit", effective_date=day)
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED
    change = area.status_changes.order_by("-effective_at").first()
    assert change.status == CodeStatus.SUSPENDED and change.effective_at == local(day)
    assert history.status_at(area, local(day) - timedelta(minutes=1)) == CodeStatus.ISSUED
    assert history.status_at(area, local(day) + timedelta(hours=9)) == CodeStatus.SUSPENDED
    entry = AuditEntry.objects.filter(object_id=str(area.pk)).order_by("-seq").first()
    assert entry.action == "code.suspend.back_dated"
    assert entry.after["back_dated"] is True
    assert entry.after["effective_at"] == local(day).isoformat()
    step = area.steps.filter(action="suspend").get()
    assert step.data["back_dated"] is True

    # and a back-dated reinstatement, later than the suspension
    lifecycle.reinstate(area, world.actor("ppo"), "Clean follow-up sample", days_ago(3))
    assert history.status_at(area, local(days_ago(5))) == CodeStatus.SUSPENDED
    assert history.status_at(area, local(days_ago(3)) + timedelta(hours=1)) == CodeStatus.ISSUED


def test_without_an_effective_date_it_is_now_and_not_back_dated(world, imported):
    area, _house = imported
    before = timezone.now()
    lifecycle.suspend(area, world.actor("ppo"), "Residue", effective_date=timezone.localdate())
    change = area.status_changes.order_by("-effective_at").first()
    assert change.effective_at >= before
    entry = AuditEntry.objects.filter(object_id=str(area.pk)).order_by("-seq").first()
    assert entry.action == "code.suspend" and "back_dated" not in entry.after


def test_the_rules_of_the_effective_date(world, imported, settings):
    area, _house = imported
    ppo = world.actor("ppo")
    cases = [
        (days_ago(91), "x", "effective_date"),  # beyond the default limit of 90 days
        (timezone.localdate() + timedelta(days=1), "x", "effective_date"),  # the future
    ]
    for day, reason, field in cases:
        with pytest.raises(ValidationError) as exc:
            lifecycle.suspend(area, ppo, reason, effective_date=day)
        assert field in exc.value.message_dict, day
    settings.AGRITRACE_BACKDATE_MAX_DAYS = 5
    with pytest.raises(ValidationError) as exc:
        lifecycle.suspend(area, ppo, "x", effective_date=days_ago(6))
    assert "at most 5 days back" in exc.value.message_dict["effective_date"][0]
    lifecycle.suspend(area, ppo, "x", effective_date=days_ago(4))
    # reinstating back-dated needs a reason, and cannot go before the suspension
    with pytest.raises(ValidationError) as exc:
        lifecycle.reinstate(area, ppo, "", effective_date=days_ago(2))
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        lifecycle.reinstate(area, ppo, "clean", effective_date=days_ago(5))
    assert "effective_date" in exc.value.message_dict
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED


def test_api_beyond_the_limit_is_422_naming_effective_date(world, imported):
    area, house = imported
    client = client_for(world, "ppo")
    url = f"/api/areas/{area.pk}/suspend"
    before = AuditEntry.objects.count()
    r = post(client, url, {"reason": "Pest", "effective_date": days_ago(120).isoformat()})
    assert r.status_code == 422
    assert "effective_date" in r.json()["errors"]
    assert AuditEntry.objects.count() == before
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED

    r = post(client, url, {"reason": "Pest", "effective_date": days_ago(20).isoformat()})
    assert r.status_code == 200, r.content
    assert history.status_at(area, local(days_ago(19))) == CodeStatus.SUSPENDED
    r = post(
        client,
        f"/api/areas/{area.pk}/revoke",
        {"reason": "Code sold", "effective_date": days_ago(2).isoformat()},
    )
    assert r.status_code == 200
    assert history.status_at(area, local(days_ago(2), 1)) == CodeStatus.REVOKED

    r = post(
        client,
        f"/api/packing-houses/{house.pk}/revoke",
        {"reason": "Forged contract", "effective_date": days_ago(7).isoformat()},
    )
    assert r.status_code == 200, r.content
    assert history.status_at(house, local(days_ago(7), 1)) == CodeStatus.REVOKED
    assert history.status_at(house, local(days_ago(8))) == CodeStatus.ISSUED
    # a wrong role is still refused
    r = post(
        client_for(world, "coop"),
        f"/api/areas/{area.pk}/reinstate",
        {"reason": "x", "effective_date": days_ago(1).isoformat()},
    )
    assert r.status_code == 403


def test_the_page_form_takes_an_effective_date(world, imported):
    area, _house = imported
    page = client_for(world, "ppo").get(f"/areas/{area.pk}/")
    assert b'name="effective_date"' in page.content
    day = days_ago(15)
    client_for(world, "ppo").post(
        f"/areas/{area.pk}/code/",
        {"action": "suspend", "reason": "Pest found", "effective_date": day.isoformat()},
    )
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED
    assert history.status_at(area, local(day, 2)) == CodeStatus.SUSPENDED
    r = client_for(world, "ppo").post(
        f"/areas/{area.pk}/code/",
        {"action": "reinstate", "reason": "ok", "effective_date": days_ago(200).isoformat()},
        follow=True,
    )
    assert "days back" in r.content.decode()
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED


def test_the_command_takes_an_effective_date(world, imported):
    area, _house = imported
    day = days_ago(30)
    out = StringIO()
    call_command(
        "codes",
        "suspend",
        "VN-DLOR-017",
        "--as",
        "ppo_user",
        "--reason",
        "Quarantine pest",
        "--effective-date",
        day.isoformat(),
        stdout=out,
    )
    assert "VN-DLOR-017: Suspended" in out.getvalue()
    assert history.status_at(area, local(day, 1)) == CodeStatus.SUSPENDED
    with pytest.raises(CommandError, match="effective_date"):
        call_command(
            "codes",
            "reinstate",
            "VN-DLOR-017",
            "--as",
            "ppo_user",
            "--reason",
            "ok",
            "--effective-date",
            days_ago(100).isoformat(),
            stdout=StringIO(),
        )
    with pytest.raises(CommandError):
        call_command(
            "codes",
            "revoke",
            "VN-DLOR-017",
            "--as",
            "coop_user",
            "--reason",
            "x",
            stdout=StringIO(),
        )
