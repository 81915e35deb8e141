from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from openpyxl import Workbook


def xlsx_bytes(
    rows: list[list[Any]],
    *,
    title: str | None = "客户名单(2015年导出)",
    hidden_first: bool = True,
    formulas: dict[str, str] | None = None,
) -> bytes:
    """A messy workbook: a hidden sheet first, a merged title row, then a header and rows.
    `formulas` maps a cell (e.g. "H3") to the cached value Excel would have stored."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    if hidden_first:
        first.title = "说明"
        first.append(["这张表是隐藏的", "不应被导入"])
        first.sheet_state = "hidden"
        ws = wb.create_sheet("客户")
    else:
        ws = first
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(rows[0]), 2))
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    if not formulas:
        return data
    # openpyxl writes formulas without a cached value; add one as Excel would.
    src = zipfile.ZipFile(io.BytesIO(data))
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = content.decode()
                for ref, cached in formulas.items():
                    text = re.sub(
                        rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(</v>)?',
                        rf'<c r="{ref}" t="str"><f>\2</f><v>{cached}</v>',
                        text,
                    )
                content = text.encode()
            dst.writestr(item, content)
    return target.getvalue()
