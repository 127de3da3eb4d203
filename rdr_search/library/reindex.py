"""Reindexing in place, for a new encoder pair or new chunking settings, while the old vectors answer.

New encoders: the new pair's vectors are built as a vector set of their own (committed in chunks, so an
interrupted run resumes where it stopped) while searches keep using the old set; once every passage has its
new vector, the library's default set switches in one transaction, and the old set is dropped (or kept).

New chunking: every document is cut again from its stored text; vectors for the new passages are encoded and
committed first (every vector set gets them), while the old passages stay in use; then all passages are
swapped in one transaction. Either way a crash halfway leaves the library as it was, searchable.

The chunking a library was reindexed to is recorded in it, and later adds follow it (:func:`stored_chunking`).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from rdr_search.errors import LibraryError
from rdr_search.settings import Settings
from rdr_search.store import Store, content_key
from rdr_search.store.records import READY

if TYPE_CHECKING:
    from rdr_search.chunking import Passage
    from rdr_search.encoders.pair import EncoderPair
    from rdr_search.encoders.spec import EncoderSpec
    from rdr_search.library.core import Library

CHUNKING_FIELDS = ("passage_words", "overlap_sentences", "language", "segment_chars")
"""The settings that decide how documents are cut into passages."""
_META_KEY = "chunking"


@dataclass(frozen=True)
class ReindexResult:
    """What a reindex did."""

    what: str
    """"encoders", "chunking" or "nothing" (already as asked)."""
    passages_before: int
    passages_after: int
    encoded: int
    """Passages encoded (per vector set, added up); passages whose content some set already held cost nothing."""
    vector_set: str = ""

    def summary(self) -> str:
        if self.what == "nothing":
            return "Nothing to do: the library already uses these settings."
        return (
            f"Reindexed ({self.what}): {self.passages_before} passages before, {self.passages_after} after, "
            f"{self.encoded} encoded" + (f"; searches now use {self.vector_set}." if self.vector_set else ".")
        )


def stored_chunking(store: Store, settings: Settings) -> Settings:
    """``settings`` with the chunking the library was last reindexed to (a library never reindexed: as given)."""
    raw = store.get_meta(_META_KEY)
    if raw is None:
        return settings
    stored = {k: v for k, v in json.loads(raw).items() if k in CHUNKING_FIELDS}
    return dataclasses.replace(settings, **stored)


def _chunking_of(settings: Settings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in CHUNKING_FIELDS}


def reindex_encoders(
    library: Library, encoders: EncoderSpec | EncoderPair, *, keep_old: bool = False, progress: bool = True
) -> ReindexResult:
    """Build the vectors of ``encoders`` beside the current ones, then make them the library's default."""
    from rdr_search.encoders.pair import EncoderPair

    pair = encoders if isinstance(encoders, EncoderPair) else EncoderPair(encoders, library.settings)
    store = library._store
    old = library._primary
    passages = store.counts()[1]
    if pair.identity.key == old:
        return ReindexResult("nothing", passages, passages, 0)
    record = store.vector_set(pair.identity.key)
    missing = len(store.passages_missing_vectors(record.id) if record else _content_keys(store))
    key = library._attach_pair(pair, progress=progress)  # committed in chunks: an interruption resumes
    with library._lock:
        with store.transaction() as db:
            db.execute("UPDATE meta SET value = ? WHERE key = 'default_set'", (key,))
            if not keep_old:
                db.execute("DELETE FROM vector_sets WHERE key = ?", (old,))
        library._primary = key
        if not keep_old:
            library._spaces.pop(old, None)
            index_file = library._index_files.path(old)
            for path in (index_file, index_file.with_suffix(".json")):
                path.unlink(missing_ok=True)
    return ReindexResult("encoders", passages, passages, missing, pair.spec.name)


def _content_keys(store: Store) -> list[str]:
    return [str(r[0]) for r in store.db.execute("SELECT DISTINCT content_key FROM passages")]


