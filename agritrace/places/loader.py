"""Load Vietnam's administrative units from the installed data packages.

Sources (nothing here is typed by hand):

* current tree (34 provinces, communes/wards since 1 July 2025): ``vietnam-provinces``
  (``nested-divisions.json``, names and codes of the national statistics office);
* earlier tree (63 provinces, districts, communes): ``vietnamadminunits``
  (table ``admin_units_legacy`` of ``data/dataset.db``);
* earlier → current mapping: ``vietnamadminunits`` (``data/converter_2025.json``: province
  mergers, and for every earlier commune the current commune(s) it went into). Its current
  units are matched to ``vietnam-provinces`` by province code and normalised name, falling back
  to the code when the name differs.

``load_units`` is idempotent: it diffs against what is in the database, creates what is
missing, updates what changed and never deletes units (other tables point to them). Mappings
are entirely derived from the packages, so stale ones are deleted.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, TextIO

from django.db import transaction

CURRENT = "2025"
LEGACY = "2008"
PROVINCE = "province"
DISTRICT = "district"
COMMUNE = "commune"

SOURCE_PACKAGES = ("vietnam-provinces", "vietnamadminunits")
BATCH_SIZE = 1000

UnitKey = tuple[str, str]  # (level, code) inside one tree


@dataclass(frozen=True)
class UnitRecord:
    level: str
    code: str
    name: str
    division_type: str
    parent: UnitKey | None = None

    @property
    def key(self) -> UnitKey:
        return (self.level, self.code)


# --------------------------------------------------------------------------- reading the data


_TONE_MOVES = {
    # old-style tone placement (hoà) -> new style (hòa), as the two packages differ
    "oà": "òa",
    "oá": "óa",
    "oả": "ỏa",
    "oã": "õa",
    "oạ": "ọa",
    "oè": "òe",
    "oé": "óe",
    "oẻ": "ỏe",
    "oẽ": "õe",
    "oẹ": "ọe",
    "uỳ": "ùy",
    "uý": "úy",
    "uỷ": "ủy",
    "uỹ": "ũy",
    "uỵ": "ụy",
}


def _name_key(name: str) -> str:
    """Spelling-insensitive but diacritics-sensitive key to match the two packages' names."""
    s = unicodedata.normalize("NFC", name).lower()
    s = re.sub(r"[’‘`´']", "", s)
    s = re.sub(r"\s*[-–—]\s*", "-", s)
    s = re.sub(r"\s+", " ", s).strip()
    for old, new in _TONE_MOVES.items():
        s = s.replace(old, new)
    return s


