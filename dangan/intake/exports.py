"""The monthly statement as an Excel workbook (amounts as numbers with 2 decimals)."""

from __future__ import annotations

import io

from openpyxl import Workbook

from dangan.intake.penalties import Statement, StatementRow

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = [
    "姓名/部门",
    "部门",
    "应交档案",
    "按期上交",
    "上交及时率(%)",
    "稽核档案",
    "完整档案",
    "完整率(%)",
    "违规次数",
    "罚款金额(元)",
]


def _cells(row: StatementRow) -> list[object]:
    return [
        row.name,
        row.department,
        row.due,
        row.on_time,
        row.on_time_rate,
        row.checked,
        row.complete,
        row.complete_rate,
        row.violations,
        row.amount,
    ]


def statement_xlsx(statement: Statement) -> bytes:
    book = Workbook()
    for blank in list(book.worksheets):
        book.remove(blank)
    people = book.create_sheet(f"个人{statement.month}")
    departments = book.create_sheet(f"部门{statement.month}")
    lines = book.create_sheet("罚款明细")
    for sheet, rows in ((people, statement.people), (departments, statement.departments)):
        sheet.append(HEADERS)
        for row in [*rows, statement.total]:
            sheet.append(_cells(row))
            sheet.cell(row=sheet.max_row, column=10).number_format = "0.00"
    lines.append(["日期", "责任人", "档案", "类别", "当月第几次", "金额(元)", "依据"])
    for v in statement.lines:
        f = v.finding
        lines.append(
            [
                v.on,
                str(f.responsible),
                f.dossier.archive_number,
                f.get_kind_display(),
                v.nth,
                v.amount,
                v.reason,
            ]
        )
        lines.cell(row=lines.max_row, column=6).number_format = "0.00"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
