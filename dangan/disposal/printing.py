"""The destruction register (销毁清册) as a PDF and as Excel; printing is on the record."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.audit.services import audit_record
from dangan.disposal.models import RegisterEntry
from dangan.reports.pdf import Column, render_table_pdf


def _columns() -> list[Column]:
    return [
        Column(_("清单编号"), 24),
        Column(_("档号"), 38),
        Column(_("案卷题名"), 36),
        Column(_("件数"), 10),
        Column(_("年度"), 12),
        Column(_("保管期限"), 16),
        Column(_("鉴定人"), 26),
        Column(_("批准人"), 22),
        Column(_("监销人"), 16),
        Column(_("销毁日期"), 20),
        Column(_("方式"), 14),
        Column(_("备份留存至"), 20),
    ]


def _row(e: RegisterEntry) -> list[str]:
    return [
        e.list_number,
        e.archive_number,
        e.title,
        str(e.pieces),
        e.years,
        e.retention,
        e.appraisers,
        e.approvers,
        e.supervisor,
        timezone.localtime(e.destroyed_at).strftime("%Y-%m-%d"),
        e.method,
        e.backups_until.isoformat(),
    ]


def register_pdf(*, actor: User, entries: list[RegisterEntry]) -> bytes:
    policy.require(actor, perms.DISPOSAL_REGISTER)
    now = timezone.localtime(timezone.now()).strftime("%Y-%m-%d %H:%M")
    content = render_table_pdf(
        title=_("档案销毁清册"),
        meta=[(_("打印人"), str(actor)), (_("打印时间"), now), (_("条目"), str(len(entries)))],
        columns=_columns(),
        rows=[_row(e) for e in entries],
        landscape=True,
        footer=_("档案销毁清册(永久保存)"),
        watermark=f"{actor.username} {now}",
    )
    audit_record(
        actor=actor, action="print", object_type="disposal_register", detail={"rows": len(entries)}
    )
    return content


def register_xlsx(*, actor: User, entries: list[RegisterEntry]) -> bytes:
    policy.require(actor, perms.DISPOSAL_REGISTER)
    policy.require(actor, perms.DATA_EXPORT)
    book = Workbook()
    sheet = book.active
    if sheet is None:  # pragma: no cover - a new workbook has a sheet
        raise RuntimeError("no sheet")
    sheet.title = _("销毁清册")
    sheet.append([c.title for c in _columns()])
    for e in entries:
        sheet.append(_row(e))
    sheet.freeze_panes = "A2"
    for letter, column in zip("ABCDEFGHIJKL", _columns(), strict=False):
        sheet.column_dimensions[letter].width = max(10, int(column.width * 0.6))
    buffer = io.BytesIO()
    book.save(buffer)
    audit_record(
        actor=actor, action="export", object_type="disposal_register", detail={"rows": len(entries)}
    )
    return buffer.getvalue()
