"""Scanned PDFs made in tests: a page that is only a picture of printed lines, and a text page before it."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pypdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.documents.helpers import make_pdf

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="Tesseract is not installed (Debian: apt install tesseract-ocr)"
)
SCANNED_LINES = ("The lighthouse keeper of Skerryvore", "rowed to the mainland every Friday", "to buy lamp oil.")


def scanned_page_pdf(lines: tuple[str, ...] = SCANNED_LINES) -> bytes:
    """A one-page PDF holding only a picture of printed lines, as a scanner makes it (A5 at 150 dpi)."""
    image = Image.new("L", (874, 1240), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=34)
    for i, line in enumerate(lines):
        draw.text((60, 120 + i * 60), line, font=font, fill=0)
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=150)
    return out.getvalue()


def text_then_scan(path: Path) -> Path:
    """Page 1 has a text layer; page 2 is a scan."""
    make_pdf(path.with_suffix(".text.pdf"), ["Harbour dues are paid at the quay office on Mondays."])
    writer = pypdf.PdfWriter()
    for source in (pypdf.PdfReader(path.with_suffix(".text.pdf")), pypdf.PdfReader(io.BytesIO(scanned_page_pdf()))):
        writer.add_page(source.pages[0])
    with open(path, "wb") as f:
        writer.write(f)
    return path
