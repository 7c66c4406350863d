"""The harvest forecast of an area and season against the representative's purchase plan."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from agritrace.audit.models import AuditEntry
from agritrace.diary import services
from agritrace.diary.models import CropYield, Forecast, PurchasePlan
from agritrace.notifications.models import Notification

from .conftest import days_ago, harvest

pytestmark = pytest.mark.django_db

YEAR = str(timezone.localdate().year)


def month(offset_days: int = 0) -> str:
    return days_ago(offset_days).strftime("%Y-%m")


def test_the_forecast_is_area_times_yield(farm):
    result = services.forecast(farm.actor("coop"), farm.area, YEAR)
    assert result.area_ha == farm.area.measured_area_ha
    assert result.yield_t_per_ha == Decimal("22.7")
    assert result.model_t == pytest.approx(
        farm.area.measured_area_ha * Decimal("22.7"), abs=Decimal("0.01")
    )
    assert result.expected_t == result.model_t
    assert result.starts_on == date(int(YEAR), 1, 1) and result.ends_on == date(int(YEAR), 12, 31)
    assert "codes.md" in result.yield_source
    assert not Forecast.objects.exists()  # reading saves nothing


def test_harvests_recorded_count(farm):
    harvest(farm.actor("household"), farm.plot, 0, kg="1500")
    harvest(farm.actor("coop"), farm.neighbour_plot, 0, kg="2", unit="TNE")
    result = services.forecast(farm.actor("ppo"), farm.area, YEAR)
    assert result.harvested_t == Decimal("3.5")


def test_harvests_beyond_what_the_area_grows_are_reported(farm):
    farm.area.measured_area_ha = Decimal("0.1")  # 2.27 t expected
    farm.area.save()
    harvest(farm.actor("household"), farm.plot, 0, kg="3000")
    result = services.forecast(farm.actor("coop"), farm.area, YEAR)
    assert result.expected_t == Decimal("3")
    assert any("exceed" in w for w in services.forecast_warnings(result))


def test_a_season_of_several_harvests_splits_the_yield(farm):
    farm.area.harvests_per_year = 2
    farm.area.save()
    result = services.forecast(
        farm.actor("coop"), farm.area, f"{YEAR}-1", f"{YEAR}-01-01", f"{YEAR}-06-30"
    )
    assert result.yield_t_per_ha == Decimal("11.350")


def test_without_yield_data_the_declared_yield_is_used(farm):
    CropYield.objects.filter(crop=farm.area.crop).delete()
    result = services.forecast(farm.actor("coop"), farm.area, YEAR)
    assert result.model_t == farm.area.expected_yield_t
    assert "declared" in result.yield_source


@pytest.mark.parametrize(
    "season, starts, ends, field",
    [
        ("spring", None, None, "season"),
        ("1890", None, None, "season"),
        (f"{YEAR}-1", None, None, "starts_on"),
        (YEAR, f"{YEAR}-06-01", f"{YEAR}-01-01", "ends_on"),
        (YEAR, "first of june", None, "starts_on"),
        (YEAR, f"{YEAR}-01-01", f"{int(YEAR) + 2}-01-01", "ends_on"),
    ],
)
def test_a_bad_season(farm, season, starts, ends, field):
    with pytest.raises(ValidationError) as exc:
        services.forecast(farm.actor("coop"), farm.area, season, starts, ends)
    assert field in exc.value.message_dict


@pytest.mark.parametrize("key", ["household", "packing", "exporter", "lab"])
def test_who_reads_a_forecast(farm, key):
    with pytest.raises((PermissionDenied, Http404)):
        services.forecast(farm.actor(key), farm.area, YEAR)


def test_another_representative_cannot_read_it(farm):
    with pytest.raises(Http404):
        services.forecast(farm.actor("coop_b"), farm.area, YEAR)


# ------------------------------------------------------------------ the purchase plan


def test_a_plan_within_the_forecast(farm):
    rows = [{"buyer": "Công ty XNK Tây Nguyên", "tonnes": "20", "month": month()}]
    result = services.set_purchase_plan(farm.actor("coop"), farm.area, YEAR, rows)
    assert result.pk and result.planned_t == Decimal("20")
    assert not result.over_capacity
    assert services.forecast_warnings(result) == []
    assert not Notification.objects.exists()
    assert AuditEntry.objects.filter(action="forecast.plan").count() == 1


def test_a_plan_above_the_forecast_warns_and_tells_the_office(farm):
    rows = [
        {"buyer": "Buyer A", "tonnes": "40", "month": month()},
        {
            "buyer": "Buyer B",
            "tonnes": "30",
            "month": month(),
            "buyer_org": farm.world.orgs["exporter"].pk,
        },
    ]
    result = services.set_purchase_plan(farm.actor("coop"), farm.area, YEAR, rows)
    assert result.over_capacity
    assert "purchase plan (70 t)" in services.forecast_warnings(result)[0]
    note = Notification.objects.get()
    assert note.organisation == farm.world.orgs["ppo"]
    assert f"/diary/areas/{farm.area.pk}/forecast/" in note.url


def test_saving_replaces_the_plan(farm):
    services.set_purchase_plan(
        farm.actor("coop"), farm.area, YEAR, [{"buyer": "A", "tonnes": 5, "month": month()}]
    )
    services.set_purchase_plan(
        farm.actor("coop"), farm.area, YEAR, [{"buyer": "B", "tonnes": 7, "month": month()}]
    )
    assert list(PurchasePlan.objects.values_list("buyer", flat=True)) == ["B"]
    assert Forecast.objects.count() == 1


def test_a_bad_plan_saves_nothing(farm):
    outside = f"{int(YEAR) + 1}-02"
    rows = [
        {"buyer": "", "tonnes": "5", "month": month()},
        {"buyer": "B", "tonnes": "-5", "month": month()},
        {"buyer": "C", "tonnes": "5", "month": outside},
        {"buyer": "D", "tonnes": "5", "month": "June"},
        {"buyer": "E", "tonnes": None, "month": month()},
        {"buyer": "F", "tonnes": "5", "month": month(), "buyer_org": farm.world.orgs["lab"].pk},
    ]
    with pytest.raises(ValidationError) as exc:
        services.set_purchase_plan(farm.actor("coop"), farm.area, YEAR, rows)
    assert set(exc.value.message_dict) == {
        "plan[0].buyer",
        "plan[1].tonnes",
        "plan[2].month",
        "plan[3].month",
        "plan[4].tonnes",
        "plan[5].buyer_org",
    }
    assert not Forecast.objects.exists() and not PurchasePlan.objects.exists()


@pytest.mark.parametrize("key", ["household", "ppo", "commune", "exporter"])
def test_only_the_representative_sets_the_plan(farm, key):
    with pytest.raises((PermissionDenied, Http404)):
        services.set_purchase_plan(farm.actor(key), farm.area, YEAR, [])
    with pytest.raises(Http404):
        services.set_purchase_plan(farm.actor("coop_b"), farm.area, YEAR, [])
