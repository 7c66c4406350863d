"""What cannot have happened is refused with an error naming the field, and nothing is
saved: impossible dates, quantities and units, a product that does not go with the work, a
plot that is not one's own."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agritrace.audit.models import AuditEntry
from agritrace.diary import services
from agritrace.diary.models import DiaryEntry

from .conftest import days_ago, spray

pytestmark = pytest.mark.django_db


def refused(actor, data: dict) -> dict:
    """Record `data`, expect a ValidationError; check nothing was saved; return its fields."""
    entries, audit = DiaryEntry.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.record_entry(actor, data)
    assert DiaryEntry.objects.count() == entries
    assert AuditEntry.objects.count() == audit
    return exc.value.message_dict


def base(farm, products, **extra) -> dict:
    return {
        "kind": "spraying",
        "date": days_ago(1),
        "plot": farm.plot.pk,
        "pesticide": products["azoxy"].pk,
        "quantity": "0.3",
        "unit": "LTR",
        **extra,
    }


# ------------------------------------------------------------------ dates


def test_a_date_in_the_future(farm, products):
    tomorrow = timezone.localdate() + timedelta(days=1)
    errors = refused(farm.actor("household"), base(farm, products, date=tomorrow))
    assert list(errors) == ["date"]


@pytest.mark.parametrize("value", ["", None, "15/03/2026", "2026-02-30", "yesterday", "1900-01-01"])
def test_a_date_that_is_not_a_date(farm, products, value):
    errors = refused(farm.actor("household"), base(farm, products, date=value))
    assert "date" in errors


def test_a_harvest_before_the_planting_recorded_on_the_plot(farm, products):
    actor = farm.actor("household")
    services.record_entry(
        actor,
        {
            "kind": "planting",
            "date": days_ago(30),
            "plot": farm.plot.pk,
            "quantity": 20,
            "unit": "H87",
        },
    )
    errors = refused(
        actor,
        {
            "kind": "harvest",
            "date": days_ago(40),
            "plot": farm.plot.pk,
            "quantity": 100,
            "unit": "KGM",
        },
    )
    assert "planting" in errors["date"][0]
    # The neighbour's plot has no planting recorded: its harvest that day is fine.
    services.record_entry(
        farm.actor("coop"),
        {
            "kind": "harvest",
            "date": days_ago(40),
            "plot": farm.neighbour_plot.pk,
            "quantity": 100,
            "unit": "KGM",
        },
    )


def test_a_harvest_before_the_plots_planting_year(farm):
    farm.plot.planting_year = timezone.localdate().year
    farm.plot.save()
    last_year = timezone.localdate().replace(day=1, month=1) - timedelta(days=1)
    errors = refused(
        farm.actor("household"),
        {"kind": "harvest", "date": last_year, "plot": farm.plot.pk, "quantity": 50, "unit": "KGM"},
    )
    assert "planting year" in errors["date"][0]


# ------------------------------------------------------------------ quantities


@pytest.mark.parametrize("value", ["-1", "0", "abc", "NaN", "Infinity", True, "1e12"])
def test_a_quantity_that_cannot_be(farm, products, value):
    errors = refused(farm.actor("household"), base(farm, products, quantity=value))
    assert list(errors) == ["quantity"]


def test_an_absurd_quantity_for_the_ground(farm, products):
    # 5,000 litres of fungicide on a one-hectare plot, 900 tonnes of durian.
    actor = farm.actor("household")
    errors = refused(actor, base(farm, products, quantity="5000"))
    assert "not plausible" in errors["quantity"][0]
    errors = refused(
        actor,
        {
            "kind": "harvest",
            "date": days_ago(1),
            "plot": farm.plot.pk,
            "quantity": 900,
            "unit": "TNE",
        },
    )
    assert list(errors) == ["quantity"]
    errors = refused(
        actor,
        {
            "kind": "pruning",
            "date": days_ago(1),
            "plot": farm.plot.pk,
            "quantity": 3,
            "unit": "HAR",
        },
    )
    assert list(errors) == ["quantity"]


def test_a_spray_and_a_harvest_need_a_quantity(farm, products):
    actor = farm.actor("household")
    assert list(refused(actor, base(farm, products, quantity=None, unit=""))) == ["quantity"]
    errors = refused(actor, {"kind": "harvest", "date": days_ago(1), "plot": farm.plot.pk})
    assert list(errors) == ["quantity"]


def test_a_negative_spray_water(farm, products):
    errors = refused(farm.actor("household"), base(farm, products, spray_volume_l="-20"))
    assert list(errors) == ["spray_volume_l"]


# ------------------------------------------------------------------ units


def test_litres_of_a_granular_fertiliser(farm, products):
    errors = refused(
        farm.actor("household"),
        base(
            farm,
            products,
            kind="fertilising",
            pesticide=None,
            fertiliser=products["urea"].pk,
            quantity="50",
            unit="LTR",
        ),
    )
    assert list(errors) == ["unit"]


def test_kilograms_of_a_liquid_spray(farm, products):
    errors = refused(farm.actor("household"), base(farm, products, unit="KGM"))
    assert list(errors) == ["unit"]


def test_kilograms_of_a_powder_spray_are_fine(farm, products):
    entry, _ = spray(farm.actor("household"), farm.plot, products["metalaxyl"], 1, "1.5", "KGM")
    assert entry.unit == "KGM"


def test_litres_of_a_liquid_fertiliser_are_fine(farm, products):
    entry, _ = services.record_entry(
        farm.actor("household"),
        base(
            farm,
            products,
            kind="fertilising",
            pesticide=None,
            fertiliser=products["foliar"].pk,
            quantity="2",
            unit="LTR",
        ),
    )
    assert entry.fertiliser == products["foliar"]


def test_a_harvest_in_litres(farm):
    errors = refused(
        farm.actor("household"),
        {
            "kind": "harvest",
            "date": days_ago(1),
            "plot": farm.plot.pk,
            "quantity": 5,
            "unit": "LTR",
        },
    )
    assert list(errors) == ["unit"]


@pytest.mark.parametrize("unit", ["", "XYZ", "kg"])
def test_a_unit_missing_or_unknown(farm, products, unit):
    errors = refused(farm.actor("household"), base(farm, products, unit=unit))
    assert list(errors) == ["unit"]


# ------------------------------------------------------------------ what and where


def test_an_unknown_kind(farm, products):
    assert "kind" in refused(farm.actor("household"), base(farm, products, kind="dancing"))


def test_a_product_that_does_not_go_with_the_work(farm, products):
    errors = refused(farm.actor("household"), base(farm, products, kind="harvest", unit="KGM"))
    assert "pesticide" in errors


def test_a_spray_without_a_product(farm, products):
    errors = refused(farm.actor("household"), base(farm, products, pesticide=None))
    assert list(errors) == ["pesticide"]


def test_an_unknown_product(farm, products):
    errors = refused(farm.actor("household"), base(farm, products, pesticide=999999))
    assert list(errors) == ["pesticide"]


def test_two_products_in_one_entry(farm, products):
    errors = refused(farm.actor("household"), base(farm, products, other_product="Thuốc khác"))
    assert "pesticide" in errors


def test_a_plot_and_an_area_at_once(farm, products):
    errors = refused(farm.actor("coop"), base(farm, products, area=farm.area.pk))
    assert list(errors) == ["plot"]


def test_neither_plot_nor_area(farm, products):
    errors = refused(farm.actor("coop"), base(farm, products, plot=None))
    assert list(errors) == ["plot"]


def test_a_household_records_only_for_its_own_plots(farm, products):
    actor = farm.actor("household")
    assert list(refused(actor, base(farm, products, plot=farm.neighbour_plot.pk))) == ["plot"]
    errors = refused(actor, base(farm, products, plot=None, area=farm.area.pk))
    assert list(errors) == ["area"]


def test_another_representative_cannot_record_on_these_plots(farm, products):
    assert "plot" in refused(farm.actor("coop_b"), base(farm, products))


@pytest.mark.parametrize("key", ["ppo", "province", "commune", "packing", "exporter", "lab"])
def test_only_households_and_representatives_keep_diaries(farm, products, key):
    with pytest.raises(PermissionDenied):
        services.record_entry(farm.actor(key), base(farm, products))
    assert not DiaryEntry.objects.exists()


def test_every_problem_is_reported_at_once(farm, products):
    errors = refused(
        farm.actor("household"),
        base(farm, products, date=days_ago(-3), quantity="-2", spray_volume_l="x"),
    )
    assert {"date", "quantity", "spray_volume_l"} <= set(errors)


def test_a_bad_change_keeps_the_entry_as_it_was(farm, products):
    actor = farm.actor("household")
    entry, _ = spray(actor, farm.plot, products["azoxy"], 1)
    with pytest.raises(ValidationError) as exc:
        services.update_entry(actor, entry, {"unit": "KGM"})
    assert list(exc.value.message_dict) == ["unit"]
    entry.refresh_from_db()
    assert entry.unit == "LTR" and entry.revision == 1 and not entry.revisions.exists()
