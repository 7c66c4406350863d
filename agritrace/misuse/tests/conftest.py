"""Misuse fixtures: issued codes made directly (the registry's own tests cover how codes are
issued) and events captured through the EPCIS capture service, as an outside system would."""

from datetime import date, datetime, time
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from agritrace.registry.models import Crop, Household, PackingHouse, PlantingArea, Plot
from agritrace.trace import builders, services
from conftest import square

_serial = count(1)
ZONE = ZoneInfo(settings.TIME_ZONE)
SEASON = "2026"


def at(day: date | str, hour: int = 9) -> datetime:
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime.combine(day, time(hour), tzinfo=ZONE)


def make_area(world, *, ha=1, key="coop", commune=None, lon=108.05, lat=12.67, status="issued"):
    """An issued durian area of `ha` hectares (declared and measured) with one plot."""
    n = next(_serial)
    rep = world.orgs[key]
    area = PlantingArea.objects.create(
        name=f"Vùng {n}",
        representative=rep,
        crop=Crop.objects.get(code="durian"),
        commune=commune or rep.unit,
        declared_area_ha=Decimal(ha),
        measured_area_ha=Decimal(ha),
        code=f"VN-DLOR-{n:04d}",
        code_status=status,
    )
    hh = Household.objects.create(name=f"Hộ {n}", commune=area.commune, representative=rep)
    side = (float(ha) * 10_000) ** 0.5
    Plot.objects.create(
        household=hh,
        area=area,
        label=f"P{n}",
        crop=area.crop,
        geometry=square(lon, lat, side),
        area_m2=float(ha) * 10_000,
        min_lon=lon,
        min_lat=lat,
        max_lon=lon + 0.001,
        max_lat=lat + 0.001,
        centroid_lon=lon,
        centroid_lat=lat,
    )
    return area


def make_house(world, *, key="packing", capacity=30, lon=108.06, lat=12.68):
    n = next(_serial)
    return PackingHouse.objects.create(
        name=f"Nhà đóng gói {n}",
        operator=world.orgs[key],
        address="Thôn 3",
        commune=world.orgs[key].unit,
        capacity_t_per_day=Decimal(capacity),
        lon=lon,
        lat=lat,
        code=f"VN-DLPH-{n:04d}",
        code_status="issued",
    )


def lot(owner_code: str, name: str) -> str:
    return services.lot_uri(owner_code, name)


def harvest(area, name: str, kg, day="2026-06-01", plots=()) -> tuple[dict, str]:
    uri = lot(area.code, name)
    built = builders.harvest(
        area=area,
        lot=uri,
        harvest_date=date.fromisoformat(day),
        amount=Decimal(kg),
        uom="KGM",
        plots=plots,
        moment=at(day, 7),
    )
    return built.event, uri


def packing(house, inputs: list[tuple[str, float]], name: str, kg, day="2026-06-02"):
    uri = lot(house.code, name)
    built = builders.packing(
        house=house,
        inputs=[(u, Decimal(k), "KGM", "") for u, k in inputs],
        outputs=[(uri, Decimal(kg), "KGM", "")],
        moment=at(day, 10),
    )
    return built.event, uri


def shipping(
    origin_house, lots: list[tuple[str, float]], *, shipper, country="CN", day="2026-06-03"
):
    built = builders.shipping(
        lots=[(u, Decimal(k), "KGM", "") for u, k in lots],
        origin=services.location_uri(origin_house.code),
        moment=at(day, 14),
        shipper=shipper,
        destination_country=country,
    )
    return built.event


def capture(world, key: str, *events: dict):
    """Capture a document of `events` as organisation `key` (through the capture service)."""
    from agritrace.accounts.access import Actor

    return services.capture(Actor.of(world.users[key]), builders.document(list(events)))


@pytest.fixture
def season():
    return SEASON
