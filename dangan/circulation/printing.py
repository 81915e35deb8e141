"""The paper of borrowing: the borrow slip (借阅单) of one request and the year's borrowing
register (借阅登记表), as PDFs with the printer's watermark. Printing is on the record:
each print writes an audit entry. The pages and the API serve the same bytes."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.audit.services import audit_record
from dangan.circulation import selectors
from dangan.circulation.models import AccessRequest, Loan
from dangan.documents.models import Document
from dangan.reports.pdf import Column, render_form_pdf, render_table_pdf


def when(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _watermark(actor: User, number: str) -> str:
    return f"{actor.username} {when(timezone.now())} {number}"


def _piece(document: Document) -> str:
    name = document.checklist_item.name if document.checklist_item else document.title
    return f"{document.piece_number}. {name}"


def may_print_slip(actor: User, found: AccessRequest) -> bool:
    """The archive's managers, and the requester for their own request."""
    return found.requester_id == actor.pk or policy.has_perm(actor, perms.CIRCULATION_MANAGE)


def request_slip_pdf(*, actor: User, found: AccessRequest) -> bytes:
    """The 借阅单 of a request the actor may see (selectors.access_request)."""
    if not may_print_slip(actor, found):
        policy.require(actor, perms.CIRCULATION_MANAGE)
    documents = [f"{d.piece_number}. {d.title}" for d in found.documents.all()]
    steps = [
        f"{s.position}. {s.get_status_display()} {s.approver or ''} {when(s.decided_at)}"
        + (f"({s.note})" if s.note else "")
        for s in found.steps.all()
    ]
    loan = Loan.objects.filter(request=found).first()
    fields = [
        (_("申请人"), str(found.requester)),
        (_("部门"), str(found.requester.department or "")),
        (_("档号"), found.dossier.archive_number),
        (_("案卷题名"), found.dossier.title if selectors.readable(actor, found.dossier) else "—"),
        (_("申请类型"), found.get_kind_display()),
        (_("文件"), "\n".join(documents) or _("整卷")),
        (_("用途"), found.purpose),
        (_("期限"), f"{when(found.created_at)} 至 {when(found.until)}"),
        (_("与客户关系"), found.get_relation_display()),
        (_("状态"), found.get_status_display()),
        (_("审批"), "\n".join(steps) or _("无需审批")),
    ]
    if loan is not None:
        fields.append(
            (
                _("借出"),
                f"{when(loan.lent_at)} {_('经办人')} {loan.lent_by} · "
                f"{_('应还')} {when(loan.due_at)}"
                + (f" · {_('已归还')} {when(loan.returned_at)}" if loan.returned_at else ""),
            )
        )
        fields.append((_("借出范围"), loan.get_scope_display()))
        lent = [_piece(d) for d in loan.documents.order_by("piece_number")]
        if lent:
            fields.append((_("借出文件"), "\n".join(lent)))
        kept = [_piece(d) for d in selectors.originals_kept(loan)]
        if kept:
            fields.append((_("原件留存档案室"), "\n".join(kept)))
    content = render_form_pdf(
        title=_("借阅单"),
        number=found.number,
        fields=fields,
        signatures=[_("借阅人"), _("档案管理员")],
        note=_("借阅档案须妥善保管,不得拆卷、涂改、转借;原始资料不外借;按期归还。"),
        watermark=_watermark(actor, found.number),
    )
    audit_record(actor=actor, action="print", obj=found, detail={"what": "借阅单"})
    return content


REGISTER_COLUMNS = [
    Column("序号", 10),
    Column("日期", 24),
    Column("类型", 14),
    Column("申请编号", 26),
    Column("档号", 30),
    Column("案卷题名", 40),
    Column("借阅人", 18),
    Column("部门", 18),
    Column("用途", 30),
    Column("应还/期限", 24),
    Column("续借", 10),
    Column("归还时间", 24),
    Column("接收人", 16),
    Column("完整", 10),
    Column("审批人", 24),
    Column("备注", 24),
]


FIRST_YEAR, LAST_YEAR = 1900, 2200  # of a register


def register_year(text: str) -> int:
    """The year typed in the loans page's form, else this year (the API refuses a bad
    one instead: core.api.year_param)."""
    text = text.strip()
    if text.isdigit() and FIRST_YEAR <= int(text) <= LAST_YEAR:
        return int(text)
    return timezone.localdate().year


def register_pdf(*, actor: User, year: int) -> bytes:
    """The 借阅登记表 of a year, the paper register this system replaces."""
    policy.require(actor, perms.CIRCULATION_MANAGE)
    rows = selectors.register_rows(year)
    complete = {True: _("是"), False: _("否"), None: ""}
    table = [
        [
            str(i),
            when(row.at),
            row.kind_label,
            row.request_number,
            row.archive_number,
            row.dossier_title,
            row.person,
            row.department,
            row.purpose,
            when(row.due_at),
            str(row.renewals or ""),
            when(row.returned_at),
            row.returned_to,
            complete[row.complete],
            row.approvers,
            row.note,
        ]
        for i, row in enumerate(rows, start=1)
    ]
    content = render_table_pdf(
        title=_("借阅登记表"),
        subtitle=_("%(y)d 年度") % {"y": year},
        meta=[(_("打印人"), str(actor)), (_("打印时间"), when(timezone.now()))],
        columns=REGISTER_COLUMNS,
        rows=table,
        landscape=True,
        footer=_("借阅登记表 %(y)d") % {"y": year},
        watermark=_watermark(actor, f"{year}"),
    )
    audit_record(
        actor=actor,
        action="print",
        object_type="register",
        object_repr=f"借阅登记表 {year}",
        detail={"what": "借阅登记表", "year": year, "rows": len(rows)},
    )
    return content
