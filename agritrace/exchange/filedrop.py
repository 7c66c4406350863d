"""The file drop: the code list written as an XLSX workbook into a folder, for the national
code database to pick up. The columns are data (`data/code_list_columns.json`, or the
connector's own `columns`), each marked with its source; the official template is not
available to us, so the default mapping says "unconfirmed".

One workbook per delivery run: a sheet with every code this installation issued (issued,
suspended or revoked, as they stand now), then one sheet per target market with the codes
aimed at it. It is written to a temporary name and renamed, so a reader never sees half a
file, and named after the last message it carries, so a repeated delivery rewrites the same
file instead of adding one."""

from __future__ import annotations

import json
import os
import tempfile
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from agritrace.registry.models import CodeStatus, PackingHouse, PlantingArea

from .models import Connector, OutboxMessage

COLUMNS_FILE = Path(__file__).parent / "data" / "code_list_columns.json"
#: Every key a column may name (what a row knows).
KEYS = {
    "no",
    "code",
    "name",
    "organisation",
    "commune",
    "province",
    "crop",
    "area_ha",
    "holder",
    "status",
    "issued_on",
    "suspended_until",
    "reason",
    "markets",
}


@cache
def default_mapping() -> dict:
    return json.loads(COLUMNS_FILE.read_text(encoding="utf-8"))


def columns_of(connector: Connector) -> list[dict]:
    return list(connector.columns or default_mapping()["columns"])


def check_columns(columns: object) -> list[dict]:
    """A column mapping as an administrator edits it: a list of {key, header, source}, each
    key known; ValidationError on the field `columns` otherwise."""
    if columns in (None, "", []):
        return []
    if not isinstance(columns, list) or not all(isinstance(c, dict) for c in columns):
        raise ValidationError({"columns": [_("A list of columns, each {key, header, source}.")]})
    for column in columns:
        key = column.get("key")
        if not isinstance(key, str) or key not in KEYS:
            raise ValidationError(
                {
                    "columns": [
                        _("Unknown column key %(key)s (known: %(keys)s).")
                        % {"key": key, "keys": ", ".join(sorted(KEYS))}
                    ]
                }
            )
        if not str(column.get("header") or "").strip():
            raise ValidationError({"columns": [_("Every column needs a header.")]})
        column.setdefault("source", "unconfirmed")
    return columns


def _rows() -> list[dict]:
    shown = [CodeStatus.ISSUED, CodeStatus.SUSPENDED, CodeStatus.REVOKED]
    rows = []
    areas = (
        PlantingArea.objects.filter(code__isnull=False, code_status__in=shown)
        .select_related("representative", "commune__parent", "crop")
        .prefetch_related("markets")
    )
    houses = (
        PackingHouse.objects.filter(code__isnull=False, code_status__in=shown)
        .select_related("operator", "commune__parent")
        .prefetch_related("markets")
    )
    for holder in [*areas, *houses]:
        is_area = isinstance(holder, PlantingArea)
        owner = holder.representative if is_area else holder.operator
        province = holder.province
        rows.append(
            {
                "code": holder.code,
                "name": holder.name,
                "organisation": owner.name if owner else "",
                "commune": holder.commune.name if holder.commune_id else "",
                "province": province.name if province else "",
                "crop": holder.crop.name_vi if is_area else "",
                "area_ha": float(holder.declared_area_ha) if is_area else None,
                "holder": "planting_area" if is_area else "packing_house",
                "status": holder.code_status,
                "issued_on": timezone.localtime(holder.issued_at).date()
                if holder.issued_at
                else None,
                "suspended_until": holder.suspended_until,
                "reason": holder.status_reason or "",
                "markets": "; ".join(sorted(m.code for m in holder.markets.all())),
            }
        )
    rows.sort(key=lambda r: r["code"])
    return rows


def workbook(columns: list[dict]) -> Workbook:
    rows = _rows()
    book = Workbook()
    sheets = [("codes", rows)]
    markets = sorted({m for r in rows for m in r["markets"].split("; ") if m})
    sheets += [
        (market, [r for r in rows if market in r["markets"].split("; ")]) for market in markets
    ]
    first = True
    for title, chosen in sheets:
        sheet = book.active if first else book.create_sheet()
        first = False
        sheet.title = title[:31]
        sheet.append([c["header"] for c in columns])
        for n, row in enumerate(chosen, start=1):
            sheet.append([n if c["key"] == "no" else row.get(c["key"]) for c in columns])
    about = book.create_sheet("about")
    about.append(["key", "header", "source"])
    for c in columns:
        about.append([c["key"], c["header"], c.get("source", "unconfirmed")])
    return book


def file_name(messages: list[OutboxMessage]) -> str:
    last = max(m.pk for m in messages) if messages else 0
    return f"agritrace-codes-{last:010d}.xlsx"


def write_code_list(connector: Connector, messages: list[OutboxMessage]) -> Path:
    """Write the code list for these messages into the connector's folder; returns the file."""
    folder = Path(connector.folder)
    if not connector.folder or not folder.is_dir():
        raise OSError(f"no such folder: {connector.folder!r}")
    target = folder / file_name(messages)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".agritrace-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook(columns_of(connector)).save(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target
