"""readers.open_sheet on workbooks laid out the way people leave them."""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from dangan.core.errors import ApplicationError
from dangan.importer import readers


def _save(tmp_path: Path, wb: Workbook, name: str = "客户.xlsx") -> Path:
    path = tmp_path / name
    wb.save(path)
    return path


def test_rows_keep_the_numbers_excel_shows_when_the_table_starts_below_and_right(
    tmp_path: Path,
) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["C4"], ws["D4"], ws["E4"] = "姓名", "手机", "出生日期"
    ws["C5"], ws["D5"], ws["E5"] = "王伟", 13800138000, datetime.date(2015, 11, 13)
    ws["C7"], ws["D7"] = "李娜", "13900139000"  # row 6 left blank
    sheet = readers.open_sheet(_save(tmp_path, wb), "客户.xlsx")
    assert sheet.headers == ["姓名", "手机", "出生日期"]
    assert sheet.total == 3  # rows after the header, as far as the sheet goes
    assert list(sheet.rows) == [
        (5, ["王伟", 13800138000, datetime.date(2015, 11, 13)]),
        (6, [None, None, None]),  # a blank row between rows: the importer skips it, and says so
        (7, ["李娜", "13900139000", None]),
    ]


def test_a_zip_that_is_no_workbook_is_refused_in_chinese(tmp_path: Path) -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    path = tmp_path / "合同.xlsx"
    path.write_bytes(data.getvalue())
    with pytest.raises(ApplicationError) as caught:
        readers.open_sheet(path, path.name)
    assert "不是有效的 Excel" in str(caught.value.message)
    assert caught.value.field == "file"


def test_a_workbook_saved_with_a_password_is_named_as_such_not_as_an_old_xls(
    tmp_path: Path,
) -> None:
    # Excel's "Encrypt with Password" (made with msoffcrypto-tool, password dangan-2026):
    # an OLE compound file like an .xls, holding the encrypted workbook.
    encrypted = Path(__file__).parent / "files" / "password-dangan-2026.xlsx"
    with pytest.raises(ApplicationError) as caught:
        readers.open_sheet(encrypted, "客户.xlsx")
    assert caught.value.field == "file"
    assert "密码" in str(caught.value.message)
    old_xls = tmp_path / "客户.xls"
    old_xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(ApplicationError, match="旧版 Excel"):
        readers.open_sheet(old_xls, "客户.xls")
