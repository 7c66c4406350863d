"""The report's files, in Vietnamese (the plan's language; the words are the report form's,
`WORDS`, not the site's translations): an XLSX workbook of one sheet per table with formulas
where officers expect totals and a native bar chart of the targets, and a PDF with the
province's header, the tables and the same chart drawn server-side by matplotlib."""

import io
from datetime import date

from django.utils import timezone

from agritrace.stamps.labels import FONT_DIR

#: The report form's words (Vietnamese): labels of its tables and rows.
WORDS = {
    "half_year": "BÁO CÁO 6 THÁNG",
    "annual": "BÁO CÁO NĂM",
    "subject": "Kết quả triển khai kế hoạch thiết lập, quản lý, giám sát mã số vùng trồng "
    "và cơ sở đóng gói",
    "period": "Kỳ báo cáo: từ {start} đến {end}",
    "due": "Hạn nộp: {due}",
    "version": "Phiên bản {version}",
    "republic": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "motto": "Độc lập - Tự do - Hạnh phúc",
    "summary": "Tổng hợp",
    "codes": "Mã số",
    "visits": "Giám sát",
    "samples": "Dư lượng",
    "targets": "Chỉ tiêu",
    "training": "Tập huấn",
    "item": "Nội dung",
    "count": "Số lượng",
    "area": "Mã số vùng trồng",
    "packing_house": "Mã số cơ sở đóng gói",
    "issued": "Cấp mới",
    "suspended": "Tạm dừng",
    "revoked": "Thu hồi",
    "total": "Tổng cộng",
    "planned": "Kế hoạch giám sát",
    "done": "Đã giám sát",
    "surprise_done": "Kiểm tra đột xuất",
    "rate": "Tỷ lệ (%)",
    "taken": "Mẫu đã lấy",
    "analysed": "Mẫu có kết quả",
    "exceeding": "Mẫu vượt mức dư lượng tối đa",
    "within_limits": "Mẫu đạt",
    "notices": "Thông báo của nước nhập khẩu",
    "recalls": "Thu hồi sản phẩm",
    "misuse_found": "Vụ việc nghi sử dụng sai mã số",
    "misuse_confirmed": "Vụ việc đã xác nhận",
    "training_planned": "Lớp tập huấn theo kế hoạch",
    "training_held": "Lớp tập huấn đã tổ chức",
    "training_attendees": "Lượt người tham dự",
    "unit": "Đơn vị",
    "crop": "Cây trồng",
    "metric": "Chỉ tiêu",
    "target": "Kế hoạch",
    "achieved": "Thực hiện",
    "source": "Nguồn",
    "baseline": "(số liệu kế hoạch đã nêu)",
    "title": "Tên lớp",
    "held_on": "Ngày",
    "place": "Địa điểm",
    "trainer": "Giảng viên",
    "attendees": "Số người",
    "no_targets": "Chưa có chỉ tiêu cho năm này.",
    "chart": "Chỉ tiêu và kết quả thực hiện",
    "metrics": {
        "hectares": "Diện tích cấp mã số (ha)",
        "area_codes": "Số mã số vùng trồng",
        "packing_houses": "Số mã số cơ sở đóng gói",
        "residue_samples": "Số mẫu dư lượng",
        "training_classes": "Số lớp tập huấn",
    },
    "place_date": "{province}, ngày {d:02d} tháng {m:02d} năm {y}",
}


def _day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def _summary_rows(f: dict) -> list[tuple[str, int]]:
    rows = []
    for holder in ("area", "packing_house"):
        for status in ("issued", "suspended", "revoked"):
            rows.append((f"{WORDS[holder]}: {WORDS[status].lower()}", f["codes"][holder][status]))
    return rows + [
        (WORDS["planned"], f["visits"]["planned"]),
        (WORDS["done"], f["visits"]["done"]),
        (WORDS["surprise_done"], f["visits"]["surprise_done"]),
        (WORDS["taken"], f["samples"]["taken"]),
        (WORDS["exceeding"], f["samples"]["exceeding"]),
        (WORDS["notices"], f["notices"]),
        (WORDS["recalls"], f["recalls"]),
        (WORDS["misuse_found"], f["misuse"]["found"]),
        (WORDS["misuse_confirmed"], f["misuse"]["confirmed"]),
        (WORDS["training_planned"], f["training"]["planned"]),
        (WORDS["training_held"], f["training"]["held"]),
        (WORDS["training_attendees"], f["training"]["attendees"]),
    ]


def _title(f: dict) -> str:
    return f"{WORDS[f['kind']]} {f['year']}"


def _metric(name: str) -> str:
    return WORDS["metrics"].get(name, name)


# ------------------------------------------------------------------ XLSX


