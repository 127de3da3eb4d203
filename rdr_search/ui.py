"""The Gradio web app: add documents, browse the library, search it. Built over :class:`Library`.

One :class:`AppService` per process holds the encoder pair (loaded once, in a background thread, so the page
renders at once) and either the one local library or a private library per browser session. With a compare
pair configured it loads that pair too and attaches it to every library it opens (a second vector set over the
same passages), so the Compare tab can rank the same documents with both. ``build_app`` wires it into a
``gr.Blocks``; ``app.py`` and the tests both go through it.
"""

from __future__ import annotations

import contextlib
import html
import re
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from rdr_search.documents import SUPPORTED_EXTENSIONS
from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.errors import RdrSearchError
from rdr_search.library import AddResult, Hit, Library, LibraryDocument
from rdr_search.settings import Settings

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "samples"
SAMPLES_KEY = "__samples__"
"""Library key for requests without a browser session in session-scoped mode (MCP): the sample library."""

EMPTY_LIBRARY = "The library is empty — add documents"
NO_RESULTS = "No results"
TYPE_A_QUESTION = "Type a question"
STILL_LOADING = "The models are still loading — try again in a few seconds."
NO_COMPARE_PAIR = "No compare pair is configured (start the app with --compare-preset or --compare-ctx-encoder)."

OUTCOME_HEADERS = ["File", "Status", "Passages", "Pages", "Message"]
DOCUMENT_HEADERS = ["Document", "Title", "Type", "Pages", "Passages", "Size", "Added"]

