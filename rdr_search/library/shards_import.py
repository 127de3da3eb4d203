"""Bulk-loading an encoded passage collection (the shards of ``encode-collection`` or an eval run) into a library.

The collection's rows become documents, one per run of rows with the same title (a Wikipedia article), named
by the title (cleaned, and numbered when a title comes back later in the file). Each passage's vector is the
one in its shard: vectors are stored by content key, so no encoder is called, and no model is loaded when the
shard folder names its encoders (every folder made by this version does). Documents are committed in big
transactions and the index (FAISS or Milvus) is built once at the end. A rerun adds nothing new: a document
whose passages are the same is "unchanged", one whose passages changed is replaced.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from rdr_search.chunking import Passage
from rdr_search.encoders.spec import EncoderIdentity, EncoderSpec
from rdr_search.errors import LibraryError
from rdr_search.evaluation.formats import CollectionPassage, iter_collection_rows
from rdr_search.evaluation.shards import MANIFEST, iter_shards, read_encoders, read_manifest
from rdr_search.library.core import DB_NAME, Library
from rdr_search.library.sources import clean_source
from rdr_search.records import Span
from rdr_search.settings import Settings
from rdr_search.store import Store, VectorSetRecord, content_key
from rdr_search.store.records import READY
from rdr_search.store.sqlite import now_iso

BATCH_PASSAGES = 20_000
"""Passages per transaction: big enough that commits cost little, small enough that a stop loses little."""
KIND = "text"


@dataclass
class ShardImportResult:
    """What an import of shards did, document by document."""

    vector_set: str
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    passages: int = 0
    """Passages written now (those of added and replaced documents)."""

    def summary(self) -> str:
        return (
            f"Imported shards: {len(self.added)} added, {len(self.replaced)} replaced, {len(self.unchanged)} "
            f"unchanged ({self.passages:,} passages written, vectors of {self.vector_set}; nothing encoded)."
        )


@dataclass(frozen=True)
class _Article:
    source: str
    title: str
    rows: list[CollectionPassage]
    vectors: np.ndarray


def shard_folder(shard_dir: str | Path) -> Path:
    """The folder holding the manifest: ``shard_dir`` itself, or its one identity folder (an ``--out`` dir)."""
    folder = Path(shard_dir).expanduser()
    if (folder / MANIFEST).is_file():
        return folder
    inner = sorted(p.parent for p in folder.glob(f"*/{MANIFEST}"))
    if len(inner) == 1:
        return inner[0]
    if inner:
        raise LibraryError(
            f"{folder} holds shards of {len(inner)} encoder pairs; name one of them: "
            + ", ".join(str(p) for p in inner)
        )
    raise LibraryError(f"No shard folder at {folder} (no {MANIFEST}); make one with rdr-search encode-collection.")


def import_shards(
    target: Library | str | Path,
    shard_dir: str | Path,
    collection: str | Path | None = None,
    *,
    encoders: EncoderSpec | None = None,
    settings: Settings | None = None,
    progress: bool = True,
) -> ShardImportResult:
    """Load the passages of ``collection`` (default: the one the shards' manifest names) with their shard
    vectors into an open library or the library folder ``target`` (created when missing). The library must
    hold vectors of the shards' encoder identity only (a new one takes it). ``encoders`` names the pair when
    the shard folder does not (older folders): it is then loaded once to check its identity."""
    folder = shard_folder(shard_dir)
    manifest = read_manifest(folder) or {}
    if not isinstance(manifest.get("identity"), str) or not isinstance(manifest.get("collection"), str):
        raise LibraryError(f"{folder / MANIFEST} is damaged; run the encoding again to rewrite it.")
    identity = EncoderIdentity.from_json(str(manifest["identity"]))
    source_file = Path(collection or str(manifest["collection"])).expanduser()
    if not source_file.is_file():
        raise LibraryError(f"No collection file at {source_file}; pass the one the shards were made from.")
    if isinstance(target, Library):
        return _import_into(target, folder, identity, source_file, progress)
    settings = settings or Settings()
    _prepare_library(Path(target).expanduser(), folder, identity, encoders, settings)
    with Library.open(target, None, settings) as library:  # the stored pair: nothing is loaded
        return _import_into(library, folder, identity, source_file, progress)


def _prepare_library(
    path: Path, folder: Path, identity: EncoderIdentity, encoders: EncoderSpec | None, settings: Settings
) -> None:
    """Give a new (or empty) library the shards' vector set, or check an existing one holds only it."""
    if path.exists() and not path.is_dir():
        raise LibraryError(f"'{path}' is a file; a library is a folder.")
    # A new library's pair is settled before its folder is made, so a refusal leaves nothing behind.
    spec = None if (path / DB_NAME).is_file() else _shards_spec(folder, identity, encoders, settings)
    path.mkdir(parents=True, exist_ok=True)
    store = Store(path / DB_NAME)
    try:
        held = store.vector_sets()
        if held:
            _check_sets(path, held, identity, folder)
            return
        spec = spec or _shards_spec(folder, identity, encoders, settings)
        store.add_vector_set(
            identity.key, identity.to_json(), spec.name, spec.kind, spec.ctx_encoder, spec.question_encoder
        )
    finally:
        store.close()


def _shards_spec(
    folder: Path, identity: EncoderIdentity, encoders: EncoderSpec | None, settings: Settings
) -> EncoderSpec:
    """The encoders that made the shards: as the folder records them, else ``encoders`` (checked)."""
    refs = read_encoders(folder)
    if refs is None:
        return _checked_spec(encoders, identity, folder, settings)
    return EncoderSpec(refs["ctx_encoder"], refs["question_encoder"], refs.get("kind", identity.kind),
                       refs.get("name", "custom"))  # fmt: skip


def _checked_spec(
    encoders: EncoderSpec | None, identity: EncoderIdentity, folder: Path, settings: Settings
) -> EncoderSpec:
    """The pair a folder without encoder references was made by, loaded once to prove it."""
    if encoders is None:
        raise LibraryError(
            f"The shards in {folder} do not say which encoders made them; name the pair they were encoded with "
            "(--preset, or --ctx-encoder and --question-encoder) so the library can load it for questions."
        )
    from rdr_search.encoders.pair import EncoderPair

    pair = EncoderPair(encoders, settings, precision=identity.precision, runtime=identity.runtime)
    if pair.identity.key != identity.key:
        differs = ", ".join(identity.differences(pair.identity))
        raise LibraryError(f"The shards in {folder} were not made by {pair.describe()} (they differ in: {differs}).")
    return encoders


def _check_sets(path: Path, held: list[VectorSetRecord], identity: EncoderIdentity, folder: Path) -> None:
    """Refuse a library holding another pair's vectors: its passages would lack them (as an add would refuse)."""
    others = [r for r in held if r.key != identity.key]
    if not others:
        return
    built = "; ".join(f"{r.name} ({r.ctx_encoder} + {r.question_encoder})" for r in held)
    differs = ", ".join(EncoderIdentity.from_json(others[0].identity).differences(identity))
    raise LibraryError(
        f"The library in {path} holds vectors of: {built}. The shards in {folder} were made by another encoder "
        f"pair (they differ in: {differs}), so their passages would have no vectors for it.\n"
        f"Either import them into a new --library folder, or encode the collection with the library's pair "
        "(rdr-search encode-collection FILE --out DIR with that pair's encoder options) and import those shards."
    )


def _import_into(
    library: Library, folder: Path, identity: EncoderIdentity, collection: Path, progress: bool
) -> ShardImportResult:
    _check_sets(library.path, library._store.vector_sets(), identity, folder)
    record = library._store.vector_set(identity.key)
    assert record is not None  # _check_sets passed and the library was opened with (or given) this set
    result = ShardImportResult(record.name)
    store = library._store
    with library._lock:
        articles = _articles(_rows_with_vectors(collection, folder, identity.key))
        total = _shard_rows(folder) if progress else None
        with tqdm(total=total, desc="Importing shards", unit="passage", disable=not progress) as bar:
            batch: list[_Article] = []
            for article in articles:
                batch.append(article)
                if sum(len(a.rows) for a in batch) >= BATCH_PASSAGES:
                    _commit(store, record.id, batch, result, bar)
                    batch = []
            _commit(store, record.id, batch, result, bar)
        # Once, at the end: the generation moved, so each index is rebuilt from the stored vectors and saved.
        library._reload_stale_indexes()
        library._save_indexes()
    return result


def _shard_rows(folder: Path) -> int:
    """How many passages the shards hold (their ids only are read), for the progress bar."""
    total = 0
    for path in folder.glob("shard-*[0-9].npz"):
        with np.load(path) as saved:
            total += len(saved["ids"])
    return total


def _rows_with_vectors(collection: Path, folder: Path, key: str) -> Iterator[tuple[CollectionPassage, np.ndarray]]:
    """Each collection row with its shard vector; the rows and the shards must agree one for one."""
    rows = iter_collection_rows(collection)
    try:
        for shard in iter_shards(folder, key):
            for passage_id, vector in zip(shard.ids, shard.vectors, strict=True):
                row = next(rows, None)
                if row is None or row[0].id != passage_id:
                    raise LibraryError(f"The shards in {folder} were not made from {collection} (row {passage_id}).")
                yield row[0], vector
    except ValueError as exc:  # a missing or foreign shard
        raise LibraryError(str(exc)) from None
    if next(rows, None) is not None:
        raise LibraryError(f"{collection} has rows the shards in {folder} lack; finish the encoding first.")


def _articles(pairs: Iterator[tuple[CollectionPassage, np.ndarray]]) -> Iterator[_Article]:
    """Runs of rows with one title, each named by its title (numbered from its second run on)."""
    seen: dict[str, int] = {}
    for title, group in itertools.groupby(pairs, key=lambda pair: pair[0].title):
        items = list(group)
        name = clean_source(title or "untitled")
        seen[name] = count = seen.get(name, 0) + 1
        source = name if count == 1 else f"{name} ({count})"
        yield _Article(source, title, [p for p, _ in items], np.stack([v for _, v in items]))


def _commit(store: Store, set_id: int, batch: list[_Article], result: ShardImportResult, bar: tqdm) -> None:
    """Write a batch of articles in one transaction; an article already there unchanged is skipped."""
    if not batch:
        return
    with store.transaction() as db:
        old_keys: list[str] = []
        changed = False
        for article in batch:
            text, passages = _passages(article)
            digest = hashlib.sha256(json.dumps([[r.id, r.title, r.text] for r in article.rows]).encode()).hexdigest()
            same = db.execute("SELECT id, content_hash FROM documents WHERE source = ?", (article.source,)).fetchone()
            bar.update(len(article.rows))
            if same is not None and same[1] == digest:
                result.unchanged.append(article.source)
                continue
            if same is not None:
                old_keys += Store._delete_rows(db, int(same[0]))
            (result.replaced if same is not None else result.added).append(article.source)
            _insert_document(store, db, article, text, passages, digest, set_id)
            result.passages += len(passages)
            changed = True
        Store._drop_unused_vectors(db, old_keys)
        if changed:
            Store._bump_generation(db)


def _passages(article: _Article) -> tuple[str, list[Passage]]:
    """The article's text (its passages, one per line) and its passages with their spans in it."""
    passages, start = [], 0
    for ordinal, row in enumerate(article.rows):
        passages.append(Passage(ordinal, row.title, row.text, Span(1, 1, start, start + len(row.text))))
        start += len(row.text) + 1
    return "\n".join(r.text for r in article.rows), passages


def _insert_document(
    store: Store, db: sqlite3.Connection, article: _Article, text: str, passages: list[Passage], digest: str,
    set_id: int,
) -> None:  # fmt: skip
    cursor = db.execute(
        "INSERT INTO documents (source, title, kind, content_hash, size_bytes, pages, added_at, text,"
        " page_starts, state, planned_passages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (article.source, article.title, KIND, digest, len(text.encode()), 1, now_iso(), text, "[0]", READY,
         len(passages)),
    )  # fmt: skip
    vectors = {content_key(p.title, p.text): v for p, v in zip(passages, article.vectors, strict=True)}
    store._insert_passages(db, int(cursor.lastrowid or 0), passages, {set_id: vectors})
