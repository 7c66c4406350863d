"""A household's own login organisation: made or linked by an authority or by the household's
representative, so its members can log in and be told about their codes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client

from agritrace.accounts.access import Actor, visible
from agritrace.accounts.models import Organisation, OrgKind, Role
from agritrace.audit.models import AuditEntry
from agritrace.registry import services
from agritrace.registry.models import Household, PlantingArea
from conftest import make_area, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(world) -> Household:
    area, _app = make_area(world, households=1)
    return area.households.get()


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def test_the_representative_makes_the_household_its_organisation(world, household):
    household.phone = "0912345678"
    household.save()
    linked = services.link_household_organisation(world.actor("coop"), household)
    org = linked.organisation
    assert org.kind == OrgKind.HOUSEHOLD
    assert org.unit == household.commune
    assert org.name == f"Household {household.name}"
    assert org.phone == "0912345678"
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["organisation.create", "household.link_organisation"]
    link = AuditEntry.objects.get(action="household.link_organisation")
    assert link.before["organisation"] is None and link.after["organisation"] == org.pk
    assert "national_id" not in link.after  # personal data stays out of the log
    # A login of the new organisation sees the household and its area.
    member = Actor.of(make_user("farmer", org, Role.STAFF))
    assert visible(member, Household.objects.all()).get() == household
    assert visible(member, PlantingArea.objects.all()).count() == 1


@pytest.mark.parametrize("key", ["province", "ppo"])
def test_an_authority_links_an_existing_household_organisation(world, household, key):
    choices = services.household_organisation_choices(world.actor(key), household)
    assert list(choices) == [world.orgs["household"]]
    services.link_household_organisation(world.actor(key), household, world.orgs["household"])
    household.refresh_from_db()
    assert household.organisation == world.orgs["household"]
    assert not services.household_organisation_choices(world.actor(key), household).exists()


def test_a_representative_cannot_take_an_organisation_it_does_not_see(world, household):
    assert not services.household_organisation_choices(world.actor("coop"), household).exists()
    with pytest.raises(ValidationError) as exc_info:
        services.link_household_organisation(
            world.actor("coop"), household, world.orgs["household"]
        )
    assert "organisation" in errors_of(exc_info)
    household.refresh_from_db()
    assert household.organisation is None


def test_only_an_unlinked_household_organisation_of_the_commune(world, household):
    officer = world.actor("ppo")
    for org in (world.orgs["coop"], world.orgs["packing"]):  # not households
        with pytest.raises(ValidationError):
            services.link_household_organisation(officer, household, org)
    elsewhere = Organisation.objects.create(
        name="Hộ ở xã khác", kind=OrgKind.HOUSEHOLD, unit=world.communes[1]
    )
    with pytest.raises(ValidationError) as exc_info:
        services.link_household_organisation(officer, household, elsewhere)
    assert errors_of(exc_info) == {
        "organisation": ["The organisation must be in the household's commune."]
    }
    neighbour = services.create_household(
        world.actor("coop"), {"name": "Hộ láng giềng", "commune": household.commune_id}
    )
    services.link_household_organisation(officer, neighbour, world.orgs["household"])
    with pytest.raises(ValidationError) as exc_info:
        services.link_household_organisation(officer, household, world.orgs["household"])
    assert errors_of(exc_info) == {
        "organisation": ["This organisation already belongs to another household."]
    }


def test_a_household_has_one_organisation(world, household):
    services.link_household_organisation(world.actor("coop"), household)
    with pytest.raises(ValidationError) as exc_info:
        services.link_household_organisation(world.actor("ppo"), household)
    assert errors_of(exc_info) == {
        "organisation": ["This household already has its own organisation."]
    }
    assert Organisation.objects.filter(kind=OrgKind.HOUSEHOLD).count() == 2  # world's + this


@pytest.mark.parametrize("key", ["commune", "ministry", "packing", "exporter", "household"])
def test_other_roles_may_not_link(world, household, key):
    with pytest.raises(PermissionDenied):
        services.link_household_organisation(world.actor(key), household)
    household.refresh_from_db()
    assert household.organisation is None


@pytest.mark.parametrize("key", ["coop_b", "other_ppo"])
def test_out_of_scope_households_do_not_exist(world, household, key):
    with pytest.raises(Http404):
        services.link_household_organisation(world.actor(key), household)


def test_api_links_or_makes_the_organisation(world, household):
    url = f"/api/households/{household.pk}/organisation"
    r = client_for(world, "coop").post(url, {"organisation": None}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["organisation"]["name"] == f"Household {household.name}"
    r = client_for(world, "ppo").post(url, {}, content_type="application/json")
    assert r.status_code == 422 and "organisation" in r.json()["errors"]


def test_api_checks_input_role_and_scope(world, household):
    url = f"/api/households/{household.pk}/organisation"

    def post(key, data):
        return client_for(world, key).post(url, data, content_type="application/json")

    assert post("ppo", {"organisation": "one"}).status_code == 422
    r = post("ppo", {"organisation": world.orgs["coop"].pk})
    assert r.status_code == 422 and "organisation" in r.json()["errors"]
    assert post("commune", {"organisation": None}).status_code == 403
    assert post("commune", {"organisation": world.orgs["household"].pk}).status_code == 403
    assert post("coop_b", {"organisation": None}).status_code == 404
    assert Client().post(url, {}, content_type="application/json").status_code == 401
    r = post("ppo", {"organisation": world.orgs["household"].pk})
    assert r.status_code == 200
    assert r.json()["organisation"]["id"] == world.orgs["household"].pk
