"""Lists as Excel workbooks. Rows come from the policy-filtered querysets of the lists
themselves, identity numbers and phones appear as the policy shows them, and every
export is in the audit trail ("export", with its filters and row count)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
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
from dangan.archives import selectors as archive_selectors
from dangan.archives.models import Dossier
from dangan.audit.services import audit_record
from dangan.customers import selectors as customer_selectors
from dangan.customers.models import Customer

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_000_000


def _cell(ws: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """Text cells are always text: a name typed as `=HYPERLINK(…)` must not run in Excel."""
    if value is None:
        value = ""
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"
        return cell
    return WriteOnlyCell(ws, value=value)


def _workbook(title: str, headers: list[str], rows: Iterable[list[Any]]) -> tuple[IO[bytes], int]:
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title)
    ws.append([_cell(ws, h) for h in headers])
    count = 0
    for row in rows:
        if count >= MAX_ROWS:
            break
        ws.append([_cell(ws, v) for v in row])
        count += 1
    out = tempfile.TemporaryFile()  # noqa: SIM115 — handed to the response, which closes it
    workbook.save(out)
    out.seek(0)
    return out, count


def _filters_detail(filters: dict[str, Any]) -> dict[str, str]:
    return {k: str(getattr(v, "pk", v)) for k, v in filters.items() if v not in (None, "")}


def customers_xlsx(*, actor: User, filters: dict[str, Any]) -> tuple[IO[bytes], int]:
    policy.require(actor, perms.DATA_EXPORT)
    policy.require(actor, perms.CUSTOMER_VIEW)
    customers = customer_selectors.customer_list(actor, filters=filters)
    limited = policy.customer_fields_for(actor) is not None
    headers = [_("客户编号"), _("名称"), _("类型")]
    if not limited:
        headers += [
            _("证件类型"),
            _("证件号/信用代码"),
            _("手机"),
            _("等级"),
            _("客户经理"),
            _("部门"),
            _("档案"),
            _("建档日期"),
        ]

    def row(c: Customer) -> list[Any]:
        values: list[Any] = [c.pk, c.name, c.get_kind_display()]
        if limited:
            return values
        identity = c.uscc if c.kind == Customer.Kind.ORGANIZATION else ""
        if c.id_number_encrypted:
            identity = policy.shown_id_number(actor, c)
        return [
            *values,
            c.get_id_type_display() if c.id_type else "",
            identity,
            policy.shown_mobile(actor, c.mobile),
            c.get_tier_display() if c.tier else "",
            str(c.owner),
            str(c.department or ""),
            getattr(c, "dossier_count", 0),
            timezone.localtime(c.created_at).date().isoformat(),
        ]

    return _export(actor, "customer", _("客户"), headers, customers.iterator(2000), row, filters)


def dossiers_xlsx(*, actor: User, filters: dict[str, Any]) -> tuple[IO[bytes], int]:
    policy.require(actor, perms.DATA_EXPORT)
    policy.require(actor, perms.DOSSIER_VIEW)
    dossiers = archive_selectors.dossier_list(actor, filters=filters)
    headers = [_("档号"), _("题名"), _("客户"), _("档案类型"), _("年度"), _("状态"), _("密级")]

    def row(d: Dossier) -> list[Any]:
        return [
            d.archive_number,
            d.title,
            d.customer.name,
            d.archive_type.name,
            d.volume_year,
            d.get_status_display(),
            d.get_confidentiality_display(),
        ]

    return _export(actor, "dossier", _("档案"), headers, dossiers.iterator(2000), row, filters)


def _export(
    actor: User,
    object_type: str,
    title: str,
    headers: list[str],
    objects: Iterable[Any],
    row: Callable[[Any], list[Any]],
    filters: dict[str, Any],
) -> tuple[IO[bytes], int]:
    out, count = _workbook(title, headers, (row(obj) for obj in objects))
    audit_record(
        actor=actor,
        action="export",
        object_type=object_type,
        detail={"format": "xlsx", "rows": count, "filters": _filters_detail(filters)},
    )
    return out, count
