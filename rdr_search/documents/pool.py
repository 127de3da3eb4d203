""":class:`DocumentReader`: one reader that any number of callers share, over a bounded pool of parser workers.

Each read borrows an idle worker (waiting while all are busy), so a public app with many sessions runs at most
``workers`` parser processes however many sessions read at once. Workers start when first needed and, with
``idle_timeout_s``, stop again after that long without work.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rdr_search.documents.pages import PageImage
from rdr_search.documents.reading import DEFAULT_MAX_BYTES, Document
from rdr_search.documents.worker import Request, Worker
from rdr_search.errors import DocumentError


class DocumentReader:
    """Reads documents in worker processes that import only the parsers, with a time budget per file.

    Up to ``workers`` processes, each reused across files (a new process per file would cost ~0.5 s). When a
    file takes longer than ``timeout_s`` or its worker dies, that worker is killed and restarted for its next
    file, and the file gets a :class:`DocumentError`; reads in other workers go on. Each worker's address space
    is capped (``WORKER_MEMORY_BYTES``) where the OS allows, so a decompression bomb becomes that file's error.

    Thread-safe: share one reader between threads and sessions. Use as a context manager; ``close()`` waits for
    reads in progress and stops every worker.
    """

    def __init__(
        self,
        timeout_s: float = 60.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        workers: int = 1,
        *,
        idle_timeout_s: float | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if idle_timeout_s is not None and idle_timeout_s <= 0:
            raise ValueError("idle_timeout_s must be positive (or None to keep idle workers)")
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.workers = workers
        self.idle_timeout_s = idle_timeout_s
        self._context = multiprocessing.get_context("spawn")
        self._cond = threading.Condition()
        self._all: list[Worker] = []  # created so far, at most ``workers``
        self._idle: list[Worker] = []  # not lent to a read; the most recently used last
        self._reaper: threading.Thread | None = None
        self._closed = False

    def __enter__(self) -> DocumentReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def read(self, path: str | Path, source: str | None = None) -> Document:
        """Read one file in a worker; raises :class:`DocumentError` (including for timeouts and crashes).

        Waits while every worker is busy. Raises RuntimeError once the reader is closed.
        """
        path = Path(path)
        # Resolve relative paths here: the worker's working directory is not guaranteed to follow ours.
        document: Document = self._serve(
            ("read", (os.path.abspath(path), source or path.name, self.max_bytes, self.timeout_s)),
            self.timeout_s,
        )
        return document

    def render_page(
        self, path: str | Path, page: int, marks: Sequence[tuple[str, str]], max_side: int, timeout_s: float
    ) -> PageImage:
        """Draw ``page`` of a PDF in a worker with ``marks`` ((kind, text) pairs) highlighted, within
        ``timeout_s``; raises :class:`DocumentError` (no such page, unreadable, too slow, crashed)."""
        image: PageImage = self._serve(
            ("render", (os.path.abspath(path), int(page), [(str(k), str(t)) for k, t in marks], int(max_side))),
            timeout_s,
        )
        return image

    def _serve(self, request: Request, timeout_s: float) -> Any:
        worker = self._acquire()
        try:
            status, payload = worker.read(request, timeout_s)
        finally:
            self._release(worker)
        if status == "ok":
            return payload
        raise DocumentError(payload)

    def alive_workers(self) -> int:
        """How many worker processes are running now (never more than ``workers``)."""
        with self._cond:
            workers = list(self._all)
        return sum(worker.alive() for worker in workers)

    def worker_pids(self) -> list[int]:
        """The process ids of the started workers (for monitoring and tests)."""
        with self._cond:
            workers = list(self._all)
        return [pid for pid in (worker.pid() for worker in workers) if pid is not None]

    def close(self) -> None:
        """Wait for reads in progress, then stop every worker. Further reads raise RuntimeError. Idempotent."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()  # reads waiting for a worker give up
            # Reads in progress finish within their time budget; their workers come back to the idle list.
            while len(self._idle) < len(self._all):
                self._cond.wait()
            workers = list(self._all)
        for worker in workers:
            worker.close()

    def _acquire(self) -> Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("DocumentReader is closed")
                if self._idle:
                    # Prefer a worker whose process is running: starting one costs ~0.5 s.
                    running = [w for w in self._idle if w.started]
                    worker = running[-1] if running else self._idle[-1]
                    self._idle.remove(worker)
                    return worker
                if len(self._all) < self.workers:
                    worker = Worker(self._context)  # its process starts with its first read, outside the lock
                    self._all.append(worker)
                    return worker
                self._cond.wait()

    def _release(self, worker: Worker) -> None:
        with self._cond:
            worker.idle_since = time.monotonic()
            self._idle.append(worker)
            self._cond.notify_all()
            if self.idle_timeout_s is not None and self._reaper is None and not self._closed:
                self._reaper = threading.Thread(
                    target=_stop_idle_workers, args=(weakref.ref(self),), name="rdr-search-reader-idle", daemon=True
                )
                self._reaper.start()

    def _take_expired(self) -> tuple[list[Worker], float | None]:
        """Take the workers idle for ``idle_timeout_s`` out of the idle list; also the seconds until the next
        one may expire (0: look again once these are stopped; None: nothing left to watch)."""
        assert self.idle_timeout_s is not None
        with self._cond:
            now = time.monotonic()
            running = [] if self._closed else [w for w in self._idle if w.started]
            expired = [w for w in running if now - w.idle_since >= self.idle_timeout_s]
            for worker in expired:
                self._idle.remove(worker)
            if expired:
                return expired, 0.0
            if not running:
                self._reaper = None  # the next release starts a new watcher
                return [], None
            return [], min(w.idle_since for w in running) + self.idle_timeout_s - now

    def _give_back(self, workers: list[Worker]) -> None:
        with self._cond:
            # Oldest first: a stopped worker is the last choice for the next read.
            self._idle[:0] = workers
            self._cond.notify_all()


def _stop_idle_workers(reader_ref: weakref.ref[DocumentReader]) -> None:
    """Watcher thread: stop worker processes left idle too long. Holds the reader only weakly, so a reader
    that is dropped without close() is still collected (and its workers stopped by their finalizers)."""
    while True:
        reader = reader_ref()
        if reader is None:
            return
        expired, wait_s = reader._take_expired()
        for worker in expired:
            worker.close()
        if expired:
            reader._give_back(expired)
        if wait_s is None:
            return
        cond = reader._cond
        del reader
        if wait_s > 0:
            with cond:
                cond.wait(wait_s)
