"""The audit trail as an Excel workbook (for the auditor; the export is itself audited)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Role, User
from dangan.audit import selectors
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_record
from dangan.core import xlsx

SHEET_NAME = "审计日志"
XLSX_TYPE = xlsx.XLSX_TYPE
MAX_ROWS = xlsx.MAX_ROWS


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


def _row(entry: AuditEntry, roles: Mapping[str, str]) -> list[Any]:
    """An entry's cells, all text but the sequence number (written as text by
    core.xlsx: a user-typed name never runs as a formula); roles by their names."""
    local = timezone.localtime(entry.at)
    detail = json.dumps(entry.detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    role_names = "、".join(roles.get(code, code) for code in entry.roles.split(",") if code)
    return [
        entry.seq,
        local.strftime("%Y-%m-%d %H:%M:%S"),
        entry.actor_name,
        role_names,
        entry.ip,
        selectors.action_label(entry.action),
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.object_repr,
        str(entry.get_outcome_display()),
        detail,
        entry.entry_hash,
    ]


def audit_export(*, actor: User, filters: Mapping[str, Any]) -> tuple[IO[bytes], int]:
    """Write the filtered trail to a temporary .xlsx (read back from its start) and
    record the export. Returns the open file and the number of rows."""
    policy.require(actor, perms.AUDIT_EXPORT)
    entries = selectors.audit_list(actor, filters=filters)
    roles = dict(Role.objects.values_list("code", "name"))
    rows = (_row(entry, roles) for entry in entries[:MAX_ROWS].iterator(chunk_size=2000))

    out, counts = xlsx.workbook_file([xlsx.Sheet(SHEET_NAME, headers(), rows)])
    rows_written = counts[0]
    audit_record(
        actor=actor,
        action="export",
        object_type="audit",
        object_repr=SHEET_NAME,
        detail={"filters": selectors.filters_for_record(filters), "rows": rows_written},
    )
    return out, rows_written


def export_filename() -> str:
    return f"audit-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx"