def _clean(name: str) -> str:
    """NFC, single spaces: vietnam-provinces has a few names like 'Phường  Tân An'."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", name)).strip()


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)  # without importing it (its __init__ is slow)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"Package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _read_current() -> list[UnitRecord]:
    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

    data = json.loads(Path(NESTED_DIVISIONS_JSON_PATH).read_text(encoding="utf-8"))
    records: list[UnitRecord] = []
    for prov in data:
        pcode = f"{int(prov['code']):02d}"
        records.append(UnitRecord(PROVINCE, pcode, _clean(prov["name"]), prov["division_type"]))
        for ward in prov["wards"]:
            records.append(
                UnitRecord(
                    COMMUNE,
                    f"{int(ward['code']):05d}",
                    _clean(ward["name"]),
                    ward["division_type"],
                    (PROVINCE, pcode),
                )
            )
    return records


def _legacy_province_name(name: str) -> tuple[str, str]:
    """'Tỉnh Đắk Lắk' -> ('Đắk Lắk', 'tỉnh'), as vietnam-provinces names provinces."""
    if name.startswith("Tỉnh "):
        return name.removeprefix("Tỉnh "), "tỉnh"
    return name, "thành phố trung ương"


@dataclass
class LegacyData:
    records: list[UnitRecord]
    by_key: dict[str, UnitKey]  # "provincekey_districtkey_wardkey" -> legacy unit
    province_by_key: dict[str, str]  # provinceKey -> legacy province code
    district_of: dict[str, str]  # legacy commune code -> legacy district code


def _read_legacy(db_path: Path) -> LegacyData:
    sql = (
        "SELECT province, provinceCode, provinceKey, district, districtType, districtCode,"
        " districtKey, ward, wardType, wardCode, wardKey FROM admin_units_legacy"
        " ORDER BY provinceCode, districtCode, wardCode"
    )
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        rows = conn.execute(sql).fetchall()
    records: list[UnitRecord] = []
    seen: set[UnitKey] = set()
    by_key: dict[str, UnitKey] = {}
    province_by_key: dict[str, str] = {}
    district_of: dict[str, str] = {}
    for (
        prov,
        pcode,
        pkey,
        dist,
        dtype,
        dcode,
        dkey,
        ward,
        wtype,
        wcode,
        wkey,
    ) in rows:
        if (PROVINCE, pcode) not in seen:
            seen.add((PROVINCE, pcode))
            name, dtype_p = _legacy_province_name(_clean(prov))
            records.append(UnitRecord(PROVINCE, pcode, name, dtype_p))
            province_by_key[pkey] = pcode
        if (DISTRICT, dcode) not in seen:
            seen.add((DISTRICT, dcode))
            records.append(
                UnitRecord(DISTRICT, dcode, _clean(dist), (dtype or "").lower(), (PROVINCE, pcode))
            )
        if wcode is None:  # island districts without communes (Côn Đảo, Lý Sơn, ...)
            by_key[f"{pkey}_{dkey}_"] = (DISTRICT, dcode)
            continue
        records.append(
            UnitRecord(COMMUNE, wcode, _clean(ward), (wtype or "").lower(), (DISTRICT, dcode))
        )
        by_key[f"{pkey}_{dkey}_{wkey}"] = (COMMUNE, wcode)
        district_of[wcode] = dcode
    return LegacyData(records, by_key, province_by_key, district_of)


def _read_mapping(
    base: Path, legacy: LegacyData, current: list[UnitRecord], warn
) -> set[tuple[UnitKey, UnitKey]]:
    """(legacy unit, current unit) pairs from vietnamadminunits' converter data."""
    converter = json.loads((base / "converter_2025.json").read_text(encoding="utf-8"))

    # vietnamadminunits' own current units, keyed as in the converter data
    with sqlite3.connect(f"file:{base / 'dataset.db'}?mode=ro", uri=True) as conn:
        vau_rows = conn.execute(
            "SELECT provinceKey, provinceCode, wardKey, ward, wardCode FROM admin_units"
        ).fetchall()

    # ... matched to vietnam-provinces' units by province code + name, else by code
    cur_by_name: dict[tuple[str, str], str] = {}
    cur_codes: dict[str, str] = {}  # commune code -> province code
    for r in current:
        if r.level == COMMUNE:
            assert r.parent is not None
            cur_by_name[(r.parent[1], _name_key(r.name))] = r.code
            cur_codes[r.code] = r.parent[1]
    new_province: dict[str, str] = {}
    new_ward: dict[tuple[str, str], str] = {}
    for pkey, pcode, wkey, wname, wcode in vau_rows:
        new_province[pkey] = pcode
        code = cur_by_name.get((pcode, _name_key(wname)))
        if code is None and cur_codes.get(wcode) == pcode:
            code = wcode
            warn(f"matched {wname} ({pcode}) by code {wcode} only")
        if code is None:
            warn(f"no current commune for {wname} ({pcode}, {wcode}) of vietnamadminunits")
            continue
        new_ward[(pkey, wkey)] = code

    pairs: set[tuple[UnitKey, UnitKey]] = set()
    for new_pkey, old_pkeys in converter["DICT_PROVINCE"].items():
        for old_pkey in old_pkeys:
            pairs.add(
                ((PROVINCE, legacy.province_by_key[old_pkey]), (PROVINCE, new_province[new_pkey]))
            )

    commune_pairs: list[tuple[str, str, str]] = []  # (old composite key, new pkey, new wkey)
    for new_pkey, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, old_keys in wards.items():
            commune_pairs += [(old, new_pkey, new_wkey) for old in old_keys]
    for new_pkey, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, candidates in olds.items():
            commune_pairs += [(old, new_pkey, c["newWardKey"]) for c in candidates]

    district_targets: dict[str, set[str]] = defaultdict(set)
    for old, new_pkey, new_wkey in commune_pairs:
        old_unit = legacy.by_key.get(old)
        new_code = new_ward.get((new_pkey, new_wkey))
        if old_unit is None or new_code is None:
            warn(f"mapping {old} -> {new_pkey}/{new_wkey} skipped: unit unknown")
            continue
        pairs.add((old_unit, (COMMUNE, new_code)))
        if old_unit[0] == COMMUNE:
            district_targets[legacy.district_of[old_unit[1]]].add(new_code)
    # a district now lies in the communes its communes went into
    for dcode, codes in district_targets.items():
        pairs.update(((DISTRICT, dcode), (COMMUNE, c)) for c in codes)
    return pairs


# --------------------------------------------------------------------------- writing


