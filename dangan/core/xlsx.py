"""Writing a sheet of an Excel export: the one helper every export goes through (#29).

Each sheet gets its header row frozen, columns as wide as their content (a CJK
character counts double: it takes two columns of a monospaced grid, and Excel's widths
are counted in characters of the default font), and text cells that stay text (a name
typed as `=HYPERLINK(…)` never runs as a formula; characters the file format forbids
are dropped). Workbooks are written in openpyxl's write-only mode, so an export of a
million rows streams: the widths are measured on the header and the first SAMPLE_ROWS
rows, held back until the widths are known.

Codes are turned into the labels people read by the exports themselves (get_FOO_display,
dangan.core.display: retention_label, role_names): this module writes what it is given.
"""

from __future__ import annotations

import io
import itertools
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# One sheet holds 1,048,576 rows; keep the header (and a note) and stop short of it.
MAX_ROWS = 1_000_000
SAMPLE_ROWS = 500  # rows measured for the column widths
MIN_WIDTH = 6
MAX_WIDTH = 60


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: Iterable[list[Any]]
    note: str = ""  # a last row after the data, e.g. to say that rows were left out
    # Column (0-based) → Excel number format, e.g. {9: "0.00"}.
    formats: Mapping[int, str] = field(default_factory=dict)
    # Column (0-based) → a comment on its header cell (what to fill in, for a sample sheet).
    comments: Mapping[int, str] = field(default_factory=dict)


def display_width(value: Any) -> int:
    """Columns `value` takes when shown: wide and full-width characters count two."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    longest = 0
    for line in text.splitlines() or [""]:
        width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
        longest = max(longest, width)
    return longest


def _cell(ws: WriteOnlyWorksheet, value: Any, number_format: str | None = None) -> WriteOnlyCell:
    if value is None:
        value = ""
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"
    else:
        cell = WriteOnlyCell(ws, value=value)
    if number_format:
        cell.number_format = number_format
    return cell


def write_sheet(workbook: Workbook, sheet: Sheet, *, max_rows: int = MAX_ROWS) -> int:
    """Add `sheet` to a write-only `workbook`; return how many data rows it got."""
    ws = workbook.create_sheet(sheet.title[:31])
    rows = iter(sheet.rows)
    first = list(itertools.islice(rows, min(SAMPLE_ROWS, max_rows)))
    widths = [display_width(h) for h in sheet.headers]
    for row in first:
        for index, value in enumerate(row):
            if index < len(widths):
                widths[index] = max(widths[index], display_width(value))
            else:
                widths.append(display_width(value))
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width + 2)
        )
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for index, title in enumerate(sheet.headers):
        cell = _cell(ws, title)
        cell.font = bold
        if index in sheet.comments:
            cell.comment = Comment(sheet.comments[index], "Dangan")
        header.append(cell)
    ws.append(header)
    count = 0
    for row in itertools.chain(first, rows):
        if count >= max_rows:
            break
        ws.append([_cell(ws, v, sheet.formats.get(i)) for i, v in enumerate(row)])
        count += 1
    if sheet.note:
        ws.append([_cell(ws, sheet.note)])
    return count


def workbook_file(sheets: list[Sheet], *, max_rows: int = MAX_ROWS) -> tuple[IO[bytes], list[int]]:
    """A workbook of `sheets` in a temporary file read back from its start (the caller
    hands it to the response, which closes it), and how many data rows each got."""
    workbook = Workbook(write_only=True)
    counts = [write_sheet(workbook, sheet, max_rows=max_rows) for sheet in sheets]
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by its reader
    workbook.save(out)
    out.seek(0)
    return out, counts


def workbook_bytes(sheets: list[Sheet]) -> bytes:
    out, _counts = workbook_file(sheets)
    with out:
        return out.read()


def response(content: bytes | IO[bytes], filename: str) -> FileResponse:
    """A workbook as a download; never cached (exports carry personal data)."""
    body = io.BytesIO(content) if isinstance(content, bytes) else content
    answer = FileResponse(body, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    answer["Cache-Control"] = "no-store"
    return answer
