"""The scope rules of accounts.access.visible, one promise per kind of organisation."""

import pytest
from django.core.exceptions import PermissionDenied

from agritrace.accounts.access import PUBLIC, Actor, can, visible
from agritrace.accounts.models import Role
from agritrace.registry.models import Application, Household, PlantingArea, Plot
from conftest import make_area, make_user, walk_to_issued


@pytest.fixture
def two_areas(world):
    mine, app = make_area(world)
    theirs, _ = make_area(world, lon=108.3, key="coop_b")
    return mine, app, theirs


def ids(actor, model):
    return set(visible(actor, model.objects.all()).values_list("pk", flat=True))


@pytest.mark.django_db
def test_province_sees_its_province_only(world, two_areas):
    mine, _app, theirs = two_areas
    assert ids(world.actor("ppo"), PlantingArea) == {mine.pk, theirs.pk}
    assert ids(world.actor("other_ppo"), PlantingArea) == set()


@pytest.mark.django_db
def test_commune_sees_its_own_land(world, two_areas):
    mine, _app, theirs = two_areas
    assert ids(world.actor("commune"), PlantingArea) == {mine.pk}
    assert ids(world.actor("commune_b"), PlantingArea) == {theirs.pk}


@pytest.mark.django_db
def test_cooperative_sees_its_own_areas_and_households(world, two_areas):
    mine, _app, _theirs = two_areas
    assert ids(world.actor("coop"), PlantingArea) == {mine.pk}
    assert ids(world.actor("coop"), Household) == set(mine.households.values_list("pk", flat=True))
    assert ids(world.actor("coop"), Plot) == set(mine.plots.values_list("pk", flat=True))


@pytest.mark.django_db
def test_ministry_sees_everything(world, two_areas):
    assert len(ids(world.actor("ministry"), PlantingArea)) == 2


@pytest.mark.django_db
def test_public_and_lab_see_published_codes_only(world, two_areas):
    mine, app, _theirs = two_areas
    assert ids(PUBLIC, PlantingArea) == set()
    walk_to_issued(world, app)
    assert ids(PUBLIC, PlantingArea) == {mine.pk}
    assert ids(world.actor("lab"), PlantingArea) == {mine.pk}
    assert ids(PUBLIC, Household) == set()
    assert ids(PUBLIC, Application) == set()


@pytest.mark.django_db
def test_household_sees_itself(world, two_areas):
    mine, _app, _theirs = two_areas
    hh = mine.households.first()
    hh.organisation = world.orgs["household"]
    hh.save()
    assert ids(world.actor("household"), Household) == {hh.pk}
    assert ids(world.actor("household"), PlantingArea) == {mine.pk}


@pytest.mark.django_db
def test_unknown_models_are_refused(world):
    from agritrace.audit.models import AuditEntry

    with pytest.raises(PermissionDenied):
        visible(world.actor("ministry"), AuditEntry.objects.all())


@pytest.mark.django_db
def test_viewer_role_only_reads(world):
    viewer = make_user("viewer", world.orgs["ppo"], Role.VIEWER)
    actor = Actor.of(viewer)
    assert not can(actor, "decide")
    assert can(actor, "see_personal_data")
    assert can(world.actor("ppo"), "decide")
    assert not can(world.actor("commune"), "decide")
    assert not can(PUBLIC, "apply")
