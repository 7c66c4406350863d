"""Printable traceability labels: PDF sheets (A4 grids and roll labels) and a CSV of serials.

A pure module: no models, no database. The stamps app builds ``LabelData`` from its stamps and
calls ``render_sheet`` (PDF bytes) or ``serials_csv`` (text for a label printer's merge file).

Each label carries the stamp's QR code (its GS1 Digital Link URI, error correction M, drawn as
vector shapes), the planting-area code (PUC), the packing-house code (PHC), crop and variety, lot,
pack date and serial, and optionally the packing house's name and market wording lines (for
example what importers in China require on durian boxes: see ``MARKET_WORDING``).

Text in Vietnamese and Chinese renders with fonts committed under ``data/fonts`` (Noto Sans for
Latin and Vietnamese, a GB 2312 subset of Noto Sans CJK SC for Chinese, both under the SIL Open
Font License); the PDF embeds subsets of them, so it prints the same on any machine.
"""

from __future__ import annotations

import csv
import io
import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.drawing import PaintedPath

FONT_DIR = Path(__file__).resolve().parent / "data" / "fonts"
_SANS = "NotoSans"
_CJK = "NotoSansSC"
_FONT_FILES = {
    (_SANS, ""): "NotoSans-Regular-vi.ttf",
    (_SANS, "B"): "NotoSans-Bold-vi.ttf",
    (_CJK, ""): "NotoSansSC-Regular-gb2312.otf",
}

ELLIPSIS = "\u2026"
PT_TO_MM = 25.4 / 72
QR_ERROR = "m"  # error-correction level M, as the issue asks
QUIET_ZONE_MODULES = 4  # ISO/IEC 18004 quiet zone, counted together with the label's padding


# --------------------------------------------------------------------------------------------
# Market wording
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketWording:
    """Wording that an importing market wants on each package, with where it comes from.

    ``lines`` are printed on the label. ``status`` says how far the wording is established:
    ``"confirmed"`` (read in the binding text named by ``source``), ``"unverified"`` (reported by a
    secondary source; check before relying on it) or ``"unknown"`` (the project's sources do not
    give the wording). ``market_lines(key)`` gives ``lines`` to put in
    ``LabelData.market_lines``; ``candidate_lines`` are for a person to check against the binding
    text and are never returned by it.
    """

    market: str
    product: str
    lines: tuple[str, ...] = ()
    status: str = "unknown"
    source: str = ""
    known: tuple[str, ...] = ()
    candidate_lines: tuple[str, ...] = ()


#: What is known about market wording, by ``"<ISO country>-<product>"``. Nothing here is a legal
#: requirement invented by this module: each entry names its sources and marks what is unknown.
MARKET_WORDING: dict[str, MarketWording] = {
    "CN-durian": MarketWording(
        market="CN",
        product="durian",
        lines=(),
        status="unknown",
        source=(
            "shared/seeds/001_1cb7843486435e91.txt (Đắk Lắk plan, 2023) cites the Protocol signed"
            " 11/7/2022 between Vietnam's Ministry of Agriculture and Rural Development and the"
            " General Administration of Customs of China (GACC) on phytosanitary requirements for"
            " fresh durian exported from Vietnam to China; the Protocol's text is not among the"
            " project's sources. Press reports (Vietnam News, VietnamPlus, 2023) say the stamps"
            " must be in English or Chinese and show the name of the packing facility."
        ),
        known=(
            "label text in English or Chinese (press reports, unverified)",
            "name of the packing facility shown (press reports, unverified)",
            "planting-area and packing-house codes for export (seeds 001)",
        ),
        # Wording that GACC's protocols for other countries' fruit ask for on boxes or pallets;
        # not confirmed for Vietnamese durian. Print it only after checking the Protocol.
        candidate_lines=("输往中华人民共和国", "Exported to the People's Republic of China"),
    ),
}


def market_lines(key: str) -> tuple[str, ...]:
    """The established wording for ``"<country>-<product>"`` (``()`` when unknown or unlisted)."""
    wording = MARKET_WORDING.get(key)
    return wording.lines if wording else ()


