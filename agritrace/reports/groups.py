"""Groups of crops the plans count by (`data/crop_groups.json`, configurable)."""

import json
from functools import cache
from pathlib import Path

from django.utils.translation import get_language

DATA = Path(__file__).parent / "data" / "crop_groups.json"


@cache
def _groups() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))["groups"]


def group_codes() -> list[str]:
    return list(_groups())


def group_crops(code: str) -> list[str]:
    """The catalogue crop codes of a group ([] for a group with no crop in the catalogue)."""
    return list(_groups()[code]["crops"])


def group_label(code: str) -> str:
    group = _groups().get(code)
    if group is None:
        return code
    return group["name_vi"] if (get_language() or "vi").startswith("vi") else group["name_en"]
