"""The printed 客户档案移交单 (seed 002 篇5 §七): the batch, its dossiers and both
signatures — the signer's name and the time to the minute (年月日时分)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from dangan.accounts.models import User
from dangan.core.display import human_size
from dangan.handover import selectors
from dangan.handover.models import Handover, HandoverLine
from dangan.reports.pdf import Column, render_table_pdf

TITLE = "客户档案移交单"


def _moment(value: datetime.datetime | None) -> str:
    if value is None:
        return "未签字"
    return timezone.localtime(value).strftime("%Y年%m月%d日%H时%M分")


def _signed(user: User | None, at: datetime.datetime | None) -> str:
    if user is None or at is None:
        return "（未签字）"
    return f"{user}（{_moment(at)}）"


def slip_pdf(handover: Handover, *, printed_by: User, at: datetime.datetime) -> bytes:
    rows = []
    for n, item in enumerate(selectors.handover_items(handover), start=1):
        lines = list(item.lines.all())
        bad = [line for line in lines if line.result != HandoverLine.Result.PRESENT and line.result]
        findings = "；".join(
            f"{line.name}{line.get_result_display()}" + (f"（{line.note}）" if line.note else "")
            for line in bad
        )
        rows.append(
            [
                str(n),
                item.dossier.archive_number,
                item.dossier.customer.name if item.dossier.customer else "",
                item.dossier.archive_type.name,
                str(item.item_count),
                str(item.document_count),
                item.get_status_display(),
                findings or ("齐全" if item.status == item.Status.ACCEPTED else ""),
            ]
        )
    totals = handover.totals or {}
    meta = [
        ("移交单号", handover.number),
        ("类型", handover.get_kind_display()),
        ("移交人", f"{handover.from_department or ''} {handover.from_user}".strip()),
        ("接收方", handover.receiver_label),
        ("状态", handover.get_status_display()),
        (
            "合计",
            f"{totals.get('dossiers', 0)}卷 {totals.get('lines', 0)}项 "
            f"{totals.get('documents', 0)}件 {totals.get('files', 0)}个文件 "
            f"{human_size(totals.get('bytes', 0))}",
        ),
        ("移交人签字", _signed(handover.sender_signed_by, handover.sender_signed_at)),
        ("接收人签字", _signed(handover.receiver_signed_by, handover.receiver_signed_at)),
        ("打印", f"{printed_by} {_moment(at)}"),
    ]
    return render_table_pdf(
        title=TITLE,
        subtitle=handover.number,
        meta=meta,
        columns=[
            Column("序", 10),
            Column("档号", 38),
            Column("客户", 30),
            Column("档案类型", 30),
            Column("清单项", 14),
            Column("件数", 12),
            Column("结果", 14),
            Column("缺失/有误说明", 50),
        ],
        rows=rows,
        signatures=[
            f"移交人 {_signed(handover.sender_signed_by, handover.sender_signed_at)}",
            f"接收人 {_signed(handover.receiver_signed_by, handover.receiver_signed_at)}",
        ],
        footer=f"{handover.number} 校验 {str(totals.get('digest', ''))[:16]}",
        watermark=f"{printed_by.username} {_moment(at)}",
    )
