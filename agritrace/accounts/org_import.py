"""Importing a province's cooperatives (area representatives), packing houses and exporters
from an XLSX workbook. A dry run by default: the report says, row by row, what would be
created, changed or left as it is; bad rows are named by row and column and nothing is
written. Applied, it is all or nothing (one transaction) and idempotent: an organisation is
found again by its GLN, else by its tax code and kind, else by its name, kind and place, so a
second run of the same file changes nothing.

Columns (the first sheet, a header row; `template()` writes one): kind, name, commune_code,
commune_name, province_name, tax_code, gln, address, phone, email."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agritrace.audit.services import record, snapshot

from .access import Actor, require
from .models import Organisation, OrgKind
from .organisations import CONTACT_FIELDS, check_unique, clean, may_manage

COLUMNS = [
    "kind",
    "name",
    "commune_code",
    "commune_name",
    "province_name",
    "tax_code",
    "gln",
    "address",
    "phone",
    "email",
]
#: the kinds this import adds, and the words accepted for them
KINDS = {
    "representative": OrgKind.REPRESENTATIVE,
    "cooperative": OrgKind.REPRESENTATIVE,
    "htx": OrgKind.REPRESENTATIVE,
    "packing_house": OrgKind.PACKING_HOUSE,
    "packing house": OrgKind.PACKING_HOUSE,
    "exporter": OrgKind.EXPORTER,
}
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
#: the fields a later row may change on an organisation found again
UPDATABLE = ("name", "unit", *CONTACT_FIELDS)


@dataclass
class RowReport:
    row: int
    action: str  # create, update, unchanged
    kind: str
    name: str
    identifier: str = ""
    changes: list[str] = field(default_factory=list)


@dataclass
class CellError:
    row: int
    column: str
    message: str

    @property
    def cell(self) -> str:
        letter = chr(ord("A") + COLUMNS.index(self.column)) if self.column in COLUMNS else ""
        return f"{letter}{self.row}" if letter else str(self.row)


@dataclass
class ImportReport:
    applied: bool = False
    rows: list[RowReport] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "created": self.count("create"),
            "updated": self.count("update"),
            "unchanged": self.count("unchanged"),
            "rows": [r.__dict__ for r in self.rows],
            "bad_rows": [
                {"row": e.row, "column": e.column, "cell": e.cell, "message": e.message}
                for e in self.errors
            ],
        }


def template() -> bytes:
    """An empty workbook with the columns, and a sheet that explains them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "organisations"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, width in enumerate([16, 40, 14, 24, 20, 14, 15, 40, 14, 28]):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    help_sheet = book.create_sheet("help")
    help_sheet.append(["column", "meaning"])
    for column, meaning in [
        ("kind", "representative (or cooperative), packing_house, exporter"),
        ("name", "the organisation's name (required)"),
        ("commune_code", "the commune's official code (current tree); or give commune_name"),
        ("commune_name", "the commune or ward, with or without 'Xã'/'Phường'"),
        ("province_name", "the province (name or code); required with commune_name"),
        ("tax_code", "tax code; finds the organisation again on a later import"),
        ("gln", "GS1 GLN (13 digits), if it has one"),
        ("address", ""),
        ("phone", ""),
        ("email", ""),
    ]:
        help_sheet.append([column, meaning])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _read(content: bytes) -> list[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    if len(content) > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 5 MB.")})
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise ValidationError({"file": _("This is not an XLSX workbook.")}) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "").strip().lower().replace(" ", "_") for h in next(rows, [])]
    missing = [c for c in ("kind", "name") if c not in header]
    if missing:
        raise ValidationError(
            {
                "file": _("The first row must name the columns; missing: %(c)s.")
                % {"c": ", ".join(missing)}
            }
        )
    out = []
    for number, values in enumerate(rows, start=2):
        cells = {
            h: ("" if v is None else str(v).strip())
            for h, v in zip(header, values, strict=False)
            if h in COLUMNS
        }
        if not any(cells.values()):
            continue
        for key in ("commune_code", "tax_code", "gln", "phone"):
            # numbers typed into Excel come back as 12345.0
            if cells.get(key, "").endswith(".0") and cells[key][:-2].isdigit():
                cells[key] = cells[key][:-2]
        out.append((number, cells))
        if len(out) > MAX_ROWS:
            raise ValidationError({"file": _("At most %(n)d rows.") % {"n": MAX_ROWS}})
    return out


