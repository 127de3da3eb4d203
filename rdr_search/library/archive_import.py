"""Importing a library archive: checked (:mod:`.archive`, :mod:`.archive_check`), then merged in one transaction.

Into an empty library the import is whole: every vector set, and the same document and passage ids, so the
same questions give the same hits. Into a library that holds documents it merges by content, as an add does:
a document under a new name is added, an unchanged one skipped, a changed one replaced, identical content
under another name reported as a duplicate. Only vector sets the library already holds are merged; an
archive that lacks the library's own encoder pair is refused with the ways forward.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from rdr_search.errors import ArchiveError
from rdr_search.library.archive import UnpackedArchive, unpack
from rdr_search.library.archive_check import check_database, fresh_schema, open_untrusted
from rdr_search.library.core import DB_NAME, Library
from rdr_search.library.locking import WriteLock
from rdr_search.library.originals import Originals
from rdr_search.settings import Settings
from rdr_search.store import Store
from rdr_search.store.sql import in_chunks


@dataclass
class ImportResult:
    """What an import did, document by document."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    vector_sets: list[str] = field(default_factory=list)
    """Names of the vector sets whose vectors came in."""
    skipped_sets: list[str] = field(default_factory=list)
    """Vector sets of the archive this library does not hold (only an import into an empty library takes them)."""
    whole: bool = False

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.replaced)} replaced", f"{len(self.unchanged)} unchanged"]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicate(s) not added twice")
        text = f"Imported: {', '.join(parts)}; vectors of {', '.join(self.vector_sets) or 'no vector set'}."
        if self.skipped_sets:
            text += f" Not imported (this library holds no such vector set): {', '.join(self.skipped_sets)}."
        return text


def import_library(
    target: Library | str | Path,
    archive: str | Path,
    settings: Settings | None = None,
    *,
    max_unpacked_bytes: int | None = None,
    progress: bool = True,
) -> ImportResult:
    """Import an archive made by :func:`~rdr_search.library.archive.export_library` into an open library, or
    into the library folder ``target`` (created when missing; no model is loaded). ``max_unpacked_bytes``
    lowers the unpacked-size cap (e.g. to the disk room a session has left)."""
    if isinstance(target, Library):
        library = target
        with library._lock:
            result = _import(library._store, library._originals, library.path, Path(archive), library.settings,
                             max_unpacked_bytes, progress)  # fmt: skip
            library._reload_stale_indexes()
            library._save_indexes()
        return result
    settings = settings or Settings()
    folder = Path(target).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ArchiveError(f"'{folder}' is a file; a library is a folder.")
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(folder / DB_NAME)
    try:
        with WriteLock(folder, settings.lock_timeout_s, lambda: None):
            originals = Originals(folder, enabled=settings.keep_originals)
            return _import(store, originals, folder, Path(archive), settings, max_unpacked_bytes, progress)
    finally:
        store.close()


def _import(
    store: Store, originals: Originals, folder: Path, archive: Path, settings: Settings, room: int | None,
    progress: bool,
) -> ImportResult:  # fmt: skip
    cap = settings.max_archive_unpacked_bytes if room is None else min(room, settings.max_archive_unpacked_bytes)
    unpacked = unpack(archive, folder, max_bytes=settings.max_archive_bytes, max_unpacked_bytes=cap)
    try:
        check_database(unpacked.database)
        source = open_untrusted(unpacked.database)
        try:
            return _merge(store, source, unpacked, originals, progress)
        finally:
            source.close()
    finally:
        unpacked.discard()


def _mismatch(folder: Path, held: Sequence[str], offered: Sequence[str]) -> ArchiveError:
    return ArchiveError(
        f"The library in {folder} holds vectors of {', '.join(held)}; the archive holds vectors of "
        f"{', '.join(offered) or 'no encoder pair'} only, so its passages could not be searched here. Either import "
        "it into a new, empty library (rdr-search import-library FILE --library NEW_FOLDER: it then uses the "
        "archive's pair, and rdr-search reindex can move it to another pair), or add vectors for this library's "
        "pair to the library the archive came from (rdr-search add-encoders) and export it again."
    )


