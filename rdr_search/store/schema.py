"""The library database's tables, and the check that a database has the layout this version reads.

Schema 2 added the keyword index (:mod:`rdr_search.store.fts`); schema 3 the documents' ``state`` ("indexing"
until the last part of a long document is committed, then "ready") and ``planned_passages``. Older libraries are
upgraded on open.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rdr_search.errors import LibraryError
from rdr_search.store.fts import ensure_library_fts

SCHEMA_VERSION = 3
UPGRADABLE = (1, 2)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    pages INTEGER NOT NULL,
    added_at TEXT NOT NULL,
    text TEXT NOT NULL,
    page_starts TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'ready',
    planned_passages INTEGER
);
CREATE INDEX IF NOT EXISTS documents_by_hash ON documents (content_hash);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    page_start INTEGER NOT NULL,
    page_end INTEGER NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    content_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_by_document ON passages (document_id);
CREATE INDEX IF NOT EXISTS passages_by_key ON passages (content_key);
CREATE TABLE IF NOT EXISTS vector_sets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    identity TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    ctx_encoder TEXT NOT NULL,
    question_encoder TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vectors (
    set_id INTEGER NOT NULL REFERENCES vector_sets (id) ON DELETE CASCADE,
    content_key TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (set_id, content_key)
) WITHOUT ROWID;
"""


def check_version(db: sqlite3.Connection, path: Path, *, progress: bool = True) -> None:
    """Inside a write transaction: stamp a new database with this schema version, upgrade an older one (the
    keyword index is built from its passages), refuse one written by a newer version."""
    version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if version is None:
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        db.execute("INSERT INTO meta VALUES ('generation', '0')")
    elif int(version[0]) in UPGRADABLE:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
        _add_document_state(db)
    elif int(version[0]) != SCHEMA_VERSION:
        raise LibraryError(f"{path} uses store schema {version[0]}; this version of rdr-search reads {SCHEMA_VERSION}.")
    ensure_library_fts(db, progress=progress)


def _add_document_state(db: sqlite3.Connection) -> None:
    """Schema 3: every document of an older library was committed whole, so it is ready with the passages it has."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(documents)")}
    if "state" not in columns:
        db.execute("ALTER TABLE documents ADD COLUMN state TEXT NOT NULL DEFAULT 'ready'")
    if "planned_passages" not in columns:
        db.execute("ALTER TABLE documents ADD COLUMN planned_passages INTEGER")
    db.execute(
        "UPDATE documents SET planned_passages = (SELECT COUNT(*) FROM passages p WHERE p.document_id = documents.id)"
        " WHERE planned_passages IS NULL AND state = 'ready'"
    )
