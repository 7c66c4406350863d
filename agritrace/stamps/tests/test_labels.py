"""Printable labels: PDF pages, embedded fonts, text layer, QR codes that decode, bad input."""

import csv
import io
import unicodedata
from datetime import date

import pypdfium2 as pdfium
import pytest
import segno
import zxingcpp

from agritrace.stamps.labels import (
    CAPTIONS_VI,
    CSV_COLUMNS,
    MARKET_WORDING,
    LabelData,
    SheetLayout,
    a4_layout,
    market_lines,
    qr_matrix,
    render_sheet,
    roll_layout,
    serials_csv,
)

MM = 72 / 25.4  # PDF points per millimetre
CN_LINE = "输往中华人民共和国"  # test data passed by the caller, not a claim about the law


def label(i=0, **changes):
    data = dict(
        digital_link_uri=(
            f"https://trace.example.vn/01/08930000000017/10/L2607-15A/21/K7QF3M9XWD{i:03d}"
            "?s=MEUCIQDx3kF9aZ1b"
        ),
        serial=f"K7QF3M9XWD{i:03d}",
        planting_area_code="VN-DLOR-0123",
        packing_house_code="VN-DLPH-0045",
        crop="Sầu riêng 榴莲",
        variety="Ri6",
        lot="L2607-15A",
        pack_date=date(2026, 7, 15),
        packing_house_name="HTX Nông nghiệp Đắk Lắk",
        market_lines=(CN_LINE,),
    )
    data.update(changes)
    return LabelData(**data)


_OPEN = []


@pytest.fixture(autouse=True)
def _close_pdfs():
    yield
    while _OPEN:
        _OPEN.pop().close()


def pages(pdf_bytes):
    doc = pdfium.PdfDocument(pdf_bytes)
    _OPEN.append(doc)
    return doc, [doc[i] for i in range(len(doc))]


def text_of(page):
    return page.get_textpage().get_text_range()


def char_boxes(page):
    textpage = page.get_textpage()
    for i in range(textpage.count_chars()):
        char = textpage.get_text_range(i, 1)
        if char.strip():
            yield char, textpage.get_charbox(i)


def decode(page, scale=4):
    image = page.render(scale=scale).to_pil()
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def decode_each(page, layout, count, scale=4):
    """Decode label by label (each crop on its own: quicker than the whole sheet at once)."""
    image = page.render(scale=scale).to_pil().convert("L")
    px = scale * MM  # pixels per millimetre
    found = []
    for slot in range(count):
        x, y = layout.origin(slot)
        box = (x * px, y * px, (x + layout.label_width_mm) * px, (y + layout.label_height_mm) * px)
        crop = image.crop(tuple(round(v) for v in box))
        found.append(zxingcpp.read_barcodes(crop, formats=zxingcpp.BarcodeFormat.QRCode))
    return found


# --- pages and layout -------------------------------------------------------------------------


@pytest.mark.parametrize("count,expected", [(1, 1), (21, 1), (22, 2)])
def test_a4_page_count(count, expected):
    assert a4_layout().per_page == 21
    doc, _ = pages(render_sheet([label(i) for i in range(count)], "a4"))
    assert len(doc) == expected
    width, height = doc[0].get_size()
    assert (round(width / MM), round(height / MM)) == (210, 297)


@pytest.mark.parametrize("count", [1, 5])
def test_roll_one_label_per_page_of_label_size(count):
    doc, all_pages = pages(render_sheet([label(i) for i in range(count)], "roll"))
    assert len(doc) == count
    for page in all_pages:
        width, height = page.get_size()
        assert (round(width / MM), round(height / MM)) == (50, 30)


def test_sizes_are_parameters():
    doc, _ = pages(render_sheet([label()], "roll", label_size_mm=(100, 60)))
    assert [round(v / MM) for v in doc[0].get_size()] == [100, 60]
    two_by_five = a4_layout(99, 55, gap_x_mm=2)
    assert (two_by_five.columns, two_by_five.rows) == (2, 5)
    doc, _ = pages(render_sheet([label(i) for i in range(11)], two_by_five))
    assert len(doc) == 2
    custom = SheetLayout(100, 100, 40, 40, margin_left_mm=5, margin_top_mm=5, gap_x_mm=2)
    assert custom.per_page == 4 and custom.origin(3) == (47, 45)


