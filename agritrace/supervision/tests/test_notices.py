"""Importing countries' non-compliance notices: registered against the codes they name,
investigated (visits, samples), decided (warning, suspension or revocation through the
lifecycle, which notifies) and answered."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from agritrace.accounts.access import visible
from agritrace.notifications.models import Notification
from agritrace.registry.models import ApplicationStep, CodeStatus
from agritrace.supervision import services
from agritrace.supervision.models import Notice, NoticeStatus, Sample, VisitKind

from .conftest import days


def register(world, codes, key="ppo", **extra):
    data = {
        "market": "CN",
        "reference": "GACC-2026-0412",
        "received_on": days(-1),
        "shipment_reference": "CONT-TCLU-998877",
        "codes": codes,
        "hazard": "dye",
        "detail": "Auramine O found on durian",
        **extra,
    }
    return services.register_notice(world.actor(key), data)


def test_a_notice_names_codes_in_either_spelling(world, area, house):
    spelt = area.code.replace("VN-", "VN")  # VNDLOR-0001
    notice = register(world, [spelt, house.code.lower()])
    assert list(notice.areas.all()) == [area] and list(notice.packing_houses.all()) == [house]
    assert notice.status == NoticeStatus.OPEN and notice.province == world.province
    told = set(
        Notification.objects.filter(title__contains="notice").values_list("organisation", flat=True)
    )
    assert {area.representative_id, house.operator_id, world.orgs["commune"].pk} <= told
    score, reasons = services.risk(area)
    assert any("notice" in r for r in reasons)


def test_the_ministry_registers_notices_for_any_province(world, area):
    notice = register(world, [area.code], key="ministry")
    assert notice.province == world.province
    assert Notification.objects.filter(
        organisation=world.orgs["ppo"], title__contains="notice"
    ).exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"codes": ["VN-DLOR-9999"]}, "codes"),
        ({"codes": ["ABC"]}, "codes"),
        ({"codes": []}, "codes"),
        ({"codes": "VN-DLOR-0001"}, None),  # a string of codes is split, not refused
        ({"market": "XX"}, "market"),
        ({"hazard": "weather"}, "hazard"),
        ({"received_on": days(2)}, "received_on"),
        ({"received_on": None}, "received_on"),
        ({"reference": "r" * 121}, "reference"),
    ],
)
def test_bad_notices_name_the_field(world, area, change, field):
    if field is None:
        register(world, **{"codes": area.code})
        return
    with pytest.raises(ValidationError) as exc:
        register(world, **{"codes": [area.code], **change})
    assert field in exc.value.message_dict
    assert not Notice.objects.exists()


def test_a_code_of_another_province_is_unknown_to_a_province(world, area, foreign_area):
    with pytest.raises(ValidationError) as exc:
        register(world, [foreign_area.code])
    assert "codes" in exc.value.message_dict


def test_investigation_plans_surprise_visits_and_samples(world, area, house):
    notice = register(world, [area.code, house.code])
    made = services.investigate_notice(
        world.actor("ppo"),
        notice,
        visit_due=days(2),
        sample={
            "laboratory": world.orgs["lab"].pk,
            "analyses": "auramine o",
            "sampled_on": days(0),
        },
    )
    assert len(made["visits"]) == 2 and all(v.kind == VisitKind.SURPRISE for v in made["visits"])
    assert all(v.notice == notice for v in made["visits"])
    (sample,) = made["samples"]
    assert sample.area == area and sample.notice == notice and sample.analyses == ["Auramine O"]
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.INVESTIGATING
    with pytest.raises(ValidationError) as exc:
        services.investigate_notice(world.actor("ppo"), notice)
    assert "visit_due" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.investigate_notice(world.actor("ppo"), notice, visit_due=days(-3))
    assert "visit_due" in exc.value.message_dict
    assert Sample.objects.count() == 1


def test_a_suspension_goes_through_the_lifecycle_and_notifies(world, area, house):
    notice = register(world, [area.code, house.code])
    Notification.objects.all().delete()
    services.decide_notice(world.actor("province"), notice, "suspension", "Auramine O", days(90))
    for holder in (area, house):
        holder.refresh_from_db()
        assert holder.code_status == CodeStatus.SUSPENDED
        assert holder.suspended_until == days(90)
        assert "GACC-2026-0412" in holder.status_reason
    assert ApplicationStep.objects.filter(action="suspend").count() == 2
    told = set(
        Notification.objects.filter(title__contains="suspended").values_list(
            "organisation", flat=True
        )
    )
    household_org = area.households.first().organisation
    assert {area.representative_id, house.operator_id, world.orgs["commune"].pk} <= told
    assert household_org is None or household_org.pk in told
    notice.refresh_from_db()
    assert notice.decision == "suspension" and notice.status == NoticeStatus.DECIDED
    with pytest.raises(ValidationError) as exc:
        services.decide_notice(world.actor("province"), notice, "revocation", "again")
    assert "decision" in exc.value.message_dict


def test_revocation_and_warning(world, area, other_area):
    first = register(world, [area.code])
    services.decide_notice(world.actor("ppo"), first, "revocation", "repeated findings")
    area.refresh_from_db()
    assert area.code_status == CodeStatus.REVOKED
    second = register(world, [other_area.code], hazard="labelling")
    Notification.objects.all().delete()
    services.decide_notice(world.actor("ppo"), second, "warning", "labels fixed")
    other_area.refresh_from_db()
    assert other_area.code_status == CodeStatus.ISSUED
    assert Notification.objects.filter(
        organisation=other_area.representative, title__contains="Warning"
    ).exists()


def test_decisions_need_a_reason_a_kind_and_the_right_role(world, area):
    notice = register(world, [area.code])
    for decision, reason, field in (("ban", "x", "decision"), ("warning", " ", "reason")):
        with pytest.raises(ValidationError) as exc:
            services.decide_notice(world.actor("ppo"), notice, decision, reason)
        assert field in exc.value.message_dict
    for key in ("ministry", "commune", "coop", "lab"):
        with pytest.raises(PermissionDenied):
            services.decide_notice(world.actor(key), notice, "warning", "x")


def test_the_reply_is_recorded_once_and_not_before_the_notice(world, area):
    notice = register(world, [area.code])
    for text, day, field in (
        ("", None, "reply_text"),
        ("ok", days(-30), "replied_on"),
        ("ok", days(1), "replied_on"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.reply_notice(world.actor("ppo"), notice, text, day)
        assert field in exc.value.message_dict
    services.reply_notice(world.actor("ppo"), notice, "Codes suspended; investigation under way.")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.REPLIED and notice.replied_on == days(0)
    with pytest.raises(ValidationError):
        services.reply_notice(world.actor("ppo"), notice, "again")


def test_notices_are_seen_by_the_codes_they_name(world, area, other_area, foreign_area, house):
    notice = register(world, [area.code, house.code])
    seen = {
        k: list(visible(world.actor(k), Notice.objects.all()))
        for k in (
            "ministry",
            "ppo",
            "province",
            "commune",
            "commune_b",
            "coop",
            "coop_b",
            "packing",
            "other_ppo",
            "lab",
            "household",
        )
    }
    for key in ("ministry", "ppo", "province", "commune", "coop", "packing"):
        assert seen[key] == [notice], key
    for key in ("commune_b", "coop_b", "other_ppo", "lab", "household"):
        assert seen[key] == [], key
    with pytest.raises(Http404):
        services.reply_notice(world.actor("other_ppo"), notice, "x")
