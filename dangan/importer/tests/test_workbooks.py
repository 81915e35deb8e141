"""Every Excel export goes through core.xlsx (#29): the header row frozen, columns as
wide as their content (CJK counting double), labels instead of codes."""

from __future__ import annotations

import io
from typing import IO, Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from dangan.archives.models import Dossier
from dangan.audit import exports as audit_exports
from dangan.core import xlsx
from dangan.customers.models import Customer
from dangan.importer import exports
from dangan.importer.exports import retention_label

pytestmark = pytest.mark.django_db


def _sheet(out: IO[bytes] | bytes) -> Worksheet:
    data = out if isinstance(out, bytes) else out.read()
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert isinstance(sheet, Worksheet)
    return sheet


def _column(sheet: Worksheet, title: str) -> list[Any]:
    headers = [c.value for c in sheet[1]]
    index = headers.index(title)
    return [row[index].value for row in sheet.iter_rows(min_row=2)]


def _width(sheet: Worksheet, title: str) -> float:
    headers = [c.value for c in sheet[1]]
    letter = sheet.cell(row=1, column=headers.index(title) + 1).column_letter
    return float(sheet.column_dimensions[letter].width)


def test_the_sheet_writer_fits_widths_counting_cjk_double_and_freezes_the_header() -> None:
    assert xlsx.display_width("ABCD") == 4
    assert xlsx.display_width("客户名称") == 8
    assert xlsx.display_width("ＡＢ") == 4  # full-width forms too
    data = xlsx.workbook_bytes(
        [xlsx.Sheet("表", ["编号", "名称"], [[1, "北京市朝阳区某某科技有限公司"], [2, "=1+1"]])]
    )
    sheet = _sheet(data)
    assert sheet.freeze_panes == "A2"
    assert _width(sheet, "名称") == 2 * 14 + 2
    assert _width(sheet, "编号") == xlsx.MIN_WIDTH
    assert sheet["B3"].value == "=1+1" and sheet["B3"].data_type == "s"  # text, not a formula
    assert sheet["A1"].font.b


def test_the_customer_and_dossier_exports_show_labels(car_dossier: Any, alice: Any) -> None:
    customer = car_dossier.customer
    Customer.objects.filter(pk=customer.pk).update(tier="key", stage="existing")
    out, _count = exports.customers_xlsx(actor=alice, filters={})
    sheet = _sheet(out)
    assert sheet.freeze_panes == "A2"
    assert _column(sheet, "类型") == ["个人"]
    assert _column(sheet, "等级") == ["主力客户"] and _column(sheet, "阶段") == ["老客户"]
    assert _width(sheet, "名称") >= xlsx.display_width(customer.name) + 2

    Dossier.objects.filter(pk=car_dossier.pk).update(retention="D30")
    out, _count = exports.dossiers_xlsx(actor=alice, filters={})
    sheet = _sheet(out)
    assert _column(sheet, "状态") == ["在档"]
    assert _column(sheet, "密级") == ["普通"]
    assert _column(sheet, "保管期限") == ["定期30年"]
    assert sheet.freeze_panes == "A2"


def test_retention_reads_as_people_say_it() -> None:
    assert retention_label("Y") == "永久"
    assert retention_label("D30") == "定期30年"
    assert retention_label("D10") == "定期10年"
    assert retention_label("15") == "定期15年"
    assert retention_label("") == ""


def test_the_audit_export_names_roles_and_freezes_its_header(ada: Any, alice: Any) -> None:
    exports.customers_xlsx(actor=alice, filters={})  # an entry by an archivist
    out, _count = audit_exports.audit_export(actor=ada, filters={})
    sheet = _sheet(out)
    assert sheet.freeze_panes == "A2"
    roles = _column(sheet, "角色")
    assert "archivist" not in roles and any(r for r in roles)
