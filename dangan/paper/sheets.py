"""The paper of one dossier (两套制 SPEC C8): the bag's cover (档案袋封面), the list on the bag
(档案袋文件清单), the catalogue at the front of the volume (卷内目录, DA/T 22), the notes at its
end (备考表, seed 003 第17、18条) and spine labels. Each takes dossiers already opened through
the policy layer and returns PDF bytes; printing.py records the print.

Every sheet carries the archive number as text, as a Code 128 barcode and as a QR code
(labels.py), so that an inventory round can scan any of them."""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, PageBreak, Spacer, Table

from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.checklist import dossier_checklist
from dangan.archives.cover import default_label
from dangan.archives.models import Dossier
from dangan.archives.selectors import dossier_documents
from dangan.documents.models import Document
from dangan.paper.labels import qr_payload
from dangan.reports.pdf import (
    MARGIN_X,
    Barcode,
    QRCode,
    TickBox,
    draw_text,
    font_name,
    paragraph,
    render_story_pdf,
    signature_block,
    table_style,
    text_width,
)

AVAILABLE = A4[0] - 2 * MARGIN_X
GRID = colors.HexColor("#555555")
FILL = colors.HexColor("#F2F2F2")
GREY = colors.HexColor("#777777")


def _holder(dossier: Any) -> str:
    """Whose file it is: the customer's name; a company file's department (#23 §8)."""
    if dossier.customer is not None:
        return str(dossier.customer.name)
    return str(dossier.department.name) if dossier.department is not None else ""


def when(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def printed_by(actor: User) -> str:
    """Who prints, and when: "李秀英 2026-12-07 09:30"."""
    return f"{actor} {when(timezone.now())}"  # the person's name (full_name), else the login


def printed_line(actor: User) -> str:
    return _("打印:%(who)s") % {"who": printed_by(actor)}


def _value(value: Any) -> str:
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    return "" if value is None else str(value)


def location_text(dossier: Dossier) -> str:
    return " › ".join(dossier.location_parts) or _("未登记")


def electronic_address(dossier: Dossier) -> str:
    """The electronic record's number and where it is (两套制: the paper names it)."""
    return _("电子档案 %(n)s · 系统编号 #%(id)s · 存址 /dossiers/%(id)s/") % {
        "n": dossier.archive_number,
        "id": dossier.pk,
    }


def number_block(dossier: Dossier, *, qr: float, big: float, caption: str = "") -> Flowable:
    """The archive number as large text above its barcode, the QR code at the right."""
    left: list[Flowable] = []
    if caption:
        left.append(paragraph(caption, 10, textColor=GREY))
    left.append(paragraph(_("档号 %(n)s") % {"n": dossier.archive_number}, big, leading=big * 1.3))
    if Barcode.encodable(dossier.archive_number):
        left += [
            Spacer(1, 1.5 * mm),
            Barcode(dossier.archive_number, AVAILABLE - qr - 12 * mm, 11 * mm),
        ]
    table = Table(
        [[left, QRCode(qr_payload(dossier.archive_number), qr)]],
        colWidths=[AVAILABLE - qr - 4 * mm, qr + 4 * mm],
    )
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _grid(
    rows: list[list[Any]], widths: Sequence[float], *, header: bool = False, pad: float = 4
) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0)
    commands: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.6, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), pad),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad + 1),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")))
    table.setStyle(table_style(commands))
    return table


# --- 档案袋封面 ---------------------------------------------------------------------


def cover_rows(actor: User, dossier: Dossier) -> list[tuple[str, str]]:
    """The face fields the archive type declares (archives.cover), with their values;
    phone numbers as the policy shows them to the printer. Without a declaration: the
    customer and the title."""
    archive_type = dossier.archive_type
    labels = {spec["key"]: spec["label"] for spec in archive_type.field_schema()}
    entries = archive_type.cover or [
        {"key": "customer.name", "label": ""},
        {"key": "dossier.title", "label": ""},
    ]
    customer = dossier.customer
    rows = []
    for entry in entries:
        root, _sep, name = entry["key"].partition(".")
        if root == "customer":
            value: Any = getattr(customer, name, "")
            if name in ("mobile", "phone"):
                value = policy.shown_mobile(actor, str(value or ""))
        elif root == "dossier":
            value = getattr(dossier, name, "")
        else:
            value = (dossier.fields or {}).get(name)
        rows.append((entry.get("label") or default_label(entry["key"], labels), _value(value)))
    return rows


