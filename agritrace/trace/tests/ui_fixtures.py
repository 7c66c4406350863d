"""A small traced world for the UI tests: an issued planting area of the cooperative with two
households and plots, a packing house of the packing-house organisation supplied by it."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from agritrace.registry.models import PackingHouse, PlantingArea, SupplyContract
from conftest import make_area

AREA_CODE = "VN-DLOR-0101"
HOUSE_CODE = "VN-DLPH-0101"


@dataclass
class Farm:
    area: PlantingArea
    house: PackingHouse
    plots: list


def make_farm(world) -> Farm:
    area, _app = make_area(world)
    PlantingArea.objects.filter(pk=area.pk).update(code=AREA_CODE, code_status="issued")
    area.refresh_from_db()
    house = PackingHouse.objects.create(
        name="Kho Phúc Thịnh",
        operator=world.orgs["packing"],
        address="Km 5, QL14",
        commune=world.communes[0],
        capacity_t_per_day=30,
        code=HOUSE_CODE,
        code_status="issued",
    )
    house.crops.add(area.crop)
    SupplyContract.objects.create(
        packing_house=house,
        area=area,
        valid_from=date.today() - timedelta(days=400),
        valid_to=date.today() + timedelta(days=400),
    )
    return Farm(area=area, house=house, plots=list(area.plots.order_by("label")))


@pytest.fixture
def farm(world) -> Farm:
    return make_farm(world)
