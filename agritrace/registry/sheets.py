"""Reading one table from an XLSX workbook or a CSV file for the small imports (authorisations,
season calendars), reporting every bad cell by row and column, and writing their templates.

An import built on it reads the rows (`read_rows`), checks every row into a `Report` (each
problem with its row and column; nothing is written while checking), and writes only when the
report holds no problem and the caller asked to apply, inside one transaction. `Report.raise_if_
problems()` turns the problems into one ValidationError whose fields are `row N.column`, which
the API answers with a 422 naming each of them.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

#: The largest file accepted and the most rows read from it.
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    example: Any
    help: object  # str or a lazy translation


class RowError(Exception):
    """One bad cell: raised while checking a row."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass
class Problem:
    row: int  # 0: the file itself
    column: str
    message: str


@dataclass
class Report:
    """What an import found and would do (dry run) or did (applied)."""

    dry_run: bool = True
    applied: bool = False
    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add_problem(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(row, column, str(message)))

    def add_validation(self, row: int, exc: ValidationError, columns: dict | None = None) -> None:
        """A service's ValidationError, its fields mapped to the sheet's columns."""
        columns = columns or {}
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                for error in errors:
                    for message in error.messages:
                        self.add_problem(row, columns.get(name, name), message)
        else:
            for message in exc.messages:
                self.add_problem(row, "", message)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.get("action") == action)

    def error_dict(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for p in self.problems:
            key = f"row {p.row}.{p.column}" if p.column else f"row {p.row}"
            if p.row == 0:
                key = p.column or "file"
            out.setdefault(key, []).append(p.message)
        return out

    def raise_if_problems(self) -> None:
        if self.problems:
            raise ValidationError({key: messages for key, messages in self.error_dict().items()})

    def as_dict(self) -> dict:
        actions = sorted({r.get("action", "") for r in self.rows})
        return {
            "dry_run": self.dry_run,
            "applied": self.applied,
            "counts": {a: self.count(a) for a in actions if a},
            "rows": self.rows,
            "problems": [p.__dict__ for p in self.problems],
        }


class FileRejected(ValidationError):
    """The file cannot be read at all (not a workbook, no header, missing columns)."""

    def __init__(self, message: str) -> None:
        super().__init__({"file": message})


# ------------------------------------------------------------------ reading


def _normalise(header: Any) -> str:
    return re.sub(r"[\s-]+", "_", text(header).casefold()).rstrip("*")


def read_rows(data: bytes, filename: str, columns: list[Column]) -> list[tuple[int, dict]]:
    """(row number, {column: value}) for each non-empty row of the first sheet of an XLSX
    workbook (or a CSV file, by its name), after checking the header against `columns`."""
    if len(data) > MAX_BYTES:
        raise FileRejected(_("The file is larger than 10 MB."))
    if (filename or "").lower().endswith(".csv"):
        table = _csv_table(data)
    else:
        table = _xlsx_table(data)
    if not table:
        raise FileRejected(_("The file is empty."))
    names = [_normalise(h) for h in table[0]]
    while names and names[-1] == "":
        names.pop()
    known = {c.name for c in columns}
    unknown = [n for n in names if n and n not in known]
    missing = [c.name for c in columns if c.required and c.name not in names]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(_("unknown column(s) %(u)s") % {"u": ", ".join(unknown)})
        if missing:
            parts.append(_("missing column(s): %(m)s.") % {"m": ", ".join(missing)})
        raise FileRejected(
            "; ".join(parts)
            + " "
            + _("The columns are: %(c)s.") % {"c": ", ".join(c.name for c in columns)}
        )
    out = []
    for number, values in enumerate(table[1:], start=2):
        if number > MAX_ROWS + 1:
            raise FileRejected(_("more than %(n)d rows.") % {"n": MAX_ROWS})
        row = {name: values[i] if i < len(values) else None for i, name in enumerate(names)}
        row.pop("", None)
        if all(v is None or str(v).strip() == "" for v in row.values()):
            continue
        out.append((number, row))
    return out


def _csv_table(data: bytes) -> list[list]:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRejected(_("The CSV file is not UTF-8 text.")) from None
    try:
        dialect = csv.Sniffer().sniff(content[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(content), dialect))


def _xlsx_table(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise FileRejected(_("The file is not an Excel workbook (.xlsx).")) from None
    try:
        sheet = book.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
    finally:
        book.close()


# ------------------------------------------------------------------ cells


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def cell_text(row: dict, column: str, required: bool = False, max_length: int = 0) -> str:
    value = text(row.get(column))
    if required and not value:
        raise RowError(column, _("A value is required."))
    if max_length and len(value) > max_length:
        raise RowError(column, _("At most %(n)d characters.") % {"n": max_length})
    return value


def cell_date(row: dict, column: str, required: bool = False) -> date | None:
    raw = row.get(column)
    if raw is None or text(raw) == "":
        if required:
            raise RowError(column, _("A date is required."))
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    value = text(raw)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise RowError(column, _("Expected a date such as 2026-03-15 or 15/03/2026."))


def cell_int(row: dict, column: str, required: bool = False, low: int = 0, high: int = 0):
    raw = row.get(column)
    if raw is None or text(raw) == "":
        if required:
            raise RowError(column, _("A value is required."))
        return None
    try:
        value = int(text(raw))
    except ValueError:
        raise RowError(column, _("Expected a whole number, not “%(v)s”.") % {"v": raw}) from None
    if (low or high) and not low <= value <= high:
        raise RowError(column, _("Expected a number from %(a)d to %(b)d.") % {"a": low, "b": high})
    return value


# ------------------------------------------------------------------ templates


def template_xlsx(title: str, sheet: str, columns: list[Column], notes: list[str]) -> bytes:
    """A workbook with the columns (required ones marked *, each explained in a comment), one
    example row, and a sheet of instructions after it (the import reads the first sheet)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append([c.name + ("*" if c.required else "") for c in columns])
    ws.append([c.example for c in columns])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8F0E3")
    for i, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = bold, fill
        cell.comment = Comment(str(column.help), "AgriTrace")
        ws.column_dimensions[cell.column_letter].width = max(14, len(column.name) + 6)
    ws.freeze_panes = "A2"
    info = book.create_sheet("instructions")
    info.append([title])
    info["A1"].font = Font(bold=True, size=13)
    info.append([""])
    for note in notes:
        info.append([note])
    info.append([""])
    for column in columns:
        info.append([column.name + ("*" if column.required else ""), str(column.help)])
    info.column_dimensions["A"].width = 30
    info.column_dimensions["B"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
