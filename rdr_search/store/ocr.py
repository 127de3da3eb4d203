"""Which pages of a document were read with OCR, so that hits from them can say so.

A table of its own, added to any library on open (``CREATE TABLE IF NOT EXISTS``: older libraries simply
have no OCR pages), rows deleted with their document. A passage counts as OCR text when any page it spans was
read with OCR.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

OCR_SCHEMA = """
CREATE TABLE IF NOT EXISTS ocr_pages (
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    page INTEGER NOT NULL,
    PRIMARY KEY (document_id, page)
) WITHOUT ROWID;
"""

OCR_FLAG = (
    "EXISTS (SELECT 1 FROM ocr_pages o WHERE o.document_id = p.document_id"
    " AND o.page BETWEEN p.page_start AND p.page_end)"
)
"""SQL for a passage row ``p``: whether any of its pages was read with OCR."""


def ensure_ocr_pages(db: sqlite3.Connection) -> None:
    """Add the table to a library that does not have it yet (idempotent; commits on its own)."""
    db.executescript(OCR_SCHEMA)


def mark_ocr_pages(db: sqlite3.Connection, document_id: int, pages: Sequence[int]) -> None:
    """Inside the document's own transaction: record its pages read with OCR."""
    db.executemany("INSERT INTO ocr_pages VALUES (?, ?)", [(document_id, int(page)) for page in sorted(set(pages))])