def _sync_tree(
    AdminUnit, tree: str, records: list[UnitRecord]
) -> tuple[dict[UnitKey, int], int, int]:
    """Create/update the units of one tree; returns ({(level, code): id}, created, updated)."""
    existing = {
        (level, code): (pk, name, dtype, parent_id)
        for pk, level, code, name, dtype, parent_id in AdminUnit.objects.filter(
            tree=tree
        ).values_list("pk", "level", "code", "name", "division_type", "parent_id")
    }
    ids = {key: row[0] for key, row in existing.items()}
    created = updated = 0
    for level in (PROVINCE, DISTRICT, COMMUNE):
        to_create, to_update = [], []
        for r in records:
            if r.level != level:
                continue
            parent_id = ids[r.parent] if r.parent else None
            old = existing.get(r.key)
            if old is None:
                to_create.append(
                    AdminUnit(
                        tree=tree,
                        level=level,
                        code=r.code,
                        name=r.name,
                        division_type=r.division_type,
                        parent_id=parent_id,
                    )
                )
            elif old[1:] != (r.name, r.division_type, parent_id):
                to_update.append(
                    AdminUnit(
                        pk=old[0], name=r.name, division_type=r.division_type, parent_id=parent_id
                    )
                )
        if to_create:
            AdminUnit.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
            created += len(to_create)
            ids.update(
                ((level, code), pk)
                for code, pk in AdminUnit.objects.filter(tree=tree, level=level).values_list(
                    "code", "pk"
                )
            )
        if to_update:
            AdminUnit.objects.bulk_update(
                to_update, ["name", "division_type", "parent"], batch_size=BATCH_SIZE
            )
            updated += len(to_update)
    return ids, created, updated


def _sync_mapping(
    UnitMapping,
    pairs: set[tuple[UnitKey, UnitKey]],
    legacy_ids: dict[UnitKey, int],
    current_ids: dict[UnitKey, int],
) -> tuple[int, int]:
    wanted = {(legacy_ids[old], current_ids[new]) for old, new in pairs}
    # every mapping goes from the earlier tree to the current one; filtering in Python is much
    # faster on SQLite than joining AdminUnit twice
    legacy_pks = set(legacy_ids.values())
    existing = {
        (legacy_id, current_id): pk
        for pk, legacy_id, current_id in UnitMapping.objects.values_list(
            "pk", "legacy_id", "current_id"
        ).iterator(chunk_size=5000)
        if legacy_id in legacy_pks
    }
    missing = [
        UnitMapping(legacy_id=lid, current_id=cid)
        for lid, cid in wanted
        if (lid, cid) not in existing
    ]
    UnitMapping.objects.bulk_create(missing, batch_size=BATCH_SIZE)
    stale = [pk for pair, pk in existing.items() if pair not in wanted]
    for i in range(0, len(stale), BATCH_SIZE):
        UnitMapping.objects.filter(pk__in=stale[i : i + BATCH_SIZE]).delete()
    return len(missing), len(stale)


def source_versions() -> dict[str, str]:
    return {name: version(name) for name in SOURCE_PACKAGES}


def load_units(stdout: TextIO | None = None, *, AdminUnit=None, UnitMapping=None) -> dict[str, Any]:
    """Load both trees and the earlier→current mapping; safe to run again.

    ``AdminUnit``/``UnitMapping`` default to the real models; migrations pass historical ones.
    Returns counts (ints) and, under ``"sources"``, the packages and versions used.
    """
    if AdminUnit is None or UnitMapping is None:
        from agritrace.places import models

        AdminUnit = AdminUnit or models.AdminUnit
        UnitMapping = UnitMapping or models.UnitMapping

    warnings: list[str] = []

    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg + "\n")

    def warn(msg: str) -> None:
        warnings.append(msg)
        say("warning: " + msg)

    vau_data = _package_dir("vietnamadminunits") / "data"
    current = _read_current()
    legacy = _read_legacy(vau_data / "dataset.db")
    pairs = _read_mapping(vau_data, legacy, current, warn)

    with transaction.atomic():
        current_ids, created_c, updated_c = _sync_tree(AdminUnit, CURRENT, current)
        legacy_ids, created_l, updated_l = _sync_tree(AdminUnit, LEGACY, legacy.records)
        mappings_created, mappings_deleted = _sync_mapping(
            UnitMapping, pairs, legacy_ids, current_ids
        )

    def count(records: list[UnitRecord], level: str) -> int:
        return sum(1 for r in records if r.level == level)

    result: dict[str, Any] = {
        "current_provinces": count(current, PROVINCE),
        "current_communes": count(current, COMMUNE),
        "legacy_provinces": count(legacy.records, PROVINCE),
        "legacy_districts": count(legacy.records, DISTRICT),
        "legacy_communes": count(legacy.records, COMMUNE),
        "mappings": len(pairs),
        "units_created": created_c + created_l,
        "units_updated": updated_c + updated_l,
        "mappings_created": mappings_created,
        "mappings_deleted": mappings_deleted,
        "warnings": len(warnings),
        "sources": source_versions(),
    }
    return result
