"""Reading PDF pages that have no text layer (scans) with Tesseract OCR, within the file's time budget.

Only pages without extractable text are drawn (pypdfium2, ~300 dpi, bounded size) and handed to the
``tesseract`` command (Debian's ``tesseract-ocr`` package); each call gets what is left of the budget as its
timeout, so OCR never outlives the parser worker's budget for the file. Without Tesseract the pages stay empty
and the caller says how to install it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

INSTALL_HINT = (
    "install Tesseract OCR to read scanned pages (Debian/Ubuntu: sudo apt install tesseract-ocr; "
    "macOS: brew install tesseract), then add the file again"
)
DPI = 300
"""Tesseract reads best at about 300 dpi."""
MAX_SIDE = 4000
"""Longer side of a drawn page at most, in pixels (bounds memory for huge pages)."""
BUDGET_SHARE = 0.8
"""Share of the file's time budget OCR may use; the rest is left for extraction and cleaning."""


@dataclass
class OcrResult:
    """Text read per page (1-based) and the pages OCR could not get to within the budget."""

    texts: dict[int, str] = field(default_factory=dict)
    out_of_time: list[int] = field(default_factory=list)


def tesseract_command() -> str | None:
    """The ``tesseract`` executable on PATH, or None when it is not installed."""
    return shutil.which("tesseract")


def pages_with_images(data: bytes, pages: Sequence[int]) -> list[int]:
    """The ``pages`` (1-based) that hold an image: a page with neither text nor images is blank, not a scan."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument(data)
    try:
        found = []
        for number in pages:
            objects = pdf[number - 1].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4)
            if next(iter(objects), None) is not None:
                found.append(number)
        return found
    except pdfium.PdfiumError:
        return list(pages)  # pdfium cannot tell: let OCR try them all
    finally:
        pdf.close()


def read_pages(data: bytes, pages: Sequence[int], budget_s: float, command: str) -> OcrResult:
    """OCR ``pages`` (1-based) of the PDF in ``data`` with ``command``, stopping when ``budget_s`` is spent."""
    import pypdfium2 as pdfium

    deadline = time.monotonic() + budget_s * BUDGET_SHARE
    result = OcrResult()
    pdf = pdfium.PdfDocument(data)
    try:
        for number in pages:
            left = deadline - time.monotonic()
            if left <= 1.0:
                result.out_of_time.append(number)
                continue
            try:
                png = _draw(pdf[number - 1])
                result.texts[number] = _tesseract(command, png, left)
            except subprocess.TimeoutExpired:
                result.out_of_time.append(number)
            except (OSError, subprocess.CalledProcessError, pdfium.PdfiumError):
                result.texts[number] = ""  # that page stays empty; the others are still read
    finally:
        pdf.close()
    return result


def _draw(page: Any) -> bytes:
    """The page as a grey PNG at ~DPI, its longer side at most MAX_SIDE pixels."""
    width, height = page.get_size()  # PDF points, 72 per inch
    scale = min(DPI / 72, MAX_SIDE / max(width, height, 1.0))
    image = page.render(scale=scale, grayscale=True).to_pil()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _tesseract(command: str, png: bytes, timeout_s: float) -> str:
    completed = subprocess.run(
        [command, "stdin", "stdout"],
        input=png,
        capture_output=True,
        timeout=timeout_s,
        check=True,
    )
    return completed.stdout.decode("utf-8", errors="replace")
