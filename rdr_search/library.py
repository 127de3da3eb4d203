"""Library: a folder holding documents, passages, vectors and their index. Orchestration only."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from tqdm.auto import tqdm

from rdr_search.chunking import Chunker, Passage
from rdr_search.documents import SUPPORTED_EXTENSIONS, Document, DocumentReader, check_file, file_sha256
from rdr_search.encoders import EncoderIdentity, EncoderPair, EncoderSpec
from rdr_search.errors import DocumentError, LibraryError, QueryError, RdrSearchError
from rdr_search.index import IndexFiles, VectorIndex, index_backend
from rdr_search.settings import Settings
from rdr_search.store import DocumentRecord, Store, VectorSetRecord, content_key

DB_NAME = "library.sqlite3"
LOCK_NAME = ".write.lock"


@dataclass(frozen=True)
class Hit:
    """One ranked passage for a question."""

    rank: int
    score: float
    text: str
    title: str
    source: str
    page_start: int
    page_end: int
    document_pages: int
    char_start: int
    char_end: int
    passage_id: int

    @property
    def pages(self) -> str:
        """'p. 3', 'pp. 3-4', or '' for documents without pages."""
        if self.document_pages <= 1:
            return ""
        if self.page_start == self.page_end:
            return f"p. {self.page_start}"
        return f"pp. {self.page_start}-{self.page_end}"


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file of an add: added, replaced, unchanged, duplicate or failed."""

    source: str
    status: str
    message: str = ""
    passages: int = 0
    pages: int = 0

    @property
    def ok(self) -> bool:
        return self.status != "failed"


@dataclass
class AddResult:
    """The outcome of one ``Library.add_files`` call, one entry per file."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    encoded: int = 0
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def passages(self) -> int:
        return sum(o.passages for o in self.outcomes if o.status in ("added", "replaced"))

    def summary(self) -> str:
        parts = [
            f"{self.count(s)} {s}" for s in ("added", "replaced", "unchanged", "duplicate", "failed") if self.count(s)
        ]
        rate = f", {self.encoded / self.seconds:.1f} passages/s" if self.encoded and self.seconds else ""
        return (
            f"{', '.join(parts) or 'nothing to add'}; {self.passages} passages, {self.encoded} encoded "
            f"in {self.seconds:.1f} s{rate}"
        )


@dataclass(frozen=True)
class LibraryDocument:
    """A document in the library, as listed to users."""

    source: str
    title: str
    kind: str
    pages: int
    passages: int
    size_bytes: int
    added_at: str


@dataclass(frozen=True)
class CheckReport:
    """Result of a consistency check."""

    documents: int
    passages: int
    vectors_indexed: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Prepared:
    source: str
    document: Document
    text: str
    page_starts: tuple[int, ...]
    passages: list[Passage]
    replaces: DocumentRecord | None


def clean_source(name: str) -> str:
    """A document name safe to show and store: no parent or root parts, no control characters."""
    name = "".join(ch for ch in name.replace("\\", "/") if ch.isprintable())
    parts = [part.strip() for part in name.split("/") if part.strip() not in ("", ".", "..")]
    return "/".join(parts) or "unnamed"


def collect_files(
    paths: Sequence[str | Path], sources: Sequence[str] | None = None, *, expand_folders: bool = True
) -> list[tuple[Path, str]]:
    """Expand folders (recursively, supported types only) into (path, source name) pairs.

    A file given directly is named by its file name (or the matching ``sources`` entry, e.g. an upload's
    original name); a file found in a folder by its path relative to the folder's parent. Without
    ``expand_folders`` (paths that arrive over the network) a folder stays one entry, which then fails.
    """
    if sources is not None and len(sources) != len(paths):
        raise RdrSearchError("sources must name every path")
    found: list[tuple[Path, str]] = []
    for i, raw in enumerate(paths):
        path = Path(raw).expanduser()
        if expand_folders and path.is_dir():
            base = path.resolve().parent
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED_EXTENSIONS and not child.name.startswith("."):
                    found.append((child, child.resolve().relative_to(base).as_posix()))
        else:
            found.append((path, clean_source(sources[i]) if sources is not None else path.name))
    return found


@dataclass
class _VectorSpace:
    """One encoder pair's view of the library: its vector set and the index derived from it."""

    encoders: EncoderPair
    record: VectorSetRecord
    index: VectorIndex
    generation: int