def test_fonts_are_embedded():
    data = render_sheet([label()], "roll")
    assert data.count(b"/FontFile") >= 3  # Noto Sans regular and bold, Noto Sans SC
    for base14 in (b"/Helvetica", b"/Times", b"/Courier", b"/Arial"):
        assert base14 not in data


# --- text layer -------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["a4", "roll"])
def test_text_layer_has_vietnamese_and_chinese(layout):
    _, all_pages = pages(render_sheet([label(1)], layout))
    text = text_of(all_pages[0])
    for expected in (
        "Sầu riêng",
        "榴莲",
        "Ri6",
        "HTX Nông nghiệp Đắk Lắk",
        CN_LINE,
        "VN-DLOR-0123",
        "VN-DLPH-0045",
        "L2607-15A",
        "2026-07-15",
        "K7QF3M9XWD001",
    ):
        assert expected in text, expected


def test_captions_can_be_vietnamese():
    _, all_pages = pages(render_sheet([label()], "a4", captions=CAPTIONS_VI))
    text = text_of(all_pages[0])
    assert "MSVT VN-DLOR-0123" in text and "CSĐG VN-DLPH-0045" in text and "Đóng gói" in text


def test_decomposed_vietnamese_is_printed_precomposed():
    nfd = unicodedata.normalize("NFD", "Sầu riêng")
    _, all_pages = pages(render_sheet([label(crop=nfd)], "roll"))
    assert "Sầu riêng" in text_of(all_pages[0])


# --- QR ---------------------------------------------------------------------------------------


def test_roll_qr_decodes_to_the_uri_at_level_m():
    labels = [label(i) for i in range(3)]
    _, all_pages = pages(render_sheet(labels, "roll"))
    for item, page in zip(labels, all_pages, strict=True):
        found = decode(page, scale=8)
        assert [b.text for b in found] == [item.digital_link_uri]
        assert found[0].ec_level == "M"


def test_a4_sheet_every_qr_decodes():
    labels = [label(i) for i in range(21)]
    _, all_pages = pages(render_sheet(labels, "a4"))
    found = decode_each(all_pages[0], a4_layout(), len(labels))
    assert [[b.text for b in f] for f in found] == [[x.digital_link_uri] for x in labels]
    assert {f[0].ec_level for f in found} == {"M"}


def test_qr_matrix_is_segno_level_m():
    uri = label().digital_link_uri
    qr = segno.make_qr(uri, error="m", boost_error=False)
    assert qr.error == "M"
    assert qr_matrix(uri) == [[bool(v) for v in row] for row in qr.matrix]


# --- bad input --------------------------------------------------------------------------------


def test_empty_list_is_refused():
    with pytest.raises(ValueError, match="no labels"):
        render_sheet([])


@pytest.mark.parametrize(
    "changes,match",
    [({"digital_link_uri": ""}, "digital_link_uri"), ({"serial": "  "}, "serial")],
)
def test_missing_uri_or_serial_is_refused(changes, match):
    with pytest.raises(ValueError, match=match):
        render_sheet([label(**changes)])


def test_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="unknown layout"):
        render_sheet([label()], "letter")


def test_uri_too_long_for_a_qr_is_refused():
    with pytest.raises(ValueError, match="too long"):
        render_sheet([label(digital_link_uri="https://x.vn/" + "a" * 3000)])


def test_qr_too_dense_for_a_tiny_label_is_refused():
    uri = "https://trace.example.vn/" + "x" * 400
    with pytest.raises(ValueError, match="too small to scan"):
        render_sheet([label(digital_link_uri=uri)], "roll", label_size_mm=(60, 16))


def test_serial_that_cannot_fit_is_refused_not_cut():
    with pytest.raises(ValueError, match="serial does not fit"):
        render_sheet([label(serial="K7QF3M9XWD" * 6)], "roll", label_size_mm=(40, 20))


