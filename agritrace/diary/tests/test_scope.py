"""Who sees which diary entries and flags: a household its own plots (and its areas'
whole-area entries), a representative its areas and members, communes and provinces by
place; nobody else."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from agritrace.accounts.access import get_visible, visible
from agritrace.diary import services
from agritrace.diary.models import DiaryEntry, DiaryFlag

from .conftest import days_ago, spray

pytestmark = pytest.mark.django_db


@pytest.fixture
def diary(farm, products):
    """An entry on each household's plot (the neighbour's flagged) and a whole-area entry."""
    own, _ = spray(farm.actor("household"), farm.plot, products["azoxy"], 2)
    neighbours, _ = spray(farm.actor("coop"), farm.neighbour_plot, products["carbendazim"], 2)
    whole, _ = services.record_entry(
        farm.actor("coop"),
        {
            "kind": "irrigation",
            "date": days_ago(1),
            "area": farm.area.pk,
            "quantity": 40,
            "unit": "MTQ",
        },
    )
    return {"own": own, "neighbours": neighbours, "whole": whole}


def seen(actor) -> set[int]:
    return set(visible(actor, DiaryEntry.objects.all()).values_list("pk", flat=True))


def test_a_household_sees_its_own_plots_and_its_areas_whole_area_entries(farm, diary):
    assert seen(farm.actor("household")) == {diary["own"].pk, diary["whole"].pk}
    assert not visible(farm.actor("household"), DiaryFlag.objects.all()).exists()
    with pytest.raises(Http404):
        get_visible(farm.actor("household"), DiaryEntry.objects.all(), pk=diary["neighbours"].pk)


def test_a_representative_sees_its_areas_and_members(farm, diary):
    assert seen(farm.actor("coop")) == {e.pk for e in diary.values()}
    assert visible(farm.actor("coop"), DiaryFlag.objects.all()).count() == 1


def test_another_representative_sees_nothing(farm, diary):
    assert seen(farm.actor("coop_b")) == set()
    assert seen(farm.actor("other_coop")) == set()
    assert not visible(farm.actor("coop_b"), DiaryFlag.objects.all()).exists()


def test_communes_and_provinces_see_by_place(farm, diary):
    everything = {e.pk for e in diary.values()}
    for key in ("commune", "ppo", "province", "ministry"):
        assert seen(farm.actor(key)) == everything, key
        assert visible(farm.actor(key), DiaryFlag.objects.all()).count() == 1
    for key in ("commune_b", "other_ppo"):
        assert seen(farm.actor(key)) == set(), key
        assert not visible(farm.actor(key), DiaryFlag.objects.all()).exists()


def test_a_plot_outside_any_area_is_seen_by_its_households_commune(farm, products):
    farm.plot.area = None
    farm.plot.save()
    entry, _ = spray(farm.actor("household"), farm.plot, products["azoxy"], 1)
    assert entry.area is None
    assert entry.pk in seen(farm.actor("commune"))
    assert entry.pk in seen(farm.actor("ppo"))
    assert entry.pk not in seen(farm.actor("commune_b"))


@pytest.mark.parametrize("key", ["packing", "exporter", "lab"])
def test_others_see_no_diaries(farm, diary, key):
    assert seen(farm.actor(key)) == set()
    assert not visible(farm.actor(key), DiaryFlag.objects.all()).exists()


def test_a_household_cannot_change_its_neighbours_entry(farm, diary):
    with pytest.raises(Http404):
        services.update_entry(farm.actor("household"), diary["neighbours"], {"notes": "x"})


def test_a_household_cannot_change_a_whole_area_entry(farm, diary):
    with pytest.raises(PermissionDenied):
        services.update_entry(farm.actor("household"), diary["whole"], {"notes": "x"})


def test_a_representative_corrects_a_members_entry(farm, diary):
    entry, _ = services.update_entry(farm.actor("coop"), diary["own"], {"notes": "checked"})
    assert entry.notes == "checked" and entry.revision == 2


def test_an_officer_reads_but_does_not_write(farm, diary):
    with pytest.raises(PermissionDenied):
        services.update_entry(farm.actor("ppo"), diary["own"], {"notes": "x"})


def test_the_recordable_grounds(farm):
    plots, areas = services.recordable_grounds(farm.actor("household"))
    assert list(plots) == [farm.plot] and not areas.exists()
    plots, areas = services.recordable_grounds(farm.actor("coop"))
    assert set(plots) == {farm.plot, farm.neighbour_plot} and list(areas) == [farm.area]
    plots, areas = services.recordable_grounds(farm.actor("ppo"))
    assert not plots.exists() and not areas.exists()
