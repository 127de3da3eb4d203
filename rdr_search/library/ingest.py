"""Adding one file: the checks, parsing and the start of chunking before encoding (``Ingest.prepare``), then
encoding what no vector set holds yet and committing the document part by part (``Ingest.commit``).

A short document is one part: it is written with all its vectors in one transaction. A long one is committed
in parts (a small first part, then ``part_passages`` each), every part in one transaction and searchable at
once; the document is "indexing" until its last part is in. Passages are cut as the parts need them, so the
first part is encoded before the rest of the document is chunked. An add that stops between parts (cancel,
crash) leaves the document "indexing" with whole parts; adding the same file again resumes after them.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from rdr_search.chunking import Chunker, NormalizedText, Passage, normalize_pages
from rdr_search.documents import Document, check_file, file_sha256
from rdr_search.errors import DocumentError
from rdr_search.library.originals import Originals
from rdr_search.library.spaces import VectorSpace, commit_with_indexes
from rdr_search.records import FileOutcome, FileStatus
from rdr_search.settings import Settings
from rdr_search.store import DocumentRecord, Store, content_key

T = TypeVar("T")


@dataclass
class PreparedDocument:
    """A file read, its passages ready to be cut as they are encoded and committed."""

    source: str
    document: Document
    normalized: NormalizedText
    passages: Iterator[Passage]
    """Lazily cut, in order; the first one is known to exist."""
    replaces: DocumentRecord | None
    path: Path | None = None
    """The file it was read from (its original is kept for page views)."""
    resumes: DocumentRecord | None = None
    """An unfinished add of this same content: its committed parts are kept and the add goes on after them."""


@dataclass
class PartVectors:
    """One part's vectors: the new ones per set id (to store) and every passage's, per vector set key."""

    new: dict[int, dict[str, np.ndarray]]
    all: dict[str, np.ndarray]
    encoded: int


@dataclass
class Ingest:
    """The steps of an add for one library (its store, chunker and document reader)."""

    store: Store
    chunker: Chunker
    read: Callable[[Path, str], Document]
    max_file_bytes: int
    rebuild_indexes: Callable[[], None]
    """Restores every index from the committed store (after a write that failed once the indexes changed)."""
    originals: Originals | None = None

    @property
    def settings(self) -> Settings:
        return self.chunker.settings

    def prepare(self, path: Path, source: str) -> PreparedDocument | FileOutcome:
        """Everything before encoding: checks, parsing, the first passage. Failures become outcomes."""
        try:
            check_file(path, source, max_bytes=self.max_file_bytes)
        except DocumentError as exc:
            return FileOutcome(source, FileStatus.FAILED, str(exc))
        try:
            digest = file_sha256(path)
        except OSError as exc:
            return FileOutcome(source, FileStatus.FAILED, f"cannot read the file: {exc.strerror or exc}")
        existing = self.store.document_by_source(source)
        resumes = existing if existing is not None and existing.content_hash == digest else None
        if resumes is not None and not resumes.indexing:
            return FileOutcome(source, FileStatus.UNCHANGED, "already in the library", resumes.passages, resumes.pages)
        twin = self.store.document_by_hash(digest)
        if twin is not None and twin.source != source:
            return FileOutcome(source, FileStatus.DUPLICATE, f"duplicate of {twin.source}; not added twice")
        try:
            document = self.read(path, source)
        except DocumentError as exc:
            return FileOutcome(source, FileStatus.FAILED, str(exc))
        normalized = normalize_pages(document.pages)
        passages = self.chunker.iter_passages(document.title, normalized)
        first = next(passages, None)
        if first is None:
            return FileOutcome(source, FileStatus.FAILED, "no text to index (the document yields no passages)")
        replaces = None if resumes is not None else existing
        return PreparedDocument(
            source, document, normalized, itertools.chain([first], passages), replaces, path, resumes
        )

    def commit(
        self,
        item: PreparedDocument,
        spaces: Mapping[str, VectorSpace],
        primary: str,
        progress: Callable[[int], object],
        cancel: threading.Event | None = None,
    ) -> tuple[FileOutcome, int]:
        """Encode and commit the document part by part, stopping between parts once ``cancel`` is set;
        returns the outcome and how many passages the primary pair encoded."""
        kept = self._resume_point(item)
        document_id = item.resumes.id if item.resumes else None
        total, encoded = kept, 0
        for part, last in self._parts(item, kept):
            if cancel is not None and cancel.is_set():
                return self._cancelled(item, total, document_id is not None), encoded
            vectors = self._encode(part, spaces, primary, progress)
            if document_id is None:
                document_id = self._commit_first(item, part, vectors, spaces, last)
            else:
                write = functools.partial(self.store.commit_part, document_id, part, vectors.new, complete=last)
                self._committed(spaces, [], vectors, write)
            total += len(part)
            encoded += vectors.encoded
        if item.resumes is not None and total == kept:  # every passage was already in: only the mark was left
            self.store.commit_part(item.resumes.id, [], {}, complete=True)
        return self._done(item, total, kept), encoded

    def _resume_point(self, item: PreparedDocument) -> int:
        """How many passages an unfinished add already committed: all of them when they are the ones this add
        cuts (they are then skipped), else none (settings changed: the unfinished rows are replaced)."""
        if item.resumes is None:
            return 0
        stored = self.store.passage_keys(item.resumes.id)
        cut = [content_key(p.title, p.text) for p in itertools.islice(item.passages, len(stored))]
        if cut == stored:
            return len(stored)
        item.replaces, item.resumes = item.resumes, None
        item.passages = self.chunker.iter_passages(item.document.title, item.normalized)
        return 0

    def _parts(self, item: PreparedDocument, kept: int) -> Iterator[tuple[list[Passage], bool]]:
        """(passages, whether it is the last part), cut as asked for; after ``kept`` passages (a resumed add,
        already skipped) every part is full-sized."""
        passages = item.passages
        size = self.settings.first_part_passages if not kept else self.settings.part_passages
        part = list(itertools.islice(passages, max(1, size)))
        while part:
            following = next(passages, None)
            yield part, following is None
            if following is None:
                return
            part = [following, *itertools.islice(passages, max(1, self.settings.part_passages) - 1)]

    def _encode(
        self, part: list[Passage], spaces: Mapping[str, VectorSpace], primary: str, progress: Callable[[int], object]
    ) -> PartVectors:
        """Vectors of a part for every vector set, encoding only contents a set does not hold yet."""
        keys = [content_key(p.title, p.text) for p in part]
        result = PartVectors({}, {}, 0)
        for key, space in spaces.items():
            known = self.store.known_vectors(space.record.id, keys)
            # Passages already encoded by this pair (anywhere in the library, or repeated here) cost nothing.
            todo = list({k: i for i, k in enumerate(keys) if k not in known}.values())
            if len(todo) < len(part):
                progress(len(part) - len(todo))
            fresh: dict[str, np.ndarray] = {}
            if todo:
                vectors = space.encoders().encode_passages(
                    [part[i].title for i in todo], [part[i].text for i in todo], progress=progress
                )
                fresh = {keys[i]: vectors[j] for j, i in enumerate(todo)}
                result.encoded += len(todo) if key == primary else 0
            result.new[space.record.id] = fresh
            result.all[key] = np.stack([known[k] if k in known else fresh[k] for k in keys])
        return result

    def _commit_first(
        self,
        item: PreparedDocument,
        part: list[Passage],
        vectors: PartVectors,
        spaces: Mapping[str, VectorSpace],
        last: bool,
    ) -> int:
        """The document row with its first part (replacing an older version in the same transaction)."""
        old_ids = self.store.passage_ids(item.replaces.id) if item.replaces else []
        document = item.document
        if self.originals is not None and item.path is not None:
            self.originals.keep(item.path, document.content_hash, document.kind)
        write = functools.partial(
            self.store.commit_document,
            source=item.source,
            title=document.title,
            kind=document.kind,
            content_hash=document.content_hash,
            size_bytes=document.size_bytes,
            pages=len(document.pages),
            text=item.normalized.text,
            page_starts=item.normalized.page_starts,
            passages=part,
            new_vectors=vectors.new,
            replaces=item.replaces.id if item.replaces else None,
            ocr_pages=document.ocr_pages,
            complete=last,
        )
        document_id, _ = self._committed(spaces, old_ids, vectors, write)
        if self.originals is not None and item.replaces and item.replaces.content_hash != document.content_hash:
            self.originals.discard(item.replaces.content_hash)
        return document_id

    def _committed(
        self,
        spaces: Mapping[str, VectorSpace],
        old_ids: list[int],
        vectors: PartVectors,
        write: Callable[..., T],
    ) -> T:
        """``write`` with every index updated inside its transaction (old ids out, the part's in)."""

        def change(space: VectorSpace, ids: list[int]) -> None:
            space.index.replace(old_ids, np.asarray(ids, dtype=np.int64), vectors.all[space.record.key])

        return commit_with_indexes(spaces.values(), self.store, write, change, self.rebuild_indexes)

    def _done(self, item: PreparedDocument, total: int, kept: int) -> FileOutcome:
        status = FileStatus.REPLACED if item.replaces else FileStatus.ADDED
        pages = len(item.document.pages)
        message = plural(total, "passage") + (f" from {pages} pages" if pages > 1 else "")
        if kept:
            message += f" (resumed: the first {kept:,} were already in)"
        message = "; ".join((message, *item.document.notes))  # OCR'd or unread pages, a language other than English
        return FileOutcome(item.source, status, message, total, pages)

    def _cancelled(self, item: PreparedDocument, total: int, started: bool) -> FileOutcome:
        if not started:
            return FileOutcome(item.source, FileStatus.CANCELLED, "cancelled before it was indexed; nothing added")
        message = (
            f"cancelled after {plural(total, 'passage')}: they are searchable, marked 'indexing'; add the file "
            "again to finish it (nothing is encoded twice)"
        )
        return FileOutcome(item.source, FileStatus.CANCELLED, message, total, len(item.document.pages))


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