def test_not_a_label_is_refused():
    with pytest.raises(ValueError, match="LabelData"):
        render_sheet([{"serial": "x"}])


def _inside(box, rect, inset=0.8 * MM):
    """Within the label less most of its padding (at least 1 mm on every side)."""
    left, bottom, right, top = box
    x0, y0, x1, y1 = rect
    return left >= x0 + inset and right <= x1 - inset and bottom >= y0 + inset and top <= y1 - inset


def _label_rects(layout, page_height_pt):
    for slot in range(layout.per_page):
        x, y = layout.origin(slot)
        yield (
            x * MM,
            page_height_pt - (y + layout.label_height_mm) * MM,
            (x + layout.label_width_mm) * MM,
            page_height_pt - y * MM,
        )


LONG = dict(
    crop="Sầu riêng Monthong hạt lép cơm vàng loại một xuất khẩu chính ngạch 榴莲金枕",
    variety="Dona Ri6 Musang King " * 3,
    planting_area_code="VN-DLOR-0123-" + "9" * 40,
    packing_house_name="Công ty TNHH Một thành viên Xuất nhập khẩu Nông sản Tây Nguyên " * 2,
    lot="LOT-" + "X" * 60,
    market_lines=(
        CN_LINE * 4,
        "Exported to the People's Republic of China, lot inspected, keep cool and dry " * 2,
    ),
)


@pytest.mark.parametrize("layout", ["roll", "a4"])
def test_long_fields_stay_inside_their_label(layout):
    data = render_sheet([label(i, **LONG) for i in range(4)], layout)
    doc, all_pages = pages(data)
    sheet = roll_layout() if layout == "roll" else a4_layout()
    for page in all_pages:
        rects = list(_label_rects(sheet, page.get_size()[1]))
        boxes = list(char_boxes(page))
        assert boxes
        for char, box in boxes:
            assert any(_inside(box, rect) for rect in rects), (char, box)
        text = text_of(page)
        assert "…" in text  # truncated, not overflowing
        assert "K7QF3M9XWD" in text  # the serial is never dropped
        assert "VN-DLPH-0045" in text
    # and every QR still decodes
    if layout == "roll":
        assert len(decode(all_pages[0], scale=8)) == 1
    else:
        assert all(len(f) == 1 for f in decode_each(all_pages[0], sheet, 4))


def test_long_chinese_market_line_wraps():
    long_cn = CN_LINE * 3
    _, all_pages = pages(render_sheet([label(market_lines=(long_cn,))], "a4"))
    text = text_of(all_pages[0]).replace("\r", "").replace("\n", "")
    assert long_cn in text  # wrapped over rows, nothing cut


# --- CSV --------------------------------------------------------------------------------------


def test_serials_csv_round_trips():
    labels = [label(i) for i in range(3)]
    text = serials_csv(labels)
    assert text.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["serial"] for r in rows] == [x.serial for x in labels]
    assert rows[0]["digital_link_uri"] == labels[0].digital_link_uri
    assert rows[0]["crop"] == "Sầu riêng 榴莲"
    assert rows[0]["pack_date"] == "2026-07-15"
    assert rows[0]["market_text"] == CN_LINE


def test_serials_csv_empty_and_formula_guard():
    assert serials_csv([]) == ",".join(CSV_COLUMNS) + "\r\n"
    rows = list(csv.DictReader(io.StringIO(serials_csv([label(lot="=HYPERLINK(1)")]))))
    assert rows[0]["lot"] == "'=HYPERLINK(1)"


# --- market wording ---------------------------------------------------------------------------


def test_china_durian_wording_is_sourced_and_not_invented():
    wording = MARKET_WORDING["CN-durian"]
    assert wording.status == "unknown"
    assert wording.lines == ()  # nothing printed until someone confirms it from the Protocol
    assert "001_1cb7843486435e91" in wording.source
    assert market_lines("CN-durian") == () and market_lines("XX-nothing") == ()
