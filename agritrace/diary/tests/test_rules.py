"""The rules checked when a diary entry is saved: each keeps the entry, leaves a flag, shows
it to the person and tells the representative and the plant-protection office."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agritrace.audit.models import AuditEntry
from agritrace.diary import services
from agritrace.diary.models import (
    ActiveIngredient,
    DiaryEntry,
    DiaryFlag,
    FlagKind,
    MarketIngredientRule,
    Pesticide,
    PesticideIngredient,
)
from agritrace.formats import shown_date
from agritrace.notifications.models import Notification
from agritrace.registry.models import Market
from conftest import make_area

from .conftest import days_ago, harvest, spray

pytestmark = pytest.mark.django_db


def kinds(flags) -> list[str]:
    return sorted(f.kind for f in flags)


# ------------------------------------------------------------------ banned and unregistered


def test_a_banned_product_is_kept_and_flagged(farm, products):
    entry, flags = spray(farm.actor("household"), farm.plot, products["carbendazim"], 3)
    assert DiaryEntry.objects.filter(pk=entry.pk).exists()
    assert kinds(flags) == [FlagKind.BANNED_PRODUCT]
    assert "banned" in flags[0].message.lower()
    assert "03/QĐ-BNN-BVTV" in flags[0].details["source"]
    assert entry.flags.get().is_open


def test_a_registered_product_with_a_banned_ingredient_is_flagged(farm, products):
    product = Pesticide.objects.create(
        trade_name="Old stock 50WP", form="powder", status="registered"
    )
    PesticideIngredient.objects.create(
        pesticide=product, ingredient=ActiveIngredient.objects.get(name="Carbendazim")
    )
    _entry, flags = spray(farm.actor("household"), farm.plot, product, 2, "0.2", "KGM")
    assert kinds(flags) == [FlagKind.BANNED_PRODUCT]
    assert flags[0].ingredient.name == "Carbendazim"
    assert shown_date(date(2019, 1, 3)) in flags[0].message


def test_a_ban_counts_from_its_date(farm, products):
    product = Pesticide.objects.create(trade_name="Chlorpyrifos stock", status="registered")
    PesticideIngredient.objects.create(
        pesticide=product, ingredient=ActiveIngredient.objects.get(name="Chlorpyrifos ethyl")
    )
    before_ban = (timezone.localdate() - date(2020, 6, 1)).days
    _entry, flags = spray(farm.actor("household"), farm.plot, product, before_ban)
    assert flags == []
    _entry, flags = spray(farm.actor("household"), farm.plot, product, 1)
    assert kinds(flags) == [FlagKind.BANNED_PRODUCT]


def test_an_unregistered_product_is_flagged(farm, products):
    _entry, flags = spray(
        farm.actor("household"), farm.plot, products["unregistered"], 1, "0.5", "KGM"
    )
    assert kinds(flags) == [FlagKind.UNREGISTERED_PRODUCT]


def test_a_product_outside_the_catalogue_is_flagged(farm):
    entry, flags = services.record_entry(
        farm.actor("household"),
        {
            "kind": "spraying",
            "date": days_ago(1),
            "plot": farm.plot.pk,
            "other_product": "Thuốc Tàu không nhãn",
            "quantity": "1",
            "unit": "LTR",
        },
    )
    assert entry.product_label == "Thuốc Tàu không nhãn"
    assert kinds(flags) == [FlagKind.UNREGISTERED_PRODUCT]


def test_a_permitted_product_raises_nothing(farm, products):
    _entry, flags = spray(farm.actor("household"), farm.plot, products["azoxy"], 1)
    assert flags == []
    assert not DiaryFlag.objects.exists()


# ------------------------------------------------------------------ markets


def test_an_ingredient_not_allowed_for_a_target_market_is_flagged(world, products):
    area, _app = make_area(world, households=1, markets=("CN", "EU"))
    plot = area.plots.get()
    _entry, flags = spray(world.actor("coop"), plot, products["imidacloprid"], 1, "0.5")
    assert kinds(flags) == [FlagKind.MARKET_INGREDIENT]
    assert flags[0].market.code == "EU"
    assert flags[0].ingredient.name == "Imidacloprid"


def test_a_market_rule_only_counts_for_the_areas_markets(farm, products):
    # The farm's area sells to China only; the EU rule does not apply to it.
    _entry, flags = spray(farm.actor("household"), farm.plot, products["imidacloprid"], 1, "0.5")
    assert flags == []
    MarketIngredientRule.objects.create(
        market=Market.objects.get(code="CN"),
        ingredient=ActiveIngredient.objects.get(name="Imidacloprid"),
        allowed=False,
        source="test rule",
    )
    _entry, flags = spray(farm.actor("household"), farm.plot, products["imidacloprid"], 1, "0.5")
    assert [f.market.code for f in flags] == ["CN"]


# ------------------------------------------------------------------ pre-harvest interval


def test_a_harvest_inside_the_pre_harvest_interval_is_flagged(farm, products):
    actor = farm.actor("household")
    sprayed, _ = spray(actor, farm.plot, products["azoxy"], 10)  # PHI 14 days
    entry, flags = harvest(actor, farm.plot, 0)
    assert kinds(flags) == [FlagKind.PHI]
    assert flags[0].related_entry == sprayed
    lawful = sprayed.date + timedelta(days=14)
    assert flags[0].details["earliest_lawful_harvest"] == lawful.isoformat()
    assert shown_date(lawful) in flags[0].message  # in the language's form
    assert DiaryEntry.objects.filter(pk=entry.pk).exists()


def test_a_harvest_after_the_interval_is_lawful(farm, products):
    actor = farm.actor("household")
    spray(actor, farm.plot, products["azoxy"], 20)
    _entry, flags = harvest(actor, farm.plot, 5)  # 15 days after the spray
    assert flags == []


def test_a_whole_area_spray_holds_back_each_plots_harvest(farm, products):
    services.record_entry(
        farm.actor("coop"),
        {
            "kind": "spraying",
            "date": days_ago(3),
            "area": farm.area.pk,
            "pesticide": products["azoxy"].pk,
            "quantity": "0.8",
            "unit": "LTR",
        },
    )
    _entry, flags = harvest(farm.actor("household"), farm.plot, 0)
    assert kinds(flags) == [FlagKind.PHI]


def test_a_spray_on_another_plot_does_not_hold_back_this_one(farm, products):
    spray(farm.actor("coop"), farm.neighbour_plot, products["azoxy"], 3)
    _entry, flags = harvest(farm.actor("household"), farm.plot, 0)
    assert flags == []


def test_a_spray_recorded_late_flags_the_harvest_it_precedes(farm, products):
    actor = farm.actor("household")
    harvested, flags = harvest(actor, farm.plot, 1)
    assert flags == []
    _spray, flags = spray(actor, farm.plot, products["azoxy"], 5)
    assert [f.entry_id for f in flags] == [harvested.pk]
    assert harvested.flags.get().kind == FlagKind.PHI


def test_earliest_lawful_harvest(farm, products):
    actor = farm.actor("household")
    assert services.earliest_lawful_harvest(farm.plot) is None
    spray(actor, farm.plot, products["azoxy"], 10)  # 14 days → 4 days from now
    spray(actor, farm.plot, products["abamectin"], 2, "50", "MLT")  # 7 days → 5 days from now
    assert services.earliest_lawful_harvest(farm.plot) == days_ago(-5)
    assert services.earliest_lawful_harvest(farm.area) == days_ago(-5)
    assert services.earliest_lawful_harvest(farm.neighbour_plot) is None
    window = services.harvest_window(farm.plot)["harvest_window"]
    assert not window["lawful_now"] and window["days_left"] == 5
    assert len(window["holding"]) == 2


# ------------------------------------------------------------------ dose


def test_a_dose_above_the_label_is_flagged(farm, products):
    # The plot is about one hectare; the label allows 0.5 l/ha.
    entry, flags = spray(farm.actor("household"), farm.plot, products["azoxy"], 1, "2", "LTR")
    assert kinds(flags) == [FlagKind.DOSE]
    assert entry.dose_per_ha == pytest.approx(
        Decimal("2") / entry.treated_area_ha, rel=Decimal("0.001")
    )
    assert "0.5" in flags[0].message


def test_a_dose_within_the_label_is_not_flagged(farm, products):
    _entry, flags = spray(farm.actor("household"), farm.plot, products["azoxy"], 1, "400", "MLT")
    assert flags == []


def test_a_dose_per_litre_of_spray_water(farm, products):
    actor = farm.actor("household")
    # 1 ml per litre allowed: 500 ml in 100 l is 5 ml/l.
    _e, flags = spray(
        actor, farm.plot, products["abamectin"], 1, "500", "MLT", spray_volume_l="100"
    )
    assert kinds(flags) == [FlagKind.DOSE]
    _e, flags = spray(actor, farm.plot, products["abamectin"], 1, "80", "MLT", spray_volume_l="100")
    assert flags == []


# ------------------------------------------------------------------ who hears of it


def test_a_flag_reaches_the_representative_and_the_plant_protection_office(farm, products):
    spray(farm.actor("household"), farm.plot, products["carbendazim"], 1)
    told = set(Notification.objects.values_list("organisation__name", flat=True))
    world = farm.world
    assert told == {world.orgs["coop"].name, world.orgs["ppo"].name}
    note = Notification.objects.first()
    assert "/diary/entries/" in note.url


def test_no_flag_no_notification(farm, products):
    spray(farm.actor("household"), farm.plot, products["azoxy"], 1)
    assert not Notification.objects.exists()


# ------------------------------------------------------------------ changing an entry


def test_correcting_an_entry_keeps_the_old_version_and_closes_stale_flags(farm, products):
    actor = farm.actor("household")
    entry, flags = spray(actor, farm.plot, products["carbendazim"], 1)
    entry, new = services.update_entry(
        actor, entry, {"pesticide": products["azoxy"].pk, "reason": "wrong bottle noted"}
    )
    assert new == []
    assert entry.revision == 2
    revision = entry.revisions.get()
    assert revision.number == 1 and revision.data["pesticide"] == products["carbendazim"].pk
    assert revision.reason == "wrong bottle noted"
    flag = entry.flags.get()
    assert not flag.is_open and flag.resolved_by is None
    assert AuditEntry.objects.filter(action="diary.update", object_id=str(entry.pk)).exists()


def test_an_unchanged_save_makes_no_revision(farm, products):
    actor = farm.actor("household")
    entry, _ = spray(actor, farm.plot, products["azoxy"], 1)
    entry, _ = services.update_entry(actor, entry, {"quantity": "0.3"})
    assert entry.revision == 1 and not entry.revisions.exists()


def test_moving_a_spray_rechecks_the_harvests(farm, products):
    actor = farm.actor("household")
    sprayed, _ = spray(actor, farm.plot, products["azoxy"], 30)
    harvested, flags = harvest(actor, farm.plot, 2)
    assert flags == []
    services.update_entry(actor, sprayed, {"date": days_ago(5)})
    assert harvested.flags.get(resolved_at__isnull=True).kind == FlagKind.PHI


# ------------------------------------------------------------------ closing a flag


def test_an_officer_closes_a_flag(farm, products):
    _entry, flags = spray(farm.actor("household"), farm.plot, products["carbendazim"], 1)
    assert services.open_flags(farm.area).count() == 1
    flag = services.resolve_flag(farm.actor("ppo"), flags[0], "Stock seized, household trained")
    assert not flag.is_open and flag.resolved_by == farm.world.users["ppo"]
    assert services.open_flags(farm.area).count() == 0
    with pytest.raises(ValidationError) as exc:
        services.resolve_flag(farm.actor("ppo"), flag, "again")
    assert "flag" in exc.value.message_dict


def test_closing_a_flag_needs_an_officer_and_a_reason(farm, products):
    _entry, flags = spray(farm.actor("household"), farm.plot, products["carbendazim"], 1)
    for key in ("household", "coop", "commune"):
        with pytest.raises(PermissionDenied):
            services.resolve_flag(farm.actor(key), flags[0], "done")
    with pytest.raises(ValidationError) as exc:
        services.resolve_flag(farm.actor("ppo"), flags[0], "  ")
    assert "resolution" in exc.value.message_dict


def test_open_flags_covers_plots_and_the_whole_area(farm, products):
    spray(farm.actor("household"), farm.plot, products["carbendazim"], 1)
    services.record_entry(
        farm.actor("coop"),
        {
            "kind": "spraying",
            "date": days_ago(1),
            "area": farm.area.pk,
            "pesticide": products["unregistered"].pk,
            "quantity": "1",
            "unit": "KGM",
        },
    )
    assert sorted(services.open_flags(farm.area).values_list("kind", flat=True)) == [
        FlagKind.BANNED_PRODUCT,
        FlagKind.UNREGISTERED_PRODUCT,
    ]
