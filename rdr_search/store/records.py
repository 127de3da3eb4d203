"""What the store hands out: documents, passages and vector sets as rows, and the passage content key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rdr_search.records import Span

INDEXING = "indexing"
READY = "ready"


def content_key(title: str, text: str) -> str:
    """What an encoder sees of a passage, hashed: equal keys mean equal vectors for one encoder."""
    return hashlib.sha256(f"{title}\x00{text}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class DocumentRecord:
    """A document as stored in the library."""

    id: int
    source: str
    title: str
    kind: str
    content_hash: str
    size_bytes: int
    pages: int
    added_at: str
    passages: int
    state: str = "ready"
    """"indexing" while a long document's parts are still being committed, then "ready"."""
    planned_passages: int | None = None
    """How many passages the whole document has (known once it is ready)."""

    @property
    def indexing(self) -> bool:
        return self.state == INDEXING


@dataclass(frozen=True)
class PassageRecord:
    """A stored passage with its document's name, ready to show as a hit."""

    id: int
    document_id: int
    source: str
    document_title: str
    document_pages: int
    document_kind: str
    ordinal: int
    span: Span
    text: str
    ocr: bool = False
    """Whether any of its pages was read with OCR."""
    indexing: bool = False
    """Its document is still being indexed (more of it is to come)."""


@dataclass(frozen=True)
class VectorSetRecord:
    """One encoder identity's vectors in this library."""

    id: int
    key: str
    identity: str
    name: str
    kind: str
    ctx_encoder: str
    question_encoder: str
    created_at: str
