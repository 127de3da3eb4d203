"""The keyword index: an SQLite FTS5 table over every passage's title and text, ranked by BM25.

In a library the table is an *external content* table over ``passages`` (rowid = passage id, no second copy
of the text), kept in step by triggers on ``passages``: every statement that inserts or deletes passages
updates the index in the same statement, hence in the same transaction, so a commit, a replace, a removal
(including the cascade from ``documents``) or a crash can never leave the two disagreeing. A library made
before the index existed gains it on open (:func:`ensure_library_fts`, one transaction, with a progress bar).

A passage collection being evaluated gets a standalone FTS database of its own (:func:`build_collection_fts`).

The query functions take FTS5 expressions built by :mod:`rdr_search.retrieval.keyword` (never user text), and
report scores as ``-bm25``: higher is better, 0 for a passage the expression does not match.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from rdr_search.store.sql import in_chunks

TABLE = "passages_fts"
TOKENIZER = "porter unicode61 remove_diacritics 2"
"""Words fold case and accents and are stemmed (Porter): "Running" finds "runs" (+2 points of answer recall at
top-1 on squad-dev-a over plain unicode61); exact phrases are checked on the text itself."""
_BATCH = 2_000

_LIBRARY_FTS = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(title, text, content='passages', content_rowid='id',"
    f" tokenize='{TOKENIZER}')",
    f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON passages BEGIN"
    f" INSERT INTO {TABLE} (rowid, title, text) VALUES (new.id, new.title, new.text); END",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON passages BEGIN"
    f" INSERT INTO {TABLE} ({TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
    f"CREATE TRIGGER {TABLE}_update AFTER UPDATE ON passages BEGIN"
    f" INSERT INTO {TABLE} ({TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);"
    f" INSERT INTO {TABLE} (rowid, title, text) VALUES (new.id, new.title, new.text); END",
)
_TRIGGERS = {f"{TABLE}_insert", f"{TABLE}_delete", f"{TABLE}_update"}


def has_fts(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone() is not None


def ensure_library_fts(db: sqlite3.Connection, *, progress: bool = True) -> bool:
    """Inside a write transaction: create the index and its triggers if missing and fill it from the stored
    passages. Returns whether it was built (False: it was there)."""
    if has_fts(db):
        return False
    for statement in _LIBRARY_FTS:
        db.execute(statement)
    total = db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
    last = 0
    with tqdm(total=total, desc="Building the keyword index", unit="passage", disable=not progress or not total) as bar:
        while rows := db.execute(
            "SELECT id, title, text FROM passages WHERE id > ? ORDER BY id LIMIT ?", (last, _BATCH)
        ).fetchall():
            db.executemany(f"INSERT INTO {TABLE} (rowid, title, text) VALUES (?, ?, ?)", rows)
            last = rows[-1][0]
            bar.update(len(rows))
    return True


def row_problems(db: sqlite3.Connection) -> list[str]:
    """Passages missing from the keyword index, index rows without a passage, missing triggers (call inside
    a read snapshot)."""
    if not has_fts(db):
        return ["the keyword index is missing (reopening the library builds it)"]
    triggers = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    problems = [f"the keyword index trigger {name} is missing" for name in sorted(_TRIGGERS - triggers)]
    # The docsize shadow table holds one row per indexed rowid: the index's own list of what it holds.
    indexed = {int(row[0]) for row in db.execute(f"SELECT id FROM {TABLE}_docsize")}
    stored = {int(row[0]) for row in db.execute("SELECT id FROM passages")}
    if stored - indexed:
        problems.append(f"{len(stored - indexed)} passages are missing from the keyword index")
    if indexed - stored:
        problems.append(f"{len(indexed - stored)} keyword index rows have no passage")
    return problems


def content_problems(db: sqlite3.Connection) -> list[str]:
    """FTS5's own integrity check of the index against the passages' text (reads the whole index; an
    INSERT by form, so run it outside a read snapshot)."""
    if not has_fts(db):
        return []
    try:
        db.execute(f"INSERT INTO {TABLE} ({TABLE}, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError as exc:
        return [f"the keyword index disagrees with the passages' text ({exc})"]
    return []


@dataclass(frozen=True)
class Scope:
    """Which rows of the index a query may see: SQL joined to it and a condition over the join (both written
    by this package, never from user text) with the condition's parameters. Empty: every row."""

    join: str = ""
    where: str = ""
    params: tuple[object, ...] = ()


EVERYTHING = Scope()


def _where(scope: Scope, extra: str = "") -> str:
    parts = [f"{TABLE} MATCH ?", scope.where, extra]
    return " AND ".join(part for part in parts if part)


def ranked(
    db: sqlite3.Connection, expression: str, limit: int, *, scope: Scope = EVERYTHING, require: str | None = None
) -> list[tuple[int, float]]:
    """(rowid, -bm25) of the best ``limit`` rows matching ``expression`` within ``scope`` (and, if given,
    the ``require`` expression too), best first; ``limit`` -1: all of them."""
    extra = f"{TABLE}.rowid IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?)" if require else ""
    sql = (
        f"SELECT {TABLE}.rowid, -bm25({TABLE}) AS score FROM {TABLE} {scope.join} WHERE {_where(scope, extra)}"
        " ORDER BY score DESC LIMIT ?"
    )
    params = (expression, *scope.params, *((require,) if require else ()), limit)
    return [(int(r[0]), float(r[1])) for r in db.execute(sql, params)]


def matching_texts(db: sqlite3.Connection, expression: str, *, scope: Scope = EVERYTHING) -> list[tuple[int, str, str]]:
    """(rowid, title, text) of every row matching ``expression`` within ``scope``."""
    sql = f"SELECT {TABLE}.rowid, {TABLE}.title, {TABLE}.text FROM {TABLE} {scope.join} WHERE {_where(scope)}"
    return [(int(r[0]), str(r[1]), str(r[2])) for r in db.execute(sql, (expression, *scope.params))]


def scores_of(db: sqlite3.Connection, expression: str, rowids: Sequence[int]) -> dict[int, float]:
    """-bm25 of ``expression`` for these rows (0 for those it does not match)."""
    rows = in_chunks(
        db,
        f"SELECT rowid, -bm25({TABLE}) FROM {TABLE} WHERE {TABLE} MATCH ? AND rowid IN ({{marks}})",
        [int(i) for i in rowids],
        before=(expression,),
    )
    found = {int(r[0]): float(r[1]) for r in rows}
    return {int(i): found.get(int(i), 0.0) for i in rowids}


def build_collection_fts(path: Path, rows: Iterable[Sequence[tuple[int, str, str]]], total: int = 0) -> None:
    """A standalone index of a passage collection at ``path``: ``rows`` yields batches of (rowid, title,
    text). Written to a temporary file and renamed, so ``path`` exists whole or not at all."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute(f"CREATE VIRTUAL TABLE {TABLE} USING fts5(title, text, tokenize='{TOKENIZER}')")
        db.execute("BEGIN")
        with tqdm(total=total or None, desc="Indexing words", unit="passage") as bar:
            for batch in rows:
                db.executemany(f"INSERT INTO {TABLE} (rowid, title, text) VALUES (?, ?, ?)", batch)
                bar.update(len(batch))
        db.execute("COMMIT")
        db.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
    finally:
        db.close()
    tmp.replace(path)