@dataclass(frozen=True)
class VectorSetInfo:
    """A vector set of the library, as listed to users."""

    key: str
    name: str
    ctx_encoder: str
    question_encoder: str
    attached: bool
    primary: bool


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
        self._spaces: dict[str, _VectorSpace] = {}
        self._primary = ""
        self._chunker = Chunker(settings)
        self._write_lock = threading.Lock()
        self._file_lock = FileLock(str(path / LOCK_NAME), thread_local=False)
        self._reader: DocumentReader | None = reader
        self._owns_reader = reader is None
        self._reader_lock = threading.Lock()
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
        None: a new library then uses the RDR pair, an existing one the pair it was built with. A pair
        whose vectors the library does not hold is refused (see :meth:`attach` to add them). ``reader``
        shares one document reader (its worker processes) between libraries; by default each has its own.
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
            pair = _load_pair(encoders, stored, settings)
            record = store.vector_set(pair.identity.key)
            if stored is not None and record is None:
                raise LibraryError(_mismatch_message(path, store.vector_sets(), pair))
            library = cls(path, store, settings, reader)
        except BaseException:
            store.close()
            raise
        try:
            library._primary = library._attach_pair(pair, progress=False)
        except BaseException:
            library.close()
            raise
        return library

    @property
    def encoders(self) -> EncoderPair:
        """The primary encoder pair (the one ``search`` uses by default)."""
        return self._spaces[self._primary].encoders

    def attach(self, encoders: EncoderSpec | EncoderPair, *, progress: bool = True) -> str:
        """Add another encoder pair's vectors over the same passages (encodes every passage it lacks) and
        keep them current on later adds. Returns the vector set key to pass to ``search``."""
        if isinstance(encoders, EncoderPair):
            pair = encoders
        else:  # "auto" precision follows the library's primary pair, so the sets stay comparable
            auto = self.settings.precision == "auto"
            pair = EncoderPair(encoders, self.settings, precision=self.encoders.precision if auto else None)
        return self._attach_pair(pair, progress=progress)

    def _attach_pair(self, pair: EncoderPair, *, progress: bool) -> str:
        key = pair.identity.key
        if key in self._spaces:
            return key
        record = self._store.vector_set(key)
        if record is None or self._store.passages_missing_vectors(record.id, limit=1):
            with self._locked():
                record = self._store.add_vector_set(
                    key, pair.identity.to_json(), pair.spec.name, pair.spec.kind, pair.spec.ctx_encoder,
                    pair.spec.question_encoder,
                )  # fmt: skip
                self._encode_missing(pair, record, progress)
        index, generation = self._open_index(record, pair.dim)
        self._spaces[key] = _VectorSpace(pair, record, index, generation)
        return key

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
        """Release the parser worker and the database."""
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
        return IndexFiles(self.path, index_backend(), self._file_lock)

    def _open_index(self, record: VectorSetRecord, dim: int) -> tuple[VectorIndex, int]:
        """Load the saved index if it reflects the committed store, else rebuild it from stored vectors."""
        with self._store.snapshot() as db:
            generation = self._store.generation(db)
            vectors = self._store.iter_vectors(record.id, db)
            index = self._index_files.open(record.key, dim, generation, vectors, lambda: self._store.counts()[1])
        return index, generation

    def _save_index(self, record: VectorSetRecord, index: VectorIndex, generation: int) -> None:
        self._index_files.save(record.key, index, generation)

    def _reload_stale_indexes(self) -> None:
        generation = self._store.generation()
        for space in self._spaces.values():
            if space.generation != generation:
                space.index, space.generation = self._open_index(space.record, space.encoders.dim)

    # --- reading files --------------------------------------------------------------------------

    def _read(self, path: Path, source: str) -> Document:
        with self._reader_lock:
            if self._reader is None:
                self._reader = DocumentReader(self.settings.parse_timeout_s, self.settings.max_file_bytes)
            reader = self._reader
        return reader.read(path, source)

    def _prepare(self, path: Path, source: str) -> _Prepared | FileOutcome:
        """Everything before encoding: checks, parsing, chunking. Failures become outcomes."""
        try:
            check_file(path, source, max_bytes=self.settings.max_file_bytes)
        except DocumentError as exc:
            return FileOutcome(source, "failed", str(exc))
        try:
            digest = file_sha256(path)
        except OSError as exc:
            return FileOutcome(source, "failed", f"cannot read the file: {exc.strerror or exc}")
        existing = self._store.document_by_source(source)
        if existing is not None and existing.content_hash == digest:
            return FileOutcome(source, "unchanged", "already in the library", existing.passages, existing.pages)
        twin = self._store.document_by_hash(digest)
        if twin is not None and twin.source != source:
            return FileOutcome(source, "duplicate", f"duplicate of {twin.source}; not added twice")
        try:
            document = self._read(path, source)
        except DocumentError as exc:
            return FileOutcome(source, "failed", str(exc))
        normalized, passages = self._chunker.split(document.title, document.pages)
        if not passages:
            return FileOutcome(source, "failed", "no text to index (the document yields no passages)")
        return _Prepared(source, document, normalized.text, normalized.page_starts, passages, existing)

    # --- writing --------------------------------------------------------------------------------

    def _locked(self) -> _WriteGuard:
        return _WriteGuard(self)

    def add_files(
        self,
        paths: Sequence[str | Path],
        sources: Sequence[str] | None = None,
        *,
        progress: bool = True,
        expand_folders: bool = True,
    ) -> AddResult:
        """Add files and folders; one outcome per file, a failure never affects the others.

        Re-adding an unchanged file costs nothing; a changed file replaces its older version. Each
        document is committed on its own, so an interruption loses at most the file being added. Without
        ``expand_folders`` a folder is refused like any other non-file (for paths that come from a network).
        """
        started = time.perf_counter()
        files = collect_files(paths, sources, expand_folders=expand_folders)
        result = AddResult()
        limit = self.settings.max_files_per_batch
        if len(files) > limit:
            result.outcomes.extend(
                FileOutcome(source, "failed", f"too many files in one batch (the limit is {limit})")
                for _, source in files[limit:]
            )
            files = files[:limit]
        seen: set[str] = set()
        with self._locked():
            prepared: list[_Prepared] = []
            for path, source in tqdm(files, desc="Reading files", unit="file", disable=not progress or not files):
                if source in seen:
                    result.outcomes.append(FileOutcome(source, "failed", "the same name appears twice in this batch"))
                    continue
                seen.add(source)
                try:
                    outcome = self._prepare(path, source)
                except RdrSearchError as exc:
                    outcome = FileOutcome(source, "failed", str(exc))
                if isinstance(outcome, FileOutcome):
                    result.outcomes.append(outcome)
                    continue
                same = next((p for p in prepared if p.document.content_hash == outcome.document.content_hash), None)
                if same is not None:
                    result.outcomes.append(
                        FileOutcome(source, "duplicate", f"duplicate of {same.source}; not added twice")
                    )
                    continue
                prepared.append(outcome)
            total = sum(len(p.passages) for p in prepared) * len(self._spaces)
            with tqdm(total=total, desc="Encoding passages", unit="passage", disable=not progress or not total) as bar:
                for item in prepared:
                    try:
                        outcome, encoded = self._commit(item, bar.update)
                    except RdrSearchError as exc:
                        outcome, encoded = FileOutcome(item.source, "failed", str(exc)), 0
                    result.outcomes.append(outcome)
                    result.encoded += encoded
            if prepared:
                for space in self._spaces.values():
                    self._save_index(space.record, space.index, space.generation)
        order = {source: i for i, (_, source) in enumerate(files)}
        result.outcomes.sort(key=lambda o: order.get(o.source, len(order)))
        result.seconds = time.perf_counter() - started
        return result

    def _commit(self, item: _Prepared, progress: Callable[[int], object]) -> tuple[FileOutcome, int]:
        """Encode what no vector set has yet, then write the document and all its vectors in one transaction."""
        passages = item.passages
        keys = [content_key(p.title, p.text) for p in passages]
        new_vectors: dict[int, dict[str, np.ndarray]] = {}
        all_vectors: dict[str, np.ndarray] = {}
        encoded = 0
        for key, space in self._spaces.items():
            known = self._store.known_vectors(space.record.id, keys)
            # Passages already encoded by this pair (anywhere in the library, or repeated here) cost nothing.
            todo = list({k: i for i, k in enumerate(keys) if k not in known}.values())
            if len(todo) < len(passages):
                progress(len(passages) - len(todo))
            fresh: dict[str, np.ndarray] = {}
            if todo:
                vectors = space.encoders.encode_passages(
                    [passages[i].title for i in todo], [passages[i].text for i in todo], progress=progress
                )
                fresh = {keys[i]: vectors[j] for j, i in enumerate(todo)}
                encoded += len(todo) if key == self._primary else 0
            new_vectors[space.record.id] = fresh
            all_vectors[key] = np.stack([known[k] if k in known else fresh[k] for k in keys])
        old_ids = self._store.passage_ids(item.replaces.id) if item.replaces else []
        document = item.document
        _, ids = self._store.commit_document(
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
        )
        generation = self._store.generation()
        for key, space in self._spaces.items():
            space.index.replace(old_ids, np.asarray(ids, dtype=np.int64), all_vectors[key])
            space.generation = generation
        status = "replaced" if item.replaces else "added"
        pages = len(document.pages)
        message = _plural(len(passages), "passage") + (f" from {pages} pages" if pages > 1 else "")
        return FileOutcome(item.source, status, message, len(passages), pages), encoded

    def remove(self, source: str) -> bool:
        """Remove a document by its source name; its passages and vectors go with it. False if absent."""
        with self._locked():
            record = self._store.document_by_source(source)
            if record is None:
                return False
            ids = self._store.passage_ids(record.id)
            self._store.remove_document(record.id)
            generation = self._store.generation()
            for space in self._spaces.values():
                space.index.remove(ids)
                space.generation = generation
                self._save_index(space.record, space.index, generation)
        return True

    # --- reading --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Pick up documents committed by another process (e.g. a CLI add while the app runs)."""
        # Never swap indexes under this process's own writer; it keeps them current itself.
        if self._write_lock.acquire(blocking=False):
            try:
                self._reload_stale_indexes()
            finally:
                self._write_lock.release()

    def search(self, question: str, k: int = 10, *, vector_set: str | None = None) -> list[Hit]:
        """The ``k`` passages whose vectors have the highest inner product with the question's, using the
        primary encoder pair or the attached ``vector_set`` (a key from :meth:`attach`)."""
        space = self._spaces.get(vector_set or self._primary)
        if space is None:
            raise LibraryError(f"Vector set '{vector_set}' is not attached to this library; attach its pair first.")
        limit = self.settings.max_question_chars
        if len(question) > limit:  # before any work: the tokenizer would read it all
            raise QueryError(f"The question is {len(question):,} characters long; the limit is {limit:,}.")
        self.refresh()
        question = question.strip()
        if not question or k < 1 or len(space.index) == 0:
            return []
        vector = space.encoders.encode_questions([question])
        # Passages may be removed between the index scan and the row lookup: ask for a few spare.
        scores, ids = space.index.search(vector, k + 8)
        records = self._store.passages_by_ids([int(i) for i in ids[0] if i >= 0])
        hits: list[Hit] = []
        for score, pid in zip(scores[0], ids[0], strict=True):
            record = records.get(int(pid))
            if record is None:
                continue
            hits.append(
                Hit(
                    rank=len(hits) + 1,
                    score=float(score),
                    text=record.text,
                    title=record.document_title,
                    source=record.source,
                    page_start=record.page_start,
                    page_end=record.page_end,
                    document_pages=record.document_pages,
                    char_start=record.char_start,
                    char_end=record.char_end,
                    passage_id=record.id,
                )
            )
            if len(hits) == k:
                break
        return hits

    def documents(self) -> list[LibraryDocument]:
        """Documents in the library, by source name."""
        return [
            LibraryDocument(d.source, d.title, d.kind, d.pages, d.passages, d.size_bytes, d.added_at)
            for d in self._store.documents()
        ]

    def stats(self) -> dict[str, int]:
        documents, passages = self._store.counts()
        return {"documents": documents, "passages": passages, "vectors": len(self._spaces[self._primary].index)}

    def check(self) -> CheckReport:
        """Every indexed vector has its passage row and vice versa, in every attached vector set; no half
        documents; saved index files agree with the committed rows."""
        with self._store.snapshot() as db:
            documents, passages = self._store.counts()
            problems = self._store.integrity_problems([space.record.id for space in self._spaces.values()])
            row_ids = {int(r[0]) for r in db.execute("SELECT id FROM passages")}
            generation = self._store.generation(db)
        for space in self._spaces.values():
            name = space.encoders.spec.name
            index_ids = set(space.index.ids().tolist())
            if index_ids - row_ids:
                problems.append(f"{len(index_ids - row_ids)} vectors indexed for {name} have no passage row")
            if row_ids - index_ids:
                problems.append(f"{len(row_ids - index_ids)} passages are missing from the {name} index")
            saved = self._index_files.load_current(space.record.key, generation)
            if saved is not None and set(saved.ids().tolist()) != row_ids:
                problems.append(f"the saved {name} index file disagrees with the committed passages")
        return CheckReport(documents, passages, len(self._spaces[self._primary].index), problems)


