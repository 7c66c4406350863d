"""Which products the EUDR covers and their HS codes, read from `data/scope.json` (regulatory
data with its source: Regulation (EU) 2023/1115, Annex I), and the EU file format's rules
from `data/geojson_format.json` (each with its source, or marked an assumption)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
COUNTRY_OF_PRODUCTION = "VN"


@dataclass(frozen=True)
class Commodity:
    key: str
    name_en: str
    crops: tuple[str, ...]
    hs_codes: tuple[dict, ...]
    default_hs_code: str
    note: str = ""


@cache
def scope_data() -> dict[str, Any]:
    return json.loads((DATA / "scope.json").read_text(encoding="utf-8"))


@cache
def format_data() -> dict[str, Any]:
    return json.loads((DATA / "geojson_format.json").read_text(encoding="utf-8"))


def commodities() -> list[Commodity]:
    return [
        Commodity(
            key=key,
            name_en=item["name_en"],
            crops=tuple(item.get("crops") or ()),
            hs_codes=tuple(item.get("hs_codes") or ()),
            default_hs_code=item.get("default_hs_code") or "",
            note=item.get("note", ""),
        )
        for key, item in scope_data()["commodities"].items()
    ]


def commodity_of(crop_code: str | None) -> Commodity | None:
    """The EUDR commodity a registry crop is, or None when the regulation does not cover it."""
    if not crop_code:
        return None
    return next((c for c in commodities() if crop_code in c.crops), None)


def hs_code_allowed(commodity: Commodity, code: str) -> bool:
    """An HS code (4 to 10 digits) that falls under one of the commodity's Annex I headings."""
    digits = code.replace(" ", "").replace(".", "")
    return (
        digits.isdigit()
        and 4 <= len(digits) <= 10
        and any(digits.startswith(h["code"]) for h in commodity.hs_codes)
    )


def hs_code_entry(commodity: Commodity, code: str) -> dict | None:
    digits = code.replace(" ", "").replace(".", "")
    return next((h for h in commodity.hs_codes if digits.startswith(h["code"])), None)


def decimals() -> int:
    return int(format_data()["rules"]["decimals"]["value"])


def point_max_ha() -> float:
    return float(format_data()["rules"]["point_max_ha"]["value"])


def eu_properties() -> list[str]:
    return list(format_data()["properties"])
