"""The monthly statement as an Excel workbook (amounts as numbers with 2 decimals)."""

from __future__ import annotations

from dangan.core import xlsx
from dangan.intake.penalties import Statement, StatementRow

XLSX_TYPE = xlsx.XLSX_TYPE
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
    """Per person, per department (each with its total row) and the fines one by one,
    through the exports' one sheet writer (widths, frozen header)."""
    money = {9: "0.00"}
    sheets = [
        xlsx.Sheet(title, HEADERS, [_cells(row) for row in [*rows, statement.total]], formats=money)
        for title, rows in (
            (f"个人{statement.month}", statement.people),
            (f"部门{statement.month}", statement.departments),
        )
    ]
    lines = [
        [
            v.on,
            str(v.finding.responsible),
            v.finding.dossier.archive_number,
            v.finding.get_kind_display(),
            v.nth,
            v.amount,
            v.reason,
        ]
        for v in statement.lines
    ]
    headers = ["日期", "责任人", "档案", "类别", "当月第几次", "金额(元)", "依据"]
    sheets.append(xlsx.Sheet("罚款明细", headers, lines, formats={5: "0.00"}))
    return xlsx.workbook_bytes(sheets)
