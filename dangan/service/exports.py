"""Excel exports of service records, within the actor's scope and recorded."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.audit.services import audit_record
from dangan.core.errors import NotFound
from dangan.service import selectors
from dangan.service.models import Ticket

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 100_000


def _width(value: Any) -> int:
    text = str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_sheet(title: str, headers: list[str], rows: Iterable[list[Any]]) -> tuple[bytes, int]:
    """One sheet with a frozen header row and columns as wide as their content."""
    workbook = Workbook()
    sheet = workbook.active
    if sheet is None:  # pragma: no cover - a new workbook always has one sheet
        raise RuntimeError("no sheet")
    sheet.title = title[:31]
    sheet.append(headers)
    widths = [_width(h) for h in headers]
    count = 0
    for row in rows:
        sheet.append(row)
        widths = [max(w, _width(v)) for w, v in zip(widths, row, strict=False)]
        count += 1
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 6), 60)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


def _tickets(actor: User, customer: int | None) -> tuple[list[str], Iterable[list[Any]]]:
    headers = [
        _("工单号"),
        _("客户"),
        _("房号/车辆"),
        _("类别"),
        _("来源"),
        _("内容"),
        _("处理人"),
        _("状态"),
        _("受理时间"),
        _("处理期限"),
        _("处理结果"),
        _("满意度"),
        _("回访记录"),
    ]
    labels = dict(Ticket.SATISFACTION)

    def rows() -> Iterable[list[Any]]:
        for t in selectors.ticket_list(actor, customer=customer)[:MAX_ROWS]:
            yield [
                t.number,
                t.customer.name,
                t.subject,
                t.category.name,
                t.get_source_display(),
                t.description,
                str(t.handler or ""),
                t.get_status_display(),
                timezone.localtime(t.received_at).strftime("%Y-%m-%d %H:%M"),
                t.deadline.isoformat(),
                t.outcome,
                str(labels.get(t.satisfaction, "")) if t.satisfaction else "",
                t.visit_note,
            ]

    return headers, rows()


def _contacts(actor: User, customer: int | None) -> tuple[list[str], Iterable[list[Any]]]:
    headers = [
        _("客户"),
        _("方式"),
        _("日期"),
        _("参与人员"),
        _("内容摘要"),
        _("跟进日期"),
        _("跟进完成"),
        _("记录人"),
    ]

    def rows() -> Iterable[list[Any]]:
        for c in selectors.contact_list(actor, customer=customer)[:MAX_ROWS]:
            yield [
                c.customer.name,
                c.get_kind_display(),
                c.date.isoformat(),
                c.people,
                c.summary,
                c.follow_up.isoformat() if c.follow_up else "",
                _("是") if c.follow_up_done_at else "",
                str(c.created_by),
            ]

    return headers, rows()


def _transactions(actor: User, customer: int | None) -> tuple[list[str], Iterable[list[Any]]]:
    headers = [
        _("客户"),
        _("类型"),
        _("日期"),
        _("金额(元)"),
        _("付款方式"),
        _("合同编号"),
        _("未成交原因"),
        _("备注"),
    ]

    def rows() -> Iterable[list[Any]]:
        for t in selectors.transaction_list(actor, customer=customer)[:MAX_ROWS]:
            yield [
                t.customer.name,
                t.get_kind_display(),
                t.date.isoformat(),
                float(t.amount) if t.amount is not None else None,
                t.get_method_display(),
                t.contract_number,
                t.reason_lost,
                t.note,
            ]

    return headers, rows()


def _stays(actor: User, customer: int | None) -> tuple[list[str], Iterable[list[Any]]]:
    headers = [_("客户"), _("入住日期"), _("离店日期"), _("房间"), _("消费(元)"), _("观察到的偏好")]

    def rows() -> Iterable[list[Any]]:
        for s in selectors.stay_list(actor, customer=customer)[:MAX_ROWS]:
            yield [
                s.customer.name,
                s.arrival.isoformat(),
                s.departure.isoformat(),
                s.room,
                float(s.spend) if s.spend is not None else None,
                s.preferences,
            ]

    return headers, rows()


KINDS: dict[
    str, tuple[Callable[[User, int | None], tuple[list[str], Iterable[list[Any]]]], Any]
] = {
    "tickets": (_tickets, gettext_lazy("工单")),
    "contacts": (_contacts, gettext_lazy("联系记录")),
    "transactions": (_transactions, gettext_lazy("交易记录")),
    "stays": (_stays, gettext_lazy("入住记录")),
}


def service_xlsx(*, actor: User, kind: str, customer: int | None) -> tuple[bytes, str]:
    """The records of `kind` the actor may see, as an Excel sheet; the export is recorded."""
    if kind not in KINDS:
        raise NotFound(_("记录不存在或您无权查看"))
    policy.require(actor, perms.SERVICE_VIEW)
    policy.require(actor, perms.DATA_EXPORT)
    build, title = KINDS[kind]
    headers, rows = build(actor, customer)
    content, count = write_sheet(str(title), headers, rows)
    audit_record(
        actor=actor,
        action="export",
        object_type=f"service.{kind}",
        detail={"rows": count, "customer": customer},
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    return content, f"{kind}-{stamp}.xlsx"