# Words too common to be worth highlighting; words shorter than MIN_HIGHLIGHT_CHARS are skipped as well.
_STOPWORDS_TEXT = """
    a about above after again against all am an and any are as at be because been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her here hers him
    his how i if in into is it its itself just me more most my no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would you your
    yours"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
MIN_HIGHLIGHT_CHARS = 3


class ModelsNotReady(RdrSearchError):
    """The encoders are still loading, or could not be loaded (the message says which and why)."""


@dataclass(frozen=True)
class AppConfig:
    """Everything the app needs to know at startup."""

    library_path: Path = Path("data/library")
    """The persistent library (local mode)."""
    encoder_spec: EncoderSpec | None = None
    """None: the pair an existing local library was built with, else the default RDR pair."""
    compare_spec: EncoderSpec | None = None
    """A second pair to rank the same passages with (the Compare tab); None: no Compare tab."""
    settings: Settings = field(default_factory=Settings)
    session_scoped: bool = False
    """Each browser session gets its own temporary library (public deployments)."""
    session_ttl_s: float = 3600.0
    """A session library idle this long is deleted by the sweeper."""
    sweep_interval_s: float = 60.0
    samples_dir: Path = SAMPLES_DIR
    concurrency: int = 8
    """Events of one kind that may run at once (Gradio's default is 1: a search would wait for an ingest)."""
    max_upload_mb: int = 200
    """Server-wide request cap; it only guards the server (per-file limits come back as outcomes)."""
    default_k: int = 5
    max_k: int = 50


@dataclass
class _Session:
    path: Path
    library: Library
    last_used: float
    busy: int = 0
    released: bool = False


class AppService:
    """The shared encoder pair plus the library (local) or libraries (one per session) the app serves.

    Thread-safe: Gradio runs events in worker threads, several at once.
    """

    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._ready = threading.Event()
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
        self._sessions: dict[str, _Session] = {}
        self._samples_lock = threading.Lock()
        self._samples_loaded = False
        self._root: Path | None = None
        if config.session_scoped:
            self._root = Path(tempfile.mkdtemp(prefix="rdr-search-sessions-"))

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Load the encoders in a background thread (and start the session sweeper); returns at once."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._load, name="rdr-search-model-loader", daemon=True).start()
        if self.config.session_scoped:
            threading.Thread(target=self._sweep_loop, name="rdr-search-session-sweeper", daemon=True).start()

    def _load(self) -> None:
        try:
            try:
                if self.config.session_scoped:
                    self._pair = EncoderPair(self.config.encoder_spec or EncoderSpec(), self.config.settings)
                else:
                    # Library.open with spec None reuses the pair the library was built with.
                    library = Library.open(self.config.library_path, self.config.encoder_spec, self.config.settings)
                    self._local, self._pair = library, library.encoders
            except RdrSearchError as exc:
                self._error = str(exc)
            except Exception as exc:  # an unexpected failure must still reach the banner, not just a log
                self._error = f"The models could not be loaded: {type(exc).__name__}: {exc}"
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

    def _open_library(self, path: Path, pair: EncoderPair) -> Library:
        library = Library.open(path, pair, self.config.settings)
        self._attach_compare(library, progress=False)
        return library

    def wait_until_ready(self, timeout: float | None = None) -> bool:
        """True once loading has finished (successfully or not) within ``timeout`` seconds."""
        return self._ready.wait(timeout)

    def status(self) -> tuple[str, str]:
        """("loading" | "ready" | "failed", a line for people)."""
        if not self._ready.is_set():
            name = self.config.encoder_spec.name if self.config.encoder_spec else "the retriever"
            if self.config.compare_spec is not None:
                name += f"; compare pair {self.config.compare_spec.name}"
            return "loading", f"Loading models ({name})…"
        if self._error is not None or self._pair is None:
            return "failed", self._error or "The models could not be loaded."
        return "ready", self._pair.describe()

    def compare_status(self) -> tuple[str, str] | None:
        """None without a compare pair, else ("loading" | "ready" | "failed", a line for people)."""
        spec = self.config.compare_spec
        if spec is None:
            return None
        if not self._ready.is_set():
            return "loading", spec.name
        if self._compare_pair is None:
            return "failed", self._compare_error or "The compare pair could not be loaded."
        if self._local is not None and self._local in self._attach_errors:
            return "failed", f"It could not be added to the library: {self._attach_errors[self._local]}"
        return "ready", self._compare_pair.describe()

    def pair_names(self) -> tuple[str, str]:
        """(main, compare) pair descriptions for column headings; spec names until the pairs are loaded."""
        main = (
            self._pair.describe()
            if self._pair is not None
            else (self.config.encoder_spec.name if self.config.encoder_spec else "the library's pair")
        )
        spec = self.config.compare_spec
        other = self._compare_pair.describe() if self._compare_pair is not None else (spec.name if spec else "")
        return main, other

    def close(self) -> None:
        """Stop the sweeper, close every library and delete the session root."""
        self._stop.set()
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.library.close()
        if self._local is not None:
            self._local.close()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)

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
        fresh session or a stateless API call cost nothing; it yields None when none exists yet.
        """
        pair = self._require_pair()
        if not self.config.session_scoped:
            yield self._local
            return
        if key is None or key == SAMPLES_KEY:
            yield self._samples_library(pair)
            return
        with self._lock:
            session = self._sessions.get(key)
            if session is None and create:
                assert self._root is not None
                path = Path(tempfile.mkdtemp(prefix="session-", dir=self._root))
                session = _Session(path, self._open_library(path, pair), time.monotonic())
                self._sessions[key] = session
            if session is not None:
                session.busy += 1
                session.last_used = time.monotonic()
        if session is None:
            yield None
            return
        try:
            yield session.library
        finally:
            with self._lock:
                session.busy -= 1
                session.last_used = time.monotonic()
                drop = session.released and session.busy == 0
            if drop:
                self._delete(session)

    def _samples_library(self, pair: EncoderPair) -> Library:
        """A shared, read-mostly library of the samples (session mode, for calls that carry no session)."""
        with self._samples_lock:
            session = self._sessions.get(SAMPLES_KEY)
            if session is None:
                assert self._root is not None
                path = self._root / "samples"
                session = _Session(path, self._open_library(path, pair), time.monotonic())
                with self._lock:
                    self._sessions[SAMPLES_KEY] = session
            if not self._samples_loaded:
                session.library.add_files(self.sample_files(), progress=False)
                self._samples_loaded = True
            return session.library

    def release(self, key: str | None) -> None:
        """Forget a session and delete its library (now, or when its running event ends)."""
        if not self.config.session_scoped or not key or key == SAMPLES_KEY:
            return
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return
            session.released = True
            if session.busy:
                return  # the event using it deletes it on the way out
            del self._sessions[key]
        self._delete(session)

    def _delete(self, session: _Session) -> None:
        with self._lock:
            for key, other in list(self._sessions.items()):
                if other is session:
                    del self._sessions[key]
        session.library.close()
        shutil.rmtree(session.path, ignore_errors=True)

    def sweep(self, now: float | None = None) -> int:
        """Delete session libraries idle longer than the TTL, and stray session folders; returns how many.

        Gradio may evict a session's state without calling its delete callback, so this is the backstop.
        """
        if self._root is None:
            return 0
        now = time.monotonic() if now is None else now
        ttl = self.config.session_ttl_s
        with self._lock:
            idle = [
                (k, s)
                for k, s in self._sessions.items()
                if k != SAMPLES_KEY and s.busy == 0 and now - s.last_used > ttl
            ]
            for key, _ in idle:
                del self._sessions[key]
            known = {s.path for s in self._sessions.values()}
        for _, session in idle:
            session.library.close()
            shutil.rmtree(session.path, ignore_errors=True)
        removed = len(idle)
        # Folders no session owns (e.g. left by a crash of a handler) once they are older than the TTL.
        wall = time.time()
        for child in self._root.glob("session-*"):
            with contextlib.suppress(OSError):
                if child not in known and wall - child.stat().st_mtime > ttl:
                    shutil.rmtree(child, ignore_errors=True)
                    removed += 1
        return removed

    def _sweep_loop(self) -> None:
        interval = max(1.0, min(self.config.sweep_interval_s, self.config.session_ttl_s / 4))
        while not self._stop.wait(interval):
            self.sweep()

    def session_count(self) -> int:
        """Private session libraries alive now (the shared sample library not counted)."""
        with self._lock:
            return sum(1 for k in self._sessions if k != SAMPLES_KEY)

    # --- operations -----------------------------------------------------------------------------

    def sample_files(self) -> list[Path]:
        """The sample documents shipped with the app."""
        folder = self.config.samples_dir
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))

    def add(self, paths: Sequence[str | Path], sources: Sequence[str] | None, key: str | None) -> AddResult:
        """Add files to the library of ``key``; one outcome per file."""
        if key == SAMPLES_KEY and self.config.session_scoped:
            raise RdrSearchError(
                "This public demo keeps one private library per browser session; calls without a session "
                "(e.g. MCP) can only search the sample documents."
            )
        if not paths:
            return AddResult()
        with self.library(key, create=True) as library:
            assert library is not None
            return library.add_files(list(paths), sources=list(sources) if sources else None, progress=True)

    def add_samples(self, key: str | None) -> AddResult:
        """Add the shipped sample documents to the library of ``key``."""
        files = self.sample_files()
        return self.add(files, [p.name for p in files], key)

    def search(self, question: str, k: int, key: str | None) -> tuple[list[Hit], bool]:
        """(hits, whether the library is empty)."""
        with self.library(key, create=False) as library:
            if library is None or library.stats()["documents"] == 0:
                return [], True
            return library.search(question, max(1, min(int(k), self.config.max_k))), False

    def _require_compare(self) -> EncoderPair:
        if self.config.compare_spec is None:
            raise RdrSearchError(NO_COMPARE_PAIR)
        self._require_pair()
        if self._compare_pair is None:
            raise ModelsNotReady(f"The compare pair could not be loaded: {self._compare_error}")
        return self._compare_pair

    def compare(self, question: str, k: int, key: str | None) -> tuple[list[Hit], list[Hit], bool]:
        """(main pair's hits, compare pair's hits, whether the library is empty) over the same passages."""
        self._require_compare()
        k = max(1, min(int(k), self.config.max_k))
        with self.library(key, create=False) as library:
            if library is None or library.stats()["documents"] == 0:
                return [], [], True
            vector_set = self._compare_keys.get(library)
            if vector_set is None:
                reason = self._attach_errors.get(library, "it is not attached to this library")
                raise RdrSearchError(f"The compare pair cannot search this library: {reason}")
            return library.search(question, k), library.search(question, k, vector_set=vector_set), False

    def documents(self, key: str | None) -> list[LibraryDocument]:
        with self.library(key, create=False) as library:
            return [] if library is None else library.documents()

    def remove(self, source: str, key: str | None) -> bool:
        if key == SAMPLES_KEY and self.config.session_scoped:
            raise RdrSearchError("The shared sample library cannot be changed.")
        with self.library(key, create=False) as library:
            return False if library is None else library.remove(source)

    def describe_scope(self) -> str:
        if self.config.session_scoped:
            hours = self.config.session_ttl_s / 3600
            return (
                "Your documents live in a private, temporary library for this browser session only; it is "
                f"deleted when you close the tab or after {hours:g} h idle."
            )
        return f"Library folder: <code>{html.escape(str(self.config.library_path))}</code>"


# --- HTML rendering (everything from documents is escaped here) -----------------------------------------


def question_terms(question: str) -> list[str]:
    """Lower-cased words of the question worth highlighting: no stopwords, no very short words."""
    words = re.findall(r"\w+", question.lower())
    return sorted({w for w in words if len(w) >= MIN_HIGHLIGHT_CHARS and w not in STOPWORDS}, key=len, reverse=True)


def highlight(text: str, question: str) -> str:
    """``text`` HTML-escaped, with the question's words wrapped in <mark> (case-insensitive, whole words).

    Matches are found on the raw text and each piece is escaped on its own, so a mark can never land inside
    an entity such as ``&amp;`` (which a regex over already-escaped text could do for the word "amp").
    """
    terms = question_terms(question)
    if not terms:
        return _escape(text)
    # Plural and singular both match: "kites" marks "kite" and "kites".
    stems = {t[:-1] if t.endswith("s") and not t.endswith("ss") and len(t) > MIN_HIGHLIGHT_CHARS else t for t in terms}
    alternatives = "|".join(re.escape(t) for t in sorted(stems, key=len, reverse=True))
    pattern = re.compile(r"\b(?:" + alternatives + r")(?:s|es)?\b", re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(_escape(text[last : match.start()]))
        out.append(f"<mark>{_escape(match.group(0))}</mark>")
        last = match.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def _escape(text: str) -> str:
    # "$" too, so no client-side template syntax can ever be formed from document text.
    return html.escape(text, quote=True).replace("$", "&#36;")


def _notice(message: str, kind: str = "info") -> str:
    return f'<div class="rdr-empty rdr-{kind}" data-state="{kind}">{_escape(message)}</div>'


def render_hits(hits: Sequence[Hit], question: str, other: Mapping[int, int] | None = None) -> str:
    """Result cards: rank, score, title, source, page and the passage with the question's words marked.

    ``other`` (compare view) maps passage ids to their rank in the other ranking; each card then says where
    its passage stands there ("#3 in the other ranking" or "not in the other top-k").
    """
    if not question.strip():
        return _notice(TYPE_A_QUESTION)
    if not hits:
        return _notice(NO_RESULTS)
    sources = len({h.source for h in hits})
    cards = [
        f'<div class="rdr-summary">{len(hits)} passage{"s" if len(hits) != 1 else ""} from {sources} '
        f"document{'s' if sources != 1 else ''} · score = DPR inner product (higher is closer)</div>"
    ]
    for hit in hits:
        page = f'<span class="rdr-page">{_escape(hit.pages)}</span>' if hit.pages else ""
        cards.append(
            f'<article class="rdr-hit" data-rank="{hit.rank}" data-source="{_escape(hit.source)}">'
            '<div class="rdr-hit-head">'
            f'<span class="rdr-rank">#{hit.rank}</span>'
            f'<span class="rdr-title">{_escape(hit.title)}</span>'
            f'<span class="rdr-score" title="DPR inner product">score {hit.score:.2f}</span>'
            "</div>"
            f'<div class="rdr-meta"><span class="rdr-source">{_escape(hit.source)}</span>{page}'
            f"{_other_rank(hit, other)}</div>"
            f'<p class="rdr-text">{highlight(hit.text, question)}</p>'
            "</article>"
        )
    return "".join(cards)


def _other_rank(hit: Hit, other: Mapping[int, int] | None) -> str:
    if other is None:
        return ""
    rank = other.get(hit.passage_id)
    if rank is None:
        return '<span class="rdr-other rdr-other-missing" data-other-rank="">not in the other top-k</span>'
    if rank == hit.rank:
        kind, arrow = "same", "="
    elif rank > hit.rank:
        kind, arrow = "lower", "↓"
    else:
        kind, arrow = "higher", "↑"
    title = f"The other pair ranks this passage #{rank}"
    return (
        f'<span class="rdr-other rdr-other-{kind}" data-other-rank="{rank}" title="{title}">'
        f"{arrow} #{rank} in the other ranking</span>"
    )


def other_ranks(hits: Sequence[Hit]) -> dict[int, int]:
    """Passage id -> rank in ``hits`` (to mark each card with its rank in the other column)."""
    return {h.passage_id: h.rank for h in hits}


def render_compare_head(side: str, description: str) -> str:
    """A compare column's heading: which side and the pair's name/description (escaped)."""
    name, _, rest = description.partition(": ")
    detail = f'<div class="rdr-compare-detail">{_escape(rest)}</div>' if rest else ""
    return (
        f'<div class="rdr-compare-head"><span class="rdr-compare-side">{_escape(side)}</span>'
        f'<span class="rdr-compare-name">{_escape(name)}</span>{detail}</div>'
    )


def render_status(state: str, message: str, scope: str, compare: tuple[str, str] | None = None) -> str:
    """The model banner: loading / ready / failed (the failure message names the fix).

    ``compare`` is the compare pair's (state, message): once ready it is named below the main pair, and a
    failure of its own gets its own line while the banner stays "ready" for the main search.
    """
    if state == "loading":
        body = (
            f"<strong>{_escape(message)}</strong> The page works meanwhile; searching and indexing start when "
            "they are ready."
        )
    elif state == "failed":
        body = f"<strong>The models could not be loaded.</strong><div class='rdr-banner-msg'>{_escape(message)}</div>"
    else:
        body = f"<strong>Models ready.</strong> {_escape(message)}"
        if compare is not None and compare[0] == "ready":
            body += (
                f"<div class='rdr-banner-compare' data-compare-state='ready'>Compare pair: {_escape(compare[1])}</div>"
            )
        elif compare is not None:
            body += (
                "<div class='rdr-banner-compare rdr-banner-compare-failed' data-compare-state='failed'>"
                "<strong>The compare pair could not be loaded</strong> (search works; the Compare tab does not)."
                f"<div class='rdr-banner-msg'>{_escape(compare[1])}</div></div>"
            )
        body += f"<span class='rdr-scope'>{scope}</span>"
    return f'<div class="rdr-banner rdr-banner-{state}" data-state="{state}">{body}</div>'


def _outcome_rows(result: AddResult) -> list[list[Any]]:
    return [[o.source, o.status, o.passages or "", o.pages or "", o.message] for o in result.outcomes]


def _document_rows(documents: Sequence[LibraryDocument]) -> list[list[Any]]:
    return [[d.source, d.title, d.kind, d.pages, d.passages, _size(d.size_bytes), _when(d.added_at)] for d in documents]


def _size(size: int) -> str:
    return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def _when(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def _hit_json(hit: Hit, other: Mapping[int, int] | None = None) -> dict[str, Any]:
    out = {**asdict(hit), "pages": hit.pages}
    if other is not None:
        out["other_rank"] = other.get(hit.passage_id)
    return out


CSS = """
<style>
#rdr-header h1 { margin: 0 0 .2rem 0; font-size: 1.7rem; }
#rdr-header p { margin: 0; opacity: .8; }
.rdr-banner::before { content: ""; display: inline-block; width: .6rem; height: .6rem; border-radius: 50%;
  margin-right: .5rem; background: currentColor; }
