"""The app's work, without any web framework: models, libraries, and the operations the tabs and API call.

One :class:`AppService` per process holds the encoder pair (loaded once, in a background thread, so the page
renders at once), one document reader shared by every library it opens, and either the one local library or a
private library per browser session (:mod:`rdr_search.app.sessions`). With a compare pair configured it loads
that pair too and attaches it to every library it opens, so the Compare tab can rank the same passages with
both. Methods return data (hits, outcomes, documents) and raise :class:`RdrSearchError` with a message for
people; they never build HTML.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path

from rdr_search.app.config import AppConfig
from rdr_search.app.inputs import InputError, bounded_filters, result_count, search_mode, text_input
from rdr_search.app.models import describe_pair, pair_name
from rdr_search.app.pending import AddQueue
from rdr_search.app.recall_check import library_curves, parse_expected
from rdr_search.app.sessions import SessionLibraries, default_root
from rdr_search.app.uploads import UploadedFiles
from rdr_search.documents import DocumentReader
from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.errors import RdrSearchError
from rdr_search.evaluation import RecallReport
from rdr_search.library import AddResult, Hit, Library, LibraryDocument

log = logging.getLogger("rdr_search.app")

SAMPLES_KEY = "__samples__"
"""Library key for requests without a browser session in session-scoped mode (MCP, bare API calls)."""

STILL_LOADING = "The models are still loading — try again in a few seconds."
NO_COMPARE_PAIR = "No compare pair is configured (start the app with --compare-preset or --compare-ctx-encoder)."
SAMPLES_ONLY = (
    "This public demo keeps one private library per browser session; calls without a session (MCP, or an "
    "API call that sends no session_hash) can only search the sample documents."
)
PUBLIC_LOAD_FAILURE = "The models could not be loaded on the server; its log says why and how to fix it."


class ModelsNotReady(RdrSearchError):
    """The encoders are still loading, or could not be loaded (the message says which and why)."""


class AppService:
    """The shared encoder pair plus the library (local) or libraries (one per session) the app serves.

    Thread-safe: Gradio runs events in worker threads, several at once.
    """

    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self.uploads = UploadedFiles(Path("."))
        """Replaced by the web layer with the framework's upload folder and its record of written files."""
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.adds = AddQueue(self._ready)
        """Adds waiting for the models, and the cancel flags of adds in flight (``adds.cancel(key)``)."""
        self._stop = threading.Event()
        self._pair: EncoderPair | None = None
        self._local: Library | None = None
        self._error: str | None = None
        self._compare_pair: EncoderPair | None = None
        self._compare_error: str | None = None
        # Per open library: the compare pair's vector set key (what attach returned), or why attaching failed.
        self._compare_keys: weakref.WeakKeyDictionary[Library, str] = weakref.WeakKeyDictionary()
        self._attach_errors: weakref.WeakKeyDictionary[Library, str] = weakref.WeakKeyDictionary()
        self._started = False
        self._reader = _shared_reader(config)
        self._samples: Library | None = None
        self._samples_lock = threading.Lock()
        self.sessions: SessionLibraries | None = None
        if config.session_scoped:
            root = config.sessions_root or default_root()
            self.sessions = SessionLibraries(root, self._open_session_library, config.limits)

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Load the encoders in a background thread (and start the session sweeper); returns at once."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._load, name="rdr-search-model-loader", daemon=True).start()
        if self.sessions is not None:
            threading.Thread(target=self._sweep_loop, name="rdr-search-session-sweeper", daemon=True).start()

    def _load(self) -> None:
        try:
            try:
                if self.config.session_scoped:
                    self._pair = EncoderPair(self.config.encoder_spec or EncoderSpec(), self.config.settings)
                else:
                    # Library.open with spec None reuses the pair the library was built with.
                    library = self._open_library(self.config.library_path, self.config.encoder_spec)
                    self._local, self._pair = library, library.encoders
            except RdrSearchError as exc:
                self._error = str(exc)
            except Exception as exc:  # an unexpected failure must still reach the banner, not just a log
                self._error = f"The models could not be loaded: {type(exc).__name__}: {exc}"
            if self._error is not None:
                log.error("%s", self._error)
            if self.config.compare_spec is not None:
                self._load_compare()
        finally:
            self._ready.set()

    def _load_compare(self) -> None:
        """The compare pair, once per process; its failure is reported on its own and leaves search working."""
        spec = self.config.compare_spec
        assert spec is not None
        if self._pair is None:
            self._compare_error = "Not loaded: the main encoder pair failed to load."
            return
        try:
            # "auto" precision follows the main pair (as Library.attach does), so the two rankings compare fairly.
            auto = self.config.settings.precision == "auto"
            self._compare_pair = EncoderPair(
                spec, self.config.settings, precision=self._pair.precision if auto else None
            )
        except RdrSearchError as exc:
            self._compare_error = str(exc)
        except Exception as exc:
            self._compare_error = f"{type(exc).__name__}: {exc}"
        if self._compare_error is not None:
            log.error("compare pair: %s", self._compare_error)
        if self._compare_pair is not None and self._local is not None:
            # An existing local library gets the compare pair's vectors for every passage it holds (once).
            self._attach_compare(self._local, progress=True)

    def _attach_compare(self, library: Library, *, progress: bool) -> None:
        """Attach the compare pair (if any) to a library the service opened, so adds keep both sets current."""
        if self._compare_pair is None:
            return
        try:
            self._compare_keys[library] = library.attach(self._compare_pair, progress=progress)
        except RdrSearchError as exc:
            self._attach_errors[library] = str(exc)
        except Exception as exc:
            self._attach_errors[library] = f"{type(exc).__name__}: {exc}"

    def _open_library(self, path: Path, encoders: EncoderSpec | EncoderPair | None) -> Library:
        library = Library.open(path, encoders, self.config.settings, reader=self._reader)
        self._attach_compare(library, progress=False)
        return library

    def _open_session_library(self, path: Path) -> Library:
        return self._open_library(path, self._require_pair())

    def wait_until_ready(self, timeout: float | None = None) -> bool:
        """True once loading has finished (successfully or not) within ``timeout`` seconds."""
        return self._ready.wait(timeout)

    def status(self) -> tuple[str, str]:
        """("loading" | "ready" | "failed", a line for people).

        On a public deployment the line names models only, never server folders (a failure's details,
        which name folders and options, go to the server log).
        """
        public = self.config.session_scoped
        if not self._ready.is_set():
            name = self.config.encoder_spec.name if self.config.encoder_spec else "the retriever"
            if self.config.compare_spec is not None:
                name += f"; compare pair {self.config.compare_spec.name}"
            return "loading", f"Loading models ({name})…"
        if self._error is not None or self._pair is None:
            return "failed", PUBLIC_LOAD_FAILURE if public else (self._error or "The models could not be loaded.")
        return "ready", describe_pair(self._pair, public)

    def compare_status(self) -> tuple[str, str] | None:
        """None without a compare pair, else ("loading" | "ready" | "failed", a line for people)."""
        spec = self.config.compare_spec
        if spec is None:
            return None
        public = self.config.session_scoped
        if not self._ready.is_set():
            return "loading", spec.name
        if self._compare_pair is None:
            if public:
                return "failed", PUBLIC_LOAD_FAILURE
            return "failed", self._compare_error or "The compare pair could not be loaded."
        if self._local is not None and self._local in self._attach_errors:
            return "failed", f"It could not be added to the library: {self._attach_errors[self._local]}"
        return "ready", describe_pair(self._compare_pair, public)

    def pair_names(self) -> tuple[str, str]:
        """(main, compare) pair descriptions for column headings; spec names until the pairs are loaded."""
        public = self.config.session_scoped
        main = pair_name(self._pair, self.config.encoder_spec, public, "the library's pair")
        return main, pair_name(self._compare_pair, self.config.compare_spec, public, "")

    def close(self) -> None:
        """Stop the sweeper, close every library, stop the parser workers and delete session folders."""
        self._stop.set()
        if self.sessions is not None:
            self.sessions.close()
        for library in (self._local, self._samples):
            if library is not None:
                library.close()
        self._reader.close()

    # --- libraries ------------------------------------------------------------------------------

    def _require_pair(self) -> EncoderPair:
        state, message = self.status()
        if state == "loading":
            raise ModelsNotReady(STILL_LOADING)
        if state == "failed":
            raise ModelsNotReady(message)
        assert self._pair is not None
        return self._pair

    @contextlib.contextmanager
    def library(self, key: str | None, *, create: bool) -> Iterator[Library | None]:
        """The library for ``key`` (a session hash, SAMPLES_KEY, or ignored in local mode).

        In session mode a session's library is made on first write only (``create``), so reads from a
        fresh session or a sessionless call cost nothing; it yields None when none exists yet.
        """
        pair = self._require_pair()
        if self.sessions is None:
            yield self._local
            return
        if key is None or key == SAMPLES_KEY:
            yield self._samples_library(pair)
            return
        with self.sessions.use(key, create=create) as library:
            yield library

    def _samples_library(self, pair: EncoderPair) -> Library:
        """A shared, read-only library of the samples (session mode, for calls that carry no session)."""
        assert self.sessions is not None
        with self._samples_lock:
            if self._samples is None:
                library = self._open_library(self.sessions.run_dir / "samples", pair)
                library.add_files(self.sample_files(), progress=False)
                self._samples = library
            return self._samples

    def release(self, key: str | None) -> None:
        """Forget a session and delete its library (now, or when its running event ends)."""
        if self.sessions is not None and key and key != SAMPLES_KEY:
            self.sessions.release(key)

    def sweep(self, now: float | None = None) -> int:
        """Delete session libraries idle longer than the TTL; returns how many."""
        return 0 if self.sessions is None else self.sessions.sweep(now)

    def _sweep_loop(self) -> None:
        assert self.sessions is not None
        interval = max(1.0, min(self.config.sweep_interval_s, self.config.limits.ttl_s / 4))
        while not self._stop.wait(interval):
            self.sweep()

    def session_count(self) -> int:
        """Private session libraries alive now (the shared sample library not counted)."""
        return 0 if self.sessions is None else self.sessions.count()

    # --- operations -----------------------------------------------------------------------------

    def sample_files(self) -> list[Path]:
        """The sample documents shipped with the app."""
        folder = self.config.samples_dir
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))

    def add(self, paths: Sequence[str | Path], sources: Sequence[str] | None, key: str | None) -> AddResult:
        """Add files this process trusts (local paths) to the library of ``key``; one outcome per file."""
        return self._add([Path(p) for p in paths], list(sources) if sources else None, key, expand_folders=True)

    def add_uploads(self, paths: Sequence[object], key: str | None) -> AddResult:
        """Add files that came over the network: only regular files the upload endpoint wrote are read (each
        once); anything else gets its own refusal. Every accepted upload is deleted afterwards."""
        accepted, refused = self.uploads.claim(list(paths), self.config.max_files_per_request)
        try:
            if not accepted:
                return AddResult(outcomes=refused)
            result = self._add([p for p, _ in accepted], [n for _, n in accepted], key, expand_folders=False)
        finally:
            self.uploads.discard([p for p, _ in accepted])
        result.outcomes.extend(refused)
        return result

    def _add(self, paths: list[Path], sources: list[str] | None, key: str | None, *, expand_folders: bool) -> AddResult:
        if key == SAMPLES_KEY and self.sessions is not None:
            raise RdrSearchError(SAMPLES_ONLY)
        if not paths:
            return AddResult()
        with self.adds.running(key) as cancel:  # files that come while the models load wait, never bounce
            if (failed := self.adds.wait_for_models(self.status, paths, sources)) is not None:
                return failed
            if self.sessions is not None and key is not None:
                self.sessions.check_room(key)
            with self.library(key, create=True) as library:
                assert library is not None
                return library.add_files(paths, sources, progress=True, expand_folders=expand_folders, cancel=cancel)

    def add_samples(self, key: str | None) -> AddResult:
        """Add the shipped sample documents to the library of ``key``."""
        files = self.sample_files()
        return self.add(files, [p.name for p in files], key)

    def search(
        self, question: object, k: object, key: str | None, *, mode: object = "hybrid", filters: object = None
    ) -> tuple[list[Hit], bool]:
        """(hits, whether the library is empty); ``mode``: dense, keyword or hybrid; ``filters``: SearchFilters."""
        text = self._question(question)
        count = result_count(k, self.config.default_k, self.config.max_k)
        chosen = search_mode(mode)
        bounded = bounded_filters(filters, self.config.max_filter_items, self.config.max_name_chars)
        with self.library(key, create=False) as library:
            if library is None or library.stats()["documents"] == 0:
                return [], True
            return library.search(text, count, mode=chosen, filters=bounded), False

    def _question(self, question: object) -> str:
        return text_input(question, "question", self.config.settings.max_question_chars)

    def _require_compare(self) -> EncoderPair:
        if self.config.compare_spec is None:
            raise RdrSearchError(NO_COMPARE_PAIR)
        self._require_pair()
        if self._compare_pair is None:
            raise ModelsNotReady(f"The compare pair could not be loaded: {self.compare_status() or ''}")
        return self._compare_pair

    def compare(self, question: object, k: object, key: str | None) -> tuple[list[Hit], list[Hit], bool]:
        """(main pair's hits, compare pair's hits, whether the library is empty) over the same passages."""
        self._require_compare()
        text = self._question(question)
        count = result_count(k, self.config.default_k, self.config.max_k)
        with self.library(key, create=False) as library:
            if library is None or library.stats()["documents"] == 0:
                return [], [], True
            vector_set = self._compare_set(library)
            # the pairs are compared on their vectors alone
            main = library.search(text, count, mode="dense")
            return main, library.search(text, count, mode="dense", vector_set=vector_set), False

    def _compare_set(self, library: Library) -> str:
        vector_set = self._compare_keys.get(library)
        if vector_set is None:
            reason = self._attach_errors.get(library, "it is not attached to this library")
            raise RdrSearchError(f"The compare pair cannot search this library: {reason}")
        return vector_set

    def recall_check(self, lines: object, k: object, key: str | None) -> tuple[list[RecallReport], bool]:
        """(answer recall at k = 1..k of each pair, the compare pair too if any, on questions with expected
        answers given as lines ``question | answer1; answer2``; whether the library is empty)."""
        questions, depth = parse_expected(lines), result_count(k, self.config.max_k, self.config.max_k)
        compare = self.config.compare_spec is not None
        if compare:
            self._require_compare()  # loaded, or the message why not
        main, other = (name.partition(": ")[0] for name in self.pair_names())
        with self.library(key, create=False) as library:
            if library is None or library.stats()["documents"] == 0:
                return [], True
            pairs: list[tuple[str, str | None]] = [(f"Main pair: {main}", None)]
            pairs += [(f"Compare pair: {other}", self._compare_set(library))] if compare else []
            return library_curves(library, questions, pairs, depth), False

    def documents(self, key: str | None) -> list[LibraryDocument]:
        with self.library(key, create=False) as library:
            return [] if library is None else library.documents()

    def remove(self, source: object, key: str | None) -> bool:
        name = text_input(source, "document name", self.config.max_name_chars)
        if not name:
            raise InputError("Name the document to remove.")
        if key == SAMPLES_KEY and self.sessions is not None:
            raise RdrSearchError("The shared sample library cannot be changed.")
        with self.library(key, create=False) as library:
            return False if library is None else library.remove(name)

    def describe_scope(self) -> str:
        """Where the documents live, in a line for people (plain text)."""
        if self.config.session_scoped:
            hours = self.config.limits.ttl_s / 3600
            return (
                "Your documents live in a private, temporary library for this browser session only; it is "
                f"deleted when you close the tab or after {hours:g} h idle."
            )
        return f"Library folder: {self.config.library_path}"


def _shared_reader(config: AppConfig) -> DocumentReader:
    settings = config.settings
    # Idle workers stop after a while: a public app should not hold parser processes nobody is using.
    return DocumentReader(
        settings.parse_timeout_s, settings.max_file_bytes, workers=config.reader_workers, idle_timeout_s=300.0
    )
