"""The risk score per code, explained: what adds to it and why."""

from agritrace.supervision import services

from .conftest import days


def test_a_fresh_code_is_only_unvisited(area):
    score, reasons = services.risk(area)
    assert score == services.RISK_WEIGHTS["never_visited"]
    assert reasons == ["No monitoring visit recorded yet (+10)"]


def test_diary_flags_count_when_the_diary_offers_them(area, monkeypatch):
    import agritrace.diary.services as diary

    monkeypatch.setattr(diary, "open_flags", lambda a: ["spray of a banned product", "PHI"])
    score, reasons = services.risk(area)
    assert "2 open farm diary flag(s) (+10)" in reasons
    assert score == 2 * services.RISK_WEIGHTS["diary_flag"] + services.RISK_WEIGHTS["never_visited"]
    # Without the function (an older diary), flags count as none rather than failing.
    monkeypatch.delattr(diary, "open_flags")
    assert services._diary_flag_count(area) == 0


def test_reasons_come_biggest_first(world, area):
    from agritrace.supervision.models import MonitoringVisit

    late = services.schedule_visit(world.actor("ppo"), area, days(1))
    MonitoringVisit.objects.filter(pk=late.pk).update(due_date=days(-1))
    score, reasons = services.risk(area)
    assert score == 30
    assert reasons[0].startswith("1 monitoring visit(s) overdue (+20)")
