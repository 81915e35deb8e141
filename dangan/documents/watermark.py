"""Visible watermarks on produced copies (SPEC C8): who made the copy, when, under which request.

Images (Pillow) get tiled, semi-transparent diagonal text; PDFs (pypdf + reportlab) get the same
tiled text laid over every page. The text is kept Latin (see :func:`watermark_text`) so images
need no CJK font: Pillow's bundled default font is enough.
"""

from __future__ import annotations

import datetime
import io
import math

from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

from dangan.reports.pdf import draw_watermark

__all__ = [
    "WatermarkError",
    "watermark",
    "watermark_image",
    "watermark_pdf",
    "watermark_text",
]


class WatermarkError(ValueError):
    """A file that cannot be watermarked; the message is for the user (Chinese)."""


PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

# Content types watermark_image reads (aliases browsers and scanners send included).
IMAGE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/jpg",
        "image/pjpeg",
        "image/tiff",
        "image/bmp",
        "image/x-bmp",
        "image/x-ms-bmp",
        "image/gif",
        "image/webp",
    }
)

# Grey text with a faint light outline: readable on light and dark images, content shows through.
_IMAGE_FILL = (96, 96, 96, 88)
_IMAGE_STROKE = (255, 255, 255, 56)
_IMAGE_ANGLE = 30
_PDF_COLOR = colors.Color(0.45, 0.45, 0.45, alpha=0.3)


def _latin(text: str) -> str:
    """Text a Latin font can draw: Chinese written in pinyin, other characters as "?"."""
    from pypinyin import lazy_pinyin

    spelled = "".join(lazy_pinyin(text, errors="default"))
    return "".join(c if c.isprintable() and ord(c) < 0x250 else "?" for c in spelled)


def watermark_text(*, username: str, at: datetime.datetime, request_number: str = "") -> str:
    """The watermark line, e.g. ``"alice 2026-11-23 14:05 JY-2026-0007"``.

    Aware times are shown in the site's time zone. Only Latin characters: a Chinese user name is
    written in pinyin ("张三" → "zhangsan"), so any image can carry it without a CJK font.
    """
    if timezone.is_aware(at):
        at = timezone.localtime(at)
    parts = [_latin(username).strip() or "?", at.strftime("%Y-%m-%d %H:%M")]
    if request_number:
        parts.append(_latin(request_number).strip())
    return " ".join(part for part in parts if part)


# --- images -------------------------------------------------------------------------------------


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError):  # Pillow built without FreeType: fixed-size bitmap font
        return ImageFont.load_default()


