"""Checks of an imported library database before any of it is merged: it is untrusted input.

The layout must equal what a fresh store of this version creates (compared with a store made on the spot, so
the check follows the schema as it changes): no table, index, trigger or view of its own. Then SQLite's own
integrity check, foreign keys, the type of every value, encoder identities that hash to their keys, vectors
of the length their identity says with finite values, and a vector in every set for every passage.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
from pathlib import Path

import numpy as np

from rdr_search.encoders.spec import EncoderIdentity
from rdr_search.errors import ArchiveError
from rdr_search.library.sources import clean_source
from rdr_search.store import Store
from rdr_search.store.fts import TABLE as FTS_TABLE
from rdr_search.store.schema import SCHEMA_VERSION

_TYPES = {"TEXT": "text", "INTEGER": "integer", "BLOB": "blob", "REAL": "real"}
_HASH = re.compile(r"^[0-9a-f]{64}$")
_MAX_DIM = 65_536

Schema = set[tuple[str, str, str, str | None]]


def _schema(db: sqlite3.Connection) -> Schema:
    return {
        (str(t), str(n), str(tb), s)
        for t, n, tb, s in db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
    }


def fresh_schema() -> tuple[Schema, dict[str, list[tuple[str, str, bool]]]]:
    """The layout of a store made now, and each plain table's columns as (name, declared type, not null)."""
    with tempfile.TemporaryDirectory(prefix="rdr-fresh-") as folder:
        store = Store(Path(folder) / "fresh.sqlite3")
        try:
            schema = _schema(store.db)
            plain = [
                name
                for kind, name, _, sql in schema
                if kind == "table" and not name.startswith(("sqlite_", FTS_TABLE)) and sql and "VIRTUAL" not in sql
            ]
            columns = {name: _columns(store.db, name) for name in plain}
        finally:
            store.close()
    return schema, columns


def _columns(db: sqlite3.Connection, table: str) -> list[tuple[str, str, bool]]:
    # A primary key column is never NULL, whatever its declaration says.
    return [
        (str(r[1]), str(r[2]).upper(), bool(r[3]) or bool(r[5])) for r in db.execute(f"PRAGMA table_info('{table}')")
    ]


def open_untrusted(path: Path) -> sqlite3.Connection:
    """Read-only, nothing written beside it, and no SQL from its schema run by our queries."""
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    db.execute("PRAGMA trusted_schema = OFF")
    return db


def check_database(path: Path) -> list[str]:
    """Raise :class:`ArchiveError` unless the database is a well-formed library; returns its vector set keys."""
    expected, columns = fresh_schema()
    db = open_untrusted(path)
    try:
        try:
            found = _schema(db)
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"The archive's database is not a readable SQLite database: {exc}") from exc
        if found != expected:
            extra = sorted(f"{t} {n}" for t, n, _, _ in found - expected)
            missing = sorted(f"{t} {n}" for t, n, _, _ in expected - found)
            raise ArchiveError(
                "The archive's database does not have this version's layout"
                + (f"; it adds: {', '.join(extra[:5])}" if extra else "")
                + (f"; it lacks or alters: {', '.join(missing[:5])}" if missing else "")
                + "."
            )
        _check_rows(db, columns)
        return _check_vectors(db)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"The archive's database is damaged: {exc}") from exc
    finally:
        db.close()


def _check_rows(db: sqlite3.Connection, columns: dict[str, list[tuple[str, str, bool]]]) -> None:
    (ok,) = db.execute("PRAGMA integrity_check(1)").fetchone()
    if ok != "ok":
        raise ArchiveError(f"The archive's database is damaged: {ok}")
    if db.execute("PRAGMA foreign_key_check").fetchone() is not None:
        raise ArchiveError("The archive's database has rows that point at missing rows.")
    for table, cols in columns.items():
        for name, declared, not_null in cols:
            wanted = _TYPES.get(declared)
            if wanted is None:
                continue
            allowed = f"('{wanted}')" if not_null else f"('{wanted}', 'null')"
            bad = db.execute(f'SELECT COUNT(*) FROM "{table}" WHERE typeof("{name}") NOT IN {allowed}').fetchone()[0]
            if bad:
                raise ArchiveError(f"The archive's database has {bad} value(s) of the wrong type in {table}.{name}.")
    version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if version is None or version[0] != str(SCHEMA_VERSION):
        raise ArchiveError(f"The archive's database has store schema {version and version[0]!r}; this version reads "
                           f"{SCHEMA_VERSION}.")  # fmt: skip
    for source, content_hash, page_starts in db.execute("SELECT source, content_hash, page_starts FROM documents"):
        if clean_source(source) != source:
            raise ArchiveError(f"The archive names a document {ascii(source[:80])}, which is not a valid name.")
        if not _HASH.match(content_hash) or not _int_list(page_starts):
            raise ArchiveError(f"The archive's document {source!r} has a malformed content hash or page list.")


def _int_list(text: str) -> bool:
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, list) and all(isinstance(v, int) and v >= 0 for v in value)


def _check_vectors(db: sqlite3.Connection) -> list[str]:
    keys = []
    for set_id, key, identity in db.execute("SELECT id, key, identity FROM vector_sets").fetchall():
        try:
            parsed = EncoderIdentity.from_json(identity)
        except (ValueError, TypeError) as exc:
            raise ArchiveError(f"The archive's vector set {key!r} has an unreadable encoder identity.") from exc
        if parsed.key != key or not 0 < parsed.dim <= _MAX_DIM:
            raise ArchiveError(f"The archive's vector set {key!r} does not match its encoder identity.")
        wrong = db.execute("SELECT COUNT(*) FROM vectors WHERE set_id = ? AND length(vector) != ?",
                           (set_id, parsed.dim * 4)).fetchone()[0]  # fmt: skip
        if wrong:
            raise ArchiveError(f"The archive holds {wrong} vector(s) of the wrong length in vector set {key!r}.")
        cursor = db.execute("SELECT vector FROM vectors WHERE set_id = ?", (set_id,))
        while rows := cursor.fetchmany(5_000):
            if not np.isfinite(np.frombuffer(b"".join(r[0] for r in rows), dtype=np.float32)).all():
                raise ArchiveError(f"The archive's vector set {key!r} holds vectors that are not finite numbers.")
        missing = db.execute(
            "SELECT COUNT(*) FROM passages p WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.set_id = ?"
            " AND v.content_key = p.content_key)",
            (set_id,),
        ).fetchone()[0]
        if missing:
            raise ArchiveError(f"{missing} passage(s) of the archive have no vector in vector set {key!r}.")
        keys.append(str(key))
    default = db.execute("SELECT value FROM meta WHERE key = 'default_set'").fetchone()
    if keys and (default is None or default[0] not in keys):
        raise ArchiveError("The archive's default vector set is not one it holds.")
    if not keys and db.execute("SELECT 1 FROM passages LIMIT 1").fetchone() is not None:
        raise ArchiveError("The archive holds passages but no vectors.")
    return keys
