"""Spreadsheet import of harvests, packings and shipments (XLSX with one sheet of each, or a
CSV of one kind): one row per event, built like the forms' events and captured as one EPCIS
document, so the whole file is one transaction: every row or none. Problems are named by sheet,
row number and column."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, require
from agritrace.registry.models import Crop, Variety

from . import builders, recording, services
from .forms import scoped_areas, scoped_houses

MAX_ROWS = 20_000

#: sheet → [(column, required, example, help)]
SHEETS: dict[str, list[tuple[str, bool, str, str]]] = {
    "harvests": [
        ("area_code", True, "VN-DLOR-0001", "Planting area code"),
        ("harvest_date", True, "2026-06-01", "YYYY-MM-DD"),
        ("quantity", True, "1200", "Harvested quantity"),
        ("unit", False, "KGM", "KGM, TNE, H87, XBX, XCT (default KGM)"),
        ("lot_code", False, "H20260601-1", "Empty: numbered automatically"),
        ("crop", False, "durian", "Crop code (default: the area's crop)"),
        ("variety", False, "Ri6", "Variety name"),
        ("plots", False, "P1; P2", "Plot labels of the area, separated by ;"),
    ],
    "packings": [
        ("packing_house_code", True, "VN-DLPH-0001", "Packing house code"),
        ("date", True, "2026-06-02", "YYYY-MM-DD"),
        ("time", False, "09:30", "HH:MM (default 12:00)"),
        ("inputs", True, "VN-DLOR-0001:H20260601-1=1200", "LOT=quantity; LOT=quantity"),
        ("input_unit", False, "KGM", "Unit of the inputs (default KGM)"),
        ("output_lot", False, "P20260602-1", "Empty: numbered automatically"),
        ("output_quantity", True, "1000", "Packed quantity"),
        ("output_unit", False, "KGM", "Unit of the packed lot (default KGM)"),
        ("crop", False, "durian", "Crop code"),
    ],
    "shipments": [
        ("from_code", True, "VN-DLPH-0001", "Packing house or planting area code"),
        ("date", True, "2026-06-03", "YYYY-MM-DD"),
        ("time", False, "10:00", "HH:MM (default 12:00)"),
        ("lots", True, "VN-DLPH-0001:P20260602-1=1000", "LOT=quantity; LOT=quantity"),
        ("unit", False, "KGM", "Unit (default KGM)"),
        ("destination", True, "Pingxiang, Guangxi", "Buyer, port or warehouse"),
        ("destination_country", False, "CN", "Country code"),
        ("transport_doc", False, "BL-2026-0001", "Bill of lading / waybill number"),
        ("customs_declaration", False, "30512345678", "Customs declaration number"),
        ("invoice", False, "INV-0001", "Invoice number"),
    ],
}
ORDER = ["harvests", "packings", "shipments"]


class ImportRejected(Exception):
    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass
class ImportResult:
    stored: int
    duplicates: int
    capture_id: str
    lots: list[str]


class _RowError(Exception):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column
        self.message = message


# ------------------------------------------------------------------ reading


def read_tables(content: bytes, filename: str, kind: str = "") -> dict[str, list[tuple]]:
    """{sheet: [(row number, {column: value})]} from an XLSX workbook or a CSV file."""
    name = filename.lower()
    if name.endswith(".csv"):
        return _read_csv(content, kind)
    if name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    raise ImportRejected([_("Send an XLSX workbook or a CSV file.")])


def _clean_header(value) -> str:
    return str(value or "").strip().lower().replace(" ", "_").rstrip("*")


def _read_csv(content: bytes, kind: str) -> dict[str, list[tuple]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([_("The CSV file is not UTF-8 text.")]) from exc
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = list(reader)
    if not rows:
        raise ImportRejected([_("The file is empty.")])
    header = [_clean_header(h) for h in rows[0]]
    if not kind:
        for sheet, columns in SHEETS.items():
            if columns[0][0] in header:
                kind = sheet
                break
    if kind not in SHEETS:
        raise ImportRejected([_("Say what the CSV file holds (harvests, packings or shipments).")])
    return {kind: _records(header, rows[1:], start=2)}


def _records(header: list[str], rows, start: int) -> list[tuple]:
    out = []
    for number, row in enumerate(rows, start=start):
        values = {h: v for h, v in zip(header, row, strict=False) if h}
        if any(str(v).strip() for v in values.values() if v is not None):
            out.append((number, values))
    return out


def _read_xlsx(content: bytes) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportRejected([_("The workbook cannot be read: %(e)s") % {"e": exc}]) from exc
    tables: dict[str, list[tuple]] = {}
    for sheet in book.worksheets:
        key = _clean_header(sheet.title)
        if key not in SHEETS:
            continue
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            continue
        header = [_clean_header(h) for h in rows[0]]
        tables[key] = _records(header, rows[1:], start=2)
    book.close()
    if not tables:
        raise ImportRejected(
            [_("No sheet named harvests, packings or shipments was found in the workbook.")]
        )
    return tables


# ------------------------------------------------------------------ values


def _text(values: dict, column: str, required: bool = False) -> str:
    value = values.get(column)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise _RowError(column, _("This column is required."))
    return text


def _decimal(values: dict, column: str) -> Decimal:
    text = _text(values, column, required=True).replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise _RowError(column, _("Not a number: %(v)s") % {"v": text}) from exc
    if not value.is_finite():
        raise _RowError(column, _("Not a number: %(v)s") % {"v": text})
    if value <= 0:
        raise _RowError(column, _("The quantity must be more than 0."))
    return value


def _date(values: dict, column: str) -> date:
    value = values.get(column)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(values, column, required=True)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise _RowError(column, _("The date must look like 2026-06-30."))


def _moment(values: dict) -> datetime:
    day = _date(values, "date")
    raw = values.get("time")
    if isinstance(raw, time):
        at = raw
    elif isinstance(raw, datetime):
        at = raw.time()
    else:
        text = _text(values, "time")
        if text:
            try:
                at = datetime.strptime(text[:5], "%H:%M").time()
            except ValueError as exc:
                raise _RowError("time", _("The time must look like 14:30.")) from exc
        else:
            at = time(12, 0)
    return datetime.combine(day, at).replace(tzinfo=builders._zone())


def _unit(values: dict, column: str) -> str:
    unit = _text(values, column).upper() or "KGM"
    if unit not in builders.UNIT_CODES:
        raise _RowError(
            column,
            _("Unknown unit %(u)s: use one of %(all)s.")
            % {"u": unit, "all": ", ".join(sorted(builders.UNIT_CODES))},
        )
    return unit


def _lot_list(values: dict, column: str, unit: str) -> list[tuple]:
    text = _text(values, column, required=True)
    out = []
    for j, part in enumerate(p for p in text.replace("\n", ";").split(";") if p.strip()):
        lot, sep, amount = part.rpartition("=")
        if not sep or not lot.strip():
            raise _RowError(column, _("Write each lot as LOT=quantity: %(p)s") % {"p": part})
        try:
            quantity = Decimal(amount.strip().replace(",", "."))
        except InvalidOperation as exc:
            raise _RowError(column, _("Not a number: %(v)s") % {"v": amount}) from exc
        if not quantity.is_finite() or quantity <= 0:
            raise _RowError(column, _("The quantity must be more than 0."))
        out.append((builders.resolve_lot(lot), quantity, unit, f"{column}[{j}]_"))
    return out


# ------------------------------------------------------------------ rows to events


class _Builder:
    def __init__(self, actor: Actor):
        self.actor = actor
        self.areas = {a.code: a for a in scoped_areas(actor)}
        self.houses = {h.code: h for h in scoped_houses(actor)}
        self.crops = {c.code: c for c in Crop.objects.all()}
        self.taken: set[str] = set()

    def harvests(self, values: dict) -> builders.Built:
        code = _text(values, "area_code", required=True)
        area = self.areas.get(code)
        if area is None:
            raise _RowError("area_code", _("No planting area %(c)s in your scope.") % {"c": code})
        day = _date(values, "harvest_date")
        crop = self._crop(values)
        variety = None
        name = _text(values, "variety")
        if name:
            variety = Variety.objects.filter(crop=crop or area.crop, name__iexact=name).first()
            if variety is None:
                raise _RowError("variety", _("Unknown variety: %(v)s") % {"v": name})
        plots = []
        labels = [p.strip() for p in _text(values, "plots").split(";") if p.strip()]
        for label in labels:
            found = list(area.plots.filter(label=label).select_related("household")[:2])
            if len(found) != 1:
                raise _RowError(
                    "plots",
                    _("No plot %(p)s in this area.") % {"p": label}
                    if not found
                    else _("More than one plot is labelled %(p)s in this area.") % {"p": label},
                )
            plots.append(found[0])
        lot = _text(values, "lot_code") or builders.next_lot_code(area.code, day, "H", self.taken)
        households = sorted({p.household for p in plots}, key=lambda h: h.pk)
        built = builders.harvest(
            area=area,
            lot=services.lot_uri(area.code, lot),
            harvest_date=day,
            amount=_decimal(values, "quantity"),
            uom=_unit(values, "unit"),
            crop=crop,
            variety=variety,
            plots=plots,
            households=households,
            moment=datetime.combine(day, time(12, 0)).replace(tzinfo=builders._zone()),
        )
        built.fields.update({"quantityList[0].epcClass": "lot_code", "ilmd": "harvest_date"})
        return built

    def packings(self, values: dict) -> builders.Built:
        code = _text(values, "packing_house_code", required=True)
        house = self.houses.get(code)
        if house is None:
            raise _RowError(
                "packing_house_code", _("No packing house %(c)s in your scope.") % {"c": code}
            )
        moment = _moment(values)
        inputs = _lot_list(values, "inputs", _unit(values, "input_unit"))
        out_code = _text(values, "output_lot") or builders.next_lot_code(
            house.code, moment.date(), "P", self.taken
        )
        output = (
            builders.resolve_lot(out_code, house.code),
            _decimal(values, "output_quantity"),
            _unit(values, "output_unit"),
            "output_",
        )
        built = builders.packing(
            house=house, inputs=inputs, outputs=[output], moment=moment, crop=self._crop(values)
        )
        return built

    def shipments(self, values: dict) -> builders.Built:
        code = _text(values, "from_code", required=True)
        holder = self.houses.get(code) or self.areas.get(code)
        if holder is None:
            raise _RowError("from_code", _("No place %(c)s in your scope.") % {"c": code})
        name = _text(values, "destination", required=True)
        return builders.shipping(
            lots=_lot_list(values, "lots", _unit(values, "unit")),
            origin=services.location_uri(holder.code),
            moment=_moment(values),
            shipper=self.actor.organisation,
            destination=builders.place_uri(name),
            destination_name=name,
            destination_country=_text(values, "destination_country").upper(),
            transport_doc=_text(values, "transport_doc"),
            customs_declaration=_text(values, "customs_declaration"),
            invoice=_text(values, "invoice"),
        )

    def _crop(self, values: dict):
        code = _text(values, "crop")
        if not code:
            return None
        crop = self.crops.get(code.lower()) or self.crops.get(code)
        if crop is None:
            raise _RowError("crop", _("Unknown crop code: %(c)s") % {"c": code})
        return crop


def _column_of(field: str | None) -> str:
    """The spreadsheet column a builder field came from."""
    if not field:
        return ""
    names = {
        "area": "area_code",
        "packing_house": "packing_house_code",
        "origin": "from_code",
        "lot_code": "lot_code",
        "quantity": "quantity",
        "unit": "unit",
        "output_lot": "output_lot",
        "output_quantity": "output_quantity",
        "output_unit": "output_unit",
        "harvest_date": "harvest_date",
        "when": "date",
    }
    if field in names:
        return names[field]
    return field.split("[", 1)[0].rstrip("_")


def import_tables(actor: Actor, tables: dict[str, list[tuple]]) -> ImportResult:
    """Build every row's event and capture them all as one document (all or nothing)."""
    require(actor, "capture_events")
    count = sum(len(rows) for rows in tables.values())
    if count == 0:
        raise ImportRejected([_("The file has no rows to import.")])
    if count > MAX_ROWS:
        raise ImportRejected([_("At most %(n)s rows can be imported at once.") % {"n": MAX_ROWS}])
    builder = _Builder(actor)
    built: list[builders.Built] = []
    where: list[tuple[str, int]] = []
    problems: list[str] = []
    for sheet in ORDER:
        for number, values in tables.get(sheet, []):
            try:
                built.append(getattr(builder, sheet)(values))
                where.append((sheet, number))
            except _RowError as exc:
                problems.append(_line(sheet, number, exc.column, exc.message))
    if problems:
        raise ImportRejected(problems)
    try:
        job = recording.capture(actor, built)
    except services.CaptureRejected as exc:
        lines = []
        for path, messages in exc.message_dict.items():
            index = builders.event_index(path)
            if index is None or index >= len(built):
                lines.extend(f"{path}: {m}" for m in messages)
                continue
            sheet, number = where[index]
            name = builders.field_of(path, built[index])
            lines.extend(_line(sheet, number, _column_of(name), str(m)) for m in messages)
        raise ImportRejected(lines) from exc
    return ImportResult(
        stored=job.stored_count,
        duplicates=job.duplicate_count,
        capture_id=job.capture_id,
        lots=[lot for b in built for lot in b.lots],
    )


