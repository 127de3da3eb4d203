"""Adding one file: the checks, parsing and chunking before encoding (``Ingest.prepare``), then encoding what
no vector set holds yet and committing the document with all its vectors in one transaction (``Ingest.commit``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rdr_search.chunking import Chunker, Passage
from rdr_search.documents import Document, check_file, file_sha256
from rdr_search.errors import DocumentError
from rdr_search.library.originals import Originals
from rdr_search.library.spaces import VectorSpace
from rdr_search.records import FileOutcome, FileStatus
from rdr_search.store import DocumentRecord, Store, content_key


@dataclass
class PreparedDocument:
    """A file read and cut into passages, ready to encode and commit."""

    source: str
    document: Document
    text: str
    page_starts: tuple[int, ...]
    passages: list[Passage]
    replaces: DocumentRecord | None
    path: Path | None = None
    """The file it was read from (its original is kept for page views)."""


@dataclass
class Ingest:
    """The steps of an add for one library (its store, chunker and document reader)."""

    store: Store
    chunker: Chunker
    read: Callable[[Path, str], Document]
    max_file_bytes: int
    originals: Originals | None = None

    def prepare(self, path: Path, source: str) -> PreparedDocument | FileOutcome:
        """Everything before encoding: checks, parsing, chunking. Failures become outcomes."""
        try:
            check_file(path, source, max_bytes=self.max_file_bytes)
        except DocumentError as exc:
            return FileOutcome(source, FileStatus.FAILED, str(exc))
        try:
            digest = file_sha256(path)
        except OSError as exc:
            return FileOutcome(source, FileStatus.FAILED, f"cannot read the file: {exc.strerror or exc}")
        existing = self.store.document_by_source(source)
        if existing is not None and existing.content_hash == digest:
            return FileOutcome(
                source, FileStatus.UNCHANGED, "already in the library", existing.passages, existing.pages
            )
        twin = self.store.document_by_hash(digest)
        if twin is not None and twin.source != source:
            return FileOutcome(source, FileStatus.DUPLICATE, f"duplicate of {twin.source}; not added twice")
        try:
            document = self.read(path, source)
        except DocumentError as exc:
            return FileOutcome(source, FileStatus.FAILED, str(exc))
        normalized, passages = self.chunker.split(document.title, document.pages)
        if not passages:
            return FileOutcome(source, FileStatus.FAILED, "no text to index (the document yields no passages)")
        return PreparedDocument(source, document, normalized.text, normalized.page_starts, passages, existing, path)

    def commit(
        self, item: PreparedDocument, spaces: Mapping[str, VectorSpace], primary: str, progress: Callable[[int], object]
    ) -> tuple[FileOutcome, int]:
        """Encode what no vector set has yet, then write the document and all its vectors in one transaction;
        returns the outcome and how many passages the primary pair encoded."""
        passages = item.passages
        keys = [content_key(p.title, p.text) for p in passages]
        new_vectors: dict[int, dict[str, np.ndarray]] = {}
        all_vectors: dict[str, np.ndarray] = {}
        encoded = 0
        for key, space in spaces.items():
            known = self.store.known_vectors(space.record.id, keys)
            # Passages already encoded by this pair (anywhere in the library, or repeated here) cost nothing.
            todo = list({k: i for i, k in enumerate(keys) if k not in known}.values())
            if len(todo) < len(passages):
                progress(len(passages) - len(todo))
            fresh: dict[str, np.ndarray] = {}
            if todo:
                vectors = space.encoders().encode_passages(
                    [passages[i].title for i in todo], [passages[i].text for i in todo], progress=progress
                )
                fresh = {keys[i]: vectors[j] for j, i in enumerate(todo)}
                encoded += len(todo) if key == primary else 0
            new_vectors[space.record.id] = fresh
            all_vectors[key] = np.stack([known[k] if k in known else fresh[k] for k in keys])
        old_ids = self.store.passage_ids(item.replaces.id) if item.replaces else []
        document = item.document
        if self.originals is not None and item.path is not None:
            self.originals.keep(item.path, document.content_hash, document.kind)
        _, ids = self.store.commit_document(
            source=item.source,
            title=document.title,
            kind=document.kind,
            content_hash=document.content_hash,
            size_bytes=document.size_bytes,
            pages=len(document.pages),
            text=item.text,
            page_starts=item.page_starts,
            passages=passages,
            new_vectors=new_vectors,
            replaces=item.replaces.id if item.replaces else None,
            ocr_pages=document.ocr_pages,
        )
        if self.originals is not None and item.replaces and item.replaces.content_hash != document.content_hash:
            self.originals.discard(item.replaces.content_hash)
        generation = self.store.generation()
        for key, space in spaces.items():
            space.index.replace(old_ids, np.asarray(ids, dtype=np.int64), all_vectors[key])
            space.generation = generation
        status = FileStatus.REPLACED if item.replaces else FileStatus.ADDED
        pages = len(document.pages)
        message = plural(len(passages), "passage") + (f" from {pages} pages" if pages > 1 else "")
        message = "; ".join((message, *document.notes))  # OCR'd or unread pages, a language other than English
        return FileOutcome(item.source, status, message, len(passages), pages), encoded


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
