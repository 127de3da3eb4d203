"""PDF: one page of text per PDF page (empty pages keep their place); the title from metadata when it is real.

Pages without a text layer (scans) are read with OCR when Tesseract is installed (see ``ocr``).
"""

from __future__ import annotations

import io
from typing import Any

from rdr_search.documents import ocr
from rdr_search.documents.cleaning import clean_text, metadata_title
from rdr_search.documents.parsed import Parsed
from rdr_search.errors import DocumentError

_PDF_DAMAGED = "not a readable PDF (damaged or truncated)"
_PDF_ENCRYPTED = "encrypted PDF (password-protected); remove the password and add it again"
_PDF_NO_TEXT = "no extractable text (scanned?)"
_PDF_BLANK = "no extractable text (its pages hold neither a text layer nor a scanned image)"
DEFAULT_OCR_BUDGET_S = 60.0
"""OCR time for one file when the caller gives no budget (the parser worker gives its own)."""


def parse(data: bytes, *, budget_s: float = DEFAULT_OCR_BUDGET_S) -> Parsed:
    """Text per page and the metadata title; pages without text are read with OCR within ``budget_s`` when
    Tesseract is installed. A damaged, encrypted or unreadable scanned PDF raises its own reason."""
    if b"%PDF-" not in data[:1024]:
        raise DocumentError("not a PDF file (no PDF header; damaged or another format)")
    reader, pages = _open(data)
    if not pages:
        raise DocumentError("no pages (empty PDF)")
    texts, failures = _page_texts(pages)
    if failures == len(pages):
        raise DocumentError(_PDF_DAMAGED)
    blank = [i + 1 for i, t in enumerate(texts) if not clean_text(t)]
    scans = ocr.pages_with_images(data, blank) if blank else []
    ocr_pages, notes = _read_scans(data, texts, scans, budget_s) if scans else ([], [])
    if not any(clean_text(t) for t in texts):
        if not scans:
            raise DocumentError(_PDF_BLANK)
        raise DocumentError(f"{_PDF_NO_TEXT}; {notes[0] if notes else 'OCR found no text on its pages'}")
    return Parsed(_title(reader), texts, tuple(ocr_pages), tuple(notes))


def _read_scans(data: bytes, texts: list[str], blank: list[int], budget_s: float) -> tuple[list[int], list[str]]:
    """Fill the ``blank`` pages of ``texts`` with OCR where Tesseract can read them: (pages read, notes)."""
    pages = _pages_phrase(blank)
    command = ocr.tesseract_command()
    if command is None:
        return [], [f"no text layer on {pages}; {ocr.INSTALL_HINT}"]
    result = ocr.read_pages(data, blank, budget_s, command)
    read = [n for n in blank if clean_text(result.texts.get(n, ""))]
    for number in read:
        texts[number - 1] = result.texts[number]
    notes = [f"{_pages_phrase(read)} read with OCR (no text layer)"] if read else []
    if result.out_of_time:
        notes.append(f"{_pages_phrase(result.out_of_time)} not read with OCR: the file's time budget ran out")
    return read, notes


def _pages_phrase(pages: list[int]) -> str:
    """'page 3', 'pages 1, 2, 5' (at most 10 numbers named)."""
    if len(pages) == 1:
        return f"page {pages[0]}"
    named = ", ".join(map(str, pages[:10])) + (f" and {len(pages) - 10} more" if len(pages) > 10 else "")
    return f"pages {named}"


def _open(data: bytes) -> tuple[Any, list[Any]]:
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _decrypt(reader)
        return reader, list(reader.pages)
    except (DocumentError, MemoryError):
        raise
    except Exception:  # pypdf raises many types (PdfReadError, ValueError, KeyError, ...)
        raise DocumentError(_PDF_DAMAGED) from None


def _decrypt(reader: Any) -> None:
    # Many PDFs are encrypted with an empty user password (only printing/copying is restricted): those open
    # without asking anyone for a password, so read them.
    from pypdf.errors import DependencyError

    try:
        opened = reader.decrypt("")
    except DependencyError:
        raise DocumentError("encrypted PDF (needs the 'cryptography' package to open)") from None
    except Exception:  # a failed decrypt of any kind means we cannot read it
        opened = 0
    if not opened:
        raise DocumentError(_PDF_ENCRYPTED)


def _page_texts(pages: list[Any]) -> tuple[list[str], int]:
    """The text of each page and how many pages failed to extract."""
    texts: list[str] = []
    failures = 0
    for page in pages:
        try:
            texts.append(page.extract_text() or "")
        except MemoryError:
            raise
        except Exception:  # one bad page should not lose the others; it keeps its index, empty
            failures += 1
            texts.append("")
    return texts, failures


def _title(reader: Any) -> str | None:
    try:
        metadata = reader.metadata
        raw = metadata.get("/Title") if metadata else None
    except Exception:  # damaged metadata is no reason to lose the text
        return None
    return metadata_title(raw)