def _cover_story(actor: User, dossier: Dossier) -> list[Flowable]:
    story: list[Flowable] = [
        paragraph(_("客户档案"), 24, TA_CENTER, spaceAfter=2 * mm, leading=30),
        paragraph(dossier.archive_type.name, 13, TA_CENTER, spaceAfter=6 * mm),
        number_block(dossier, qr=36 * mm, big=20),
        Spacer(1, 6 * mm),
    ]
    label_width = 38 * mm
    rows = [
        [paragraph(label, 12, TA_CENTER), paragraph(value, 12)]
        for label, value in cover_rows(actor, dossier)
    ]
    face = _grid(rows, [label_width, AVAILABLE - label_width], pad=7)
    face.setStyle(table_style([("BACKGROUND", (0, 0), (0, -1), FILL)]))
    story.append(face)
    story.append(Spacer(1, 5 * mm))
    facts = [
        (_("年度"), str(dossier.volume_year)),
        (_("保管期限"), dossier.retention),
        (_("密级"), dossier.get_confidentiality_display()),
        (_("存放位置"), location_text(dossier)),
    ]
    quarter = AVAILABLE / 4
    fact_rows = [[paragraph(f"{k}\n{v}", 10, TA_CENTER) for k, v in facts]]
    story.append(_grid(fact_rows, [quarter * 0.7, quarter * 0.8, quarter * 0.7, quarter * 1.8]))
    story.append(signature_block([_("移交人"), _("接收人(档案管理员)")], AVAILABLE))
    return story


# --- 档案袋文件清单 -------------------------------------------------------------------


def _contents_story(actor: User, dossier: Dossier) -> list[Flowable]:
    checklist = dossier_checklist(dossier)
    story: list[Flowable] = [
        paragraph(_("档案袋文件清单"), 18, TA_CENTER, spaceAfter=3 * mm),
        number_block(
            dossier,
            qr=24 * mm,
            big=14,
            caption=f"{_holder(dossier)} · {dossier.archive_type.name}",
        ),
        Spacer(1, 3 * mm),
    ]
    head = [_("序号"), _("文件名称"), _("要求"), _("份数"), _("件号"), _("已归档")]
    widths = [12 * mm, 0, 20 * mm, 12 * mm, 24 * mm, 16 * mm]
    widths[1] = AVAILABLE - sum(widths)
    rows: list[list[Any]] = [[paragraph(h, 9.5, TA_CENTER) for h in head]]
    for index, row in enumerate(checklist.rows, start=1):
        item = row.item
        requirement = item.get_requirement_display() if row.applicable else _("不适用")
        pieces = ", ".join(
            str(d.piece_number) for d in row.documents if d.state == Document.State.VALID
        )
        tone: dict[str, Any] = {} if row.applicable else {"textColor": GREY}
        rows.append(
            [
                paragraph(str(index), 9.5, TA_CENTER, **tone),
                paragraph(
                    item.name + (f"({item.note})" if item.note and len(item.note) < 30 else ""),
                    9.5,
                    TA_LEFT,
                    **tone,
                ),
                paragraph(requirement, 9, TA_CENTER, **tone),
                paragraph(str(item.copies), 9.5, TA_CENTER, **tone),
                paragraph(pieces, 9.5, TA_CENTER),
                TickBox(row.present),
            ]
        )
    for document in checklist.other_documents:
        rows.append(
            [
                paragraph("—", 9.5, TA_CENTER),
                paragraph(document.title, 9.5),
                paragraph(_("其他"), 9, TA_CENTER),
                paragraph("", 9.5),
                paragraph(str(document.piece_number), 9.5, TA_CENTER),
                TickBox(document.state == Document.State.VALID),
            ]
        )
    table = _grid(rows, widths, header=True, pad=2.5)
    table.setStyle(table_style([("ALIGN", (5, 1), (5, -1), "CENTER")]))
    story.append(table)
    story.append(Spacer(1, 2 * mm))
    story.append(
        paragraph(
            _("已归档 %(p)s 项必备文件,共 %(r)s 项;打钩表示文件已在袋内。")
            % {"p": checklist.present_required_count, "r": checklist.required_count},
            9,
        )
    )
    story.append(signature_block([_("核对人")], AVAILABLE))
    return story


# --- 卷内目录 (DA/T 22) ----------------------------------------------------------------


def _doc_date(document: Document) -> str:
    return document.doc_date.strftime("%Y%m%d") if document.doc_date else ""