def _existing(cleaned: dict[str, Any]) -> Organisation | None:
    qs = Organisation.objects.filter(kind=cleaned["kind"])
    if cleaned["gln"]:
        found = Organisation.objects.filter(gln=cleaned["gln"]).first()
        if found:
            return found
    if cleaned["tax_code"]:
        found = qs.filter(tax_code=cleaned["tax_code"]).first()
        if found:
            return found
    return qs.filter(name=cleaned["name"], unit=cleaned["unit"]).first()


def _changes(org: Organisation, cleaned: dict[str, Any]) -> list[str]:
    changed = []
    for name in UPDATABLE:
        new = cleaned[name]
        if name != "unit" and name != "name" and not new:
            continue  # an empty cell keeps what is there
        old = org.unit if name == "unit" else getattr(org, name)
        if old != new:
            changed.append(name)
    return changed


def import_organisations(actor: Actor, content: bytes, apply: bool = False) -> ImportReport:
    """Read the workbook, check every row, and (with `apply`, and only if no row is bad)
    create or update the organisations in one transaction, each audited."""
    require(actor, "manage_organisations")
    report = ImportReport()
    plan: list[tuple[RowReport, dict[str, Any], Organisation | None]] = []
    seen: dict[tuple, int] = {}
    for number, cells in _read(content):
        kind_word = cells.get("kind", "").strip().lower()
        data = dict(cells, kind=KINDS.get(kind_word, ""))
        try:
            if kind_word not in KINDS:
                raise ValidationError(
                    {"kind": _("One of: representative (cooperative), packing_house, exporter.")}
                )
            cleaned = clean(data)
            if not may_manage(actor, cleaned["unit"]):
                column = "commune_code" if cells.get("commune_code") else "province_name"
                raise ValidationError({column: _("Outside your province.")})
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                report.errors.append(CellError(number, column, messages[0]))
            continue
        key = (cleaned["kind"], cleaned["gln"] or cleaned["tax_code"] or cleaned["name"])
        if key in seen:
            report.errors.append(
                CellError(
                    number, "name", _("The same organisation as row %(r)d.") % {"r": seen[key]}
                )
            )
            continue
        seen[key] = number
        org = _existing(cleaned)
        if org is not None and not may_manage(actor, org):
            report.errors.append(
                CellError(
                    number,
                    "name",
                    _("It exists in another province (%(id)s).") % {"id": org.identifier},
                )
            )
            continue
        row = RowReport(number, "create", cleaned["kind"], cleaned["name"])
        if org is not None:
            row.identifier = org.identifier
            row.changes = _changes(org, cleaned)
            row.action = "update" if row.changes else "unchanged"
        plan.append((row, cleaned, org))
        report.rows.append(row)
    if report.errors or not apply:
        return report
    with transaction.atomic():
        for row, cleaned, org in plan:
            if row.action == "create":
                try:
                    check_unique(cleaned)
                except ValidationError as exc:
                    # found by another key (e.g. a GLN on a differently named firm)
                    for column, messages in exc.message_dict.items():
                        report.errors.append(CellError(row.row, column, messages[0]))
                    continue
                org = Organisation.objects.create(**cleaned)
                row.identifier = org.identifier
                record(actor.user, "organisation.create", org, None, snapshot(org), "import")
            elif row.action == "update":
                before = snapshot(org)
                for name in row.changes:
                    setattr(org, name, cleaned[name])
                org.save()
                record(actor.user, "organisation.update", org, before, snapshot(org), "import")
        if report.errors:
            transaction.set_rollback(True)
            for row in report.rows:
                if row.action == "create":
                    row.identifier = ""
            return report
    report.applied = True
    return report
