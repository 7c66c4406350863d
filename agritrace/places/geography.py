"""Where a current administrative unit lies, from the places data: the centre (latitude,
longitude) and land area (km²) that the `vietnamadminunits` package gives for each commune or
ward of the 2025 tree (table ``admin_units``), and each province's centre. The packages carry
no outlines, so a unit's extent here is a box of the unit's area around its centre: good
enough to open a map on it, never a border.

Units are matched as the loader matches them (``loader._read_mapping``): by province code and
the name's key, else by the commune's code. A unit the data does not know gives None.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

from .loader import _name_key, _package_dir
from .models import AdminUnit, Level, Tree

KM_PER_DEGREE = 111.32
#: The side of the box drawn around a centre whose unit has no area in the data (km).
UNKNOWN_SIDE_KM = 10.0


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    area_km2: float | None

    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """((south, west), (north, east)) of a square of the unit's area around its centre."""
        side = math.sqrt(self.area_km2) if self.area_km2 else UNKNOWN_SIDE_KM
        half_lat = side / 2 / KM_PER_DEGREE
        half_lon = side / 2 / (KM_PER_DEGREE * max(math.cos(math.radians(self.lat)), 0.01))
        return (
            (round(self.lat - half_lat, 6), round(self.lon - half_lon, 6)),
            (round(self.lat + half_lat, 6), round(self.lon + half_lon, 6)),
        )


def source() -> str:
    """The data's name and version, shown with what is drawn from it."""
    try:
        return f"vietnamadminunits {version('vietnamadminunits')}"
    except PackageNotFoundError:  # pragma: no cover - the package is a dependency
        return "vietnamadminunits"


@lru_cache(maxsize=1)
def _table() -> dict[tuple[str, ...], Place]:
    """Keys ("province", code), ("name", province code, name key), ("code", commune code)."""
    path = _package_dir("vietnamadminunits") / "data" / "dataset.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT provinceCode, provinceLat, provinceLon, ward, wardCode, wardLat, wardLon,"
            " wardAreaKm2 FROM admin_units"
        ).fetchall()
    table: dict[tuple[str, ...], Place] = {}
    province_area: dict[str, float] = {}
    for pcode, plat, plon, ward, wcode, wlat, wlon, area in rows:
        pcode = f"{int(pcode):02d}"
        if plat is not None and plon is not None:
            table.setdefault(("province", pcode), Place(plat, plon, None))
        province_area[pcode] = province_area.get(pcode, 0.0) + (area or 0.0)
        if wlat is None or wlon is None:
            continue
        place = Place(float(wlat), float(wlon), float(area) if area else None)
        table[("name", pcode, _name_key(ward))] = place
        table[("code", f"{int(wcode):05d}")] = place
    for key, place in list(table.items()):
        if key[0] == "province" and province_area.get(key[1]):
            table[key] = Place(place.lat, place.lon, province_area[key[1]])
    return table


def place_of(unit: AdminUnit | None) -> Place | None:
    """The centre and area of a current province or commune, or None where the data has none."""
    if unit is None or unit.tree != Tree.CURRENT:
        return None
    table = _table()
    if unit.level == Level.PROVINCE:
        return table.get(("province", unit.code))
    if unit.level != Level.COMMUNE or unit.parent is None:
        return None
    return table.get(("name", unit.parent.code, _name_key(unit.name))) or table.get(
        ("code", unit.code)
    )
