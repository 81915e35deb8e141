"""Printable A4 PDFs with Chinese text: tables (登记表) and one-page slips (借阅单).

Built on reportlab, with nothing to ship or install beyond PyPI wheels:

* All text, Chinese and Latin alike, is set in one TrueType font, WenQuanYi Micro Hei
  (文泉驿微米黑), embedded as a subset (/FontFile2) of the glyphs each document uses: a PDF
  looks the same on any viewer or printer, with or without a CJK font of its own, and nothing
  relies on the standard 14 fonts. The font comes from the PyPI package
  ``paperang-p2-fonts-cjk`` (its ``wqy-microhei.ttc`` is byte for byte Debian's
  ``fonts-wqy-microhei`` 0.2.0-beta-3.1); Debian's file is used when the package is missing.
  reportlab embeds TrueType outlines only, which rules out Noto CJK (CFF outlines). Text stays
  selectable and extractable (a ToUnicode map is written).

All text given to these functions is plain text: it is escaped here, never read as markup.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

import segno
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape as to_landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
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
    "Barcode",
    "Column",
    "QRCode",
    "TickBox",
    "draw_text",
    "draw_watermark",
    "font_name",
    "paragraph",
    "render_form_pdf",
    "render_story_pdf",
    "render_table_pdf",
    "signature_block",
    "table_style",
    "text_width",
]

FONT_NAME = "WenQuanYiMicroHei"
# Where the font file may be: the PyPI package's copy first, then Debian's packages.
FONT_FILES = (
    "paperang_p2_fonts_cjk:fonts/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)

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


def font_file() -> Path:
    """The TrueType collection the PDFs embed (see the module's docstring)."""
    for candidate in FONT_FILES:
        package, sep, inner = candidate.partition(":")
        if sep:
            try:
                path = Path(str(resources.files(package).joinpath(inner)))
            except ModuleNotFoundError:
                continue
        else:
            path = Path(candidate)
        if path.is_file():
            return path
    raise RuntimeError(
        "No CJK TrueType font for PDFs: install the package paperang-p2-fonts-cjk "
        "(pip) or fonts-wqy-microhei (apt)"
    )


@functools.cache
def _font() -> str:
    """Register the embedded font once per process (subfont 0 of the collection: the
    proportional Micro Hei, not its monospaced twin)."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(font_file()), subfontIndex=0))
    return FONT_NAME


def _style(
    name: str, size: float = BODY_SIZE, align: Literal[0, 1, 2, 4] = TA_LEFT, **kw: Any
) -> ParagraphStyle:
    kw.setdefault("leading", size * 1.35)
    return ParagraphStyle(
        name,
        fontName=_font(),
        fontSize=size,
        alignment=align,
        wordWrap="CJK",  # break anywhere in Chinese; Latin words are still kept whole
        **kw,
    )


def _runs(text: str) -> list[tuple[str, str]]:
    """Text as (font name, text) runs. One embedded font draws Chinese and Latin alike, so
    there is one run; the shape stays for a second font (e.g. a bold face) later."""
    return [(_font(), text)] if text else []


def _markup(text: str) -> str:
    """Paragraph markup for plain text: escaped, line breaks kept."""
    return "<br/>".join(escape(line) for line in text.split("\n"))


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (never read as markup)."""
    return Paragraph(_markup(text), style)


def _table_style(commands: Sequence[Any]) -> TableStyle:
    """A table style whose cells name the embedded font (a table sets its cells' font even
    when they hold paragraphs: the default would put Helvetica in the PDF)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), _font()), *commands])


def table_style(commands: Sequence[Any]) -> TableStyle:
    """A TableStyle for tables given to render_story_pdf (see _table_style)."""
    return _table_style(commands)


def font_name() -> str:
    """The embedded font's name, registered on first use (for callers that draw themselves)."""
    return _font()


def paragraph(
    text: str, size: float = BODY_SIZE, align: Literal[0, 1, 2, 4] = TA_LEFT, **kw: Any
) -> Paragraph:
    """A paragraph of plain text in the embedded font (never read as markup)."""
    return _para(text, _style(f"p{size}-{align}", size, align, **kw))


class QRCode(Flowable):
    """A QR code of ``payload`` as vector squares, ``size`` wide and high (quiet zone of
    two modules included): sharp on any printer, and what it encodes can be read back from
    the page (the tests rebuild the matrix from the squares)."""

    BORDER = 2

    def __init__(self, payload: str, size: float) -> None:
        super().__init__()
        self.payload = payload
        self.qr = segno.make(payload, error="m", micro=False)
        self.width = self.height = size

    def draw(self) -> None:
        matrix = self.qr.matrix
        count = len(matrix) + 2 * self.BORDER
        module = self.width / count
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(colors.black)
        for row_index, row in enumerate(matrix):
            y = self.height - (row_index + self.BORDER + 1) * module
            for col_index, dark in enumerate(row):
                if dark:
                    x = (col_index + self.BORDER) * module
                    canvas.rect(x, y, module, module, stroke=0, fill=1)
        canvas.restoreState()


class Barcode(Flowable):
    """A Code 128 barcode of ``value`` (printable ASCII; a scanner types it back), at most
    ``width`` wide and ``height`` high, without reportlab's own human-readable line (it would
    need a standard font): callers print the number as text themselves."""

    def __init__(self, value: str, width: float, height: float) -> None:
        super().__init__()
        self.value = value
        self.code = Code128(value, barHeight=height, barWidth=0.33 * mm, humanReadable=False)
        natural = float(self.code.width)
        if natural > width:  # narrower bars, never below 0.19 mm (scanners still read it)
            bar = max(0.19 * mm, 0.33 * mm * width / natural)
            self.code = Code128(value, barHeight=height, barWidth=bar, humanReadable=False)
        self.width = float(self.code.width)
        self.height = height

    @staticmethod
    def encodable(value: str) -> bool:
        return bool(value) and all(" " <= char <= "~" for char in value)

    def draw(self) -> None:
        self.code.drawOn(self.canv, 0, 0)


class TickBox(Flowable):
    """A square to tick by hand, ticked already when ``checked``."""

    def __init__(self, checked: bool, size: float = 4 * mm) -> None:
        super().__init__()
        self.checked = checked
        self.width = self.height = size

    def draw(self) -> None:
        canvas = self.canv
        size = self.width
        canvas.saveState()
        canvas.setLineWidth(0.7)
        canvas.rect(0, 0, size, size, stroke=1, fill=0)
        if self.checked:
            canvas.setLineWidth(1.2)
            path = canvas.beginPath()
            path.moveTo(size * 0.18, size * 0.52)
            path.lineTo(size * 0.42, size * 0.22)
            path.lineTo(size * 0.85, size * 0.85)
            canvas.drawPath(path, stroke=1, fill=0)
        canvas.restoreState()


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
        # The canvas's first font is the embedded one: no /Helvetica resource on any page.
        initialFontName=_font(),
    )
    decorations = _PageDecorations(
        pagesize=pagesize, header=header, footer=footer, watermark=watermark
    )
    doc.build(story, canvasmaker=decorations.canvas_class())
    return buffer.getvalue()


def render_story_pdf(
    story: list[Flowable],
    *,
    title: str,
    landscape: bool = False,
    header: str = "",
    footer: str = "",
    watermark: str = "",
) -> bytes:
    """An A4 document of the caller's flowables, with the page decorations of the others."""
    return _build(
        story, title=title, landscape=landscape, header=header, footer=footer, watermark=watermark
    )


def signature_block(signatures: Sequence[str], available: float) -> Flowable:
    """Signature lines, each with a date blank, two to a row."""
    return _signature_block(signatures, available)


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
        _table_style(
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
    table.setStyle(_table_style(style))
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
        _table_style(
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
