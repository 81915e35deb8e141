"""Visible watermarks on produced copies: images and PDFs."""

from __future__ import annotations

import datetime
import io

import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from dangan.documents.watermark import (
    WatermarkError,
    watermark,
    watermark_image,
    watermark_pdf,
    watermark_text,
)

TEXT = "alice 2026-11-23 14:05 JY-2026-0007"


def _image(fmt: str, size: tuple[int, int] = (400, 300)) -> bytes:
    image = Image.new("RGB", size, (250, 250, 245))
    for x in range(0, size[0], 40):  # some content, so the image is not flat
        image.paste((30, 60, 120), (x, 0, x + 8, size[1]))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def _pdf(pages: int = 3, rotate: int = 0) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    for number in range(1, pages + 1):
        canvas.setFont("Helvetica", 14)
        canvas.drawString(72, 760, f"Original page {number}")
        canvas.showPage()
    canvas.save()
    if not rotate:
        return out.getvalue()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(out.getvalue())))
    for page in writer.pages:
        page.rotate(rotate)
    rotated = io.BytesIO()
    writer.write(rotated)
    return rotated.getvalue()


def test_watermark_text() -> None:
    at = datetime.datetime(2026, 11, 23, 14, 5, 59)  # noqa: DTZ001 (naive on purpose)
    assert watermark_text(username="alice", at=at, request_number="JY-2026-0007") == TEXT
    assert watermark_text(username="alice", at=at) == "alice 2026-11-23 14:05"
    text = watermark_text(username="张三", at=at, request_number="JY-1")
    assert text == "zhangsan 2026-11-23 14:05 JY-1"
    assert text.isascii()


def test_watermark_text_uses_local_time(settings: object) -> None:
    at = datetime.datetime(2026, 11, 23, 6, 5, tzinfo=datetime.UTC)
    text = watermark_text(username="bob", at=at)
    assert text.startswith("bob 2026-11-23 ")  # shown in the site's zone, minutes kept
    assert text.endswith(":05")


@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_image_keeps_format_and_changes_pixels(fmt: str, content_type: str) -> None:
    data = _image(fmt)
    marked, out_type = watermark(data, content_type, TEXT)
    assert out_type == content_type
    before, after = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(marked))
    assert after.format == fmt
    assert after.size == before.size
    diff = ImageChops.difference(before.convert("RGB"), after.convert("RGB"))
    changed = diff.convert("L").point(lambda v: 255 if v > 12 else 0).histogram()[255]
    assert changed > before.width * before.height * 0.02  # visibly marked, tiled
    # tiled over the whole image: each quadrant carries some of it
    half_w, half_h = before.width // 2, before.height // 2
    for box in [(0, 0, half_w, half_h), (half_w, half_h, before.width, before.height)]:
        assert diff.crop(box).getbbox() is not None


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "WEBP"])
def test_other_images_become_png(fmt: str) -> None:
    marked, content_type = watermark_image(_image(fmt, (120, 90)), TEXT)
    assert content_type == "image/png"
    assert Image.open(io.BytesIO(marked)).format == "PNG"


def test_transparent_png_keeps_alpha() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (200, 200), (0, 0, 0, 0)).save(out, "PNG")
    marked, _ = watermark_image(out.getvalue(), TEXT)
    assert Image.open(io.BytesIO(marked)).mode == "RGBA"


def test_multipage_tiff_becomes_pdf_with_every_page() -> None:
    frames = [Image.new("RGB", (200, 280), (255, 255, 255)) for _ in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    marked, content_type = watermark_image(out.getvalue(), TEXT)
    assert content_type == "application/pdf"
    assert len(PdfReader(io.BytesIO(marked)).pages) == 3


def test_pdf_every_page_carries_watermark() -> None:
    marked, content_type = watermark(_pdf(3), "application/pdf", TEXT)
    assert content_type == "application/pdf"
    reader = PdfReader(io.BytesIO(marked))
    assert len(reader.pages) == 3
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert TEXT in text
        assert f"Original page {number}" in text


def test_rotated_pdf_pages() -> None:
    marked = watermark_pdf(_pdf(2, rotate=90), TEXT)
    reader = PdfReader(io.BytesIO(marked))
    assert [page.rotation for page in reader.pages] == [90, 90]
    assert all(TEXT in page.extract_text() for page in reader.pages)


def test_broken_pdf_raises() -> None:
    with pytest.raises(ValueError, match="PDF"):
        watermark_pdf(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", TEXT)
    with pytest.raises(ValueError):
        watermark(b"not a pdf at all", "application/pdf", TEXT)
    with pytest.raises(ValueError):
        watermark_pdf(_pdf(2)[:200], TEXT)


def test_encrypted_pdf_raises() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf(1))))
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(WatermarkError, match="加密"):
        watermark_pdf(out.getvalue(), TEXT)


def test_broken_image_and_unknown_type_raise() -> None:
    with pytest.raises(ValueError, match="图像"):
        watermark(b"\x89PNG\r\n\x1a\n broken", "image/png", TEXT)
    with pytest.raises(ValueError, match="不支持"):
        watermark(b"PK\x03\x04", "application/zip", TEXT)
    assert watermark(_image("PNG"), "IMAGE/PNG; charset=binary", TEXT)[1] == "image/png"