# --------------------------------------------------------------------------------------------
# Data and layouts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelData:
    """What one printed label shows. All strings; ``pack_date`` may be a ``date``."""

    digital_link_uri: str
    serial: str
    planting_area_code: str
    packing_house_code: str
    crop: str
    variety: str
    lot: str
    pack_date: date | str
    market_lines: tuple[str, ...] = ()
    packing_house_name: str = ""

    def pack_date_text(self) -> str:
        value = self.pack_date
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value.isoformat()
        return str(value or "")


@dataclass(frozen=True)
class SheetLayout:
    """A page size and a grid of same-sized labels on it, in millimetres.

    ``margin_left_mm``/``margin_top_mm`` of ``None`` centre the grid on the page.
    """

    page_width_mm: float
    page_height_mm: float
    label_width_mm: float
    label_height_mm: float
    margin_left_mm: float | None = None
    margin_top_mm: float | None = None
    gap_x_mm: float = 0.0
    gap_y_mm: float = 0.0

    def __post_init__(self) -> None:
        for name in ("page_width_mm", "page_height_mm", "label_width_mm", "label_height_mm"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.gap_x_mm < 0 or self.gap_y_mm < 0:
            raise ValueError("gaps must not be negative")
        if self.columns < 1 or self.rows < 1:
            raise ValueError("the label does not fit on the page with these margins")

    def _count(self, page: float, label: float, margin: float | None, gap: float) -> int:
        usable = page - 2 * (margin or 0.0)
        return max(0, int((usable + gap + 1e-6) // (label + gap)))

    @property
    def columns(self) -> int:
        return self._count(
            self.page_width_mm, self.label_width_mm, self.margin_left_mm, self.gap_x_mm
        )

    @property
    def rows(self) -> int:
        return self._count(
            self.page_height_mm, self.label_height_mm, self.margin_top_mm, self.gap_y_mm
        )

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, index: int) -> tuple[float, float]:
        """Top-left corner (mm) of the ``index``-th label on a page, row by row."""
        col, row = index % self.columns, index // self.columns
        grid_w = self.columns * self.label_width_mm + (self.columns - 1) * self.gap_x_mm
        grid_h = self.rows * self.label_height_mm + (self.rows - 1) * self.gap_y_mm
        left = self.margin_left_mm
        top = self.margin_top_mm
        if left is None:
            left = (self.page_width_mm - grid_w) / 2
        if top is None:
            top = (self.page_height_mm - grid_h) / 2
        return (
            left + col * (self.label_width_mm + self.gap_x_mm),
            top + row * (self.label_height_mm + self.gap_y_mm),
        )


def a4_layout(
    label_width_mm: float = 63.5,
    label_height_mm: float = 38.1,
    *,
    margin_left_mm: float | None = None,
    margin_top_mm: float | None = None,
    gap_x_mm: float = 2.5,
    gap_y_mm: float = 0.0,
    min_margin_mm: float = 5.0,
) -> SheetLayout:
    """A4 portrait sheet. The default is the common 3 x 7 stock of 63.5 x 38.1 mm labels."""
    if margin_left_mm is None:
        cols = int((210 - 2 * min_margin_mm + gap_x_mm) // (label_width_mm + gap_x_mm))
        grid_w = cols * label_width_mm + (cols - 1) * gap_x_mm
        margin_left_mm = (210 - grid_w) / 2
    if margin_top_mm is None:
        rows = int((297 - 2 * min_margin_mm + gap_y_mm) // (label_height_mm + gap_y_mm))
        grid_h = rows * label_height_mm + (rows - 1) * gap_y_mm
        margin_top_mm = (297 - grid_h) / 2
    return SheetLayout(
        210, 297, label_width_mm, label_height_mm, margin_left_mm, margin_top_mm, gap_x_mm, gap_y_mm
    )


def roll_layout(label_width_mm: float = 50.0, label_height_mm: float = 30.0) -> SheetLayout:
    """A roll of labels: one label per page, the page the size of the label."""
    return SheetLayout(label_width_mm, label_height_mm, label_width_mm, label_height_mm, 0, 0)


LAYOUTS = {"a4": a4_layout, "roll": roll_layout}


@dataclass(frozen=True)
class Captions:
    """Short captions printed before the values; override for other languages or stock."""

    planting_area: str = "PUC"
    packing_house: str = "PHC"
    lot: str = "Lot"
    pack_date: str = "Packed"
    serial: str = "S/N"


#: English captions (the default: export labels; PUC/PHC are the codes' names abroad).
CAPTIONS_EN = Captions()
#: Vietnamese captions, for the domestic market.
CAPTIONS_VI = Captions(
    planting_area="MSVT", packing_house="CSĐG", lot="Lô", pack_date="Đóng gói", serial="Số"
)


@dataclass(frozen=True)
class _Line:
    text: str
    bold: bool = False
    wrap: bool = False  # wrapped over rows rather than truncated
    one_row: bool = False  # shrink the font to keep it on one row; wrap only at the minimum


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def render_sheet(
    labels: Sequence[LabelData],
    layout: str | SheetLayout = "a4",
    *,
    label_size_mm: tuple[float, float] | None = None,
    captions: Captions | None = None,
    padding_mm: float | None = None,
    outline: bool = False,
    max_font_pt: float | None = None,
    min_font_pt: float = 5.0,
    title: str = "AgriTrace labels",
) -> bytes:
    """Render ``labels`` to a PDF and return its bytes.

    ``layout`` is ``"a4"`` (a grid on A4 pages, 3 x 7 labels of 63.5 x 38.1 mm by default),
    ``"roll"`` (one label per page, 50 x 30 mm by default) or a ``SheetLayout``.
    ``label_size_mm=(width, height)`` changes the label size of the named layouts. Text is set
    as large as fits, from ``max_font_pt`` (default: by label height, 9 to 14 pt) down to
    ``min_font_pt``. ``outline``
    draws a thin grey cut line round each label (for plain paper). Long values are truncated
    with an ellipsis and market lines wrapped, so that nothing leaves its label.

    Raises ``ValueError`` for no labels, a label without a URI or serial, or a URI that does not
    fit a readable QR code on the label.
    """
    labels = list(labels)
    if not labels:
        raise ValueError("no labels to render")
    sheet = _resolve_layout(layout, label_size_mm)
    captions = captions or Captions()
    lw, lh = sheet.label_width_mm, sheet.label_height_mm
    pad = padding_mm if padding_mm is not None else max(1.0, min(2.5, min(lw, lh) * 0.05))
    if max_font_pt is None:  # 9 pt on a 30 mm label, up to 14 pt on big ones
        max_font_pt = max(9.0, min(14.0, lh * 0.28))

    pdf = FPDF(unit="mm", format=(sheet.page_width_mm, sheet.page_height_mm))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.c_margin = 0  # cells add no inner margin: the layout below places every row itself
    pdf.set_title(title)
    pdf.set_creator("AgriTrace")
    pdf.set_lang("vi")
    for (family, style), filename in _FONT_FILES.items():
        pdf.add_font(family, style, str(FONT_DIR / filename))
    pdf.set_fallback_fonts([_CJK], exact_match=False)
    measure = _Measure(pdf)

    for i, label in enumerate(labels):
        _check(label, i)
        slot = i % sheet.per_page
        if slot == 0:
            pdf.add_page()
        x, y = sheet.origin(slot)
        _draw_label(
            pdf, label, x, y, lw, lh, pad, captions, outline, max_font_pt, min_font_pt, measure
        )
    return bytes(pdf.output())


def serials_csv(labels: Iterable[LabelData]) -> str:
    """CSV (RFC 4180, UTF-8 text, CRLF) for a label printer's merge file, one row per label.

    Columns: serial, digital_link_uri, lot, planting_area_code, packing_house_code, crop, variety,
    pack_date, packing_house_name, market_text (market lines joined by " / "). A value that a
    spreadsheet would run as a formula (starting with = + - @ or a tab/CR) gets a leading "'".
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for label in labels:
        writer.writerow(
            _csv_safe(value)
            for value in (
                label.serial,
                label.digital_link_uri,
                label.lot,
                label.planting_area_code,
                label.packing_house_code,
                label.crop,
                label.variety,
                label.pack_date_text(),
                label.packing_house_name,
                " / ".join(label.market_lines),
            )
        )
    return out.getvalue()


CSV_COLUMNS = (
    "serial",
    "digital_link_uri",
    "lot",
    "planting_area_code",
    "packing_house_code",
    "crop",
    "variety",
    "pack_date",
    "packing_house_name",
    "market_text",
)


def qr_matrix(uri: str) -> list[list[bool]]:
    """The QR modules (True = dark, no quiet zone) exactly as ``render_sheet`` draws them."""
    return [[bool(v) for v in row] for row in _make_qr(uri).matrix]


# --------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------


def _resolve_layout(
    layout: str | SheetLayout, label_size_mm: tuple[float, float] | None
) -> SheetLayout:
    if isinstance(layout, SheetLayout):
        if label_size_mm is not None:
            raise ValueError("label_size_mm applies to the named layouts only")
        return layout
    try:
        factory = LAYOUTS[layout]
    except (KeyError, TypeError):
        raise ValueError(f"unknown layout {layout!r}: use 'a4', 'roll' or a SheetLayout") from None
    return factory(*label_size_mm) if label_size_mm else factory()


def _check(label: LabelData, index: int) -> None:
    if not isinstance(label, LabelData):
        raise ValueError(f"label {index}: expected LabelData, got {type(label).__name__}")
    if not (label.digital_link_uri or "").strip():
        raise ValueError(f"label {index}: no digital_link_uri")
    if not (label.serial or "").strip():
        raise ValueError(f"label {index}: no serial")


def _clean(text: object) -> str:
    """NFC (precomposed Vietnamese letters, as the fonts map them) on one line, without
    invisible format and control characters (zero-width spaces, soft hyphens, bidi marks)."""
    text = unicodedata.normalize("NFC", str(text or ""))
    text = "".join(c for c in text if c.isspace() or unicodedata.category(c)[0] != "C")
    return " ".join(text.split())


def _make_qr(uri: str) -> segno.QRCode:
    try:
        return segno.make_qr(uri, error=QR_ERROR, boost_error=False)
    except segno.DataOverflowError:
        raise ValueError(f"URI too long for a QR code: {len(uri)} characters") from None


def _csv_safe(value: object) -> str:
    text = str(value or "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _draw_qr(pdf: FPDF, qr: segno.QRCode, x: float, y: float, size: float) -> None:
    """Dark modules as one filled path of horizontal runs (no seams between modules)."""
    matrix = qr.matrix
    n = len(matrix)
    module = size / n
    path = PaintedPath(x, y)
    path.style.fill_color = "#000000"
    path.style.stroke_color = None
    path.style.auto_close = False
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            path.rectangle(x + start * module, y + r * module, (c - start) * module, module)
    with pdf.drawing_context() as context:
        context.add_item(path, False)  # no deep copy: 2nd arg is clone (_copy in older fpdf2)


class _Measure:
    """String widths from the fonts' advance widths, as fpdf2 lays text out without shaping.

    fpdf2's own ``get_string_width`` is right but slow (about a millisecond a call); this gives
    the same numbers from a per-character cache, falling back to the CJK font as fpdf2 does.
    """

    def __init__(self, pdf: FPDF) -> None:
        self._fonts = {style: pdf.fonts[_SANS.lower() + style].cw for style in ("", "B")}
        self._cjk = pdf.fonts[_CJK.lower()].cw
        self._cache: dict[tuple[str, str], float] = {}

    def units(self, text: str, style: str) -> float:
        total = 0.0
        for char in text:
            key = (char, style)
            width = self._cache.get(key)
            if width is None:
                code = ord(char)
                primary = self._fonts[style]
                width = primary.get(code, self._cjk.get(code))
                if width is None:
                    raise ValueError(
                        f"the label fonts have no glyph for {char!r} (U+{code:04X}):"
                        " Vietnamese, Latin and simplified Chinese (GB 2312) are covered"
                    )
                self._cache[key] = width
            total += width
        return total

    def width(self, text: str, style: str, size_pt: float) -> float:
        return self.units(text, style) * size_pt / 1000 * PT_TO_MM


def _truncate(measure: Callable[[str], float], text: str, width: float) -> str:
    if measure(text) <= width:
        return text
    while text and measure(text + ELLIPSIS) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def _wrap(measure: Callable[[str], float], text: str, width: float) -> list[str]:
    """Break at spaces, or anywhere for text without spaces (Chinese); overlong pieces split."""
    rows: list[str] = []
    current = ""
    tokens = text.split(" ") if " " in text else list(text)
    joiner = " " if " " in text else ""
    for token in tokens:
        candidate = current + joiner + token if current else token
        if measure(candidate) <= width:
            current = candidate
            continue
        if measure(token) > width:
            current = candidate  # too long for any row: fill this one, split below
        else:
            if current:
                rows.append(current)
            current = token
        while measure(current) > width and len(current) > 1:
            cut = len(current) - 1
            while cut > 1 and measure(current[:cut]) > width:
                cut -= 1
            rows.append(current[:cut])
            current = current[cut:]
    if current:
        rows.append(current)
    return rows


def _fit(
    measure: _Measure,
    lines: list[_Line],
    width: float,
    height: float,
    max_pt: float,
    min_pt: float,
) -> list[tuple[str, bool, float]]:
    """Rows at the largest size where every line fits whole and all fit ``height``.

    At ``min_pt`` what still does not fit is truncated with an ellipsis (wrapped lines are
    wrapped), and rows that would leave the box are dropped from the end.
    """
    size = max_pt
    while True:
        rows: list[tuple[str, bool, float]] = []
        whole = True
        for line in lines:
            style = "B" if line.bold else ""

            def fn(text: str, style: str = style, size: float = size) -> float:
                return measure.width(text, style, size)

            if line.wrap:
                wrapped = _wrap(fn, line.text, width)
                whole = whole and not (line.one_row and len(wrapped) > 1)
                rows += [(row, line.bold, size) for row in wrapped]
            else:
                text = _truncate(fn, line.text, width)
                whole = whole and text == line.text
                rows.append((text, line.bold, size))
        if (whole and _rows_height(rows) <= height) or size <= min_pt:
            break
        size = max(min_pt, size - 0.25)
    if _rows_height(rows) > height:
        # Still too tall at the smallest size: keep what fits and end it with an ellipsis.
        while rows and _rows_height(rows) > height:
            rows.pop()
        if rows:
            text, bold, last = rows[-1]
            style = "B" if bold else ""
            text = text.rstrip(ELLIPSIS)
            while text and measure.width(text + ELLIPSIS, style, last) > width:
                text = text[:-1]
            rows[-1] = (text.rstrip() + ELLIPSIS, bold, last)
    return rows


def _fit_one(
    measure: _Measure, text: str, width: float, max_pt: float, min_pt: float
) -> tuple[str, float]:
    """One line shrunk to ``width`` (down to ``min_pt``, then truncated)."""
    size = max_pt
    while size > min_pt and measure.width(text, "", size) > width:
        size = max(min_pt, size - 0.25)
    return _truncate(lambda t: measure.width(t, "", size), text, width), size


def _row_height(size_pt: float) -> float:
    return size_pt * PT_TO_MM * 1.2


def _rows_height(rows: list[tuple[str, bool, float]]) -> float:
    return sum(_row_height(size) for _, _, size in rows)


def _draw_label(
    pdf: FPDF,
    label: LabelData,
    x: float,
    y: float,
    w: float,
    h: float,
    pad: float,
    captions: Captions,
    outline: bool,
    max_pt: float,
    min_pt: float,
    measure: _Measure,
) -> None:
    if outline:
        pdf.set_draw_color(170)
        pdf.set_line_width(0.1)
        pdf.set_dash_pattern(dash=1, gap=1)
        pdf.rect(x, y, w, h)
        pdf.set_dash_pattern()
    pdf.set_text_color(0)

    # Left column: the QR with the serial under it. Right column: the text. Both centred.
    qr = _make_qr(label.digital_link_uri)
    n = len(qr.matrix)
    serial_text = _clean(f"{captions.serial} {label.serial}")
    serial_pt = max_pt * 0.8
    side = min(h - 2 * pad - _row_height(serial_pt), w * 0.45)
    serial_fit, serial_pt = _fit_one(measure, serial_text, max(side, w * 0.45), serial_pt, 3.5)
    if serial_fit != serial_text:
        raise ValueError(f"label {label.serial!r}: the serial does not fit the label")
    serial_w = measure.width(serial_text, "", serial_pt)
    if serial_w > side:  # the serial is wider than the QR: shrink it while the QR stays bigger
        serial_text, serial_pt = _fit_one(measure, serial_text, side, serial_pt, 4.5)
        serial_w = measure.width(serial_text, "", serial_pt)
    # ISO/IEC 18004 wants four modules of white round the symbol. ``border`` modules are drawn
    # white inside ``side``; the label's padding (left, top) and ``gap`` (right, below: between
    # the symbol and the text or serial) make up the rest.
    for _ in range(3):
        module = side / n
        border = max(0, math.ceil(QUIET_ZONE_MODULES - pad / module))
        module = side / (n + 2 * border)
        gap = max(0.0, (QUIET_ZONE_MODULES - border) * module)
        room = h - 2 * pad - _row_height(serial_pt) - gap
        if side <= room + 1e-9:
            break
        side = room
    if module < 0.25:
        raise ValueError(
            f"label {label.serial!r}: QR modules of {module:.2f} mm are too small to scan;"
            " use a shorter URI or a bigger label"
        )
    col_w = max(side, serial_w)
    column = side + gap + _row_height(serial_pt)
    top = y + pad + (h - 2 * pad - column) / 2
    qr_x = x + pad + (col_w - side) / 2
    _draw_qr(pdf, qr, qr_x + border * module, top + border * module, n * module)
    pdf.set_font(_SANS, "", serial_pt)
    pdf.set_xy(x + pad, top + side + gap)
    pdf.cell(col_w, _row_height(serial_pt), serial_text, align="C")

    tx = x + pad + col_w + max(1.0, gap)
    tw = x + w - pad - tx
    if tw < 8:
        raise ValueError(f"label {label.serial!r}: the label is too narrow for its text")
    crop = " ".join(p for p in (_clean(label.crop), _clean(label.variety)) if p)
    lines = [
        _Line(crop, bold=True),
        # Codes and lot are wrapped, never cut: a truncated code would name another one.
        _Line(_clean(f"{captions.planting_area} {label.planting_area_code}"), True, True, True),
        _Line(_clean(f"{captions.packing_house} {label.packing_house_code}"), True, True, True),
    ]
    if label.packing_house_name:
        lines.append(_Line(_clean(label.packing_house_name)))
    lines += [
        _Line(_clean(f"{captions.lot} {label.lot}"), wrap=True, one_row=True),
        _Line(_clean(f"{captions.pack_date} {label.pack_date_text()}")),
    ]
    lines += [_Line(_clean(text), wrap=True) for text in label.market_lines if _clean(text)]

    rows = _fit(measure, lines, tw, h - 2 * pad, max_pt, min_pt)
    cy = y + pad + (h - 2 * pad - _rows_height(rows)) / 2  # centred beside the QR and serial
    for text, bold, size in rows:
        pdf.set_font(_SANS, "B" if bold else "", size)
        pdf.set_xy(tx, cy)
        pdf.cell(tw, _row_height(size), text, align="L")
        cy += _row_height(size)
