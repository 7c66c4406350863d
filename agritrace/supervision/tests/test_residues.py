"""The residue programme: samples, laboratory results compared with the limits of each of
the area's target markets, cases, market flags and follow-up samples; bad input; who sees
which samples."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from agritrace.accounts.access import visible
from agritrace.notifications.models import Notification
from agritrace.registry.models import Market
from agritrace.supervision import services
from agritrace.supervision.models import (
    AreaMarketFlag,
    CaseStatus,
    LabResult,
    ResidueCase,
    Sample,
    SampleStatus,
)

from .conftest import days


def register(world, area, lab="lab", analyses=("chlorpyrifos", "cypermethrin"), **extra):
    data = {
        "area": area.pk,
        "plot_or_lot": "P0",
        "sampled_on": days(-2),
        "laboratory": world.orgs[lab].pk if isinstance(lab, str) else lab.pk,
        "analyses": list(analyses),
        **extra,
    }
    return services.register_sample(world.actor("ppo"), data)


def result(ingredient="chlorpyrifos", value="0.2", loq="0.01", analysed_on=None):
    return {
        "ingredient": ingredient,
        "value_mg_kg": value,
        "loq_mg_kg": loq,
        "analysed_on": analysed_on or days(0),
    }


def test_a_result_above_the_limit_opens_a_case_flags_the_area_and_plans_a_follow_up(world, area):
    sample = register(world, area)
    assert sample.status == SampleStatus.SENT and sample.code.startswith("RS-")
    assert Notification.objects.filter(organisation=world.orgs["lab"]).exists()
    china = Market.objects.get(code="CN")
    res, cases = services.enter_result(world.actor("lab"), sample, result(value="0.2"))
    assert len(cases) == 1
    case = cases[0]
    assert (case.market, case.ingredient.name, case.value_mg_kg) == (
        china,
        "Chlorpyrifos ethyl",  # "chlorpyrifos" is its synonym in the input catalogue
        Decimal("0.2"),
    )
    assert res.ingredient.name == "Chlorpyrifos ethyl"
    assert case.limit_mg_kg == Decimal("0.05") and "demo" in case.limit_source
    flag = AreaMarketFlag.objects.get(area=area, market=china)
    assert flag.active and flag.case == case
    assert services.is_flagged_for(area, china)
    assert not services.is_flagged_for(area, Market.objects.get(code="US"))
    follow = case.follow_up
    assert follow.status == SampleStatus.PLANNED and follow.follow_up_of == sample
    assert follow.sampled_on is None and follow.planned_for > days(0)
    assert follow.analyses == sample.analyses and follow.laboratory == sample.laboratory
    told = set(
        Notification.objects.filter(title__contains="above").values_list("organisation", flat=True)
    )
    assert {world.orgs["province"].pk, world.orgs["ppo"].pk, area.representative_id} <= told
    score, reasons = services.risk(area)
    assert any("residue case" in r for r in reasons)
    # The sample is complete only when every requested analysis has its result.
    sample.refresh_from_db()
    assert sample.status == SampleStatus.SENT
    services.enter_result(world.actor("lab"), sample, result("cypermethrin", "0.1"))
    sample.refresh_from_db()
    assert sample.status == SampleStatus.ANALYSED


def test_a_result_within_the_limit_or_below_quantification_opens_nothing(world, area):
    sample = register(world, area)
    _r, cases = services.enter_result(world.actor("lab"), sample, result(value="0.04"))
    assert cases == []
    _r, cases = services.enter_result(
        world.actor("lab"), sample, result("cypermethrin", value="5", loq="10")
    )
    assert cases == []  # below the limit of quantification: not detected
    assert not ResidueCase.objects.exists() and not AreaMarketFlag.objects.exists()


def test_a_market_default_limit_applies_to_ingredients_without_their_own(world, area):
    eu = Market.objects.get(code="EU")
    area.markets.add(eu)
    sample = register(world, area, analyses=["imidacloprid"])
    _r, cases = services.enter_result(world.actor("lab"), sample, result("imidacloprid", "0.02"))
    assert [c.market.code for c in cases] == ["EU"]
    assert cases[0].limit_mg_kg == Decimal("0.01") and "396/2005" in cases[0].limit_source


def test_a_clean_follow_up_closes_the_case_and_lifts_the_flag(world, area):
    sample = register(world, area, analyses=["chlorpyrifos"])
    _r, (case,) = services.enter_result(world.actor("lab"), sample, result(value="0.3"))
    follow = case.follow_up
    with pytest.raises(ValidationError) as exc:
        services.enter_result(world.actor("lab"), follow, result(value="0.01"))
    assert "sample" in exc.value.message_dict  # not yet taken
    services.take_sample(world.actor("ppo"), follow, days(0), "P0 again")
    services.enter_result(world.actor("lab"), follow, result(value="0.01"))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and follow.code in case.resolution
    assert not services.is_flagged_for(area, case.market)
    assert AreaMarketFlag.objects.get(area=area).lifted_at is not None


def test_a_failing_follow_up_keeps_the_flag(world, area):
    sample = register(world, area, analyses=["chlorpyrifos"])
    _r, (case,) = services.enter_result(world.actor("lab"), sample, result(value="0.3"))
    services.take_sample(world.actor("ppo"), case.follow_up, days(0))
    _r, (again,) = services.enter_result(world.actor("lab"), case.follow_up, result(value="0.2"))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and f"case {again.pk}" in case.resolution
    assert again.status == CaseStatus.OPEN
    assert services.is_flagged_for(area, case.market)
    assert AreaMarketFlag.objects.filter(area=area, lifted_at__isnull=True).count() == 1


def test_an_officer_may_close_a_case(world, area):
    sample = register(world, area, analyses=["chlorpyrifos"])
    _r, (case,) = services.enter_result(world.actor("lab"), sample, result(value="0.3"))
    with pytest.raises(PermissionDenied):
        services.close_case(world.actor("lab"), case, "fine")
    with pytest.raises(ValidationError) as exc:
        services.close_case(world.actor("province"), case, " ")
    assert "resolution" in exc.value.message_dict
    services.close_case(world.actor("province"), case, "lot destroyed, retested by the importer")
    assert not services.is_flagged_for(area, case.market)


@pytest.mark.parametrize(
    "data, field",
    [
        (result(analysed_on=days(-5)), "analysed_on"),  # sampled days(-2)
        (result(analysed_on=days(3)), "analysed_on"),
        (result(analysed_on="31/12/2025"), "analysed_on"),
        (result("carbendazim"), "ingredient"),  # not requested
        (result(""), "ingredient"),
        (result(value="-0.1"), "value_mg_kg"),
        (result(value="abc"), "value_mg_kg"),
        (result(value="NaN"), "value_mg_kg"),
        (result(value="1e9"), "value_mg_kg"),
        (result(value=None), "value_mg_kg"),
        (result(loq="-0.01"), "loq_mg_kg"),
    ],
)
def test_bad_results_name_the_field_and_save_nothing(world, area, data, field):
    sample = register(world, area)
    with pytest.raises(ValidationError) as exc:
        services.enter_result(world.actor("lab"), sample, data)
    assert field in exc.value.message_dict
    assert not LabResult.objects.exists() and not ResidueCase.objects.exists()


def test_a_result_is_entered_once_per_ingredient(world, area):
    sample = register(world, area)
    services.enter_result(world.actor("lab"), sample, result(value="0.01"))
    with pytest.raises(ValidationError) as exc:
        services.enter_result(world.actor("lab"), sample, result(value="0.02"))
    assert "ingredient" in exc.value.message_dict


@pytest.mark.parametrize(
    "change, field",
    [
        ({"sampled_on": None}, "sampled_on"),
        ({"sampled_on": lambda: days(1)}, "sampled_on"),
        ({"sampled_on": None, "planned_for": days(-1)}, "planned_for"),
        ({"laboratory": None}, "laboratory"),
        ({"analyses": []}, "analyses"),
        ({"analyses": "  , "}, "analyses"),
        ({"analyses": [3]}, "analyses"),
        ({"code": "x" * 41}, "code"),
    ],
)
def test_bad_samples_name_the_field(world, area, change, field):
    # relative dates are computed when the test runs (a run may cross midnight)
    change = {k: v() if callable(v) else v for k, v in change.items()}
    data = {
        "area": area.pk,
        "sampled_on": days(-1),
        "laboratory": world.orgs["lab"].pk,
        "analyses": ["chlorpyrifos"],
        **change,
    }
    with pytest.raises(ValidationError) as exc:
        services.register_sample(world.actor("ppo"), data)
    assert field in exc.value.message_dict
    assert not Sample.objects.exists()


def test_a_sample_code_is_unique(world, area):
    register(world, area, code="AG-2026-001")
    with pytest.raises(ValidationError) as exc:
        register(world, area, code="AG-2026-001")
    assert "code" in exc.value.message_dict


def test_a_laboratory_sees_only_the_samples_sent_to_it(world, area, other_area, lab_b):
    mine = register(world, area)
    theirs = register(world, other_area, lab=lab_b)
    lab = world.actor("lab")
    assert list(visible(lab, Sample.objects.all())) == [mine]
    with pytest.raises(Http404):
        services.enter_result(lab, theirs, result())
    from agritrace.accounts.access import Actor

    lab_b_actor = Actor.of(lab_b.memberships.get().user)
    services.enter_result(lab_b_actor, theirs, result(value="0.01"))
    assert list(visible(lab, LabResult.objects.all())) == []
    assert visible(lab_b_actor, LabResult.objects.all()).count() == 1


def test_a_commune_sees_its_areas_samples_and_may_not_enter_results(world, area, other_area):
    mine = register(world, area)
    register(world, other_area)
    assert list(visible(world.actor("commune"), Sample.objects.all())) == [mine]
    assert list(visible(world.actor("coop"), Sample.objects.all())) == [mine]
    for key in ("household", "exporter", "other_ppo", "packing"):
        assert not visible(world.actor(key), Sample.objects.all()).exists()
    for key in ("commune", "ppo", "coop", "household"):
        with pytest.raises(PermissionDenied):
            services.enter_result(world.actor(key), mine, result())
    for key in ("lab", "commune", "coop", "household"):
        with pytest.raises(PermissionDenied):
            services.register_sample(world.actor(key), {"area": area.pk})


def test_the_programme_counts_samples_against_its_plan(world, area, foreign_area):
    with pytest.raises(ValidationError) as exc:
        services.set_residue_plan(world.actor("ppo"), world.province, 2026, 0)
    assert "target_samples" in exc.value.message_dict
    plan = services.set_residue_plan(
        world.actor("ppo"),
        world.province,
        days(0).year,
        100,
        "An Giang plan: 100 a year (seeds 003)",
    )
    for _n in range(3):
        register(world, area, analyses=["chlorpyrifos"])
    done = register(world, area, analyses=["chlorpyrifos"])
    services.enter_result(world.actor("lab"), done, result(value="0.3"))
    progress = services.residue_progress(world.actor("ppo"), plan)
    assert progress["target"] == 100 and progress["taken"] == 4
    assert progress["analysed"] == 1 and progress["above_limit"] == 1
    assert progress["planned"] == 1 and progress["percent"] == 4
    again = services.set_residue_plan(world.actor("ppo"), world.province, days(0).year, 120)
    assert again.pk == plan.pk and again.target_samples == 120
    assert again.source == "An Giang plan: 100 a year (seeds 003)"


def test_a_residue_plan_is_sourced_data(world):
    from agritrace.registry.models import SourcedData
    from agritrace.supervision.models import ResiduePlan

    assert issubclass(ResiduePlan, SourcedData)
    plan = services.set_residue_plan(world.actor("ppo"), world.province, days(0).year, 50)
    assert plan.source == "unknown" and plan.source_date is None
    with pytest.raises(ValidationError) as exc:
        services.set_residue_plan(
            world.actor("ppo"), world.province, days(0).year, 50, "QĐ 1", days(3)
        )
    assert "source_date" in exc.value.message_dict
    plan = services.set_residue_plan(
        world.actor("ppo"), world.province, days(0).year, 60, "QĐ 1753/QĐ-UBND", days(-30)
    )
    assert (plan.source, plan.source_date, plan.target_samples) == (
        "QĐ 1753/QĐ-UBND",
        days(-30),
        60,
    )