def _text_tile(text: str, size: int) -> tuple[Image.Image, int]:
    """The watermark text rotated on a transparent tile, and the text's unrotated length."""
    font = _font(size)
    stroke = max(1, size // 16)
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox(
        (0, 0), text, font=font, stroke_width=stroke
    )
    box = (math.ceil(right - left) + 2, math.ceil(bottom - top) + 2)
    tile = Image.new("RGBA", box, (0, 0, 0, 0))
    ImageDraw.Draw(tile).text(
        (1 - left, 1 - top),
        text,
        font=font,
        fill=_IMAGE_FILL,
        stroke_width=stroke,
        stroke_fill=_IMAGE_STROKE,
    )
    rotated = tile.rotate(_IMAGE_ANGLE, expand=True, resample=Image.Resampling.BICUBIC)
    return rotated, tile.width


def _watermark_frame(frame: Image.Image, text: str) -> Image.Image:
    """One image with the tiled text composited over it (RGBA)."""
    base = frame.convert("RGBA")
    width, height = base.size
    size = max(12, min(400, round(min(width, height) / 22)))
    tile, length = _text_tile(text, size)
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    # A grid in the text's own (rotated) frame: lines of text along the slant, every other line
    # shifted by half a step, turned and centred on the image.
    step_u = length + size * 3
    step_v = size * 5
    cos, sin = math.cos(math.radians(_IMAGE_ANGLE)), math.sin(math.radians(_IMAGE_ANGLE))
    reach = math.hypot(width, height) / 2 + step_u
    lines = int(reach // step_v) + 1
    per_line = int(reach // step_u) + 1
    for j in range(-lines, lines + 1):
        v = j * step_v
        for i in range(-per_line, per_line + 1):
            u = i * step_u + (step_u / 2 if j % 2 else 0)
            cx = width / 2 + u * cos + v * sin
            cy = height / 2 - u * sin + v * cos
            x, y = round(cx - tile.width / 2), round(cy - tile.height / 2)
            if x < width and y < height and x + tile.width > 0 and y + tile.height > 0:
                _paste(overlay, tile, x, y)
    return Image.alpha_composite(base, overlay)


def _paste(overlay: Image.Image, tile: Image.Image, x: int, y: int) -> None:
    """alpha_composite a tile that may hang over the top/left edge."""
    crop_x, crop_y = max(0, -x), max(0, -y)
    if crop_x >= tile.width or crop_y >= tile.height:
        return
    part = tile.crop((crop_x, crop_y, tile.width, tile.height))
    overlay.alpha_composite(part, dest=(max(0, x), max(0, y)))


def _open_image(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Image.DecompressionBombError as exc:
        raise WatermarkError("图像尺寸过大，无法添加水印。") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise WatermarkError(
            "无法读取该图像文件（文件可能已损坏或格式不受支持），未能添加水印。"
        ) from exc
    return image


def watermark_image(data: bytes, text: str) -> tuple[bytes, str]:
    """Tile ``text`` diagonally and semi-transparently over an image.

    Returns ``(bytes, content_type)``: PNG stays PNG, JPEG stays JPEG (quality 90, EXIF rotation
    applied), and TIFF, BMP, GIF and WebP become PNG (first frame). A TIFF with several pages
    (common for scans) becomes a PDF with one watermarked page per frame, so no page is lost.
    Unreadable images raise :class:`WatermarkError` (a ValueError).
    """
    image = _open_image(data)
    source_format = (image.format or "").upper()
    text = _latin(text) or "?"
    frames = getattr(image, "n_frames", 1)
    try:
        if source_format == "TIFF" and frames > 1:
            pages = []
            for index in range(frames):
                image.seek(index)
                frame = ImageOps.exif_transpose(image.copy())
                pages.append(_watermark_frame(frame, text).convert("RGB"))
            out = io.BytesIO()
            dpi = image.info.get("dpi", (200, 200))
            pages[0].save(
                out, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi[0])
            )
            return out.getvalue(), PDF

        icc = image.info.get("icc_profile")
        dpi = image.info.get("dpi")
        has_alpha = image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info
        )
        marked = _watermark_frame(ImageOps.exif_transpose(image), text)
        out = io.BytesIO()
        extra: dict[str, object] = {}
        if icc:
            extra["icc_profile"] = icc
        if dpi:
            extra["dpi"] = dpi
        if source_format == "JPEG":
            marked.convert("RGB").save(out, "JPEG", quality=90, **extra)
            return out.getvalue(), JPEG
        (marked if has_alpha else marked.convert("RGB")).save(out, "PNG", **extra)
        return out.getvalue(), PNG
    except (OSError, ValueError) as exc:  # e.g. a truncated frame or an unsupported mode
        raise WatermarkError("处理图像时出错，未能添加水印。") from exc


# --- PDF ----------------------------------------------------------------------------------------


def _overlay_page(width: float, height: float, rotation: int, text: str) -> PageObject:
    """A one-page PDF the size of the visible box with the tiled text, read by pypdf.

    The page's /Rotate turns the page clockwise when shown; the text is turned the other way so
    that it reads at the same slant on screen whatever the rotation.
    """
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(width, height))
    draw_watermark(canvas, width, height, text, size=18, angle=35 + rotation, color=_PDF_COLOR)
    canvas.showPage()
    canvas.save()
    return PdfReader(io.BytesIO(out.getvalue())).pages[0]


def watermark_pdf(data: bytes, text: str) -> bytes:
    """Lay the tiled watermark over every page of a PDF (content stays, text stays selectable).

    Encrypted, empty or unreadable PDFs raise :class:`WatermarkError` (a ValueError) with a
    message for the user.
    """
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise WatermarkError("该 PDF 文件已加密，无法添加水印；请提供未加密的文件。")
        if len(reader.pages) == 0:
            raise WatermarkError("该 PDF 文件没有页面，无法添加水印。")
        writer = PdfWriter(clone_from=reader)
        overlays: dict[tuple[float, float, int], PageObject] = {}
        for page in writer.pages:
            box = page.cropbox
            left, bottom = float(box.left), float(box.bottom)
            width, height = float(box.width), float(box.height)
            if width <= 0 or height <= 0:
                raise WatermarkError("PDF 页面尺寸无效")
            rotation = (page.rotation or 0) % 360
            key = (round(width, 2), round(height, 2), rotation)
            if key not in overlays:
                overlays[key] = _overlay_page(width, height, rotation, text)
            page.merge_transformed_page(
                overlays[key], Transformation().translate(left, bottom), over=True
            )
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except WatermarkError:
        raise
    except Exception as exc:  # pypdf raises all sorts on malformed files
        raise WatermarkError("无法读取该 PDF 文件（文件可能已损坏），未能添加水印。") from exc


# --- dispatch -----------------------------------------------------------------------------------


def watermark(data: bytes, content_type: str, text: str) -> tuple[bytes, str]:
    """Watermark a produced copy by its content type; returns ``(bytes, content_type)``.

    PDFs stay PDFs; images as :func:`watermark_image` says. Other types raise
    :class:`WatermarkError`: a copy that cannot carry a visible watermark must not be produced.
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == PDF:
        return watermark_pdf(data, text), PDF
    if kind in IMAGE_TYPES:
        return watermark_image(data, text)
    raise WatermarkError(f"不支持为该类型的文件添加水印：{kind or '未知类型'}")
