"""Printable A4 PDFs with Chinese text: tables (登记表) and one-page slips (借阅单).

Built on reportlab, with nothing to ship or install beyond PyPI wheels:

* Chinese is set in reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1, encoding
  UniGB-UCS2-H). It is not embedded: the viewer or printer uses its own Song/Sans CJK font, as
  every Chinese-locale Windows/macOS machine, Acrobat, browsers' PDF viewers and poppler with a CJK
  font installed do. The text stays selectable and extractable (the codes are Unicode).
* Latin letters, digits and Western punctuation are set in Helvetica (one of the 14 standard PDF
  fonts): the CID font's Latin widths do not match the glyphs a viewer substitutes, which made
  e.g. "JY" overlap; Helvetica's metrics are the same everywhere.

All text given to these functions is plain text: it is escaped here, never read as markup.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape as to_landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

__all__ = [
    "FONT_NAME",
    "Column",
    "draw_text",
    "draw_watermark",
    "render_form_pdf",
    "render_table_pdf",
    "text_width",
]

FONT_NAME = "STSong-Light"
LATIN_FONT = "Helvetica"

MARGIN_X = 15 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 18 * mm

BODY_SIZE = 9.5
GRID_COLOR = colors.HexColor("#555555")
HEADER_FILL = colors.HexColor("#E8E8E8")
LABEL_FILL = colors.HexColor("#F2F2F2")
WATERMARK_COLOR = colors.Color(0.6, 0.6, 0.6, alpha=0.28)


@dataclass
class Column:
    """A table column: its heading and its width in millimetres.

    When the columns together are wider than the page they are scaled down to fit.
    """

    title: str
    width: float


@functools.cache
def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT_NAME))
    return FONT_NAME


def _style(
    name: str, size: float = BODY_SIZE, align: Literal[0, 1, 2, 4] = TA_LEFT, **kw: Any
) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=_font(),
        fontSize=size,
        leading=size * 1.35,
        alignment=align,
        wordWrap="CJK",  # break anywhere in Chinese; Latin words are still kept whole
        **kw,
    )


def _is_latin(char: str) -> bool:
    """Whether the Latin font draws this character (printable Windows-1252, i.e. Helvetica's)."""
    if char < " ":
        return False
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _runs(text: str) -> list[tuple[str, str]]:
    """Split text into (font name, text) runs: Latin characters in Helvetica, the rest in CJK."""
    runs: list[tuple[str, str]] = []
    for char in text:
        font = LATIN_FONT if _is_latin(char) else _font()
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + char)
        else:
            runs.append((font, char))
    return runs


