"""Reading the lists of codes issued before AgriTrace: the column mapping (data, in
`data/code_list_columns.json`, each column with its source), XLSX and CSV files with their
header row, cell values, and the template workbook. The rules that judge the rows live in
`code_import.py`."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.places.services import fold

MAPPING_FILE = Path(__file__).parent / "data" / "code_list_columns.json"
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
#: How many rows at the top of a sheet may come before the header row (titles, dates).
HEADER_SEARCH_ROWS = 15


@cache
def mapping() -> dict:
    """The column mapping as shipped (read once per process)."""
    return json.loads(MAPPING_FILE.read_text(encoding="utf-8"))


def columns() -> list[dict]:
    return mapping()["columns"]


def _clean_header(value) -> str:
    text = fold(str(value or "")).rstrip("*").strip()
    return text


@cache
def _header_keys() -> dict[str, str]:
    """Folded header text → column key (the key itself is accepted too)."""
    out: dict[str, str] = {}
    for column in columns():
        out[_clean_header(column["key"])] = column["key"]
        for header in column["headers"]:
            out[_clean_header(header)] = column["key"]
    return out


class CellError(Exception):
    """A cell breaks a rule: the column and the message."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column
        self.message = message


# ------------------------------------------------------------------ files


def read_rows(content: bytes, filename: str) -> list[tuple[int, dict]]:
    """[(row number in the sheet, {column key: value})] from an XLSX workbook (its first sheet
    with a recognisable header row) or a CSV file. Raises ValidationError on "file"."""
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    name = (filename or "").lower()
    if name.endswith(".csv"):
        tables = [_csv_rows(content)]
    elif name.endswith((".xlsx", ".xlsm")):
        tables = _xlsx_tables(content)
    else:
        raise ValidationError({"file": _("Send an XLSX workbook or a CSV file.")})
    for rows in tables:
        found = _with_header(rows)
        if found is not None:
            if not found:
                raise ValidationError({"file": _("The file has no rows to import.")})
            if len(found) > MAX_ROWS:
                raise ValidationError(
                    {"file": _("At most %(n)s rows can be imported at once.") % {"n": MAX_ROWS}}
                )
            return found
    expected = ", ".join(c["headers"][0] for c in columns() if c["required"])
    raise ValidationError(
        {
            "file": _(
                "No header row was found: the first rows must name the columns, at least "
                "%(columns)s (see the template)."
            )
            % {"columns": expected}
        }
    )


def _csv_rows(content: bytes) -> list[list]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": _("The CSV file is not UTF-8 text.")}) from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def _xlsx_tables(content: bytes) -> list[list[list]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ValidationError(
            {"file": _("The workbook cannot be read: %(e)s") % {"e": exc}}
        ) from exc
    try:
        return [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
    finally:
        book.close()


def _with_header(rows: list) -> list[tuple[int, dict]] | None:
    """The records under the first row that names the code column and one more known
    column; None when no such row is near the top."""
    keys = _header_keys()
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        header = [keys.get(_clean_header(cell)) for cell in row]
        named = [k for k in header if k]
        if "code" in named and len(set(named)) >= 2:
            out = []
            for number, values in enumerate(rows[index + 1 :], start=index + 2):
                record = {}
                for key, value in zip(header, values, strict=False):
                    if key and key not in record:
                        record[key] = value
                if any(_blank(v) is False for k, v in record.items() if k != "no"):
                    out.append((number, record))
            return out
    return None


def _blank(value) -> bool:
    return value is None or not str(value).strip()


# ------------------------------------------------------------------ values


def text(values: dict, column: str, required: bool = False) -> str:
    value = values.get(column)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = "" if value is None else str(value).strip()
    if required and not out:
        raise CellError(column, _("This column is required."))
    return out


def decimal(values: dict, column: str, required: bool = False) -> Decimal | None:
    raw = text(values, column, required)
    if not raw:
        return None
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation as exc:
        raise CellError(column, _("Not a number: %(v)s") % {"v": raw}) from exc
    if not value.is_finite() or value < 0:
        raise CellError(column, _("Give a number of zero or more: %(v)s") % {"v": raw})
    return value


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S")


def _any_day(raw, column: str) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(str(raw).strip(), fmt).date()
        except ValueError:
            continue
    raise CellError(column, _("The date must look like 2026-06-30 or 30/06/2026."))


def day(values: dict, column: str, required: bool = False, future_ok: bool = False) -> date | None:
    """A day from a date cell or text; a fact of the past unless `future_ok`."""
    raw = values.get(column)
    if _blank(raw):
        if required:
            raise CellError(column, _("This column is required."))
        return None
    found = _any_day(raw, column)
    if not future_ok and found > timezone.localdate():
        raise CellError(column, _("The date %(d)s is in the future.") % {"d": found.isoformat()})
    return found


# ------------------------------------------------------------------ the template


def template_xlsx() -> bytes:
    """The workbook to fill: one sheet "codes" with the columns in the order of the mapping
    (required ones marked *; each header's comment says what goes in it and where the column
    comes from), one example row, and a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "codes"
    cols = columns()
    sheet.append([c["headers"][0] + ("*" if c["required"] else "") for c in cols])
    sheet.append([c.get("example", "") for c in cols])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8F0E3")
    for i, column in enumerate(cols, start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font, cell.fill = bold, fill
        cell.comment = Comment(
            f"{column['key']}: {column['help']}\n({column['source']})", "AgriTrace"
        )
        sheet.column_dimensions[cell.column_letter].width = max(12, len(cell.value) + 4)
    sheet.freeze_panes = "A2"
    info = book.create_sheet("instructions")
    lines = [
        _("AgriTrace: import of codes issued before AgriTrace"),
        "",
        _("One row per planting area or packing house code. Columns marked * are required."),
        _(
            "Check the file first (dry run): the report says per row what would be created, "
            "updated or left unchanged, and names every bad cell by row and column."
        ),
        _("Applying imports every row or none; importing the same file again changes nothing."),
        _("Dates: YYYY-MM-DD or DD/MM/YYYY, not in the future."),
        _("Markets: MARKET=DATE separated by ; for example CN=2022-09-20; US=2023-05-02."),
        _("Column order: %(source)s") % {"source": mapping()["source"]},
        _("Delete the example row before importing."),
    ]
    for line in lines:
        info.append([line])
    info["A1"].font = Font(bold=True, size=13)
    info.column_dimensions["A"].width = 110
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
