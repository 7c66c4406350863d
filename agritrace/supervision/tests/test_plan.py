"""Monitoring plans: every issued code gets at least one scheduled visit per crop season,
idempotently, riskiest first; inspectors are assigned; what is due and overdue."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agritrace.accounts.models import Role
from agritrace.registry.models import CodeStatus
from agritrace.supervision import services
from agritrace.supervision.models import MonitoringVisit, VisitKind
from conftest import make_area, make_user

from .conftest import days, issue_area


def test_plan_covers_every_issued_code_and_nothing_else(world, area, other_area, house, year_plan):
    draft, _app = make_area(world, lon=108.2, lat=12.8)  # no code: not monitored
    foreign = issue_area(world, lon=105.6, lat=10.45, key="other_coop")  # Đồng Tháp
    plan = services.generate_plan(world.actor("ppo"), world.province, "2026", *year_plan)
    visits = MonitoringVisit.objects.filter(plan=plan)
    assert {v.area_id for v in visits if v.area_id} == {area.pk, other_area.pk}
    assert {v.packing_house_id for v in visits if v.packing_house_id} == {house.pk}
    assert not visits.filter(area__in=[draft, foreign]).exists()
    assert all(v.kind == VisitKind.SCHEDULED for v in visits)
    start, end = year_plan
    assert all(start <= v.due_date <= end for v in visits)
    # Durian in Đắk Lắk is harvested from August: the visit is before it (or as soon as can be).
    durian_visit = visits.get(area=area)
    assert durian_visit.season_label == "main"
    assert durian_visit.due_date <= max(date(start.year, 8, 1), timezone.localdate())


def test_generating_again_adds_only_what_is_missing(world, area, year_plan):
    actor = world.actor("ppo")
    plan = services.generate_plan(actor, world.province, "2026", *year_plan)
    first = list(plan.visits.values_list("pk", flat=True))
    again = services.generate_plan(actor, world.province, "2026")  # dates come from the plan
    assert again.pk == plan.pk
    assert list(again.visits.values_list("pk", flat=True)) == first
    newcomer = issue_area(world, lon=108.3, lat=12.9)
    services.generate_plan(actor, world.province, "2026")
    assert plan.visits.count() == len(first) + 1
    assert plan.visits.filter(area=newcomer).count() == 1


def test_a_suspended_code_is_still_watched_a_revoked_one_is_not(world, area, other_area, year_plan):
    from agritrace.registry import lifecycle

    lifecycle.suspend(area, world.actor("ppo"), "pests")
    lifecycle.revoke(other_area, world.actor("ppo"), "misuse")
    plan = services.generate_plan(world.actor("ppo"), world.province, "2026", *year_plan)
    assert plan.visits.filter(area=area).exists()
    assert not plan.visits.filter(area=other_area).exists()


def test_riskier_codes_come_first_and_sooner(world, area, other_area, year_plan):
    actor = world.actor("ppo")
    # other_area has two visits overdue and was never visited: it is riskier.
    for n in (1, 2):
        missed = services.schedule_visit(actor, other_area, days(n))
        MonitoringVisit.objects.filter(pk=missed.pk).update(due_date=days(-10 * n))
    score, reasons = services.risk(other_area)
    assert score >= services.HIGH_RISK
    assert any("overdue" in r for r in reasons)
    plan = services.generate_plan(actor, world.province, "2026", *year_plan)
    ordered = list(services.plan_visits(actor, plan))
    assert ordered[0].area_id == other_area.pk
    assert ordered[0].risk_score > ordered[-1].risk_score
    first_day = max(year_plan[0], timezone.localdate())
    assert ordered[0].due_date <= first_day + timedelta(days=services.HIGH_RISK_DAYS)


def test_inspectors_are_assigned_evenly(world, area, other_area, house, year_plan):
    second = make_user("ppo_2", world.orgs["ppo"], Role.INSPECTOR)
    plan = services.generate_plan(world.actor("ppo"), world.province, "2026", *year_plan)
    loads = {}
    for v in plan.visits.all():
        loads[v.inspector_id] = loads.get(v.inspector_id, 0) + 1
    assert set(loads) == {world.users["ppo"].pk, second.pk}
    assert max(loads.values()) - min(loads.values()) <= 1


def test_assigning_an_inspector_of_another_province_is_refused(world, area, year_plan):
    plan = services.generate_plan(world.actor("ppo"), world.province, "2026", *year_plan)
    visit = plan.visits.first()
    with pytest.raises(ValidationError) as exc:
        services.assign_inspector(world.actor("ppo"), visit, world.users["other_ppo"])
    assert "inspector" in exc.value.message_dict
    services.assign_inspector(world.actor("province"), visit, world.users["ppo"])
    visit.refresh_from_db()
    assert visit.inspector == world.users["ppo"]


def test_season_targets_give_one_visit_per_crop_season(db, markets):
    from agritrace.places.models import AdminUnit
    from agritrace.registry.models import Crop

    an_giang = AdminUnit.objects.get(tree="2025", level="province", name="An Giang")
    rice = Crop.objects.get(code="rice")
    targets = services.season_targets([rice.pk], an_giang, date(2026, 1, 1), date(2026, 12, 31))
    assert [label for label, _d in targets] == ["winter-spring", "summer-autumn", "autumn-winter"]
    assert targets[0][1] == date(2026, 2, 1) - timedelta(days=services.DAYS_BEFORE_HARVEST)
    # No calendar: one visit in the middle of the plan.
    tea = Crop.objects.get(code="tea")
    assert services.season_targets([tea.pk], an_giang, date(2026, 1, 1), date(2026, 1, 31)) == [
        ("", date(2026, 1, 16))
    ]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"season": "", "start": "2026-01-01", "end": "2026-12-31"}, "season"),
        ({"season": "x", "start": None, "end": "2099-12-31"}, "start"),
        ({"season": "x", "start": "2099-02-01", "end": "2099-01-01"}, "end"),
        ({"season": "x", "start": "2000-01-01", "end": "2000-12-31"}, "end"),
        ({"season": "x", "start": "not a date", "end": "2099-12-31"}, "start"),
    ],
)
def test_bad_plan_input_names_the_field(world, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        services.generate_plan(world.actor("ppo"), world.province, **kwargs)
    assert field in exc.value.message_dict


def test_a_plan_for_another_province_or_by_another_role_is_refused(world, year_plan):
    with pytest.raises(ValidationError) as exc:
        services.generate_plan(world.actor("ppo"), world.other_commune.parent, "2026", *year_plan)
    assert "province" in exc.value.message_dict
    for key in ("commune", "coop", "lab", "household", "ministry"):
        with pytest.raises(PermissionDenied):
            services.generate_plan(world.actor(key), world.province, "2026", *year_plan)


def test_the_day_sheet_shows_overdue_today_and_this_week(world, area, other_area):
    actor = world.actor("ppo")
    late = services.schedule_visit(actor, area, days(0))
    MonitoringVisit.objects.filter(pk=late.pk).update(due_date=days(-3))
    today = services.schedule_visit(actor, other_area, days(0), inspector=world.users["ppo"])
    soon = services.schedule_visit(actor, area, days(5))
    later = services.schedule_visit(actor, area, days(30))
    sheet = services.day_sheet(actor)
    assert [v.pk for v in sheet.overdue] == [late.pk]
    assert [v.pk for v in sheet.today] == [today.pk]
    assert [v.pk for v in sheet.week] == [soon.pk]
    assert later.pk not in {v.pk for v in sheet.all}
    assert late.status == "planned"  # as made; the row in the database is now overdue
    assert MonitoringVisit.objects.get(pk=late.pk).status == "overdue"
    mine = services.day_sheet(actor, mine=True)
    assert [v.pk for v in mine.all] == [today.pk]


def test_a_surprise_visit_needs_an_issued_code_and_a_future_date(world, area):
    draft, _app = make_area(world, lon=108.4, lat=12.9)
    with pytest.raises(ValidationError) as exc:
        services.schedule_visit(world.actor("ppo"), draft, days(3))
    assert "holder" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.schedule_visit(world.actor("ppo"), area, days(-1))
    assert "due_date" in exc.value.message_dict
    assert area.code_status == CodeStatus.ISSUED
