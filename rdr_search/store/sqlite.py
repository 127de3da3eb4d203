"""SQLite store: documents, passages, vector sets and their vectors. The commit point of the library.

A document, its passages and any new vectors are written in one transaction, so they become visible
together or not at all; the keyword index over the passages (:mod:`rdr_search.store.fts`) is written by
triggers in the same statements. Vectors are keyed by (vector set, passage content), which makes an unchanged
passage cost no encoding even when its document changed or moved.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from rdr_search.chunking import Passage
from rdr_search.errors import LibraryError
from rdr_search.records import Span
from rdr_search.store import fts
from rdr_search.store.ocr import OCR_FLAG, ensure_ocr_pages, mark_ocr_pages
from rdr_search.store.records import INDEXING, READY, DocumentRecord, PassageRecord, VectorSetRecord, content_key
from rdr_search.store.schema import SCHEMA, check_version
from rdr_search.store.sql import in_chunks as _in_chunks


def now_iso() -> str:
    """The current UTC time to the second, as stored in ``added_at`` and ``created_at``."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """One SQLite database per library; one connection per thread (sqlite3 objects are not shareable)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        try:
            self.db.executescript(SCHEMA)  # idempotent; executescript commits on its own
            ensure_ocr_pages(self.db)
            with self.transaction() as db:
                check_version(db, path)
        except sqlite3.DatabaseError as exc:
            raise LibraryError(f"{path} is not a readable rdr-search library database: {exc}") from exc

    @property
    def db(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA foreign_keys = ON")
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    def close(self) -> None:
        """Close every thread's connection (server threads each opened their own)."""
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()

    @contextlib.contextmanager
    def _begin(self, statement: str, *, rollback: bool) -> Iterator[sqlite3.Connection]:
        db = self.db
        db.execute(statement)
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK" if rollback else "COMMIT")
            raise
        try:
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # a COMMIT that failed (disk full, I/O error) must not leave the write open
                db.execute("ROLLBACK")
            raise

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A write transaction; commits on success, rolls back on any exception."""
        return self._begin("BEGIN IMMEDIATE", rollback=True)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees one committed state. Inside another transaction of
        this thread it is that transaction (so a reload done during a search reads the search's snapshot)."""
        if self.db.in_transaction:
            yield self.db
            return
        with self._begin("BEGIN", rollback=False) as db:
            db.execute("SELECT 1 FROM meta LIMIT 1").fetchone()  # BEGIN is lazy: the first read fixes the state
            yield db

    # --- metadata -------------------------------------------------------------------------------

    def generation(self, db: sqlite3.Connection | None = None) -> int:
        """Incremented by every commit that changes passages; index files record the one they reflect."""
        row = (db or self.db).execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0])

    @staticmethod
    def _bump_generation(db: sqlite3.Connection) -> None:
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # --- vector sets ----------------------------------------------------------------------------

    def vector_sets(self) -> list[VectorSetRecord]:
        rows = self.db.execute(
            "SELECT id, key, identity, name, kind, ctx_encoder, question_encoder, created_at FROM vector_sets"
        ).fetchall()
        return [VectorSetRecord(*row) for row in rows]

    def vector_set(self, key: str) -> VectorSetRecord | None:
        return next((s for s in self.vector_sets() if s.key == key), None)

    def add_vector_set(
        self, key: str, identity: str, name: str, kind: str, ctx_encoder: str, question_encoder: str
    ) -> VectorSetRecord:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO vector_sets (key, identity, name, kind, ctx_encoder, question_encoder,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, identity, name, kind, ctx_encoder, question_encoder, now_iso()),
            )
            if db.execute("SELECT value FROM meta WHERE key = 'default_set'").fetchone() is None:
                db.execute("INSERT INTO meta VALUES ('default_set', ?)", (key,))
        record = self.vector_set(key)
        assert record is not None
        return record

    def known_vectors(self, set_id: int, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for these passage contents (the encode-once cache)."""
        rows = _in_chunks(
            self.db,
            "SELECT content_key, vector FROM vectors WHERE set_id = ? AND content_key IN ({marks})",
            list(dict.fromkeys(keys)),
            before=(set_id,),
        )
        return {key: np.frombuffer(blob, dtype=np.float32) for key, blob in rows}

    def iter_vectors(
        self, set_id: int, db: sqlite3.Connection | None = None, batch: int = 20_000
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(passage ids, vectors) of every passage that has a vector in the set, in id order."""
        cursor = (db or self.db).execute(
            "SELECT p.id, v.vector FROM passages p JOIN vectors v ON v.content_key = p.content_key"
            " AND v.set_id = ? ORDER BY p.id",
            (set_id,),
        )
        while rows := cursor.fetchmany(batch):
            ids = np.array([row[0] for row in rows], dtype=np.int64)
            vectors = np.stack([np.frombuffer(row[1], dtype=np.float32) for row in rows])
            yield ids, vectors

    def passages_missing_vectors(self, set_id: int, limit: int = -1) -> list[tuple[str, str, str]]:
        """(content key, title, text) of passages without a vector in the set, each content once."""
        rows = self.db.execute(
            "SELECT p.content_key, p.title, p.text FROM passages p WHERE NOT EXISTS ("
            "SELECT 1 FROM vectors v WHERE v.set_id = ? AND v.content_key = p.content_key) GROUP BY p.content_key"
            " LIMIT ?",
            (set_id, limit),
        ).fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def add_vectors(self, set_id: int, vectors: dict[str, np.ndarray]) -> None:
        with self.transaction() as db:
            self._insert_vectors(db, set_id, vectors)

    @staticmethod
    def _insert_vectors(db: sqlite3.Connection, set_id: int, vectors: dict[str, np.ndarray]) -> None:
        db.executemany(
            "INSERT OR IGNORE INTO vectors VALUES (?, ?, ?)",
            [(set_id, key, np.asarray(v, dtype=np.float32).tobytes()) for key, v in vectors.items()],
        )

    # --- documents ------------------------------------------------------------------------------

    def document_by_source(self, source: str) -> DocumentRecord | None:
        return next(iter(self.documents("WHERE d.source = ?", (source,))), None)

    def document_by_hash(self, content_hash: str) -> DocumentRecord | None:
        return next(iter(self.documents("WHERE d.content_hash = ?", (content_hash,))), None)

    def documents(self, where: str = "", params: tuple[object, ...] = ()) -> list[DocumentRecord]:
        rows = self.db.execute(
            "SELECT d.id, d.source, d.title, d.kind, d.content_hash, d.size_bytes, d.pages, d.added_at,"
            f" (SELECT COUNT(*) FROM passages p WHERE p.document_id = d.id), d.state, d.planned_passages"
            f" FROM documents d {where}"
            " ORDER BY d.source",
            params,
        ).fetchall()
        return [DocumentRecord(*row) for row in rows]

    def passage_keys(self, document_id: int) -> list[str]:
        """The content keys of a document's passages, in order."""
        sql = "SELECT content_key FROM passages WHERE document_id = ? ORDER BY ordinal"
        rows = self.db.execute(sql, (document_id,))
        return [str(row[0]) for row in rows]

    def passage_ids(self, document_id: int) -> list[int]:
        return [row[0] for row in self.db.execute("SELECT id FROM passages WHERE document_id = ?", (document_id,))]

    def commit_document(
        self,
        *,
        source: str,
        title: str,
        kind: str,
        content_hash: str,
        size_bytes: int,
        pages: int,
        text: str,
        page_starts: Sequence[int],
        passages: Sequence[Passage],
        new_vectors: dict[int, dict[str, np.ndarray]],
        replaces: int | None = None,
        ocr_pages: Sequence[int] = (),
        complete: bool = True,
        before_commit: Callable[[list[int]], object] | None = None,
    ) -> tuple[int, list[int]]:
        """Write one document, its passages and new vectors (per set id) in one transaction; the old
        version (``replaces``) goes in the same transaction; ``ocr_pages`` are its pages read with OCR.
        Without ``complete`` these passages are the document's first part: it stays "indexing" until
        :meth:`commit_part` commits its last part. ``before_commit`` gets the new passage ids inside the
        transaction, just before it commits (see :func:`rdr_search.library.spaces.commit_with_indexes`).
        Returns (document id, passage ids)."""
        state, planned = (READY, len(passages)) if complete else (INDEXING, None)
        with self.transaction() as db:
            # The old version's rows go first (its source is UNIQUE); its vectors are collected only after
            # the new passages are in, because unchanged passages reuse them.
            old_keys = self._delete_rows(db, replaces) if replaces is not None else []
            cursor = db.execute(
                "INSERT INTO documents (source, title, kind, content_hash, size_bytes, pages, added_at, text,"
                " page_starts, state, planned_passages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    source, title, kind, content_hash, size_bytes, pages, now_iso(), text,
                    json.dumps(list(page_starts)), state, planned,
                ),
            )  # fmt: skip
            document_id = int(cursor.lastrowid or 0)
            mark_ocr_pages(db, document_id, ocr_pages)
            ids = self._insert_passages(db, document_id, passages, new_vectors)
            self._drop_unused_vectors(db, old_keys)
            self._bump_generation(db)
            if before_commit is not None:
                before_commit(ids)
        return document_id, ids

    def commit_part(
        self,
        document_id: int,
        passages: Sequence[Passage],
        new_vectors: dict[int, dict[str, np.ndarray]],
        *,
        complete: bool,
        before_commit: Callable[[list[int]], object] | None = None,
    ) -> list[int]:
        """Append the next part of an "indexing" document in one transaction; with ``complete`` it is the last
        and the document becomes ready. ``before_commit`` as in :meth:`commit_document`. Returns the passage
        ids."""
        with self.transaction() as db:
            row = db.execute("SELECT state FROM documents WHERE id = ?", (document_id,)).fetchone()
            if row is None or row[0] != INDEXING:
                raise LibraryError("The document being indexed was removed or replaced meanwhile.")
            ids = self._insert_passages(db, document_id, passages, new_vectors)
            if complete:
                db.execute(
                    "UPDATE documents SET state = ?, planned_passages = (SELECT COUNT(*) FROM passages"
                    " WHERE document_id = ?) WHERE id = ?",
                    (READY, document_id, document_id),
                )
            self._bump_generation(db)
            if before_commit is not None:
                before_commit(ids)
        return ids

    def _insert_passages(
        self,
        db: sqlite3.Connection,
        document_id: int,
        passages: Sequence[Passage],
        new_vectors: dict[int, dict[str, np.ndarray]],
    ) -> list[int]:
        ids = []
        for p in passages:
            span = p.span
            cursor = db.execute(
                "INSERT INTO passages (document_id, ordinal, title, text, page_start, page_end, char_start,"
                " char_end, content_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    document_id, p.ordinal, p.title, p.text, span.page_start, span.page_end, span.char_start,
                    span.char_end, content_key(p.title, p.text),
                ),
            )  # fmt: skip
            ids.append(int(cursor.lastrowid or 0))
        for set_id, vectors in new_vectors.items():
            self._insert_vectors(db, set_id, vectors)
        return ids

    def remove_document(self, document_id: int, before_commit: Callable[[list[int]], object] | None = None) -> None:
        """Delete a document with its passages and the vectors no other passage uses. ``before_commit`` gets
        the removed passage ids inside the transaction, just before it commits."""
        with self.transaction() as db:
            ids = self.passage_ids(document_id)  # this thread's connection: read inside the transaction
            self._drop_unused_vectors(db, self._delete_rows(db, document_id))
            self._bump_generation(db)
            if before_commit is not None:
                before_commit(ids)

    @staticmethod
    def _delete_rows(db: sqlite3.Connection, document_id: int) -> list[str]:
        """Delete a document and its passages; returns the content keys its passages used."""
        keys = [row[0] for row in db.execute("SELECT content_key FROM passages WHERE document_id = ?", (document_id,))]
        db.execute("DELETE FROM passages WHERE document_id = ?", (document_id,))
        db.execute("DELETE FROM documents WHERE id = ?", (document_id,))
        return keys

    @staticmethod
    def _drop_unused_vectors(db: sqlite3.Connection, keys: Sequence[str]) -> None:
        """Vectors of these contents that no passage uses any more (removed documents keep nothing)."""
        _in_chunks(
            db,
            "DELETE FROM vectors WHERE content_key IN ({marks}) AND content_key NOT IN"
            " (SELECT content_key FROM passages WHERE content_key IN ({marks}))",
            keys,
        )

    def passages_by_ids(self, ids: Sequence[int], db: sqlite3.Connection | None = None) -> dict[int, PassageRecord]:
        rows = _in_chunks(
            db or self.db,
            "SELECT p.id, p.document_id, d.source, d.title, d.pages, d.kind, p.ordinal, p.page_start, p.page_end,"
            f" p.char_start, p.char_end, p.text, {OCR_FLAG}, d.state FROM passages p"
            " JOIN documents d ON d.id = p.document_id"
            " WHERE p.id IN ({marks})",
            [int(i) for i in ids],
        )
        return {
            int(r[0]): PassageRecord(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                Span(r[7], r[8], r[9], r[10]),
                r[11],
                bool(r[12]),
                r[13] == INDEXING,
            )
            for r in rows
        }

    def counts(self) -> tuple[int, int]:
        """(documents, passages)."""
        docs = self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        passages = self.db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        return int(docs), int(passages)

    def integrity_problems(self, set_ids: Sequence[int]) -> list[str]:
        """Row-level inconsistencies: what `rdr-search check` reports besides the index."""
        problems = []
        (ok,) = self.db.execute("PRAGMA quick_check").fetchone()
        if ok != "ok":
            problems.append(f"SQLite reports: {ok}")
        orphans = self.db.execute(
            "SELECT COUNT(*) FROM passages p LEFT JOIN documents d ON d.id = p.document_id WHERE d.id IS NULL"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} passages belong to no document")
        empty = self.db.execute(
            "SELECT source FROM documents d WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.document_id = d.id)"
        ).fetchall()
        problems.extend(f"document '{row[0]}' has no passages" for row in empty)
        short = self.db.execute(
            "SELECT source, planned_passages, (SELECT COUNT(*) FROM passages p WHERE p.document_id = d.id) AS held"
            " FROM documents d WHERE state != ? AND (planned_passages IS NULL OR planned_passages != held)",
            (INDEXING,),
        ).fetchall()
        problems.extend(
            f"document '{source}' is marked ready but holds {held} of its {planned} passages"
            for source, planned, held in short
        )
        for set_id in set_ids:
            missing = self.db.execute(
                "SELECT COUNT(*) FROM passages p WHERE NOT EXISTS (SELECT 1 FROM vectors v"
                " WHERE v.set_id = ? AND v.content_key = p.content_key)",
                (set_id,),
            ).fetchone()[0]
            if missing:
                problems.append(f"{missing} passages have no vector in vector set {set_id}")
        problems.extend(fts.row_problems(self.db))
        return problems

    def keyword_index_problems(self) -> list[str]:
        """The keyword index checked against the passages' text (reads all of it; outside any snapshot)."""
        return fts.content_problems(self.db)