def _markup(text: str) -> str:
    """Paragraph markup for plain text: escaped, Latin runs in Helvetica, line breaks kept."""
    lines = []
    for line in text.split("\n"):
        parts = []
        for font, run in _runs(line):
            if font == LATIN_FONT:
                parts.append(f'<font face="{LATIN_FONT}">{escape(run)}</font>')
            else:
                parts.append(escape(run))
        lines.append("".join(parts))
    return "<br/>".join(lines)


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (never read as markup)."""
    return Paragraph(_markup(text), style)


def text_width(text: str, size: float) -> float:
    """The width in points of mixed Chinese/Latin text as :func:`draw_text` sets it."""
    return sum(pdfmetrics.stringWidth(run, font, size) for font, run in _runs(text))


def draw_text(canvas: Canvas, x: float, y: float, text: str, size: float, anchor: str) -> None:
    """Draw mixed Chinese/Latin text at (x, y); anchor is "left", "centre" or "right"."""
    if anchor == "centre":
        x -= text_width(text, size) / 2
    elif anchor == "right":
        x -= text_width(text, size)
    # One text object with font switches, so that text extraction sees one line.
    text_object = canvas.beginText(x, y)
    for font, run in _runs(text):
        text_object.setFont(font, size)
        text_object.textOut(run)
    canvas.drawText(text_object)


class _PageDecorations:
    """Draws what every page carries: running title, footer, "第 N 页 共 M 页", watermark.

    The page total is only known at the end, so the canvas keeps each page's state and draws the
    decorations when the document is saved (the usual reportlab "numbered canvas" recipe).
    """

    def __init__(
        self, *, pagesize: tuple[float, float], header: str, footer: str, watermark: str
    ) -> None:
        self.pagesize = pagesize
        self.header = header
        self.footer = footer
        self.watermark = watermark

    def canvas_class(self) -> type[Canvas]:
        decorations = self

        class _NumberedCanvas(Canvas):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._pages: list[dict[str, Any]] = []

            def showPage(self) -> None:
                self._pages.append(dict(self.__dict__))
                self._startPage()  # type: ignore[attr-defined]  # reportlab's own recipe

            def save(self) -> None:
                total = len(self._pages)
                for state in self._pages:
                    self.__dict__.update(state)
                    decorations.draw(self, total)
                    super().showPage()
                super().save()

        return _NumberedCanvas

    def draw(self, canvas: Canvas, total: int) -> None:
        width, height = self.pagesize
        canvas.saveState()
        if self.watermark:
            draw_watermark(canvas, width, height, self.watermark)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.setLineWidth(0.5)
        if self.header:
            draw_text(canvas, MARGIN_X, height - 12 * mm, self.header, 8, "left")
            canvas.line(MARGIN_X, height - 13.5 * mm, width - MARGIN_X, height - 13.5 * mm)
        canvas.line(MARGIN_X, 12.5 * mm, width - MARGIN_X, 12.5 * mm)
        if self.footer:
            draw_text(canvas, MARGIN_X, 8.5 * mm, self.footer, 8, "left")
        page = f"第 {canvas.getPageNumber()} 页 共 {total} 页"
        draw_text(canvas, width - MARGIN_X, 8.5 * mm, page, 8, "right")
        canvas.restoreState()


def draw_watermark(
    canvas: Canvas,
    width: float,
    height: float,
    text: str,
    *,
    size: float = 20,
    angle: float = 35,
    color: colors.Color = WATERMARK_COLOR,
) -> None:
    """Tile translucent diagonal ``text`` over a ``width`` x ``height`` area at the origin.

    Tiled rather than one big line, so that any cut-out of the page still carries it.
    ``angle`` is counter-clockwise in the canvas's coordinates.
    """
    step_x = max(text_width(text, size) + 30 * mm, 90 * mm)
    step_y = 55 * mm
    canvas.saveState()
    canvas.setFillColor(color)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(angle)
    reach = (width**2 + height**2) ** 0.5 / 2 + step_x
    y = -reach
    row = 0
    while y <= reach:
        x = -reach + (step_x / 2 if row % 2 else 0)
        while x <= reach:
            draw_text(canvas, x, y, text, size, "centre")
            x += step_x
        y += step_y
        row += 1
    canvas.restoreState()


def _build(
    story: list[Flowable],
    *,
    title: str,
    landscape: bool,
    header: str,
    footer: str,
    watermark: str,
) -> bytes:
    buffer = io.BytesIO()
    pagesize = to_landscape(A4) if landscape else A4
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author="Dangan 客户档案管理系统",
        creator="Dangan",
    )
    decorations = _PageDecorations(
        pagesize=pagesize, header=header, footer=footer, watermark=watermark
    )
    doc.build(story, canvasmaker=decorations.canvas_class())
    return buffer.getvalue()


def _signature_block(signatures: Sequence[str], available: float) -> Flowable:
    """Signature lines, each with a date blank: "借阅人：________  日期：____年__月__日"."""
    style = _style("sig", 10.5)
    per_row = 2
    cells: list[list[Any]] = []
    for start in range(0, len(signatures), per_row):
        row: list[Any] = []
        for label in signatures[start : start + per_row]:
            row.append(_para(f"{label}：______________\n日期：______年____月____日", style))
        row += [""] * (per_row - len(row))
        cells.append(row)
    table = Table(cells, colWidths=[available / per_row] * per_row)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 6 * mm),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return KeepTogether([Spacer(1, 4 * mm), table])


def _title_block(title: str, subtitle: str) -> list[Flowable]:
    story: list[Flowable] = [_para(title, _style("title", 17, TA_CENTER, spaceAfter=2 * mm))]
    if subtitle:
        story.append(_para(subtitle, _style("subtitle", 10.5, TA_CENTER, spaceAfter=2 * mm)))
    return story


def render_table_pdf(
    *,
    title: str,
    subtitle: str = "",
    meta: Sequence[tuple[str, str]] = (),
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    signatures: Sequence[str] = (),
    landscape: bool = False,
    footer: str = "",
    watermark: str = "",
) -> bytes:
    """A register-style table (e.g. 借阅登记表) over as many pages as it needs.

    ``meta`` is shown as "label：value" pairs above the table (e.g. 打印人, 打印时间); the table
    heading repeats on every page; long cell text wraps; ``signatures`` are signature lines with
    date blanks after the table; ``footer`` is printed at the foot of every page next to the page
    numbers; ``watermark`` (if given) is drawn diagonally in light grey across every page.
    """
    if not columns:
        raise ValueError("表格至少需要一列")
    pagesize = to_landscape(A4) if landscape else A4
    available = pagesize[0] - 2 * MARGIN_X
    widths = [max(column.width, 1.0) * mm for column in columns]
    if sum(widths) > available:
        scale = available / sum(widths)
        widths = [w * scale for w in widths]

    story = _title_block(title, subtitle)
    if meta:
        meta_style = _style("meta", 9)
        story.append(_para("    ".join(f"{k}：{v}" for k, v in meta), meta_style))
        story.append(Spacer(1, 2.5 * mm))

    head_style = _style("th", BODY_SIZE, TA_CENTER)
    cell_style = _style("td", BODY_SIZE)
    data: list[list[Any]] = [[_para(c.title, head_style) for c in columns]]
    for row in rows:
        cells = [str(value) for value in row][: len(columns)]
        cells += [""] * (len(columns) - len(cells))
        data.append([_para(value, cell_style) for value in cells])
    if not rows:
        data.append([_para("（无记录）", cell_style)] + [""] * (len(columns) - 1))

    table = Table(data, colWidths=widths, repeatRows=1)
    style: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOR),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if not rows:
        style.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(TableStyle(style))
    story.append(table)
    if signatures:
        story.append(_signature_block(signatures, available))
    return _build(
        story, title=title, landscape=landscape, header=title, footer=footer, watermark=watermark
    )


def render_form_pdf(
    *,
    title: str,
    number: str,
    fields: Sequence[tuple[str, str]],
    signatures: Sequence[str] = (),
    note: str = "",
    watermark: str = "",
) -> bytes:
    """A one-page slip (e.g. 借阅单): title, its number, a label/value grid, signature lines.

    ``note`` is printed in small type under the signatures (e.g. the borrowing rules).
    """
    available = A4[0] - 2 * MARGIN_X
    story = _title_block(title, "")
    story.append(_para(f"编号：{number}", _style("number", 10, TA_RIGHT, spaceAfter=2 * mm)))

    label_style = _style("label", 10.5, TA_CENTER)
    value_style = _style("value", 10.5)
    data: list[list[Any]] = [
        [_para(label, label_style), _para(value, value_style)] for label, value in fields
    ]
    if not data:
        data = [["", ""]]
    label_width = 32 * mm
    table = Table(data, colWidths=[label_width, available - label_width])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, GRID_COLOR),
                ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    story.append(table)
    if signatures:
        story.append(_signature_block(signatures, available))
    if note:
        story.append(Spacer(1, 6 * mm))
        story.append(_para(note, _style("note", 8.5, textColor=colors.HexColor("#444444"))))
    return _build(
        story,
        title=title,
        landscape=False,
        header="",
        footer=f"编号：{number}",
        watermark=watermark,
    )
