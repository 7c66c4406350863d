"""Supply contracts on the packing house's and the planting area's pages, and a household's
own login organisation on its page."""

import html
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agritrace.accounts.models import OrgKind
from agritrace.notifications.models import Notification
from agritrace.registry import services
from agritrace.registry.models import Crop, Household, SupplyContract
from conftest import make_area, walk_to_issued

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def login(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def field_error(response, field_id: str) -> str:
    body = response.content.decode()
    marker = f'id="{field_id}_error">'
    assert marker in body, f"no error shown beside {field_id}"
    start = body.index(marker) + len(marker)
    return html.unescape(body[start : body.index("</span>", start)])


@pytest.fixture
def area(world):
    area, app = make_area(world)
    walk_to_issued(world, app)
    area.refresh_from_db()
    return area


@pytest.fixture
def house(world):
    house, _app = services.create_packing_house(
        world.actor("packing"),
        {
            "name": "Kho Phúc Thịnh",
            "address": "Km 5, QL14",
            "commune": world.orgs["packing"].unit_id,
            "capacity_t_per_day": 30,
            "crops": [Crop.objects.get(code="durian").pk],
        },
    )
    return house


def house_url(house) -> str:
    return reverse("packing-house-detail", args=[house.pk])


def area_url(area) -> str:
    return reverse("area-detail", args=[area.pk])


def add_data(area_code: str, **overrides) -> dict:
    data = {
        "op": "contract_add",
        "area_code": area_code,
        "valid_from": TODAY().isoformat(),
        "valid_to": (TODAY() + timedelta(days=365)).isoformat(),
        "reference": "HĐ-2025/PT-01",
    }
    data.update(overrides)
    return data


def test_the_operator_adds_a_supplying_area_by_its_code(world, house, area):
    client = login(world, "packing")
    page = text(client.get(house_url(house)))
    assert "Add a supplying planting area" in page
    assert "No supplying planting areas you can see." in page
    response = client.post(house_url(house), add_data(f" {area.code.lower()} "))
    assert response.status_code == 302
    contract = SupplyContract.objects.get()
    assert (contract.packing_house, contract.area, contract.reference) == (
        house,
        area,
        "HĐ-2025/PT-01",
    )
    page = text(client.get(house_url(house)))
    assert f"{area.code} now supplies Kho Phúc Thịnh." in page
    row = page[page.index(area.name) :]
    row = row[: row.index("</tr>")]
    assert area.code in row and "Issued" in row and "Active" in row and "HĐ-2025/PT-01" in row
    assert Notification.objects.filter(
        organisation=world.orgs["commune"], title__contains="buys from"
    ).exists()


def test_the_area_page_lists_the_packing_houses_it_supplies(world, house, area):
    services.create_supply_contract(
        world.actor("packing"), house, area, TODAY(), TODAY() + timedelta(days=30), "HĐ-9"
    )
    page = text(login(world, "coop").get(area_url(area)))
    section = page[page.index("Packing houses supplied") :]
    section = section[: section.index("</section>")]
    assert "Kho Phúc Thịnh" in section and "HĐ-9" in section and "Active" in section
    assert reverse("packing-house-detail", args=[house.pk]) in section
    assert "End today" not in section  # the cooperative does not keep the house's contracts
    assert "End today" in text(login(world, "packing").get(area_url(area)))


def test_bad_contracts_come_back_beside_the_fields(world, house, area):
    client = login(world, "packing")
    draft, _ = make_area(world, lon=108.2)
    response = client.post(house_url(house), add_data("VN-DLOR-9999"))
    assert response.status_code == 200
    assert "issued" in field_error(response, "id_contract_area_code")
    response = client.post(house_url(house), add_data("", valid_to="2001-01-01"))
    assert field_error(response, "id_contract_area_code")
    response = client.post(
        house_url(house),
        add_data(area.code, valid_to=(TODAY() - timedelta(days=1)).isoformat()),
    )
    assert field_error(response, "id_contract_valid_to") == "The end comes before the start."
    response = client.post(house_url(house), add_data(area.code, valid_from="someday"))
    assert field_error(response, "id_contract_valid_from")
    assert draft.code is None
    assert not SupplyContract.objects.exists()


def test_contracts_are_ended_from_either_page(world, house, area):
    contract = services.create_supply_contract(
        world.actor("packing"), house, area, TODAY(), TODAY() + timedelta(days=90), ""
    )
    response = login(world, "ppo").post(
        area_url(area), {"op": "contract_end", "contract": contract.pk, "reason": "Vi phạm"}
    )
    assert response.status_code == 302 and response.url == area_url(area)
    contract.refresh_from_db()
    assert contract.valid_to == TODAY()
    # Ending it again is refused with a message.
    response = login(world, "packing").post(
        house_url(house), {"op": "contract_end", "contract": contract.pk}, follow=True
    )
    assert f"The contract already ends on {TODAY().isoformat()}." in text(response)
    later = services.create_supply_contract(
        world.actor("packing"),
        house,
        area,
        TODAY() + timedelta(days=1),
        TODAY() + timedelta(days=90),
        "",
    )
    login(world, "packing").post(
        house_url(house), {"op": "contract_end", "contract": later.pk, "reason": ""}
    )
    later.refresh_from_db()
    assert later.valid_to == TODAY() + timedelta(days=90)  # not started: cannot end today


def test_contract_forms_refuse_other_roles(world, house, area):
    contract = services.create_supply_contract(
        world.actor("packing"), house, area, TODAY(), TODAY() + timedelta(days=90), ""
    )
    end = {"op": "contract_end", "contract": contract.pk}
    # The cooperative sees the house through the contract but keeps no contracts of it.
    assert login(world, "coop").post(house_url(house), add_data(area.code)).status_code == 403
    assert login(world, "coop").post(house_url(house), end).status_code == 403
    assert login(world, "coop").post(area_url(area), end).status_code == 403
    assert login(world, "commune").post(house_url(house), end).status_code == 403
    assert login(world, "exporter").post(house_url(house), end).status_code == 404
    assert login(world, "other_ppo").post(area_url(area), end).status_code == 404
    assert "Add a supplying planting area" not in text(
        login(world, "commune").get(house_url(house))
    )
    contract.refresh_from_db()
    assert contract.valid_to == TODAY() + timedelta(days=90)
    response = login(world, "packing").post(house_url(house), {"op": "x"}, follow=True)
    assert "Unknown action 'x'." in text(response)
    assert login(world, "packing").post(house_url(house), {"op": "contract_end"}).status_code == 302


# ------------------------------------------------------------------ a household's organisation


def household_url(household) -> str:
    return reverse("household-detail", args=[household.pk])


def test_the_representative_gives_a_household_its_organisation(world, area):
    household = area.households.order_by("pk").first()
    client = login(world, "coop")
    page = text(client.get(household_url(household)))
    assert "None: the household does not log in itself." in page
    assert "Give the household its organisation" in page
    response = client.post(household_url(household), {"op": "link_organisation"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.organisation.kind == OrgKind.HOUSEHOLD
    page = text(client.get(household_url(household)))
    assert f"{household.name} now logs in as {household.organisation.name}." in page
    assert "Give the household its organisation" not in page


def test_an_authority_picks_an_existing_organisation(world, area):
    household = area.households.order_by("pk").first()
    client = login(world, "ppo")
    page = text(client.get(household_url(household)))
    assert world.orgs["household"].name in page  # offered
    response = client.post(
        household_url(household),
        {"op": "link_organisation", "organisation": world.orgs["household"].pk},
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.organisation == world.orgs["household"]
    other = area.households.exclude(pk=household.pk).first()
    response = client.post(
        household_url(other),
        {"op": "link_organisation", "organisation": world.orgs["household"].pk},
    )
    assert response.status_code == 200
    assert "valid choice" in field_error(response, "id_organisation")
    other.refresh_from_db()
    assert other.organisation is None


def test_linking_refuses_other_roles(world, area):
    household = area.households.order_by("pk").first()
    data = {"op": "link_organisation"}
    assert login(world, "commune").post(household_url(household), data).status_code == 403
    assert login(world, "coop_b").post(household_url(household), data).status_code == 404
    services.link_household_organisation(world.actor("coop"), household)
    response = login(world, "ppo").post(household_url(household), data, follow=True)
    assert "This household already has its own organisation." in text(response)
    assert Household.objects.exclude(organisation=None).count() == 1