def _line(sheet: str, number: int, column: str, message: str) -> str:
    if column:
        return _("%(sheet)s, row %(row)s, %(column)s: %(message)s") % {
            "sheet": sheet,
            "row": number,
            "column": column,
            "message": message,
        }
    return _("%(sheet)s, row %(row)s: %(message)s") % {
        "sheet": sheet,
        "row": number,
        "message": message,
    }


def import_file(actor: Actor, content: bytes, filename: str, kind: str = "") -> ImportResult:
    require(actor, "capture_events")
    return import_tables(actor, read_tables(content, filename, kind))


# ------------------------------------------------------------------ the template


def template_xlsx() -> bytes:
    """A workbook with the three sheets, their columns (required ones marked *), one example
    row each, and the instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    info = book.active
    info.title = "instructions"
    lines = [
        _("AgriTrace: import of harvests, packings and shipments"),
        "",
        _("One row per event. Columns marked * are required."),
        _("The whole file is one transaction: if one row is wrong, nothing is imported."),
        _("Delete the example rows before importing."),
        _("Lots are written as OWNER-CODE:LOT-CODE (for example VN-DLOR-0001:H20260601-1)."),
        _(
            "Units are UN/CEFACT codes: KGM (kg), TNE (tonnes), H87 (pieces), XBX (boxes), "
            "XCT (cartons)."
        ),
    ]
    for line in lines:
        info.append([line])
    info["A1"].font = Font(bold=True, size=13)
    info.column_dimensions["A"].width = 100
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8F0E3")
    for sheet, columns in SHEETS.items():
        ws = book.create_sheet(sheet)
        ws.append([name + ("*" if required else "") for name, required, _ex, _h in columns])
        ws.append([example for _n, _r, example, _h in columns])
        for i, (name, _required, _example, help_text) in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font = bold
            cell.fill = fill
            from openpyxl.comments import Comment

            cell.comment = Comment(help_text, "AgriTrace")
            ws.column_dimensions[cell.column_letter].width = max(14, len(name) + 6)
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
