"""Fixtures of the officer's side: issued codes and cases made directly (the detection's own
tests cover how findings become cases). Imported by the officer-side test modules."""

from decimal import Decimal
from itertools import count

import pytest

from agritrace.misuse.models import Case, Rule, Severity, SubjectKind
from agritrace.registry.models import Crop, Household, PackingHouse, PlantingArea, Plot
from conftest import square

_serial = count(1)


def make_area(world, key: str = "coop", ha: float = 1, lon=108.05, lat=12.67) -> PlantingArea:
    """An issued durian area of the representative `key`, with one plot."""
    n = next(_serial)
    rep = world.orgs[key]
    area = PlantingArea.objects.create(
        name=f"Vùng {n}",
        representative=rep,
        crop=Crop.objects.get(code="durian"),
        commune=rep.unit,
        declared_area_ha=Decimal(ha),
        measured_area_ha=Decimal(ha),
        code=f"VN-TEST-{n:04d}",
        code_status="issued",
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


def make_house(world, key: str = "packing", capacity: float = 30) -> PackingHouse:
    n = next(_serial)
    return PackingHouse.objects.create(
        name=f"Nhà đóng gói {n}",
        operator=world.orgs[key],
        address="Thôn 3",
        commune=world.orgs[key].unit,
        capacity_t_per_day=Decimal(capacity),
        lon=108.06,
        lat=12.68,
        code=f"VN-TESTPH-{n:04d}",
        code_status="issued",
    )


def make_case(
    holder,
    rule: str = "area_volume_over_yield",
    season: str = "2026",
    score: float = 15.0,
    severity: str = Severity.HIGH,
    party=None,
    **extra,
) -> Case:
    kind = SubjectKind.AREA if isinstance(holder, PlantingArea) else SubjectKind.PACKING_HOUSE
    ref = {"area": holder} if kind == SubjectKind.AREA else {"packing_house": holder}
    return Case.objects.create(
        rule=Rule.objects.get(code=rule),
        season=season,
        subject_kind=kind,
        subject_key=f"{kind}:{holder.pk}",
        code=holder.code,
        party=party,
        province=holder.commune.parent,
        commune=holder.commune,
        severity=severity,
        score=score,
        explanation=[{"feature": "ratio", "value": 5.0, "contribution": score}],
        evidence=extra.pop(
            "evidence",
            {
                "figures": {"kg": 100_000, "can_grow_kg": 20_000, "ratio": 5.0},
                "threshold": {"tolerance": 1.2},
                "events": [],
                "lots": [],
            },
        ),
        summary=extra.pop("summary", f"{holder.code} carries 5 times what it can grow"),
        **ref,
        **extra,
    )


@pytest.fixture(name="cases")
def cases_fixture(world):
    """A case on the first commune's land (an area and a packing house), one on the second
    commune's, one in another province."""
    area = make_area(world, "coop")
    area_b = make_area(world, "coop_b")
    other = make_area(world, "other_coop")
    house = make_house(world)
    return {
        "area": make_case(area, party=world.orgs["exporter"], score=20),
        "house": make_case(house, rule="house_over_capacity", score=9, severity=Severity.MEDIUM),
        "commune_b": make_case(area_b, score=5, severity=Severity.LOW),
        "other_province": make_case(other, score=30),
    }
