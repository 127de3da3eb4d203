"""Library: a folder holding documents, passages, vectors and their index. The facade over ingest and search."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from rdr_search.chunking import Chunker
from rdr_search.documents import Document, DocumentReader
from rdr_search.encoders.spec import EncoderIdentity, EncoderSpec
from rdr_search.errors import LibraryError, QueryError
from rdr_search.index import IndexFiles, VectorIndex
from rdr_search.library.batch import add_batch, within_limit
from rdr_search.library.ingest import Ingest
from rdr_search.library.locking import WriteLock
from rdr_search.library.originals import Originals
from rdr_search.library.reindex import stored_chunking
from rdr_search.library.requests import search_request
from rdr_search.library.sources import scan_files
from rdr_search.library.spaces import (
    VectorSpace,
    commit_with_indexes,
    index_backend_for,
    load_pair,
    mismatch_message,
    stored_pair_loader,
)
from rdr_search.library.views import PassageView, view_passage
from rdr_search.records import (
    AddResult,
    CheckReport,
    Hit,
    LibraryDocument,
    SearchMode,
    VectorSetInfo,
)
from rdr_search.retrieval import locate_sentences, search_library
from rdr_search.settings import Settings
from rdr_search.store import Store, VectorSetRecord

if TYPE_CHECKING:  # annotations only (the pair module imports torch: loaded only when a pair is)
    from rdr_search.encoders.pair import EncoderPair
    from rdr_search.records import SearchFilters

DB_NAME = "library.sqlite3"


class Library:
    """Documents, passages and their vectors in one folder, searchable by question.

    Passages are stored once; each encoder pair has its own vector set and index over them. The pair the
    library was opened with is its primary one (used by ``search``); others can be attached for comparison.
    Writers (add, remove) take a file lock on the folder; readers never wait for them. Searches in the
    same process run while an add is going and see each document entirely or not at all.
    """

    def __init__(self, path: Path, store: Store, settings: Settings, reader: DocumentReader | None = None) -> None:
        self.path = path
        self.settings = settings
        self._store = store
        self._spaces: dict[str, VectorSpace] = {}
        self._primary = ""
        self._lock = WriteLock(path, settings.lock_timeout_s, self._reload_stale_indexes)
        self._reader: DocumentReader | None = reader
        self._owns_reader = reader is None
        self._reader_lock = threading.Lock()
        self._originals = Originals(path, enabled=settings.keep_originals)
        chunker = Chunker(stored_chunking(store, settings))  # a reindexed library keeps its chunking
        self._ingest = Ingest(
            store, chunker, self._read, settings.max_file_bytes, self._rebuild_indexes, self._originals
        )
        self._closed = False

    # --- opening --------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path,
        encoders: EncoderSpec | EncoderPair | None = None,
        settings: Settings | None = None,
        *,
        reader: DocumentReader | None = None,
    ) -> Library:
        """Create or reopen the library in ``path``.

        ``encoders`` may be a spec (loaded here), an already loaded pair (shared between libraries), or
        None: a new library then uses the RDR pair, an existing one the pair it was built with (loaded only
        when a search or an add needs it, so listing, removing and checking load no model). A pair whose
        vectors the library does not hold is refused (see :meth:`attach` to add them). ``reader`` shares one
        document reader (its worker processes) between libraries; by default each has its own.
        """
        settings = settings or Settings()
        path = Path(path).expanduser()
        if path.exists() and not path.is_dir():
            raise LibraryError(f"'{path}' is a file; a library is a folder.")
        path.mkdir(parents=True, exist_ok=True)
        store = Store(path / DB_NAME)
        try:
            default_key = store.get_meta("default_set")
            stored = store.vector_set(default_key) if default_key else None
            pair = None if encoders is None and stored is not None else load_pair(encoders, stored, settings)
            if pair is not None and stored is not None and store.vector_set(pair.identity.key) is None:
                raise LibraryError(mismatch_message(path, store.vector_sets(), pair))
            library = cls(path, store, settings, reader)
        except BaseException:
            store.close()
            raise
        try:
            if pair is None:
                assert stored is not None
                library._primary = library._open_space(stored, load=stored_pair_loader(stored, settings))
            else:
                library._primary = library._attach_pair(pair, progress=False)
        except BaseException:
            library.close()
            raise
        return library

    @property
    def encoders(self) -> EncoderPair:
        """The primary encoder pair (the one ``search`` uses by default); loads it if not loaded yet."""
        return self._spaces[self._primary].encoders()

    def attach(self, encoders: EncoderSpec | EncoderPair, *, progress: bool = True) -> str:
        """Add another encoder pair's vectors over the same passages (encodes every passage it lacks) and
        keep them current on later adds. Returns the vector set key to pass to ``search``."""
        from rdr_search.encoders.pair import EncoderPair

        if isinstance(encoders, EncoderPair):
            pair = encoders
        else:  # "auto" precision and runtime follow the library's primary pair, so the sets stay comparable
            auto, auto_runtime = self.settings.precision == "auto", self.settings.runtime == "auto"
            pair = EncoderPair(
                encoders,
                self.settings,
                precision=self.encoders.precision if auto else None,
                runtime=self.encoders.runtime if auto_runtime else None,
            )
        return self._attach_pair(pair, progress=progress)

    def _attach_pair(self, pair: EncoderPair, *, progress: bool) -> str:
        key = pair.identity.key
        if key in self._spaces:
            return key
        record = self._store.vector_set(key)
        if record is None or self._store.passages_missing_vectors(record.id, limit=1):
            with self._lock:
                record = self._store.add_vector_set(
                    key, pair.identity.to_json(), pair.spec.name, pair.spec.kind, pair.spec.ctx_encoder,
                    pair.spec.question_encoder,
                )  # fmt: skip
                self._encode_missing(pair, record, progress)
        return self._open_space(record, pair=pair)

    def _open_space(
        self, record: VectorSetRecord, *, pair: EncoderPair | None = None, load: Callable[[], EncoderPair] | None = None
    ) -> str:
        """Make ``record``'s vector set searchable: its index, and the pair (loaded, or a loader for later)."""
        dim = EncoderIdentity.from_json(record.identity).dim
        index, generation = self._open_index(record, dim)
        self._spaces[record.key] = VectorSpace(record, index, generation, dim, pair=pair, load=load)
        return record.key

    def _encode_missing(self, pair: EncoderPair, record: VectorSetRecord, progress: bool) -> None:
        """Vectors for passages added while this pair was not attached, committed in chunks (resumable)."""
        missing = self._store.passages_missing_vectors(record.id)
        chunk = max(self.settings.batch_size * 8, 64)
        with tqdm(total=len(missing), desc=f"Encoding for {pair.spec.name}", unit="passage",
                  disable=not progress or not missing) as bar:  # fmt: skip
            for start in range(0, len(missing), chunk):
                rows = missing[start : start + chunk]
                vectors = pair.encode_passages([r[1] for r in rows], [r[2] for r in rows], progress=bar.update)
                self._store.add_vectors(record.id, {r[0]: v for r, v in zip(rows, vectors, strict=True)})

    def vector_sets(self) -> list[VectorSetInfo]:
        """The encoder pairs this library holds vectors for."""
        return [
            VectorSetInfo(
                r.key, r.name, r.ctx_encoder, r.question_encoder, r.key in self._spaces, r.key == self._primary
            )
            for r in self._store.vector_sets()
        ]

    def close(self) -> None:
        """Release the parser worker (when this library owns it) and the database."""
        if self._closed:
            return
        self._closed = True
        with self._reader_lock:
            if self._reader is not None and self._owns_reader:
                self._reader.close()
            self._reader = None
        self._store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- index ----------------------------------------------------------------------------------

    @cached_property
    def _index_files(self) -> IndexFiles:
        return IndexFiles(self.path, index_backend_for(self.path, self.settings), self._lock.file_lock)

    def _open_index(self, record: VectorSetRecord, dim: int) -> tuple[VectorIndex, int]:
        """Load the saved index if it reflects the committed store, else rebuild it from stored vectors."""
        with self._store.snapshot() as db:
            generation = self._store.generation(db)
            vectors = self._store.iter_vectors(record.id, db)
            index = self._index_files.open(record.key, dim, generation, vectors, lambda: self._store.counts()[1])
        return index, generation

    def _save_indexes(self) -> None:
        for space in self._spaces.values():
            self._index_files.save(space.record.key, space.index, space.generation)

    def _reload_stale_indexes(self) -> None:
        generation = self._store.generation()
        for space in self._spaces.values():
            if space.generation != generation:
                space.index, space.generation = self._open_index(space.record, space.dim)

    def _rebuild_indexes(self) -> None:
        """Every index from the committed store again (a failed write may have changed them); one that cannot
        be rebuilt now stays marked stale, so the next search or write tries again."""
        for space in self._spaces.values():
            space.generation = -1
        self._reload_stale_indexes()

    # --- writing --------------------------------------------------------------------------------

    def _document_reader(self) -> DocumentReader:
        with self._reader_lock:
            if self._reader is None:
                self._reader = DocumentReader(self.settings.parse_timeout_s, self.settings.max_file_bytes)
            return self._reader

    def _read(self, path: Path, source: str) -> Document:
        return self._document_reader().read(path, source)

    def add_files(
        self,
        paths: Sequence[str | Path],
        sources: Sequence[str] | None = None,
        *,
        progress: bool = True,
        expand_folders: bool = True,
        cancel: threading.Event | None = None,
    ) -> AddResult:
        """Add files and folders; one outcome per file, a failure never affects the others.

        Re-adding an unchanged file costs nothing; a changed file replaces its older version. Each file is
        searchable as soon as it is committed, a long one part by part (marked "indexing" until its last part
        is in); an interruption loses at most the part being encoded, and adding the file again resumes after
        its committed parts. Setting ``cancel`` stops the add after the current part: the rest is reported
        "cancelled". Without ``expand_folders`` a folder is refused like any other non-file (for paths that
        come from a network).
        """
        started = time.perf_counter()
        files, skipped = scan_files(paths, sources, expand_folders, self.settings.max_file_bytes)
        result = AddResult(skipped=skipped)
        files = within_limit(files, self.settings.max_files_per_batch, result)
        with self._lock:
            spaces, primary = self._spaces, self._primary
            if add_batch(self._ingest, files, spaces, primary, result, progress=progress, cancel=cancel):
                self._save_indexes()
                self._originals.sweep(d.content_hash for d in self._store.documents())
        order = {source: i for i, (_, source) in enumerate(files)}
        result.outcomes.sort(key=lambda o: order.get(o.source, len(order)))
        result.seconds = time.perf_counter() - started
        return result

    def remove(self, source: str) -> bool:
        """Remove a document by its source name; its passages and vectors go with it. False if absent."""
        with self._lock:
            record = self._store.document_by_source(source)
            if record is None:
                return False
            commit_with_indexes(
                self._spaces.values(), self._store,
                functools.partial(self._store.remove_document, record.id),
                lambda space, ids: space.index.remove(ids), self._rebuild_indexes,
            )  # fmt: skip
            self._originals.discard(record.content_hash)
            self._save_indexes()
        return True

    # --- reading --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Pick up documents committed by another process (e.g. a CLI add while the app runs)."""
        # Never swap indexes under this process's own writer; it keeps them current itself.
        if self._lock.thread_lock.acquire(blocking=False):
            try:
                self._reload_stale_indexes()
            finally:
                self._lock.thread_lock.release()

    def search(
        self,
        question: str,
        k: int = 10,
        *,
        mode: SearchMode | str = "hybrid",
        filters: SearchFilters | None = None,
        vector_set: str | None = None,
    ) -> list[Hit]:
        """The ``k`` passages that best answer ``question``, best first, each marked with the ``mode`` used.

        Modes: ``dense`` ranks by the inner product of question and passage vectors (the primary encoder
        pair, or the attached ``vector_set``: a key from :meth:`attach`); ``keyword`` by BM25 over the words
        (no model is loaded); ``hybrid`` (the default) by both, fused (see :mod:`rdr_search.retrieval.hybrid`;
        the score is in 0..1). In keyword and hybrid modes a "quoted phrase" must appear as is. ``filters``
        keep only passages of the named documents, kinds and dates added, in every mode.
        """
        space = self._spaces.get(vector_set or self._primary)
        if space is None:
            raise LibraryError(f"Vector set '{vector_set}' is not attached to this library; attach its pair first.")
        limit = self.settings.max_question_chars
        if len(question) > limit:  # before any work: the tokenizer would read it all
            raise QueryError(f"The question is {len(question):,} characters long; the limit is {limit:,}.")
        request = search_request(question, k, mode, filters)
        if request is None:
            return []
        # One store snapshot for the whole search, fixed before the index is read: this process updates its
        # indexes before each commit, and a refresh inside reads this snapshot, so the index is never behind
        # the rows seen here and a document is found whole or, while "indexing", marked so.
        with self._store.snapshot():
            self.refresh()
            if len(space.index) == 0:
                return []
            hits = search_library(request, space.encoders, space.index, self._store)
            # Keyword mode loads no model; the best sentence then goes by words alone.
            encoders = None if request.mode == SearchMode.KEYWORD else space.encoders
            return locate_sentences(hits, request.question, self._store, self._ingest.chunker, encoders)

    def view(self, passage_id: int, *, page: int | None = None, sentence: tuple[int, int] | None = None) -> PassageView:
        """A hit shown where it comes from: its PDF page drawn with the passage (and ``sentence``, document
        offsets) highlighted, or the document text around it (see :mod:`rdr_search.library.views`)."""
        reader, settings = self._document_reader(), self.settings
        return view_passage(self._store, self._originals, reader, settings, passage_id, page=page, sentence=sentence)

    def documents(self) -> list[LibraryDocument]:
        """Documents in the library, by source name."""
        return [
            LibraryDocument(d.source, d.title, d.kind, d.pages, d.passages, d.size_bytes, d.added_at, d.state)
            for d in self._store.documents()
        ]

    def stats(self) -> dict[str, int]:
        documents, passages = self._store.counts()
        return {"documents": documents, "passages": passages, "vectors": len(self._spaces[self._primary].index)}

    def check(self) -> CheckReport:
        """Every indexed vector has its passage row and vice versa, in every attached vector set; no half
        documents (a ready document holds all its passages; one still "indexing" is listed as such); saved
        index files agree with the committed rows; the keyword index holds exactly the passages, with their
        text."""
        with self._store.snapshot() as db:
            documents, passages = self._store.counts()
            problems = self._store.integrity_problems([space.record.id for space in self._spaces.values()])
            row_ids = {int(r[0]) for r in db.execute("SELECT id FROM passages")}
            generation = self._store.generation(db)
        for space in self._spaces.values():
            name = space.name
            index_ids = set(space.index.ids().tolist())
            if index_ids - row_ids:
                problems.append(f"{len(index_ids - row_ids)} vectors indexed for {name} have no passage row")
            if row_ids - index_ids:
                problems.append(f"{len(row_ids - index_ids)} passages are missing from the {name} index")
            saved = self._index_files.load_current(space.record.key, generation)
            if saved is not None and set(saved.ids().tolist()) != row_ids:
                problems.append(f"the saved {name} index file disagrees with the committed passages")
        problems.extend(self._store.keyword_index_problems())
        indexing = tuple(d.source for d in self._store.documents() if d.indexing)
        return CheckReport(documents, passages, len(self._spaces[self._primary].index), problems, indexing)