def rechunk(library: Library, settings: Settings, *, progress: bool = True) -> ReindexResult:
    """Cut every document again with the chunking of ``settings`` and swap all passages at once."""
    from rdr_search.chunking import Chunker

    store = library._store
    chunker = Chunker(settings)
    before = store.counts()[1]
    if _chunking_of(settings) == _chunking_of(library._ingest.chunker.settings) and store.get_meta(_META_KEY):
        return ReindexResult("nothing", before, before, 0)
    documents = store.db.execute("SELECT id, title, text, page_starts FROM documents ORDER BY id").fetchall()
    cut: dict[int, list[Passage]] = {}
    for doc_id, title, text, page_starts in tqdm(documents, desc="Cutting passages", unit="document",
                                                 disable=not progress or not documents):  # fmt: skip
        cut[int(doc_id)] = chunker.split(title, _pages(text, json.loads(page_starts)))[1]
    encoded = _encode_new(library, [p for ps in cut.values() for p in ps], progress)
    with library._lock:
        with store.transaction() as db:
            old_keys = _swap_passages(db, cut)
            Store._drop_unused_vectors(db, old_keys)
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_META_KEY, json.dumps(_chunking_of(settings))))
            Store._bump_generation(db)
        library._ingest.chunker = chunker
        library._reload_stale_indexes()
        library._save_indexes()
    return ReindexResult("chunking", before, store.counts()[1], encoded)


def _pages(text: str, starts: Sequence[int]) -> list[str]:
    """A document's pages back from its normalised text (cutting them again gives the same text)."""
    ends = [*starts[1:], len(text)]
    return [text[start:end].rstrip("\n") for start, end in zip(starts, ends, strict=True)] or [text]


def _encode_new(library: Library, passages: list[Passage], progress: bool) -> int:
    """Vectors for passages no set holds yet, committed in chunks before the swap (resumable, reused after)."""
    from rdr_search.library.spaces import load_pair

    store = library._store
    by_key = {content_key(p.title, p.text): p for p in passages}
    encoded = 0
    for record in store.vector_sets():
        space = library._spaces.get(record.key)
        known = store.known_vectors(record.id, list(by_key))
        todo = [p for key, p in by_key.items() if key not in known]
        if not todo:
            continue
        pair = space.encoders() if space is not None else load_pair(None, record, library.settings)
        chunk = max(library.settings.batch_size * 8, 64)
        with tqdm(total=len(todo), desc=f"Encoding for {record.name}", unit="passage", disable=not progress) as bar:
            for start in range(0, len(todo), chunk):
                rows = todo[start : start + chunk]
                vectors = pair.encode_passages([p.title for p in rows], [p.text for p in rows], progress=bar.update)
                store.add_vectors(
                    record.id, {content_key(p.title, p.text): v for p, v in zip(rows, vectors, strict=True)}
                )
        encoded += len(todo)
    return encoded


def _swap_passages(db: sqlite3.Connection, cut: dict[int, list[Passage]]) -> list[str]:
    """Inside the write transaction: every document's passages replaced; returns the old content keys."""
    old_keys = [str(r[0]) for r in db.execute("SELECT content_key FROM passages")]
    db.execute("DELETE FROM passages")
    for document_id, passages in cut.items():
        if not passages:
            raise LibraryError(f"Document {document_id} yields no passages with these settings; nothing changed.")
        db.executemany(
            "INSERT INTO passages (document_id, ordinal, title, text, page_start, page_end, char_start, char_end,"
            " content_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (document_id, p.ordinal, p.title, p.text, p.span.page_start, p.span.page_end, p.span.char_start,
                 p.span.char_end, content_key(p.title, p.text))
                for p in passages
            ],
        )  # fmt: skip
        # The whole stored text was cut again, so even a document still being indexed is now complete.
        db.execute(
            "UPDATE documents SET state = ?, planned_passages = ? WHERE id = ?", (READY, len(passages), document_id)
        )
    return old_keys


def open_for_reindex(folder: Path, settings: Settings) -> Library:
    """The library in ``folder`` with its own pair (loaded only if needed); refuses a folder without one."""
    from rdr_search.library.core import DB_NAME, Library

    if not (Path(folder) / DB_NAME).is_file():
        raise LibraryError(f"There is no library in {folder} to reindex.")
    return Library.open(folder, None, settings)
