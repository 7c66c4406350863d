"""Pest surveillance: incidence per plot and date, and the quarantine pests each market names."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from agritrace.notifications.models import Notification
from agritrace.supervision import services
from agritrace.supervision.models import PestObservation

from .conftest import days


def observe(world, area, key="ppo", **change):
    data = {
        "area": area.pk,
        "plot": area.plots.first().pk,
        "observed_on": days(-1),
        "pest": "bactrocera-correcta",
        "incidence_pct": "12.5",
        **change,
    }
    return services.record_observation(world.actor(key), data)


def test_a_quarantine_pest_of_a_target_market_is_reported(world, area):
    assert "bactrocera-correcta" in {mp.pest.key for mp in services.quarantine_pests(area)}
    obs = observe(world, area)
    assert obs.incidence_pct == 12.5 and obs.observer == world.users["ppo"]
    assert Notification.objects.filter(
        organisation=world.orgs["ppo"], title__contains="Quarantine pest"
    ).exists()
    score, reasons = services.risk(area)
    assert any("quarantine pest" in r for r in reasons)


def test_an_ordinary_pest_or_zero_incidence_is_only_recorded(world, area):
    observe(world, area, pest="phytophthora-palmivora")
    observe(world, area, incidence_pct="0")
    assert PestObservation.objects.count() == 2
    assert not Notification.objects.filter(title__contains="Quarantine pest").exists()


def test_the_representative_records_its_own_areas_surveillance(world, area, other_area):
    observe(world, area, key="coop", incidence_pct=None, count_per_tree="3")
    with pytest.raises(Http404):
        observe(world, other_area, key="coop")
    for key in ("household", "lab", "commune", "exporter"):
        with pytest.raises(PermissionDenied):
            observe(world, area, key=key)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"incidence_pct": "101"}, "incidence_pct"),
        ({"incidence_pct": "-1"}, "incidence_pct"),
        ({"incidence_pct": "lots"}, "incidence_pct"),
        ({"incidence_pct": None}, "incidence_pct"),
        ({"incidence_pct": None, "count_per_tree": "-2"}, "count_per_tree"),
        ({"observed_on": lambda: days(1)}, "observed_on"),
        ({"observed_on": "1999-01-01"}, "observed_on"),
        ({"pest": "unicorn"}, "pest"),
        ({"plot": 999999}, "plot"),
        ({"plot": "x"}, "plot"),
    ],
)
def test_bad_observations_name_the_field(world, area, change, field):
    # dates relative to today are computed when the test runs, not when it is collected
    # (a run that crosses midnight would otherwise see "tomorrow" become today)
    change = {k: v() if callable(v) else v for k, v in change.items()}
    with pytest.raises(ValidationError) as exc:
        observe(world, area, **change)
    assert field in exc.value.message_dict
    assert not PestObservation.objects.exists()


def test_a_plot_of_another_area_is_refused(world, area, other_area):
    with pytest.raises(ValidationError) as exc:
        observe(world, area, plot=other_area.plots.first().pk)
    assert "plot" in exc.value.message_dict