.rdr-banner-loading::before { animation: rdr-pulse 1s infinite alternate; }
@keyframes rdr-pulse { from { opacity: .2; } to { opacity: 1; } }
.rdr-banner { padding: .6rem .9rem; border-radius: 8px; font-size: .92rem; }
.rdr-banner-loading { background: #fff7e0; border: 1px solid #f0c36d; color: #5c4400; }
.rdr-banner-ready { background: #eef8f0; border: 1px solid #9fd5a9; color: #1e4d2b; }
.rdr-banner-failed { background: #fdecec; border: 1px solid #e58e8e; color: #7a1010; }
.rdr-banner-msg { white-space: pre-wrap; font-family: var(--font-mono, monospace); font-size: .82rem;
  margin-top: .4rem; }
.rdr-scope { opacity: .85; font-size: .85rem; display: block; }
.rdr-banner-compare { margin: .15rem 0; }
.rdr-banner-compare-failed { color: #7a1010; background: #fdecec; border: 1px solid #e58e8e; border-radius: 6px;
  padding: .35rem .6rem; margin: .4rem 0; }
.rdr-compare-head { border-bottom: 2px solid var(--color-accent, #f97316); padding: .2rem 0 .45rem 0;
  margin-bottom: .6rem; }
.rdr-compare-side { font-size: .75rem; text-transform: uppercase; letter-spacing: .06em; opacity: .7;
  margin-right: .5rem; }
.rdr-compare-name { font-weight: 700; font-size: 1.05rem; }
.rdr-compare-detail { font-family: var(--font-mono, monospace); font-size: .75rem; opacity: .7;
  overflow-wrap: anywhere; margin-top: .15rem; }
.rdr-other { margin-left: auto; font-size: .78rem; padding: .05rem .55rem; border-radius: 999px;
  white-space: nowrap; border: 1px solid currentColor; font-weight: 600; }
.rdr-other-same { color: #1e6b33; background: #eaf6ec; }
.rdr-other-higher { color: #1f5fa8; background: #e8f0fb; }
.rdr-other-lower { color: #8a5000; background: #fdf3e1; }
.rdr-other-missing { color: #8a1c1c; background: #fdecec; border-style: dashed; }
.rdr-summary { font-size: .85rem; opacity: .75; margin: .2rem 0 .6rem 0; }
.rdr-hit { border: 1px solid var(--border-color-primary, #ddd); border-radius: 10px; padding: .75rem 1rem;
  margin-bottom: .75rem; background: var(--background-fill-primary, #fff); }
.rdr-hit-head { display: flex; gap: .6rem; align-items: baseline; }
.rdr-rank { font-weight: 700; color: var(--color-accent, #f97316); }
.rdr-title { font-weight: 600; flex: 1; }
.rdr-score { font-family: var(--font-mono, monospace); font-size: .8rem; opacity: .75; white-space: nowrap; }
.rdr-meta { font-size: .82rem; margin: .15rem 0 .45rem 0; display: flex; gap: .8rem; align-items: center; }
.rdr-meta > :not(.rdr-other) { opacity: .75; }
.rdr-source { font-family: var(--font-mono, monospace); }
.rdr-text { margin: 0; line-height: 1.5; white-space: pre-wrap; }
.rdr-text mark { background: #ffe58a; color: inherit; padding: 0 .1rem; border-radius: 3px; }
.rdr-empty { padding: 1.2rem; text-align: center; opacity: .75; border: 1px dashed var(--border-color-primary, #ccc);
  border-radius: 10px; }
.rdr-error { color: #7a1010; background: #fdecec; opacity: 1; white-space: pre-wrap; text-align: left; }
</style>
"""

HEADER = """
<div id="rdr-header">
<h1>rdr-search</h1>
<p>Semantic search over your own documents with the RDR retriever (DPR distilled from its reader).
Add documents, then ask a question in plain words: passages are ranked by meaning, not by keywords.</p>
</div>
"""

EXAMPLE_QUESTIONS = [
    "How do honeybees tell each other where flowers are?",
    "Who invented the lens used in lighthouses?",
    "What water temperature is best for green tea?",
    "Why was 1816 called the year without a summer?",
]


def _is_mcp(request: gr.Request | None) -> bool:
    """MCP tool calls carry no browser session (Gradio's MCP bridge calls in as user "mcp")."""
    if request is None:
        return True
    with contextlib.suppress(Exception):
        if (request.headers or {}).get("x-gradio-user") == "mcp":
            return True
    return False


def build_app(config: AppConfig, service: AppService | None = None) -> gr.Blocks:
    """The Gradio app over ``service`` (made from ``config`` and started when not given).

    Named API endpoints for gradio_client: ``add_files(files)``, ``search(question, k)``, ``documents()``,
    ``remove(source)``, ``load_samples()``, and with a compare pair ``compare(question, k)``; each returns
    JSON. In session-scoped mode each client session has its own library; calls without one (MCP) search the
    sample documents.
    """
    service = service or AppService(config)
    service.start()
    allowed = ", ".join(sorted(SUPPORTED_EXTENSIONS))
    comparing = config.compare_spec is not None

    def key_of(request: gr.Request | None) -> str | None:
        if not config.session_scoped:
            return None
        if _is_mcp(request) or request is None or not request.session_hash:
            return SAMPLES_KEY
        return request.session_hash

    # --- UI handlers: errors become visible messages, never tracebacks --------------------------

    def status_html() -> str:
        return render_status(*service.status(), service.describe_scope(), service.compare_status())

    def compare_heads() -> tuple[str, str]:
        main, other = service.pair_names()
        return render_compare_head("Main pair", main), render_compare_head("Compare pair", other)

    def on_status() -> tuple[Any, ...]:
        state, _ = service.status()
        out: tuple[Any, ...] = (status_html(), gr.Timer(active=state == "loading"))
        return out + compare_heads() if comparing else out

    # gr.Progress as a default argument is how Gradio injects the tracker (hence noqa B008); track_tqdm
    # surfaces the library's "Reading files" / "Encoding passages" bars.
    def on_add(
        files: list[str] | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008
    ) -> tuple[list[list[Any]], str, None]:
        paths = list(files or [])
        if not paths:
            return [], "", None
        try:
            result = service.add(paths, [Path(p).name for p in paths], key_of(request))
        except RdrSearchError as exc:
            return [], _notice(str(exc), "error"), None
        return _outcome_rows(result), _add_summary(result), None

    def on_samples(
        request: gr.Request,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008
    ) -> tuple[list[list[Any]], str]:
        try:
            result = service.add_samples(key_of(request))
        except RdrSearchError as exc:
            return [], _notice(str(exc), "error")
        return _outcome_rows(result), _add_summary(result, samples=True)

    def on_search(question: str, k: float, request: gr.Request) -> str:
        question = (question or "").strip()
        if not question:
            return _notice(TYPE_A_QUESTION)
        try:
            hits, empty = service.search(question, int(k), key_of(request))
        except RdrSearchError as exc:
            return _notice(str(exc), "error")
        return _notice(EMPTY_LIBRARY) if empty else render_hits(hits, question)

    def on_compare(question: str, k: float, request: gr.Request) -> tuple[str, str]:
        question = (question or "").strip()
        if not question:
            return _notice(TYPE_A_QUESTION), _notice(TYPE_A_QUESTION)
        try:
            left, right, empty = service.compare(question, int(k), key_of(request))
        except RdrSearchError as exc:
            return _notice(str(exc), "error"), _notice(str(exc), "error")
        if empty:
            return _notice(EMPTY_LIBRARY), _notice(EMPTY_LIBRARY)
        return render_hits(left, question, other_ranks(right)), render_hits(right, question, other_ranks(left))

    def on_library(request: gr.Request) -> tuple[list[list[Any]], gr.Dropdown, str]:
        try:
            documents = service.documents(key_of(request))
        except RdrSearchError as exc:
            return [], gr.Dropdown(choices=[], value=None), str(exc)
        passages = sum(d.passages for d in documents)
        line = (
            f"{len(documents)} document{'s' if len(documents) != 1 else ''}, {passages} passages"
            if documents
            else EMPTY_LIBRARY
        )
        choices = [d.source for d in documents]
        return _document_rows(documents), gr.Dropdown(choices=choices, value=None), line

    def on_remove(source: str | None, request: gr.Request) -> str:
        if not source:
            return "Choose a document to remove."
        try:
            removed = service.remove(source, key_of(request))
        except RdrSearchError as exc:
            return str(exc)
        return f"Removed {source}." if removed else f"{source} is not in the library."

    def on_session_start(request: gr.Request) -> str | None:
        return request.session_hash

    def on_unload(request: gr.Request) -> None:
        service.release(key_of(request))

    # --- API handlers: JSON in and out, errors raised as gr.Error for the client ----------------

    def api_add_files(files: list[str] | None, request: gr.Request) -> list[dict[str, Any]]:
        """Add files (upload with gradio_client.handle_file); one outcome per file."""
        paths = list(files or [])
        try:
            result = service.add(paths, [Path(p).name for p in paths], key_of(request))
        except RdrSearchError as exc:
            raise gr.Error(str(exc)) from exc
        return [asdict(o) for o in result.outcomes]

    def api_load_samples(request: gr.Request) -> list[dict[str, Any]]:
        """Add the shipped sample documents; one outcome per file."""
        try:
            result = service.add_samples(key_of(request))
        except RdrSearchError as exc:
            raise gr.Error(str(exc)) from exc
        return [asdict(o) for o in result.outcomes]

    def api_search(question: str, k: float, request: gr.Request) -> list[dict[str, Any]]:
        """The k passages closest to the question (rank, score, title, source, pages, text, ...)."""
        try:
            hits, _ = service.search(question or "", int(k or config.default_k), key_of(request))
        except RdrSearchError as exc:
            raise gr.Error(str(exc)) from exc
        return [_hit_json(h) for h in hits]

    def api_compare(question: str, k: float, request: gr.Request) -> dict[str, Any]:
        """Both pairs' k closest passages over the same library; each hit also carries other_rank (its rank
        in the other pair's list, or null)."""
        try:
            left, right, _ = service.compare(question or "", int(k or config.default_k), key_of(request))
        except RdrSearchError as exc:
            raise gr.Error(str(exc)) from exc
        main, other = service.pair_names()
        left_ranks, right_ranks = other_ranks(left), other_ranks(right)
        return {
            "left": {"name": main, "hits": [_hit_json(h, right_ranks) for h in left]},
            "right": {"name": other, "hits": [_hit_json(h, left_ranks) for h in right]},
        }

    def api_documents(request: gr.Request) -> list[dict[str, Any]]:
        """Documents in the library with their pages, passages and date added."""
        try:
            return [asdict(d) for d in service.documents(key_of(request))]
        except RdrSearchError as exc:
            raise gr.Error(str(exc)) from exc

    def api_remove(source: str, request: gr.Request) -> dict[str, Any]:
        """Remove a document by its source name; {"source", "removed"}."""
        try:
            return {"source": source, "removed": service.remove(source or "", key_of(request))}
        except RdrSearchError as exc:
            raise gr.Error(str(exc)) from exc

    with gr.Blocks(title="rdr-search", analytics_enabled=False) as demo:
        gr.HTML(CSS + HEADER, padding=False, js_on_load=None)
        status = gr.HTML(status_html(), elem_id="model-status", js_on_load=None)
        timer = gr.Timer(1.0, active=True)

        with gr.Tabs(elem_id="rdr-tabs"):
            with gr.Tab("Search", id="search", elem_id="tab-search"):
                with gr.Row(equal_height=True, elem_id="search-row"):
                    question = gr.Textbox(
                        label="Question",
                        placeholder="Ask in plain words, e.g. who invented the lighthouse lens? (Enter to search)",
                        lines=1,
                        max_lines=1,
                        scale=5,
                        elem_id="question",
                        autofocus=True,
                    )
                    top_k = gr.Slider(
                        1, config.max_k, value=config.default_k, step=1, label="Results", scale=2, elem_id="top-k"
                    )
                    search_button = gr.Button("Search", variant="primary", elem_id="search-button", scale=1)
                gr.Examples(
                    EXAMPLE_QUESTIONS, inputs=[question], label="Example questions (after Load sample documents)"
                )
                results = gr.HTML(_notice(TYPE_A_QUESTION), elem_id="results", js_on_load=None)

            if comparing:
                with gr.Tab("Compare", id="compare", elem_id="tab-compare"):
                    gr.Markdown(
                        "The same question, the same passages, two encoder pairs: each column is one pair's "
                        "ranking, and each card says where the other pair ranks that passage."
                    )
                    with gr.Row(equal_height=True, elem_id="compare-row"):
                        compare_question = gr.Textbox(
                            label="Question",
                            placeholder="Ask in plain words (Enter to compare)",
                            lines=1,
                            max_lines=1,
                            scale=5,
                            elem_id="compare-question",
                        )
                        compare_k = gr.Slider(
                            1, config.max_k, value=config.default_k, step=1, label="Results", scale=2,
                            elem_id="compare-k",
                        )  # fmt: skip
                        compare_button = gr.Button("Compare", variant="primary", elem_id="compare-button", scale=1)
                    gr.Examples(EXAMPLE_QUESTIONS, inputs=[compare_question], label="Example questions")
                    left_head, right_head = compare_heads()
                    with gr.Row(equal_height=False, elem_id="compare-columns"):
                        with gr.Column(elem_id="compare-left-column", min_width=320):
                            compare_left_head = gr.HTML(left_head, elem_id="compare-left-head", js_on_load=None)
                            compare_left = gr.HTML(_notice(TYPE_A_QUESTION), elem_id="compare-left", js_on_load=None)
                        with gr.Column(elem_id="compare-right-column", min_width=320):
                            compare_right_head = gr.HTML(right_head, elem_id="compare-right-head", js_on_load=None)
                            compare_right = gr.HTML(_notice(TYPE_A_QUESTION), elem_id="compare-right", js_on_load=None)

            with gr.Tab("Add documents", id="add", elem_id="tab-add"):
                gr.Markdown(
                    f"Drop files here or click to choose several. Supported: **{allowed}** (other files are "
                    "reported, not added). Indexing starts as soon as the upload finishes."
                )
                upload = gr.File(
                    label=f"Documents ({allowed})",
                    file_count="multiple",
                    type="filepath",
                    elem_id="upload-files",
                    height=160,
                )
                with gr.Row():
                    samples_button = gr.Button(
                        "Load sample documents", elem_id="load-samples", variant="secondary", scale=0
                    )
                    gr.Markdown(
                        "Four short documents (honeybees, lighthouses, volcanoes, tea) to try searching at once.",
                    )
                add_summary = gr.HTML("", elem_id="add-summary", js_on_load=None)
                outcomes = gr.Dataframe(
                    headers=OUTCOME_HEADERS,
                    datatype=["str", "str", "number", "number", "str"],
                    value=[],
                    interactive=False,
                    wrap=True,
                    label="What happened to each file",
                    elem_id="outcome-table",
                )

            with gr.Tab("Library", id="library", elem_id="tab-library"):
                library_line = gr.Markdown(EMPTY_LIBRARY, elem_id="library-summary")
                documents_table = gr.Dataframe(
                    headers=DOCUMENT_HEADERS,
                    value=[],
                    interactive=False,
                    wrap=True,
                    label="Documents",
                    elem_id="documents-table",
                )
                with gr.Row():
                    remove_choice = gr.Dropdown(
                        choices=[], label="Document to remove", elem_id="remove-choice", scale=3
                    )
                    remove_button = gr.Button("Remove", variant="stop", elem_id="remove-button", scale=1)
                    refresh_button = gr.Button("Refresh", elem_id="refresh-button", scale=1)
                remove_message = gr.Markdown("", elem_id="remove-message")

        # API-only plumbing: hidden components give the named endpoints typed inputs and JSON outputs.
        with gr.Column(visible=False):
            api_files = gr.File(file_count="multiple", type="filepath")
            api_question = gr.Textbox()
            api_k = gr.Number(value=config.default_k, precision=0)
            api_source = gr.Textbox()
            api_out = gr.JSON()
            api_trigger = gr.Button()

        library_outputs = [documents_table, remove_choice, library_line]
        private: dict[str, Any] = {"api_visibility": "private"}
        status_outputs: list[Any] = [status, timer]
        if comparing:
            status_outputs += [compare_left_head, compare_right_head]

        timer.tick(on_status, outputs=status_outputs, show_progress="hidden", **private)
        demo.load(on_status, outputs=status_outputs, show_progress="hidden", **private)
        demo.load(on_library, outputs=library_outputs, show_progress="hidden", **private)
        if config.session_scoped:
            # The state's delete callback frees the library when Gradio drops the session; unload covers tab
            # close; the sweeper covers sessions Gradio evicts without calling either.
            session_state = gr.State(None, delete_callback=service.release)
            demo.load(on_session_start, outputs=[session_state], show_progress="hidden", **private)
            demo.unload(on_unload)

        upload.upload(on_add, inputs=[upload], outputs=[outcomes, add_summary, upload], **private).then(
            on_library, outputs=library_outputs, show_progress="hidden", **private
        )
        samples_button.click(on_samples, outputs=[outcomes, add_summary], **private).then(
            on_library, outputs=library_outputs, show_progress="hidden", **private
        )
        gr.on(
            [question.submit, search_button.click],
            on_search,
            inputs=[question, top_k],
            outputs=[results],
            show_progress="minimal",
            **private,
        )
        if comparing:
            gr.on(
                [compare_question.submit, compare_button.click],
                on_compare,
                inputs=[compare_question, compare_k],
                outputs=[compare_left, compare_right],
                show_progress="minimal",
                **private,
            )
        remove_button.click(on_remove, inputs=[remove_choice], outputs=[remove_message], **private).then(
            on_library, outputs=library_outputs, show_progress="hidden", **private
        )
        refresh_button.click(on_library, outputs=library_outputs, **private)

        mcp_note = (
            " In this public demo, calls without a browser session (MCP) search only the sample documents."
            if config.session_scoped
            else ""
        )
        api_trigger.click(api_add_files, inputs=[api_files], outputs=[api_out], api_name="add_files")
        api_trigger.click(
            api_search,
            inputs=[api_question, api_k],
            outputs=[api_out],
            api_name="search",
            api_description="Search the library: the k passages closest in meaning to the question, best first, "
            "with rank, score (DPR inner product), title, source, pages and text." + mcp_note,
        )
        api_trigger.click(api_documents, outputs=[api_out], api_name="documents")
        api_trigger.click(api_remove, inputs=[api_source], outputs=[api_out], api_name="remove")
        api_trigger.click(api_load_samples, outputs=[api_out], api_name="load_samples")
        if comparing:
            api_trigger.click(
                api_compare,
                inputs=[api_question, api_k],
                outputs=[api_out],
                api_name="compare",
                api_description="Compare two encoder pairs on the same library: {left, right}, each with the pair's "
                "name and its k closest passages (as search returns them, plus other_rank: the passage's rank in "
                "the other list, or null)." + mcp_note,
            )

    demo.queue(default_concurrency_limit=config.concurrency)
    demo.rdr_service = service  # type: ignore[attr-defined]  # tests and app.py reach the service here
    return demo


def _add_summary(result: AddResult, *, samples: bool = False) -> str:
    if not result.outcomes:
        return ""
    ok = sum(1 for o in result.outcomes if o.ok)
    failed = result.count("failed")
    what = "Sample documents" if samples else "Files"
    tail = " Go to the Search tab to ask a question." if ok else ""
    text = f"{what}: {result.summary()}.{tail}"
    return _notice(text, "error" if failed and not ok else "info")
