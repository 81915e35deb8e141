"""The destruction register (销毁清册) as a PDF and as Excel, and the due list as Excel;
printing and exporting are on the record."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.audit.services import audit_record
from dangan.core import xlsx
from dangan.disposal.models import RegisterEntry
from dangan.disposal.selectors import Due
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
    content = xlsx.workbook_bytes(
        [xlsx.Sheet(_("销毁清册"), [str(c.title) for c in _columns()], map(_row, entries))]
    )
    audit_record(
        actor=actor, action="export", object_type="disposal_register", detail={"rows": len(entries)}
    )
    return content


def due_xlsx(*, actor: User, due: list[Due], filters: dict[str, Any]) -> bytes:
    """The due list (到期档案) as the archivist filtered it: a working list for the
    appraisal group, one row per dossier or single document."""
    policy.require(actor, perms.DISPOSAL_PROPOSE)
    policy.require(actor, perms.DATA_EXPORT)
    headers = [
        _("档号"),
        _("件号"),
        _("题名"),
        _("档案类型"),
        _("状态"),
        _("保管期限"),
        _("期满日期"),
    ]
    rows = (
        [
            d.dossier.archive_number,
            d.document.piece_number if d.document is not None else "",
            d.document.title if d.document is not None else d.dossier.title,
            d.dossier.archive_type.name,
            d.dossier.get_status_display(),
            d.retention_text,
            d.expires.isoformat(),
        ]
        for d in due
    )
    content = xlsx.workbook_bytes([xlsx.Sheet(_("到期档案"), headers, rows)])
    audit_record(
        actor=actor,
        action="export",
        object_type="disposal_due",
        detail={"rows": len(due), "filters": filters},
    )
    return content
