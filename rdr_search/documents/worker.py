"""Reading files in parser worker processes: :class:`DocumentReader`, a bounded pool of capped workers.

A pathological file costs one skipped file, not a hung or crashed app: each file is read in a separate
process (spawn context) that imports only this package and the parsers (never torch), is killed when the file
takes longer than its time budget, and has its address space capped so a decompression bomb becomes that
file's error. One reader can serve every caller of an app (threads, sessions) with a fixed number of workers,
so the number of processes does not grow with the number of users.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
import types
import weakref
from typing import Any

from rdr_search.documents.reading import OUT_OF_MEMORY, read_document, short_reason
from rdr_search.errors import DocumentError

logger = logging.getLogger("rdr_search.documents")

_MIB = 1024 * 1024
# The worker's address-space cap: a decompression bomb in a parser becomes a MemoryError (one skipped file)
# instead of the machine swapping or the OOM killer picking a victim.
WORKER_MEMORY_BYTES = 2 * 1024 * _MIB
# Starting a spawn worker and importing the parsers takes ~0.5 s; allow for a slow, busy machine. This is not
# charged to any file's budget.
_WORKER_START_TIMEOUT_S = 120.0
_GRACEFUL_EXIT_S = 2.0

Request = tuple[str, tuple[Any, ...]]
"""(what, arguments): ("read", (absolute path, source, max_bytes, time budget s)) reads a file into a Document
(slow steps such as OCR stay within the budget); ("render",
(absolute path, page, marks, max_side)) draws a PDF page (see ``pages.render_page``)."""

_VERBS = {"read": "read", "render": "draw its page"}


# ----------------------------------------------------------------------------------------------------------
# Inside the worker process
# ----------------------------------------------------------------------------------------------------------


def _worker_main(conn: Any, memory_bytes: int) -> None:
    """Worker loop: receive a :data:`Request`, send ("ok", result) or ("error", message).

    Runs in a spawned process that imports only this package and the parsers.
    """
    _limit_memory(memory_bytes)
    import signal

    # Ctrl-C in a terminal reaches the whole process group; the parent decides when this worker ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    # Import the parsers now, so their import time is not charged to the first file's budget.
    import bs4  # noqa: F401
    import charset_normalizer  # noqa: F401
    import docx  # noqa: F401
    import lxml.html  # noqa: F401
    import pypdf  # noqa: F401

    # pypdf logs a warning for every oddity in a damaged file; the file's outcome already says what matters.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    conn.send(("ready", None))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        what, args = request
        try:
            conn.send(("ok", _serve(what, args)))
        except DocumentError as exc:
            conn.send(("error", str(exc)))
        except Exception as exc:  # report anything rather than die silently
            conn.send(("error", f"could not be read ({short_reason(exc)})"))


def _serve(what: str, args: tuple[Any, ...]) -> Any:
    if what == "render":
        from rdr_search.documents.pages import render_page

        return render_page(*args)
    path, source, max_bytes, *budget = args
    return read_document(path, source, max_bytes=max_bytes, budget_s=budget[0] if budget else None)


def _limit_memory(memory_bytes: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the time budget still applies
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError) as exc:
        # Not allowed here (some containers): run without the cap rather than not at all.
        logger.debug("document reader worker runs without its memory cap: %s", exc)


# ----------------------------------------------------------------------------------------------------------
# One worker, seen from the app
# ----------------------------------------------------------------------------------------------------------

# spawn re-imports the parent's __main__ module in the child (to unpickle functions defined there). For
# `python app.py` that would import gradio and torch into the parser worker; the worker needs nothing from
# __main__, so the start is done with a bare stand-in __main__. The lock keeps two starts from interleaving.
_START_LOCK = threading.Lock()


def _start_process(process: Any) -> None:
    with _START_LOCK:
        real_main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            process.start()
        finally:
            if real_main is not None:
                sys.modules["__main__"] = real_main


def _stop(process: Any, conn: Any) -> None:
    """Kill a worker and release its pipe (idempotent; also run by a finalizer at garbage collection)."""
    try:
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
        if process.is_alive():
            logger.warning("document reader worker (pid %s) is still running after a kill", process.pid)
    except (OSError, ValueError, AssertionError) as exc:
        logger.warning("could not stop document reader worker (pid %s): %r", process.pid, exc)
    try:
        conn.close()
    except OSError as exc:
        logger.warning("could not close the pipe of document reader worker (pid %s): %r", process.pid, exc)


class Worker:
    """One place in the pool: at most one parser process, started when needed and after a failure.

    Not thread-safe by itself: the pool hands a worker to one read at a time.
    """

    def __init__(self, context: Any) -> None:
        self._context = context
        self._process: Any = None
        self._conn: Any = None
        self._finalizer: weakref.finalize | None = None
        self.idle_since = time.monotonic()

    @property
    def started(self) -> bool:
        """Whether a process was started and not stopped since (it may have died on its own)."""
        return self._process is not None

    def alive(self) -> bool:
        process = self._process
        return process is not None and process.is_alive()

    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def read(self, request: Request, timeout_s: float) -> tuple[str, Any]:
        """Have the process serve one request (read a file, draw a page): ("ok", result) or ("error", message).

        Raises :class:`DocumentError` when it takes longer than ``timeout_s`` or kills the process; the
        process is then stopped, and the next request starts a fresh one.
        """
        verb = _VERBS.get(request[0], request[0])
        self._ensure_started()
        try:
            self._conn.send(request)
        except (BrokenPipeError, EOFError, OSError):
            # The worker died between files: start a fresh one and try once more.
            self.stop()
            self._ensure_started()
            self._conn.send(request)
        if not self._conn.poll(timeout_s):
            self.stop()
            raise DocumentError(f"took longer than {timeout_s:g} s to {verb}; skipped")
        try:
            status, payload = self._conn.recv()
        except (EOFError, OSError):
            exitcode = self._process.exitcode if self._process is not None else None
            self.stop()
            detail = f" (exit code {exitcode})" if exitcode not in (None, 0) else ""
            raise DocumentError(f"crashed the document reader{detail}; skipped") from None
        if status == "error" and payload == OUT_OF_MEMORY:
            # After a MemoryError the worker's heap may be fragmented or hold half-built objects: start afresh
            # for the next file.
            self.stop()
        return status, payload

    def close(self) -> None:
        """Ask the process to exit, then make sure it has (killed if it has not)."""
        if self._process is not None:
            with contextlib.suppress(BrokenPipeError, EOFError, OSError):
                self._conn.send(None)
                self._process.join(timeout=_GRACEFUL_EXIT_S)
        self.stop()

    def stop(self) -> None:
        """Kill the process, if any (idempotent)."""
        if self._finalizer is not None:
            self._finalizer()  # runs _stop once; the finalizer is then dead
            self._finalizer = None
        self._process, self._conn = None, None

    def _ensure_started(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self.stop()
        parent_conn, child_conn = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main,
            args=(child_conn, WORKER_MEMORY_BYTES),
            name="rdr-search-document-reader",
            daemon=True,  # never outlive the app
        )
        _start_process(process)
        child_conn.close()  # the child holds its own copy; closing ours lets recv() see EOF when it dies
        self._process, self._conn = process, parent_conn
        self._finalizer = weakref.finalize(self, _stop, process, parent_conn)
        try:
            ready = parent_conn.poll(_WORKER_START_TIMEOUT_S) and parent_conn.recv()[0] == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.stop()
            raise DocumentError("the document reader could not start; skipped")
