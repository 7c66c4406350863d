"""Supply contracts between a packing house and a planting area: the packing house's
operator or the province's authority records and ends them; the area's commune and
representative are told; through the services and the API."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.utils import timezone

from agritrace.accounts.access import Actor, visible
from agritrace.accounts.models import Role
from agritrace.audit.models import AuditEntry
from agritrace.notifications.models import Notification
from agritrace.registry import lifecycle, services
from agritrace.registry.models import Crop, PackingHouse, PlantingArea, SupplyContract
from conftest import make_area, make_user, walk_to_issued

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def make_house(world, key="packing") -> PackingHouse:
    house, _app = services.create_packing_house(
        world.actor(key),
        {
            "name": "Kho Phúc Thịnh",
            "address": "Km 5, QL14",
            "commune": world.orgs[key].unit_id,
            "capacity_t_per_day": 30,
            "crops": [Crop.objects.get(code="durian").pk],
        },
    )
    return house


@pytest.fixture
def area(world) -> PlantingArea:
    area, app = make_area(world)
    walk_to_issued(world, app)
    area.refresh_from_db()
    return area


@pytest.fixture
def house(world) -> PackingHouse:
    return make_house(world)


def contract(world, house, area, key="packing", days=365, start=None, reference="HĐ-01"):
    start = start or TODAY()
    return services.create_supply_contract(
        world.actor(key), house, area, start, start + timedelta(days=days), reference
    )


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


# ------------------------------------------------------------------ services


def test_the_operator_records_a_contract_and_the_commune_is_told(world, house, area):
    # Before the contract the packing house does not see the area, nor the cooperative the house.
    assert not visible(world.actor("packing"), PlantingArea.objects.filter(pk=area.pk)).exists()
    found = services.find_contract_area(code=area.code.lower())
    assert found == area
    made = contract(world, house, found, reference="  HĐ-2025/PT-01 ")
    assert (made.packing_house, made.area, made.reference) == (house, area, "HĐ-2025/PT-01")
    assert made.valid_to == TODAY() + timedelta(days=365)
    entry = AuditEntry.objects.get(action="supply_contract.create")
    assert entry.actor == world.users["packing"] and entry.after["area"] == area.pk
    told = set(
        Notification.objects.filter(title__contains="buys from").values_list(
            "organisation__name", flat=True
        )
    )
    assert told == {world.orgs["commune"].name, world.orgs["coop"].name}
    # Now each party sees the other.
    assert visible(world.actor("packing"), PlantingArea.objects.filter(pk=area.pk)).exists()
    assert visible(world.actor("coop"), PackingHouse.objects.filter(pk=house.pk)).exists()


@pytest.mark.parametrize("key", ["province", "ppo"])
def test_the_province_records_contracts_too(world, house, area, key):
    contract(world, house, area, key=key)
    assert SupplyContract.objects.count() == 1


@pytest.mark.parametrize("key", ["coop", "commune", "household", "lab", "ministry"])
def test_other_roles_may_not_record_contracts(world, house, area, key):
    with pytest.raises(PermissionDenied):
        contract(world, house, area, key=key)
    assert not SupplyContract.objects.exists()


def test_a_viewer_of_the_packing_house_may_not_record_contracts(world, house, area):
    viewer = make_user("ph_viewer", world.orgs["packing"], Role.VIEWER)
    with pytest.raises(PermissionDenied):
        services.create_supply_contract(
            Actor.of(viewer), house, area, TODAY(), TODAY() + timedelta(days=9)
        )


@pytest.mark.parametrize("key", ["exporter", "other_ppo"])
def test_another_operator_or_province_does_not_see_the_house(world, house, area, key):
    with pytest.raises(Http404):
        contract(world, house, area, key=key)


def test_only_an_area_with_an_issued_code_supplies(world, house, area):
    draft, _ = make_area(world, lon=108.2)
    message = (
        "Name a planting area whose code is issued: only such an area can supply under contract."
    )
    for candidate in (draft, None):
        with pytest.raises(ValidationError) as exc_info:
            contract(world, house, candidate)
        assert errors_of(exc_info) == {"area": [message]}
    assert services.find_contract_area(area_id=draft.pk) is None
    assert services.find_contract_area(code="VN-XXOR-9999") is None
    assert services.find_contract_area() is None
    lifecycle.suspend(area, world.actor("ppo"), "Rệp sáp")
    with pytest.raises(ValidationError):
        contract(world, house, area)
    assert not SupplyContract.objects.exists()


@pytest.mark.parametrize(
    "start_days,days,reference,field",
    [
        (0, -1, "", "valid_to"),  # ends before it starts
        (0, 30, "x" * 61, "reference"),
    ],
)
def test_bad_contracts_are_refused_by_field(world, house, area, start_days, days, reference, field):
    with pytest.raises(ValidationError) as exc_info:
        contract(
            world,
            house,
            area,
            start=TODAY() + timedelta(days=start_days),
            days=days,
            reference=reference,
        )
    assert field in errors_of(exc_info)
    assert not SupplyContract.objects.exists()


def test_dates_are_required(world, house, area):
    with pytest.raises(ValidationError) as exc_info:
        services.create_supply_contract(world.actor("packing"), house, area, None, "2030-01-01")
    assert errors_of(exc_info) == {"valid_to": ["Give the start and end of the contract."]}


def test_contracts_for_the_same_area_may_not_overlap(world, house, area):
    contract(world, house, area, days=100)
    with pytest.raises(ValidationError) as exc_info:
        contract(world, house, area, start=TODAY() + timedelta(days=100), days=10)
    assert "valid_from" in errors_of(exc_info)
    contract(world, house, area, start=TODAY() + timedelta(days=101), days=10)
    assert SupplyContract.objects.count() == 2


def test_a_revoked_packing_house_takes_no_contracts(world, house, area):
    PackingHouse.objects.filter(pk=house.pk).update(code="VN-DLPH-0009", code_status="revoked")
    with pytest.raises(ValidationError) as exc_info:
        contract(world, house, area)
    assert "packing_house" in errors_of(exc_info)


def test_a_contract_is_ended_today_and_the_parties_are_told(world, house, area):
    made = contract(world, house, area)
    ended = services.end_supply_contract(world.actor("packing"), made, reason="Hết nhu cầu")
    assert ended.valid_to == TODAY()
    entry = AuditEntry.objects.get(action="supply_contract.end")
    assert entry.reason == "Hết nhu cầu"
    assert entry.after["valid_to"] == TODAY().isoformat()
    assert Notification.objects.filter(
        organisation=world.orgs["commune"], title__contains="ends"
    ).exists()
    # Ending it again: it already ends today.
    with pytest.raises(ValidationError) as exc_info:
        services.end_supply_contract(world.actor("ppo"), ended)
    assert "on" in errors_of(exc_info)


def test_ending_a_contract_checks_the_day_and_the_role(world, house, area):
    made = contract(world, house, area, start=TODAY() + timedelta(days=10), days=30)
    with pytest.raises(ValidationError) as exc_info:
        services.end_supply_contract(world.actor("packing"), made)  # before it starts
    assert "on" in errors_of(exc_info)
    with pytest.raises(ValidationError):
        services.end_supply_contract(world.actor("packing"), made, on=TODAY() - timedelta(days=1))
    with pytest.raises(ValidationError):
        services.end_supply_contract(world.actor("packing"), made, on=made.valid_to)
    for key in ("coop", "commune", "ministry"):
        with pytest.raises(PermissionDenied):
            services.end_supply_contract(world.actor(key), made, on=made.valid_from)
    with pytest.raises(Http404):
        services.end_supply_contract(world.actor("exporter"), made, on=made.valid_from)
    services.end_supply_contract(world.actor("ppo"), made, on=made.valid_from)
    made.refresh_from_db()
    assert made.valid_to == made.valid_from
    SupplyContract.objects.filter(pk=made.pk).update(
        valid_from=TODAY() - timedelta(days=9), valid_to=TODAY() - timedelta(days=1)
    )
    with pytest.raises(ValidationError) as exc_info:
        services.end_supply_contract(world.actor("packing"), made)
    assert errors_of(exc_info) == {"on": ["This contract is already over."]}


# ------------------------------------------------------------------ API


def api_post(client, url, data):
    return client.post(url, data, content_type="application/json")


def payload(**overrides) -> dict:
    data = {
        "valid_from": TODAY().isoformat(),
        "valid_to": (TODAY() + timedelta(days=180)).isoformat(),
        "reference": "HĐ-7",
    }
    data.update(overrides)
    return data


def test_api_records_a_contract_by_code_or_id_and_ends_it(world, house, area):
    client = client_for(world, "packing")
    url = f"/api/packing-houses/{house.pk}/supply-contracts"
    r = api_post(client, url, payload(area_code=area.code))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["area"]["code"] == area.code
    assert body["packing_house"]["id"] == house.pk
    assert body["reference"] == "HĐ-7"
    r = api_post(
        client_for(world, "ppo"),
        url,
        payload(
            area=area.pk,
            valid_from=(TODAY() + timedelta(days=200)).isoformat(),
            valid_to=(TODAY() + timedelta(days=300)).isoformat(),
        ),
    )
    assert r.status_code == 201, r.content
    house_body = client.get(f"/api/packing-houses/{house.pk}").json()
    assert [c["area"]["id"] for c in house_body["supply_contracts"]] == [area.pk, area.pk]
    area_body = client_for(world, "coop").get(f"/api/areas/{area.pk}").json()
    assert {c["packing_house"]["id"] for c in area_body["supply_contracts"]} == {house.pk}
    r = api_post(client, f"/api/supply-contracts/{body['id']}/end", {"reason": "Thôi mua"})
    assert r.status_code == 200, r.content
    assert r.json()["valid_to"] == TODAY().isoformat()


def test_api_names_the_bad_fields(world, house, area):
    client = client_for(world, "packing")
    url = f"/api/packing-houses/{house.pk}/supply-contracts"
    r = api_post(client, url, payload(area_code="VN-XXOR-0404"))
    assert r.status_code == 422 and set(r.json()["errors"]) == {"area"}
    r = api_post(client, url, payload())  # no area at all
    assert r.status_code == 422 and set(r.json()["errors"]) == {"area"}
    r = api_post(client, url, payload(area=area.pk, valid_to="2001-01-01"))
    assert r.status_code == 422 and set(r.json()["errors"]) == {"valid_to"}
    assert api_post(client, url, payload(area=area.pk, valid_from="soon")).status_code == 422
    assert api_post(client, url, {"area": area.pk}).status_code == 422
    assert api_post(client, url, payload(area="one")).status_code == 422
    assert not SupplyContract.objects.exists()
    made = contract(world, house, area)
    r = api_post(client, f"/api/supply-contracts/{made.pk}/end", {"on": "2001-01-01"})
    assert r.status_code == 422 and "on" in r.json()["errors"]
    assert api_post(client, f"/api/supply-contracts/{made.pk}/end", {"on": "x"}).status_code == 422


def test_api_refuses_other_roles_and_hides_other_houses(world, house, area):
    url = f"/api/packing-houses/{house.pk}/supply-contracts"
    data = payload(area=area.pk)
    assert api_post(Client(), url, data).status_code == 401
    for key in ("commune", "ministry"):  # they see the house but keep no contracts
        assert api_post(client_for(world, key), url, data).status_code == 403, key
    for key in ("exporter", "other_ppo", "coop"):
        assert api_post(client_for(world, key), url, data).status_code == 404, key
    made = contract(world, house, area)
    end_url = f"/api/supply-contracts/{made.pk}/end"
    assert api_post(client_for(world, "coop"), end_url, {}).status_code == 403
    assert api_post(client_for(world, "exporter"), end_url, {}).status_code == 404
    assert api_post(
        client_for(world, "packing"), "/api/supply-contracts/99999/end", {}
    ).status_code == (404)
    made.refresh_from_db()
    assert made.valid_to == TODAY() + timedelta(days=365)