def report_xlsx(f: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="E8F0E3")

    def header(ws, row: list[str]) -> None:
        ws.append(row)
        for cell in ws[ws.max_row]:
            cell.font, cell.fill = bold, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    ws = book.active
    ws.title = WORDS["summary"]
    ws.append([f"UBND {f['province_title'].upper()} — {f['header'].upper()}"])
    ws.append([_title(f)])
    ws["A2"].font = Font(bold=True, size=14)
    ws.append([WORDS["subject"]])
    ws.append([WORDS["period"].format(start=_day(f["period_start"]), end=_day(f["period_end"]))])
    ws.append([WORDS["due"].format(due=_day(f["due_on"])), WORDS["version"].format(**f)])
    ws.append([])
    header(ws, [WORDS["item"], WORDS["count"]])
    for label, value in _summary_rows(f):
        ws.append([label, value])
    ws.column_dimensions["A"].width = 52
    ws.column_dimensions["B"].width = 14

    ws = book.create_sheet(WORDS["codes"])
    header(ws, [WORDS["item"], WORDS["issued"], WORDS["suspended"], WORDS["revoked"]])
    for holder in ("area", "packing_house"):
        c = f["codes"][holder]
        ws.append([WORDS[holder], c["issued"], c["suspended"], c["revoked"]])
    ws.append([WORDS["total"], "=SUM(B2:B3)", "=SUM(C2:C3)", "=SUM(D2:D3)"])
    ws["A4"].font = bold
    ws.column_dimensions["A"].width = 30

    ws = book.create_sheet(WORDS["visits"])
    header(ws, [WORDS["planned"], WORDS["done"], WORDS["rate"], WORDS["surprise_done"]])
    v = f["visits"]
    ws.append([v["planned"], v["done"], '=IF(A2=0,"",ROUND(B2/A2*100,1))', v["surprise_done"]])
    for col in "ABCD":
        ws.column_dimensions[col].width = 22

    ws = book.create_sheet(WORDS["samples"])
    header(ws, [WORDS["item"], WORDS["count"]])
    s = f["samples"]
    ws.append([WORDS["taken"], s["taken"]])
    ws.append([WORDS["analysed"], s["analysed"]])
    ws.append([WORDS["within_limits"], s["within_limits"]])
    ws.append([WORDS["exceeding"], s["exceeding"]])
    ws.append([WORDS["rate"] + " " + WORDS["exceeding"].lower(), '=IF(B3=0,"",ROUND(B5/B3*100,1))'])
    ws.column_dimensions["A"].width = 44

    ws = book.create_sheet(WORDS["targets"])
    header(ws, [WORDS["unit"], WORDS["crop"], WORDS["metric"], WORDS["target"],
                WORDS["achieved"], WORDS["rate"], WORDS["source"]])  # fmt: skip
    for i, t in enumerate(f["targets"], start=2):
        metric = _metric(t["metric"]) + (" " + WORDS["baseline"] if t["kind"] == "baseline" else "")
        ws.append([t["unit"], t["crop"], metric, t["target"], t["achieved"],
                   f'=IF(D{i}=0,"",ROUND(E{i}/D{i}*100,1))', t["source"]])  # fmt: skip
    for col, width in zip("ABCDEFG", (28, 16, 34, 12, 12, 10, 50), strict=True):
        ws.column_dimensions[col].width = width
    if f["targets"]:
        chart = BarChart()
        chart.type = "bar"
        chart.title = WORDS["chart"]
        chart.y_axis.title = WORDS["rate"]
        data = Reference(ws, min_col=6, min_row=1, max_row=len(f["targets"]) + 1)
        cats = Reference(ws, min_col=1, min_row=2, max_row=len(f["targets"]) + 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        chart.height, chart.width = 8 + len(f["targets"]) * 0.4, 18
        ws.add_chart(chart, f"A{len(f['targets']) + 4}")
    else:
        ws.append([WORDS["no_targets"]])

    ws = book.create_sheet(WORDS["training"])
    header(ws, [WORDS["title"], WORDS["held_on"], WORDS["place"], WORDS["trainer"],
                WORDS["attendees"]])  # fmt: skip
    rows = f["training"]["classes"]
    for c in rows:
        ws.append([c["title"], _day(c["held_on"]), c["place"], c["trainer"], c["attendees"]])
    ws.append([WORDS["total"], "", "", "", f"=SUM(E2:E{len(rows) + 1})" if rows else 0])
    ws.cell(row=ws.max_row, column=1).font = bold
    for col, width in zip("ABCDE", (40, 12, 30, 24, 10), strict=True):
        ws.column_dimensions[col].width = width

    for sheet in book.worksheets:  # printed one page wide, as officers print them
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.page_setup.orientation = "landscape"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------ the chart (PNG)


def chart_png(f: dict) -> bytes | None:
    """Target against achieved, as a percentage per row of the targets (matplotlib)."""
    rows = [t for t in f["targets"] if t["percent"] is not None]
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    font_manager.fontManager.addfont(str(FONT_DIR / "NotoSans-Regular-vi.ttf"))
    family = font_manager.FontProperties(fname=str(FONT_DIR / "NotoSans-Regular-vi.ttf")).get_name()
    labels = [
        " · ".join(x for x in (t["unit"], t["crop"], _metric(t["metric"])) if x) for t in rows
    ]
    values = [t["percent"] for t in rows]
    height = 1.2 + 0.32 * len(rows)
    fig = Figure(figsize=(7.5, height), dpi=150)
    ax = fig.subplots()
    positions = list(range(len(rows)))[::-1]
    ax.barh(positions, values, color="#2f6f3e")
    ax.axvline(100, color="#b42318", linestyle="--", linewidth=1)
    ax.set_yticks(positions, labels, fontfamily=family, fontsize=7)
    ax.set_xlabel(WORDS["rate"], fontfamily=family, fontsize=8)
    ax.set_title(WORDS["chart"], fontfamily=family, fontsize=10)
    ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


# ------------------------------------------------------------------ PDF


def report_pdf(f: dict) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(_title(f))
    pdf.set_creator("AgriTrace")
    pdf.set_lang("vi")
    pdf.add_font("NotoSans", "", str(FONT_DIR / "NotoSans-Regular-vi.ttf"))
    pdf.add_font("NotoSans", "B", str(FONT_DIR / "NotoSans-Bold-vi.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.epw

    # the header: the province and the issuing body left, the republic right
    pdf.set_font("NotoSans", "B", 10)
    top = pdf.get_y()
    pdf.multi_cell(width * 0.45, 5, f"UBND {f['province_title'].upper()}\n{f['header'].upper()}",
                   align="C")  # fmt: skip
    pdf.set_xy(pdf.l_margin + width * 0.45, top)
    pdf.multi_cell(width * 0.55, 5, f"{WORDS['republic']}\n{WORDS['motto']}", align="C")
    pdf.ln(2)
    pdf.set_font("NotoSans", "", 9)
    today = timezone.localdate()
    pdf.cell(width, 5, WORDS["place_date"].format(province=f["province"], d=today.day,
             m=today.month, y=today.year), align="R", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(4)
    pdf.set_font("NotoSans", "B", 14)
    pdf.cell(width, 8, _title(f), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSans", "", 10)
    pdf.multi_cell(width, 5, WORDS["subject"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(width, 5, WORDS["period"].format(start=_day(f["period_start"]),
             end=_day(f["period_end"])) + " · " + WORDS["version"].format(**f), align="C",
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(4)

    def table(title: str, head: list[str], rows: list[list], widths: list[float]) -> None:
        pdf.set_font("NotoSans", "B", 11)
        pdf.cell(width, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("NotoSans", "", 8)
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.5) as t:
            r = t.row()
            for h in head:
                r.cell(h, style=None)
            for row in rows:
                r = t.row()
                for value in row:
                    r.cell(str(value))
        pdf.ln(3)

    table(
        f"1. {WORDS['summary']}",
        [WORDS["item"], WORDS["count"]],
        [[label, value] for label, value in _summary_rows(f)],
        [80, 20],
    )
    codes = f["codes"]
    table(
        f"2. {WORDS['codes']}",
        [WORDS["item"], WORDS["issued"], WORDS["suspended"], WORDS["revoked"]],
        [[WORDS[h], codes[h]["issued"], codes[h]["suspended"], codes[h]["revoked"]]
         for h in ("area", "packing_house")]
        + [[WORDS["total"], *(codes["area"][k] + codes["packing_house"][k]
            for k in ("issued", "suspended", "revoked"))]],
        [40, 20, 20, 20],
    )  # fmt: skip
    v = f["visits"]
    rate = round(v["done"] / v["planned"] * 100, 1) if v["planned"] else "—"
    table(
        f"3. {WORDS['visits']}",
        [WORDS["planned"], WORDS["done"], WORDS["rate"], WORDS["surprise_done"]],
        [[v["planned"], v["done"], rate, v["surprise_done"]]],
        [25, 25, 25, 25],
    )
    targets = f["targets"]
    table(
        f"4. {WORDS['targets']}",
        [WORDS["unit"], WORDS["crop"], WORDS["metric"], WORDS["target"], WORDS["achieved"],
         WORDS["rate"]],
        [[t["unit"], t["crop"], _metric(t["metric"]) + (" " + WORDS["baseline"]
          if t["kind"] == "baseline" else ""), f"{t['target']:g}", f"{t['achieved']:g}",
          "—" if t["percent"] is None else f"{t['percent']:g}"] for t in targets]
        or [[WORDS["no_targets"], "", "", "", "", ""]],
        [26, 14, 30, 10, 10, 10],
    )  # fmt: skip
    png = chart_png(f)
    if png:
        pdf.image(io.BytesIO(png), w=width)
        pdf.ln(3)
    classes = f["training"]["classes"]
    table(
        f"5. {WORDS['training']}",
        [WORDS["title"], WORDS["held_on"], WORDS["place"], WORDS["trainer"], WORDS["attendees"]],
        [[c["title"], _day(c["held_on"]), c["place"], c["trainer"], c["attendees"]]
         for c in classes] or [["—", "", "", "", ""]],
        [34, 12, 22, 20, 10],
    )  # fmt: skip
    return bytes(pdf.output())
