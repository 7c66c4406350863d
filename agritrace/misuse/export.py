"""The case list as an Excel workbook for the province's meetings: a sheet of cases (one row
each, highest score first) and a sheet counting them per rule and status, with a bar chart
made by openpyxl."""

import io
from collections import Counter

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .models import CaseStatus

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", str(value or ""))


def columns() -> list[str]:
    return [
        _("Case"),
        _("Score"),
        _("Severity"),
        _("Status"),
        _("Rule"),
        _("Season"),
        _("Code"),
        _("Firm using the code"),
        _("Commune"),
        _("Summary"),
        _("Action"),
        _("Last found"),
    ]


def cases_workbook(cases: QuerySet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Cases")[:31]
    sheet.append(columns())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    per_rule: Counter = Counter()
    statuses = [CaseStatus.OPEN, CaseStatus.REVIEW, CaseStatus.CONFIRMED, CaseStatus.ACTIONED]
    for case in cases:
        per_rule[(case.rule.label, case.status)] += 1
        sheet.append(
            [
                case.pk,
                round(case.score, 2),
                str(case.get_severity_display()),
                str(case.get_status_display()),
                _text(case.rule.label),
                case.season,
                _text(case.code or case.subject_key),
                _text(case.party.name if case.party_id else ""),
                _text(case.commune.name if case.commune_id else ""),
                _text(case.summary),
                str(case.get_action_display()) if case.action else "",
                case.last_found_at.replace(tzinfo=None),
            ]
        )
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # text that merely looks like a formula
                cell.data_type = "s"
    for letter, width in zip(
        "ABCDEFGHIJKL", (7, 7, 10, 14, 40, 8, 18, 30, 24, 60, 14, 18), strict=True
    ):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"

    summary = workbook.create_sheet(_("Per rule")[:31])
    summary.append([_("Rule"), *[str(CaseStatus(s).label) for s in statuses]])
    for cell in summary[1]:
        cell.font = Font(bold=True)
    for title in sorted({t for t, _s in per_rule}):
        summary.append([_text(title), *[per_rule[(title, s)] for s in statuses]])
    summary.column_dimensions["A"].width = 50
    if summary.max_row > 1:
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = _("Cases per rule")
        chart.y_axis.title = _("Cases")
        data = Reference(
            summary, min_col=2, max_col=1 + len(statuses), min_row=1, max_row=summary.max_row
        )
        cats = Reference(summary, min_col=1, min_row=2, max_row=summary.max_row)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        chart.height = max(7.5, 1.2 * summary.max_row)
        chart.width = 24
        summary.add_chart(chart, "G2")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
