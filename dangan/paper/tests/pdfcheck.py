"""Reading the printed PDFs back: their text, whether every font is embedded, and the QR
code as drawn (the squares on the page, rebuilt into a module matrix)."""

from __future__ import annotations

import io
from collections import Counter

import segno
from pypdf import PdfReader
from pypdf.generic import ContentStream


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def fonts_of(pdf: bytes) -> list[tuple[str, bool]]:
    """(base font, embedded) of every font on every page, descendants of Type0 included."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            targets = [font]
            if font.get("/Subtype") == "/Type0":
                targets = [d.get_object() for d in font["/DescendantFonts"]]
            for target in targets:
                descriptor = target.get("/FontDescriptor")
                descriptor = descriptor.get_object() if descriptor is not None else {}
                embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                found.append((str(target.get("/BaseFont")), embedded))
    return found


def all_fonts_embedded(pdf: bytes) -> bool:
    fonts = fonts_of(pdf)
    return bool(fonts) and all(embedded for _name, embedded in fonts)


def qr_modules(pdf: bytes, page: int = 0) -> set[tuple[int, int]]:
    """The dark modules of the (one) QR code on `page`, as (row, column) from its top-left:
    the filled squares of the size most squares on the page have."""
    reader = PdfReader(io.BytesIO(pdf))
    content = ContentStream(reader.pages[page].get_contents(), reader)
    squares = [
        tuple(float(v) for v in operands)
        for operands, operator in content.operations
        if operator == b"re" and abs(float(operands[2]) - float(operands[3])) < 1e-6
    ]
    size = Counter(round(s[2], 4) for s in squares).most_common(1)[0][0]
    cells = [(x, y) for x, y, w, _h in squares if round(w, 4) == size]
    left = min(x for x, _y in cells)
    top = max(y for _x, y in cells)
    return {(round((top - y) / size), round((x - left) / size)) for x, y in cells}


def expected_modules(payload: str) -> set[tuple[int, int]]:
    matrix = segno.make(payload, error="m", micro=False).matrix
    return {(r, c) for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark}
