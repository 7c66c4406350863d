"""The risk score per code, explained: what adds to it and why."""

from agritrace.supervision import services

from .conftest import days


def test_a_fresh_code_is_only_unvisited_and_untrained(area):
    score, reasons = services.risk(area)
    w = services.RISK_WEIGHTS
    assert score == w["never_visited"] + w["never_trained"]
    assert reasons == [
        "No monitoring visit recorded yet (+10)",
        "Nobody behind the code has attended a training class (+5)",
    ]


def test_diary_flags_count_when_the_diary_offers_them(area, monkeypatch):
    import agritrace.diary.services as diary

    monkeypatch.setattr(diary, "open_flags", lambda a: ["spray of a banned product", "PHI"])
    score, reasons = services.risk(area)
    assert "2 open farm diary flag(s) (+10)" in reasons
    w = services.RISK_WEIGHTS
    assert score == 2 * w["diary_flag"] + w["never_visited"] + w["never_trained"]
    # Without the function (an older diary), flags count as none rather than failing.
    monkeypatch.delattr(diary, "open_flags")
    assert services._diary_flag_count(area) == 0


def test_reasons_come_biggest_first(world, area):
    from agritrace.supervision.models import MonitoringVisit

    late = services.schedule_visit(world.actor("ppo"), area, days(1))
    MonitoringVisit.objects.filter(pk=late.pk).update(due_date=days(-1))
    score, reasons = services.risk(area)
    assert score == 35
    assert reasons[0].startswith("1 monitoring visit(s) overdue (+20)")


def _training(world, held_on, **attendees):
    from agritrace.reports.models import Topic, TrainingClass

    lesson = TrainingClass.objects.create(
        province=world.province,
        topic=Topic.GAP,
        title="VietGAP cho sầu riêng",
        place="Nhà văn hoá thôn 3",
        planned_on=days(-30),
        held_on=held_on,
        trainer="Chi cục Trồng trọt và BVTV",
    )
    lesson.households.set(attendees.get("households", []))
    lesson.organisations.set(attendees.get("organisations", []))
    return lesson


def _untrained(holder) -> bool:
    return any("training class" in reason for reason in services.risk(holder)[1])


def test_a_member_household_trained_takes_the_factor_away(world, area):
    household = area.households.first()
    planned = _training(world, None, households=[household])
    assert _untrained(area), "a class planned but not held does not count"
    planned.held_on = days(-3)
    planned.save()
    assert not _untrained(area)
    # A household of another area being trained changes nothing for this one.
    planned.households.clear()
    assert _untrained(area)


def test_the_cooperative_trained_counts_for_its_area(world, area):
    _training(world, days(-10), organisations=[area.representative])
    assert not _untrained(area)


def test_a_packing_house_counts_its_operator(world, house):
    assert _untrained(house)
    _training(world, days(-10), organisations=[world.orgs["coop"]])
    assert _untrained(house), "another organisation's class is not the operator's"
    _training(world, days(-10), organisations=[house.operator])
    assert not _untrained(house)
    assert services.RISK_WEIGHTS["never_trained"] == 5