def _catalogue_story(actor: User, dossier: Dossier) -> list[Flowable]:
    documents = dossier_documents(dossier, dossier_checklist(dossier))
    story: list[Flowable] = [
        paragraph(_("卷内目录"), 18, TA_CENTER, spaceAfter=3 * mm),
        number_block(
            dossier,
            qr=24 * mm,
            big=14,
            caption=f"{_holder(dossier)} · {dossier.title or dossier.archive_type.name}",
        ),
        Spacer(1, 3 * mm),
    ]
    head = [_("件号"), _("责任者"), _("题名"), _("日期"), _("页数"), _("页号"), _("备注")]
    widths = [12 * mm, 28 * mm, 0, 20 * mm, 12 * mm, 16 * mm, 34 * mm]
    widths[2] = AVAILABLE - sum(widths)
    rows: list[list[Any]] = [[paragraph(h, 9.5, TA_CENTER) for h in head]]
    for document in documents:
        remarks = [document.remarks] if document.remarks else []
        if document.state != Document.State.VALID:
            remarks.append(document.get_state_display())
        remarks.append(_("电子 #%(id)s") % {"id": document.pk})
        rows.append(
            [
                paragraph(str(document.piece_number), 9.5, TA_CENTER),
                paragraph(document.responsible, 9),
                paragraph(document.title, 9.5),
                paragraph(_doc_date(document), 9, TA_CENTER),
                paragraph(_value(document.pages), 9.5, TA_CENTER),
                paragraph(document.page_range, 9, TA_CENTER),
                paragraph(";".join(remarks), 8.5),
            ]
        )
    if not documents:
        rows.append([paragraph(_("(卷内尚无文件)"), 9.5)] + [""] * 6)
    table = _grid(rows, widths, header=True, pad=2.5)
    if not documents:
        table.setStyle(table_style([("SPAN", (0, 1), (-1, 1))]))
    story.append(table)
    story.append(Spacer(1, 2 * mm))
    story.append(paragraph(electronic_address(dossier), 8.5, textColor=GREY))
    return story


# --- 备考表 ---------------------------------------------------------------------------


def _notes_story(actor: User, dossier: Dossier) -> list[Flowable]:
    checklist = dossier_checklist(dossier)
    documents = dossier_documents(dossier, checklist)
    valid = [d for d in documents if d.state == Document.State.VALID]
    pages = sum(d.pages or 0 for d in valid)
    originals = sum(1 for d in valid if d.carrier == Document.Carrier.PAPER_ORIGINAL)
    missing = [row.item.name for row in checklist.missing_rows]
    withdrawn = [d for d in documents if d.state != Document.State.VALID]
    condition = [
        _("本卷共有文件 %(n)s 件,共 %(p)s 页,其中原件 %(o)s 件。")
        % {"n": len(valid), "p": pages, "o": originals}
    ]
    if missing:
        condition.append(_("缺少必备文件:%(m)s。") % {"m": "、".join(missing)})
    if withdrawn:
        condition.append(_("已替换或作废文件 %(n)s 件(见卷内目录备注)。") % {"n": len(withdrawn)})
    condition.append(_("卷内文件状况(破损、缺页、字迹等):"))
    creator = dossier.created_by
    rows = [
        (_("件数"), str(len(valid))),
        (_("页数"), str(pages)),
        (_("情况说明"), "\n".join(condition) + "\n\n\n"),
        (_("电子档案编号及存址"), electronic_address(dossier)),
        (_("纸质档案存址"), location_text(dossier)),
        (_("立卷人"), (creator.get_full_name() or creator.username) if creator else ""),
        (_("立卷日期"), timezone.localtime(dossier.created_at).strftime("%Y-%m-%d")),
    ]
    label_width = 40 * mm
    story: list[Flowable] = [
        paragraph(_("备考表"), 18, TA_CENTER, spaceAfter=3 * mm),
        number_block(
            dossier,
            qr=24 * mm,
            big=14,
            caption=f"{_holder(dossier)} · {dossier.archive_type.name}",
        ),
        Spacer(1, 3 * mm),
    ]
    table = _grid(
        [[paragraph(k, 11, TA_CENTER), paragraph(v, 10.5)] for k, v in rows],
        [label_width, AVAILABLE - label_width],
        pad=6,
    )
    table.setStyle(table_style([("BACKGROUND", (0, 0), (0, -1), FILL)]))
    story.append(table)
    story.append(signature_block([_("检查人"), _("立卷人")], AVAILABLE))
    return story


STORIES = {
    "cover": (_cover_story, gettext_lazy("档案袋封面")),
    "contents": (_contents_story, gettext_lazy("档案袋文件清单")),
    "catalogue": (_catalogue_story, gettext_lazy("卷内目录")),
    "notes": (_notes_story, gettext_lazy("备考表")),
}