class _WriteGuard:
    """Serialises writers: threads of this process, then other processes through the folder's file lock."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def __enter__(self) -> None:
        library = self.library
        library._write_lock.acquire()
        try:
            library._file_lock.acquire(timeout=library.settings.lock_timeout_s)
        except Timeout as exc:
            library._write_lock.release()
            raise LibraryError(
                f"Another program is changing the library in {library.path} and did not finish within "
                f"{library.settings.lock_timeout_s:.0f} s. Try again when it is done."
            ) from exc
        # Another process may have committed since we loaded: catch up before writing.
        library._reload_stale_indexes()

    def __exit__(self, *exc: object) -> None:
        self.library._file_lock.release()
        self.library._write_lock.release()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _load_pair(
    encoders: EncoderSpec | EncoderPair | None, stored: VectorSetRecord | None, settings: Settings
) -> EncoderPair:
    """The pair to open a library with: given, or the one it was built with (at its stored precision)."""
    if isinstance(encoders, EncoderPair):
        return encoders
    spec, precision = encoders, None
    if stored is not None:
        if spec is None:
            spec = EncoderSpec(stored.ctx_encoder, stored.question_encoder, stored.kind, stored.name)
        if settings.precision == "auto":
            precision = EncoderIdentity.from_json(stored.identity).precision  # "auto" keeps the library's
    return EncoderPair(spec or EncoderSpec(), settings, precision=precision)


def _mismatch_message(path: Path, stored: Sequence[VectorSetRecord], pair: EncoderPair) -> str:
    built = "; ".join(
        f"{r.name} ({r.ctx_encoder} + {r.question_encoder}, {EncoderIdentity.from_json(r.identity).precision})"
        for r in stored
    )
    differs = ", ".join(EncoderIdentity.from_json(stored[0].identity).differences(pair.identity))
    return (
        f"The library in {path} holds vectors of: {built}. Its vectors cannot be searched with "
        f"{pair.describe()} (they differ in: {differs}).\n"
        "Either open it with a pair it holds (leave out --preset/--ctx-encoder/--question-encoder/--precision), "
        "or add vectors for the new pair (encodes every passage once):  rdr-search add-encoders --library "
        f"{path} <the same encoder options>  -- or use a new --library folder."
    )
