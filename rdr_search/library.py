"""Library: a folder holding documents, passages, vectors and their index. Orchestration only."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from tqdm.auto import tqdm

from rdr_search.chunking import Chunker
from rdr_search.documents import SUPPORTED_EXTENSIONS, Document, DocumentReader, file_sha256
from rdr_search.encoders import EncoderIdentity, EncoderPair, EncoderSpec
from rdr_search.errors import DocumentError, LibraryError, RdrSearchError
from rdr_search.index import VectorIndex
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
    passages: list
    replaces: DocumentRecord | None


def collect_files(paths: Sequence[str | Path], sources: Sequence[str] | None = None) -> list[tuple[Path, str]]:
    """Expand folders (recursively, supported types only) into (path, source name) pairs.

    A file given directly is named by its file name (or the matching ``sources`` entry, e.g. an upload's
    original name); a file found in a folder by its path relative to the folder's parent.
    """
    if sources is not None and len(sources) != len(paths):
        raise RdrSearchError("sources must name every path")
    found: list[tuple[Path, str]] = []
    for i, raw in enumerate(paths):
        path = Path(raw).expanduser()
        if path.is_dir():
            base = path.resolve().parent
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED_EXTENSIONS and not child.name.startswith("."):
                    found.append((child, child.resolve().relative_to(base).as_posix()))
        else:
            found.append((path, sources[i] if sources is not None else path.name))
    return found


class Library:
    """Documents, passages and their vectors in one folder, searchable by question.

    Writers (add, remove) take a file lock on the folder; readers never wait for them. Searches in the
    same process run while an add is going and see each document entirely or not at all.
    """

    def __init__(
        self, path: Path, store: Store, encoders: EncoderPair, vector_set: VectorSetRecord, settings: Settings
    ) -> None:
        self.path = path
        self.settings = settings
        self.encoders = encoders
        self._store = store
        self._set = vector_set
        self._chunker = Chunker(settings)
        self._write_lock = threading.Lock()
        self._file_lock = FileLock(str(path / LOCK_NAME), thread_local=False)
        self._reader: DocumentReader | None = None
        self._reader_lock = threading.Lock()
        self._index_generation = -1
        self._index = self._open_index()
        self._closed = False

    # --- opening --------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path,
        encoders: EncoderSpec | EncoderPair | None = None,
        settings: Settings | None = None,
    ) -> Library:
        """Create or reopen the library in ``path``.

        ``encoders`` may be a spec (loaded here), an already loaded pair (shared between libraries), or
        None: a new library then uses the RDR pair, an existing one the pair it was built with.
        Opening a library with a pair whose vectors differ from its own is refused.
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
            if isinstance(encoders, EncoderPair):
                pair = encoders
            else:
                spec = encoders
                precision = None
                if stored is not None:
                    stored_identity = EncoderIdentity.from_json(stored.identity)
                    if spec is None:
                        spec = EncoderSpec(stored.ctx_encoder, stored.question_encoder, stored.kind, stored.name)
                    if settings.precision == "auto":
                        precision = stored_identity.precision  # "auto" keeps what the library was built with
                pair = EncoderPair(spec or EncoderSpec(), settings, precision=precision)
            if stored is not None and stored.key != pair.identity.key:
                raise LibraryError(_mismatch_message(path, stored, pair))
            vector_set = stored or store.add_vector_set(
                pair.identity.key,
                pair.identity.to_json(),
                pair.spec.name,
                pair.spec.kind,
                pair.spec.ctx_encoder,
                pair.spec.question_encoder,
            )
        except BaseException:
            store.close()
            raise
        return cls(path, store, pair, vector_set, settings)

    def close(self) -> None:
        """Save the index if it lags and release the parser worker and database."""
        if self._closed:
            return
        self._closed = True
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        self._store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- index ----------------------------------------------------------------------------------

    @property
    def _index_path(self) -> Path:
        return self.path / f"index-{self._set.key}.faiss"

    def _open_index(self) -> VectorIndex:
        """Load the saved index if it reflects the committed store, else rebuild it from stored vectors."""
        with self._store.snapshot() as db:
            generation = self._store.generation(db)
            self._index_generation = generation
            loaded = VectorIndex.load(self._index_path)
            if loaded is not None and loaded[1].generation == generation:
                return loaded[0]
            _, passages = self._store.counts()
            index = VectorIndex.build(
                self.encoders.dim, self._store.iter_vectors(self._set.id, db), kind="auto", total=passages
            )
        self._save_index(index, generation)
        return index

    def _save_index(self, index: VectorIndex, generation: int) -> None:
        # Only a writer may replace the file; a reader that rebuilt in memory just uses its copy.
        try:
            with self._file_lock.acquire(timeout=0):  # re-entrant when this library is the writer
                index.save(self._index_path, generation)
        except (Timeout, OSError):
            pass

    # --- reading files --------------------------------------------------------------------------

    def _read(self, path: Path, source: str) -> Document:
        with self._reader_lock:
            if self._reader is None:
                self._reader = DocumentReader(self.settings.parse_timeout_s, self.settings.max_file_bytes)
            reader = self._reader
        return reader.read(path, source)

    def _prepare(self, path: Path, source: str) -> _Prepared | FileOutcome:
        """Everything before encoding: checks, parsing, chunking. Failures become outcomes."""
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_EXTENSIONS:
            allowed = ", ".join(sorted(SUPPORTED_EXTENSIONS))
            return FileOutcome(
                source, "failed", f"unsupported file type '{suffix or path.name}' (supported: {allowed})"
            )
        try:
            size = path.stat().st_size
        except OSError:
            return FileOutcome(source, "failed", "file not found")
        if size > self.settings.max_file_bytes:
            return FileOutcome(
                source,
                "failed",
                f"too large ({size / 1e6:.1f} MB; the limit is {self.settings.max_file_bytes / 1e6:.0f} MB)",
            )
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
    ) -> AddResult:
        """Add files and folders; one outcome per file, a failure never affects the others.

        Re-adding an unchanged file costs nothing; a changed file replaces its older version. Each
        document is committed on its own, so an interruption loses at most the file being added.
        """
        started = time.perf_counter()
        files = collect_files(paths, sources)
        result = AddResult()
        limit = self.settings.max_files_per_batch
        if len(files) > limit:
            result.outcomes.extend(
                FileOutcome(source, "failed", f"too many files in one batch (the limit is {limit})")
                for _, source in files[limit:]
            )
            files = files[:limit]
        seen: dict[str, str] = {}
        with self._locked():
            prepared: list[_Prepared] = []
            for path, source in tqdm(files, desc="Reading files", unit="file", disable=not progress or not files):
                if source in seen:
                    result.outcomes.append(FileOutcome(source, "failed", "the same name appears twice in this batch"))
                    continue
                outcome = self._prepare(path, source)
                if isinstance(outcome, FileOutcome):
                    result.outcomes.append(outcome)
                    continue
                same = next((p for p in prepared if p.document.content_hash == outcome.document.content_hash), None)
                if same is not None:
                    result.outcomes.append(
                        FileOutcome(source, "duplicate", f"duplicate of {same.source}; not added twice")
                    )
                    continue
                seen[source] = outcome.document.content_hash
                prepared.append(outcome)
            total = sum(len(p.passages) for p in prepared)
            with tqdm(total=total, desc="Encoding passages", unit="passage", disable=not progress or not total) as bar:
                for item in prepared:
                    try:
                        outcome, encoded = self._commit(item, bar.update)
                    except RdrSearchError as exc:
                        outcome, encoded = FileOutcome(item.source, "failed", str(exc)), 0
                    result.outcomes.append(outcome)
                    result.encoded += encoded
            if prepared:
                self._save_index(self._index, self._index_generation)
        order = {source: i for i, (_, source) in enumerate(files)}
        result.outcomes.sort(key=lambda o: order.get(o.source, len(order)))
        result.seconds = time.perf_counter() - started
        return result

    def _commit(self, item: _Prepared, progress: Callable[[int], object]) -> tuple[FileOutcome, int]:
        passages = item.passages
        keys = [content_key(p.title, p.text) for p in passages]
        known = self._store.known_vectors(self._set.id, keys)
        todo = [i for i, key in enumerate(keys) if key not in known]
        # Repeated passages inside one document are encoded once.
        unique_todo = list({keys[i]: i for i in todo}.values())
        if len(unique_todo) < len(passages):
            progress(len(passages) - len(unique_todo))
        new_vectors: dict[str, np.ndarray] = {}
        if unique_todo:
            vectors = self.encoders.encode_passages(
                [passages[i].title for i in unique_todo],
                [passages[i].text for i in unique_todo],
                progress=progress,
            )
            new_vectors = {keys[i]: vectors[j] for j, i in enumerate(unique_todo)}
        all_vectors = np.stack([known.get(key, new_vectors.get(key)) for key in keys])
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
            new_vectors={self._set.id: new_vectors},
            replaces=item.replaces.id if item.replaces else None,
        )
        self._index.replace(old_ids, np.asarray(ids, dtype=np.int64), all_vectors)
        self._index_generation = self._store.generation()
        status = "replaced" if item.replaces else "added"
        pages = len(document.pages)
        message = _plural(len(passages), "passage") + (f" from {pages} pages" if pages > 1 else "")
        return FileOutcome(item.source, status, message, len(passages), pages), len(unique_todo)

    def remove(self, source: str) -> bool:
        """Remove a document by its source name; its passages and vectors go with it. False if absent."""
        with self._locked():
            record = self._store.document_by_source(source)
            if record is None:
                return False
            ids = self._store.passage_ids(record.id)
            self._store.remove_document(record.id)
            self._index.remove(ids)
            self._index_generation = self._store.generation()
            self._save_index(self._index, self._index_generation)
        return True

    # --- reading --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Pick up documents committed by another process (e.g. a CLI add while the app runs)."""
        if self._store.generation() == self._index_generation:
            return
        # Never swap the index under this process's own writer; it keeps the index current itself.
        if self._write_lock.acquire(blocking=False):
            try:
                self._index = self._open_index()
            finally:
                self._write_lock.release()

    def search(self, question: str, k: int = 10) -> list[Hit]:
        """The ``k`` passages whose vectors have the highest inner product with the question's."""
        self.refresh()
        question = question.strip()
        if not question or k < 1 or len(self._index) == 0:
            return []
        vector = self.encoders.encode_questions([question])
        # Passages may be removed between the index scan and the row lookup: ask for a few spare.
        scores, ids = self._index.search(vector, k + 8)
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
        return {"documents": documents, "passages": passages, "vectors": len(self._index)}

    def check(self) -> CheckReport:
        """Every indexed vector has its passage row and vice versa; no half documents."""
        with self._store.snapshot() as db:
            documents, passages = self._store.counts()
            problems = self._store.integrity_problems([self._set.id])
            row_ids = {int(r[0]) for r in db.execute("SELECT id FROM passages")}
        index_ids = set(self._index.ids().tolist())
        if index_ids - row_ids:
            problems.append(f"{len(index_ids - row_ids)} indexed vectors have no passage row")
        if row_ids - index_ids:
            problems.append(f"{len(row_ids - index_ids)} passages are missing from the index")
        saved = VectorIndex.load(self._index_path)
        if saved is not None and saved[1].generation == self._store.generation():
            saved_ids = set(saved[0].ids().tolist())
            if saved_ids != row_ids:
                problems.append("the saved index file disagrees with the committed passages")
        return CheckReport(documents, passages, len(self._index), problems)

    def describe(self) -> dict[str, object]:
        """What the library is built with, for status lines."""
        return {
            "path": str(self.path),
            "encoders": self.encoders.describe(),
            "vector_set": self._set.key,
            **self.stats(),
        }


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
        if library._store.generation() != library._index_generation:
            library._index = library._open_index()

    def __exit__(self, *exc: object) -> None:
        self.library._file_lock.release()
        self.library._write_lock.release()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _mismatch_message(path: Path, stored: VectorSetRecord, pair: EncoderPair) -> str:
    stored_identity = EncoderIdentity.from_json(stored.identity)
    differs = ", ".join(stored_identity.differences(pair.identity))
    return (
        f"The library in {path} was built with {stored.name} ({stored.ctx_encoder} + {stored.question_encoder}, "
        f"{stored_identity.precision}); its vectors cannot be searched with {pair.describe()} "
        f"(they differ in: {differs}).\n"
        "Either open it with the pair it was built with (leave out --preset/--ctx-encoder/--question-encoder/"
        "--precision), or use a new --library folder for the new pair."
    )
