"""Reading uploaded sheets: xlsx (python-calamine) and CSV (UTF-8, UTF-8 with BOM,
GBK/GB18030). Both give a header row and an iterator of rows of cell values.

Workbooks are read with python-calamine (the Rust calamine reader): about ten times less
CPU than openpyxl's streaming reader, which at 100,000 rows was a third of an import's
processor time on the two-core reference machine (SPEC §6). Like openpyxl with
data_only, it gives formulas' cached values, a merged range's value in its first cell
only, dates as dates and numbers as floats (_cell_text turns 13800138000.0 back into
digits). The sheet's cells are held in memory while it is read (a sheet of 100,000 rows
of 20 columns: some tens of MB); the rows still reach the importer one by one."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _
from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetVisibleEnum

from dangan.core.errors import ApplicationError

# How far down to look for the header row (a merged title row often sits above it).
_HEADER_SCAN = 10
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an OLE compound file: the old binary .xls format, or
# a workbook saved with a password, whose xlsx is encrypted into this stream of one:
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_PASSWORD_SET = _("文件设有密码,请取消密码后重试")


@dataclass
class Sheet:
    headers: list[str]
    # Sheet row number (1-based, as Excel shows it) and the values, one per header.
    rows: Iterator[tuple[int, list[Any]]]
    total: int


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _pick_header(first: list[tuple[int, list[Any]]]) -> int:
    """Index in `first` of the header: the first row with the most filled cells (a merged
    title spans many columns but fills only one)."""
    best, best_count = 0, -1
    for index, (_number, values) in enumerate(first):
        count = sum(1 for v in values if _text(v))
        if count > best_count:
            best, best_count = index, count
    return best


def _blank(values: list[Any]) -> bool:
    return not any(_text(v) for v in values)


def _build(numbered: Iterator[tuple[int, list[Any]]], total: int) -> Sheet:
    first: list[tuple[int, list[Any]]] = []
    for item in numbered:
        first.append(item)
        if len(first) >= _HEADER_SCAN:
            break
    filled = [item for item in first if not _blank(item[1])]
    if not filled:
        raise ApplicationError(_("表格中没有数据"), field="file")
    header_number, header_values = filled[_pick_header(filled)]
    headers = [_text(v) for v in header_values]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    if width == 0:
        raise ApplicationError(_("没有找到表头行"), field="file")

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # Chained, not listed: the sheet streams row by row, never whole in memory.
        # A blank row between rows of data is given (the importer reports it skipped);
        # blank rows after the last one are not rows at all.
        blanks: list[int] = []
        for number, values in itertools.chain(first, numbered):
            if number <= header_number:
                continue
            if _blank(values):
                blanks.append(number)
                continue
            for blank in blanks:
                yield blank, [None] * width
            blanks = []
            values = list(values[:width])
            values.extend([None] * (width - len(values)))
            yield number, values

    return Sheet(headers=headers, rows=rows(), total=max(0, total - header_number))


def _xlsx(data: bytes) -> Sheet:
    not_excel = _("文件不是有效的 Excel (xlsx) 文件,请用 Excel 另存为 .xlsx 或 .csv 后重试")
    try:
        # A file object, not a path: the stored copy is encrypted (importer.services.store)
        # and read into memory, and calamine would guess the format from a path's name.
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        visible = [
            m.name for m in workbook.sheets_metadata if m.visible == SheetVisibleEnum.Visible
        ]
        if not visible:
            raise ApplicationError(_("工作簿中没有可见的工作表"), field="file")
        sheet = workbook.get_sheet_by_name(visible[0])
    except PasswordError as exc:
        raise ApplicationError(_PASSWORD_SET, field="file") from exc
    except (CalamineError, OSError) as exc:
        raise ApplicationError(not_excel, field="file") from exc
    # iter_rows starts at the sheet's first row (Excel's row 1) but at its first used
    # column: the columns all shift alike, and the header row names them.
    total = sheet.end[0] + 1 if sheet.end else 0

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        for number, values in enumerate(sheet.iter_rows(), start=1):
            yield number, [None if value == "" else value for value in values]
        workbook.close()

    return _build(numbered(), total)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312: Excel's "CSV" on Chinese Windows.
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ApplicationError(
            _("无法识别文件编码,请另存为 UTF-8 或 GBK 编码的 CSV"), field="file"
        ) from None


def _csv(data: bytes) -> Sheet:
    text = _decode(data)
    if "\x00" in text[:4096]:
        raise ApplicationError(_("文件不是 CSV 文本文件"), field="file")
    lines = text.splitlines()
    try:
        dialect: Any = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    numbered = ((n, list(values)) for n, values in enumerate(reader, start=1))
    return _build(numbered, len(lines))


def open_sheet(source: Path | bytes, name: str) -> Sheet:
    """Open an uploaded file (a path, or its content) by its content (not only its name);
    clear Chinese errors for empty files, the old .xls format, workbooks with a password
    and files that are not spreadsheets at all."""
    data = source if isinstance(source, bytes) else source.read_bytes()
    head = data[:8]
    if not data.strip():
        raise ApplicationError(_("文件为空"), field="file")
    if head.startswith(_OLE_MAGIC):
        if _ENCRYPTED_PACKAGE in data:  # the stream's name in the directory
            raise ApplicationError(_PASSWORD_SET, field="file")
        raise ApplicationError(
            _("不支持旧版 Excel (.xls) 文件,请另存为 .xlsx 或 .csv 后重试"), field="file"
        )
    if head.startswith(_ZIP_MAGIC):
        return _xlsx(data)
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise ApplicationError(
            _("文件不是有效的 Excel (xlsx) 文件,请用 Excel 另存为 .xlsx 或 .csv 后重试"),
            field="file",
        )
    return _csv(data)


EXCEL_EPOCH = datetime.date(1899, 12, 30)


def excel_serial_date(value: float) -> datetime.date | None:
    """An Excel serial day number (e.g. 42321 = 2015-11-13), or None if out of range."""
    if not 1 <= value < 2958466:
        return None
    return EXCEL_EPOCH + datetime.timedelta(days=int(value))
