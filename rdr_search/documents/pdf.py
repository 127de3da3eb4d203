"""PDF: one page of text per PDF page (empty pages keep their place); the title from metadata when it is real."""

from __future__ import annotations

import io
from typing import Any

from rdr_search.documents.cleaning import clean_text, metadata_title
from rdr_search.errors import DocumentError

_PDF_DAMAGED = "not a readable PDF (damaged or truncated)"
_PDF_ENCRYPTED = "encrypted PDF (password-protected); remove the password and add it again"
_PDF_NO_TEXT = "no extractable text (scanned? run OCR first)"


def parse(data: bytes) -> tuple[str | None, list[str]]:
    """Text per page and the metadata title; a damaged, encrypted or scanned PDF raises its own reason."""
    if b"%PDF-" not in data[:1024]:
        raise DocumentError("not a PDF file (no PDF header; damaged or another format)")
    reader, pages = _open(data)
    if not pages:
        raise DocumentError("no pages (empty PDF)")
    texts, failures = _page_texts(pages)
    if not any(clean_text(t) for t in texts):
        raise DocumentError(_PDF_DAMAGED if failures == len(pages) else _PDF_NO_TEXT)
    return _title(reader), texts


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