def dossier_sheets_pdf(actor: User, form: str, dossiers: Sequence[Dossier]) -> bytes:
    """One form for each of `dossiers` (a page or more each), as one PDF."""
    build, title = STORIES[form]
    story: list[Flowable] = []
    for index, dossier in enumerate(dossiers):
        if index:
            story.append(PageBreak())
        story += build(actor, dossier)
    number = (
        dossiers[0].archive_number if len(dossiers) == 1 else _("%(n)s 份") % {"n": len(dossiers)}
    )
    return render_story_pdf(
        story,
        title=f"{title} {number}",
        footer=f"{title} · {printed_line(actor)}",
    )


# --- Labels on A4 label stock ----------------------------------------------------------


@dataclass(frozen=True)
class LabelStock:
    """A sheet of labels: how many across and down, their size and the sheet's margins (mm)."""

    name: str
    across: int
    down: int
    width: float
    height: float
    top: float
    left: float
    gap_x: float
    gap_y: float = 0

    @property
    def per_sheet(self) -> int:
        return self.across * self.down

    def origin(self, index: int) -> tuple[float, float]:
        """The lower-left corner (points) of label `index` (0-based, row by row)."""
        row, col = divmod(index % self.per_sheet, self.across)
        x = (self.left + col * (self.width + self.gap_x)) * mm
        y = A4[1] - (self.top + (row + 1) * self.height + row * self.gap_y) * mm
        return x, y


# The common 14-up A4 sheet (99.1 x 38.1 mm, e.g. Avery L7163 and its many equivalents):
# wide enough for a QR code, the number, its barcode and the customer on one box spine.
STOCK_14 = LabelStock("A4 14-up 99.1×38.1 mm (L7163)", 2, 7, 99.1, 38.1, 15.15, 4.65, 2.5)


@dataclass(frozen=True)
class LabelText:
    """A label: its large first line, two smaller ones, a barcode, and the QR code's
    subject (the archive number unless given, e.g. a place's LOC-<id>)."""

    number: str
    lines: tuple[str, ...]
    barcode: str
    payload: str = ""


def _fit(text: str, size: float, width: float) -> float:
    while size > 6 and text_width(text, size) > width:
        size -= 0.5
    return size


def _draw_label(canvas: Canvas, stock: LabelStock, x: float, y: float, label: LabelText) -> None:
    width, height = stock.width * mm, stock.height * mm
    pad = 2.5 * mm
    qr_size = height - 2 * pad
    QRCode(qr_payload(label.payload or label.number), qr_size).drawOn(canvas, x + pad, y + pad)
    left = x + pad + qr_size + 2 * mm
    room = x + width - pad - left
    top = y + height - pad
    size = _fit(label.number, 15, room)
    draw_text(canvas, left, top - size, label.number, size, "left")
    line_y = top - size - 1.5 * mm
    for line in label.lines[:2]:
        line_size = _fit(line, 9, room)
        line_y -= line_size + 1
        draw_text(canvas, left, line_y, line, line_size, "left")
    if label.barcode and Barcode.encodable(label.barcode):
        bar_height = max(5 * mm, line_y - (y + pad) - 1.5 * mm)
        Barcode(label.barcode, room, min(bar_height, 9 * mm)).drawOn(canvas, left, y + pad)


def labels_pdf(
    labels: Sequence[LabelText], *, title: str, start: int = 0, stock: LabelStock = STOCK_14
) -> bytes:
    """Labels on as many sheets as they need; `start` skips the labels already used on the
    first sheet. Faint corner marks show each label's edge on a plain-paper test print."""
    buffer = io.BytesIO()
    # The stubs type initialFontName as a number; it is a font name.
    canvas = Canvas(buffer, pagesize=A4, initialFontName=font_name())  # type: ignore[arg-type]
    canvas.setTitle(title)
    canvas.setAuthor("Dangan 客户档案管理系统")
    position = start % stock.per_sheet
    for index, label in enumerate(labels):
        if index and position == 0:
            canvas.showPage()
        x, y = stock.origin(position)
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#CCCCCC"))
        canvas.setLineWidth(0.3)
        canvas.roundRect(x, y, stock.width * mm, stock.height * mm, 2 * mm, stroke=1, fill=0)
        canvas.restoreState()
        _draw_label(canvas, stock, x, y, label)
        position = (position + 1) % stock.per_sheet
    if not labels:
        draw_text(canvas, MARGIN_X, A4[1] / 2, _("(没有可打印的标签)"), 12, "left")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def dossier_label(dossier: Dossier) -> LabelText:
    second = f"{dossier.archive_type.name} · {dossier.volume_year}"
    return LabelText(dossier.archive_number, (_holder(dossier), second), dossier.archive_number)


def dossier_labels_pdf(dossiers: Sequence[Dossier], *, start: int = 0) -> bytes:
    title = _("档案盒脊背标签")
    return labels_pdf([dossier_label(d) for d in dossiers], title=title, start=start)
