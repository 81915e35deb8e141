"""The audit trail as an Excel workbook (for the auditor; the export is itself audited)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.audit import selectors
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_record

SHEET_NAME = "审计日志"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# One sheet holds 1,048,576 rows; keep the header and stop short of it.
MAX_ROWS = 1_000_000


def headers() -> list[str]:
    return [
        _("序号"),
        _("时间"),
        _("用户"),
        _("角色"),
        _("IP 地址"),
        _("操作"),
        _("操作代码"),
        _("对象类型"),
        _("对象编号"),
        _("对象"),
        _("结果"),
        _("详情"),
        _("哈希"),
    ]


def _text(ws: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    """A cell that is always text: no formula (`=…` from a user-typed name would
    otherwise run in Excel) and no control characters (invalid in the file format)."""
    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell


def _row(ws: WriteOnlyWorksheet, entry: AuditEntry) -> list[Any]:
    local = timezone.localtime(entry.at)
    detail = json.dumps(entry.detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return [
        entry.seq,
        local.strftime("%Y-%m-%d %H:%M:%S"),
        _text(ws, entry.actor_name),
        _text(ws, entry.roles),
        _text(ws, entry.ip),
        _text(ws, selectors.action_label(entry.action)),
        _text(ws, entry.action),
        _text(ws, entry.object_type),
        _text(ws, entry.object_id),
        _text(ws, entry.object_repr),
        _text(ws, str(entry.get_outcome_display())),
        _text(ws, detail),
        _text(ws, entry.entry_hash),
    ]


def audit_export(*, actor: User, filters: Mapping[str, Any]) -> tuple[IO[bytes], int]:
    """Write the filtered trail to a temporary .xlsx (read back from its start) and
    record the export. Returns the open file and the number of rows."""
    policy.require(actor, perms.AUDIT_EXPORT)
    entries = selectors.audit_list(actor, filters=filters)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    sheet.append(headers())
    rows = 0
    for entry in entries[:MAX_ROWS].iterator(chunk_size=2000):
        sheet.append(_row(sheet, entry))
        rows += 1
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - handed to the response
    workbook.save(out)
    out.seek(0)
    audit_record(
        actor=actor,
        action="export",
        object_type="audit",
        object_repr=SHEET_NAME,
        detail={"filters": selectors.filters_for_record(filters), "rows": rows},
    )
    return out, rows


def export_filename() -> str:
    return f"audit-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx"