def _merge(
    store: Store, source: sqlite3.Connection, unpacked: UnpackedArchive, originals: Originals, progress: bool
) -> ImportResult:
    _, columns = fresh_schema()
    doc_cols = [c for c, _, _ in columns["documents"]]
    passage_cols = [c for c, _, _ in columns["passages"]]
    rows = source.execute(
        "SELECT id, key, identity, name, kind, ctx_encoder, question_encoder, created_at FROM vector_sets"
    )
    theirs = {str(r[1]): r for r in rows}
    with store.transaction() as db:
        ours = {str(key): (int(i), str(name)) for i, key, name in db.execute("SELECT id, key, name FROM vector_sets")}
        whole = db.execute("SELECT 1 FROM documents LIMIT 1").fetchone() is None
        if not set(ours) <= set(theirs):
            raise _mismatch(store.path.parent, [n for _, n in ours.values()], [str(r[3]) for r in theirs.values()])
        result = ImportResult(whole=whole)
        set_map: dict[int, int] = {}
        for key, row in theirs.items():
            if key not in ours and not whole:
                result.skipped_sets.append(str(row[3]))
                continue
            if key not in ours:
                cursor = db.execute("INSERT INTO vector_sets (key, identity, name, kind, ctx_encoder, question_encoder,"
                                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", row[1:])  # fmt: skip
                ours[key] = (int(cursor.lastrowid or 0), str(row[3]))
            set_map[int(row[0])] = ours[key][0]
            result.vector_sets.append(str(row[3]))
        default = source.execute("SELECT value FROM meta WHERE key = 'default_set'").fetchone()
        if default is not None:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('default_set', ?)", (default[0],))
        documents = source.execute(f"SELECT {', '.join(doc_cols)} FROM documents ORDER BY id").fetchall()
        old_keys: list[str] = []
        for row in tqdm(documents, desc="Importing documents", unit="document", disable=not progress or not documents):
            record = dict(zip(doc_cols, row, strict=True))
            old_keys += _merge_document(db, source, record, doc_cols, passage_cols, set_map, whole, result)
            if record["kind"] == "pdf" and record["content_hash"] in unpacked.originals:
                originals.keep(unpacked.originals[record["content_hash"]], record["content_hash"], "pdf")
        Store._drop_unused_vectors(db, old_keys)
        Store._bump_generation(db)
    originals.sweep(str(r[0]) for r in store.db.execute("SELECT content_hash FROM documents"))
    return result


def _merge_document(
    db: sqlite3.Connection, source: sqlite3.Connection, record: dict[str, object], doc_cols: list[str],
    passage_cols: list[str], set_map: dict[int, int], whole: bool, result: ImportResult,
) -> list[str]:  # fmt: skip
    """Copy one document with its passages and their vectors; returns the content keys of a version it replaced."""
    name = str(record["source"])
    old_keys: list[str] = []
    if not whole:
        same = db.execute("SELECT id, content_hash FROM documents WHERE source = ?", (name,)).fetchone()
        if same is not None and same[1] == record["content_hash"]:
            result.unchanged.append(name)
            return []
        twin = db.execute("SELECT source FROM documents WHERE content_hash = ? AND source != ?",
                          (record["content_hash"], name)).fetchone()  # fmt: skip
        if twin is not None:
            result.duplicates.append(f"{name} (duplicate of {twin[0]})")
            return []
        if same is not None:
            old_keys = Store._delete_rows(db, int(same[0]))
    (result.replaced if old_keys else result.added).append(name)
    # Ids are kept in a whole import (the same hits, tie order included); a merge gets fresh ones.
    cols = doc_cols if whole else [c for c in doc_cols if c != "id"]
    cursor = db.execute(f"INSERT INTO documents ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                        [record[c] for c in cols])  # fmt: skip
    document_id = int(record["id"]) if whole else int(cursor.lastrowid or 0)  # type: ignore[call-overload]
    rows = source.execute(f"SELECT {', '.join(passage_cols)} FROM passages WHERE document_id = ? ORDER BY id",
                          (record["id"],)).fetchall()  # fmt: skip
    pcols = passage_cols if whole else [c for c in passage_cols if c != "id"]
    keys = []
    for row in rows:
        passage = dict(zip(passage_cols, row, strict=True))
        passage["document_id"] = document_id
        keys.append(str(passage["content_key"]))
        db.execute(f"INSERT INTO passages ({', '.join(pcols)}) VALUES ({', '.join('?' * len(pcols))})",
                   [passage[c] for c in pcols])  # fmt: skip
    for their_set, our_set in set_map.items():
        vectors = in_chunks(source, "SELECT content_key, vector FROM vectors WHERE set_id = ? AND content_key IN"
                            " ({marks})", list(dict.fromkeys(keys)), before=(their_set,))  # fmt: skip
        db.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?, ?)", [(our_set, k, v) for k, v in vectors])
    return old_keys
