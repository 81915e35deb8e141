"""The report a closed inventory round leaves (盘点报告): scope, who and when, the counts,
every discrepancy and every dossier found, with signature lines. Made once, at closing;
its SHA-256 is in the closing audit entry."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangan.accounts.models import User
from dangan.archives.models import Dossier
from dangan.paper.models import InventoryRound, Scan
from dangan.paper.sheets import printed_by, when
from dangan.reports.pdf import Column, render_table_pdf

LABELS = {
    "missing": gettext_lazy("缺失"),
    "misplaced": gettext_lazy("错位"),
    "unknown": gettext_lazy("未知标签"),
    "on_loan": gettext_lazy("借出"),
    "found": gettext_lazy("在位"),
}
ORDER = ("missing", "misplaced", "unknown", "on_loan", "found")


def _row(kind: str, entry: Dossier | Scan) -> list[str]:
    if isinstance(entry, Scan):
        dossier = entry.dossier
        number = entry.archive_number
    else:
        dossier, number = entry, entry.archive_number
    if dossier is None:
        return [str(LABELS[kind]), number, "", "", ""]
    return [
        str(LABELS[kind]),
        number,
        dossier.customer.name if dossier.customer else "",
        dossier.title,
        " › ".join(dossier.location_parts),
    ]


def round_report_pdf(
    *, actor: User, inventory: InventoryRound, results: dict[str, list[Dossier | Scan]]
) -> bytes:
    rows: list[list[str]] = []
    for kind in ORDER:
        for entry in results[kind]:
            rows.append([str(len(rows) + 1), *_row(kind, entry)])
    counts = "  ".join(f"{LABELS[k]} {len(results[k])}" for k in ORDER)
    started = when(inventory.created_at)
    closed = when(inventory.closed_at or timezone.now())
    return render_table_pdf(
        title=_("盘点报告"),
        subtitle=f"{inventory.number} · {inventory.scope_text}",
        meta=[
            (_("开始"), f"{started} {inventory.started_by}"),
            (_("结束"), printed_by(actor).replace(when(timezone.now()), closed)),
            (_("结果"), counts),
            *([(_("说明"), inventory.note)] if inventory.note else []),
        ],
        columns=[
            Column(_("序号"), 9),
            Column(_("结果"), 15),
            Column(_("档号"), 44),
            Column(_("客户"), 26),
            Column(_("案卷题名"), 42),
            Column(_("登记位置"), 40),
        ],
        rows=rows,
        signatures=[_("盘点人"), _("复核人")],
        footer=_("%(n)s · 本报告的 SHA-256 记入审计日志") % {"n": inventory.number},
    )
