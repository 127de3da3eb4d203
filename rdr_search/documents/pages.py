"""Drawing one PDF page as a PNG with pieces of its text highlighted (pypdfium2 and Pillow).

Runs in a document reader worker (see ``worker.py``), like parsing: a hostile PDF costs one failed view, not the
app. The image size is bounded (``max_side`` pixels on the longer side), the page number is checked, and the
caller's time budget applies. Text is found on the page by its letters and digits only (case, spacing,
punctuation, hyphenation and ligatures aside), because the stored text was extracted by another library
(pypdf) and joined across lines; a piece not found exactly is matched block by block.
"""

from __future__ import annotations

import ctypes
import difflib
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rdr_search.errors import DocumentError

MAX_SIDE = 1400
"""Default longer side of a drawn page, in pixels (about 120 dpi for A4)."""
MAX_SCALE = 3.0
"""Pixels per PDF point at most: a tiny page is not blown up without end."""
MIN_BLOCK = 4
"""Shortest run of letters a loose match counts (shorter ones are chance)."""
COLOURS = {"passage": (255, 221, 0, 80), "sentence": (255, 120, 0, 120)}
"""Translucent marker colours (RGBA) per kind of highlight; later kinds are drawn on top."""

Box = tuple[int, int, int, int, str]
"""(left, top, right, bottom, kind) in image pixels."""


@dataclass(frozen=True)
class PageImage:
    """A drawn page: the PNG, its size, the page number and count, and the highlight boxes drawn on it."""

    png: bytes
    width: int
    height: int
    page: int
    pages: int
    boxes: tuple[Box, ...]


def render_page(path: str, page: int, marks: Sequence[tuple[str, str]], max_side: int = MAX_SIDE) -> PageImage:
    """Draw ``page`` (1-based) of the PDF at ``path`` with each (kind, text) of ``marks`` highlighted."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError:
        raise DocumentError("the PDF cannot be opened to draw its page") from None
    try:
        count = len(pdf)
        if not 1 <= page <= count:
            raise DocumentError(f"page {page} does not exist (the document has {count})")
        pdf_page = pdf[page - 1]
        width, height = pdf_page.get_size()
        if width <= 0 or height <= 0:
            raise DocumentError("the page has no size")
        scale = min(MAX_SCALE, max(16, min(max_side, 4000)) / max(width, height))
        image = pdf_page.render(scale=scale).to_pil().convert("RGB")
        boxes = _find_boxes(pdf_page, marks, image.size)
        return PageImage(_draw(image, boxes), image.width, image.height, page, count, tuple(boxes))
    finally:
        pdf.close()


def _find_boxes(pdf_page: Any, marks: Sequence[tuple[str, str]], size: tuple[int, int]) -> list[Box]:
    textpage = pdf_page.get_textpage()
    try:
        key, owners = _page_key(textpage)
        boxes: list[Box] = []
        for kind, text in marks:
            chars = _match(key, owners, _key(text))
            rects = [_device_rect(pdf_page, textpage.get_charbox(i), size) for i in chars]
            boxes.extend((*rect, kind) for rect in _lines(rects))
        return boxes
    finally:
        textpage.close()


def _fold(char: str) -> str:
    """A character as matched: NFKC (ligatures apart), lower case, letters and digits only."""
    return "".join(c for c in unicodedata.normalize("NFKC", char).lower() if c.isalnum())


def _key(text: str) -> str:
    return "".join(_fold(c) for c in text)


def _page_key(textpage: Any) -> tuple[str, list[int]]:
    """The page's letters and digits, folded, and for each the index of the page character it came from."""
    import pypdfium2.raw as raw

    key: list[str] = []
    owners: list[int] = []
    for index in range(textpage.count_chars()):
        code = raw.FPDFText_GetUnicode(textpage, index)
        folded = _fold(chr(code)) if 0 < code < 0x110000 else ""
        key.append(folded)
        owners.extend([index] * len(folded))
    return "".join(key), owners


def _match(key: str, owners: list[int], wanted: str) -> list[int]:
    """Page character indices of ``wanted`` in the page ``key``: exact when it is there, else every block of at
    least ``MIN_BLOCK`` letters that the two share in order (extraction differences aside). Each run covers the
    page characters between its first and last letter (spaces, punctuation) and the punctuation right after."""
    if not wanted or not key:
        return []
    found = key.find(wanted)
    if found >= 0:
        runs = [(found, len(wanted))]
    else:
        matcher = difflib.SequenceMatcher(None, key, wanted, autojunk=False)
        runs = [(b.a, b.size) for b in matcher.get_matching_blocks() if b.size >= MIN_BLOCK]
    chars: set[int] = set()
    for start, size in runs:
        chars.update(range(owners[start], owners[start + size - 1] + 1))
    return sorted(chars)


def _device_rect(pdf_page: Any, box: tuple[float, float, float, float], size: tuple[int, int]) -> tuple[int, ...]:
    """A character box (PDF points: left, bottom, right, top) in image pixels, as the page was drawn (the page's
    own rotation and crop box included)."""
    import pypdfium2.raw as raw

    xs, ys = [], []
    for px, py in ((box[0], box[1]), (box[2], box[3])):
        dx, dy = ctypes.c_int(), ctypes.c_int()
        raw.FPDF_PageToDevice(pdf_page, 0, 0, size[0], size[1], 0, px, py, ctypes.byref(dx), ctypes.byref(dy))
        xs.append(dx.value)
        ys.append(dy.value)
    return min(xs), min(ys), max(xs), max(ys)


def _lines(rects: list[tuple[int, ...]]) -> list[tuple[int, int, int, int]]:
    """Character rectangles in reading order merged into one rectangle per run on the same line."""
    lines: list[list[int]] = []
    for left, top, right, bottom in rects:
        if right <= left or bottom <= top:
            continue  # generated characters (spaces, line ends) have no area
        last = lines[-1] if lines else None
        if last is not None and _same_line(last, top, bottom):
            last[:] = [min(last[0], left), min(last[1], top), max(last[2], right), max(last[3], bottom)]
        else:
            lines.append([left, top, right, bottom])
    pad = 2
    return [(a - pad, b - pad, c + pad, d + pad) for a, b, c, d in lines]


def _same_line(line: list[int], top: int, bottom: int) -> bool:
    """Whether a character from ``top`` to ``bottom`` overlaps ``line`` by more than half the smaller height."""
    overlap = min(bottom, line[3]) - max(top, line[1])
    return overlap > 0.5 * min(bottom - top, line[3] - line[1])


def _draw(image: Any, boxes: list[Box]) -> bytes:
    from PIL import Image, ImageDraw

    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for kind in COLOURS:  # passages first, the sentence on top
        for left, top, right, bottom, box_kind in boxes:
            if box_kind == kind:
                draw.rectangle((left, top, right, bottom), fill=COLOURS[kind])
    out = io.BytesIO()
    Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB").save(out, format="PNG")
    return out.getvalue()
