"""Private libraries for the visitors of a public deployment: one per browser session, bounded and swept.

A public app must stay within its disk and memory whatever its visitors (or an attacker) do, so the number of
live session libraries and their total size are capped: past a cap the least recently used idle library is
closed and deleted, and its visitor is told so on their next request. Libraries live under one stable root
folder; each app process works in its own ``run-*`` folder there, holding a lock on it for its lifetime, so a
restarted app deletes what a previous (killed) run left behind without touching a live sibling's folder.
No gradio here: the service uses this, the web layer never does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from rdr_search.errors import RdrSearchError
from rdr_search.library import Library

log = logging.getLogger("rdr_search.app")

RUN_PREFIX = "run-"
RUN_LOCK = ".run.lock"
_EVICTED_REMEMBERED = 10_000
"""How many evicted session keys are remembered, to tell each visitor once why their library is gone."""


class SessionLimitError(RdrSearchError):
    """A visitor's request would take the deployment past one of its limits; the message says which."""


class SessionEvicted(RdrSearchError):
    """This visitor's library was closed to make room for others; the message says what to do."""


@dataclass(frozen=True)
class SessionLimits:
    """Caps that keep a public deployment within its machine."""

    max_sessions: int = 32
    """Live private libraries at once; past it the least recently used idle one is closed."""
    max_session_bytes: int = 300 * 1024 * 1024
    """Disk one visitor's library may use (documents are refused past it)."""
    max_total_bytes: int = 4 * 1024 * 1024 * 1024
    """Disk all session libraries may use together; past it idle libraries are closed, oldest first."""
    ttl_s: float = 3600.0
    """A library idle this long is deleted by the sweeper."""


@dataclass
class _Session:
    path: Path
    library: Library
    last_used: float
    busy: int = 0
    released: bool = False


def folder_bytes(path: Path) -> int:
    """Bytes used by the files below ``path`` (0 when it is gone)."""
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(folder, name)).st_size
    return total


def default_root() -> Path:
    """The stable folder under the system temp dir where session libraries live."""
    return Path(tempfile.gettempdir()) / "rdr-search-sessions"


def sweep_dead_runs(root: Path) -> int:
    """Delete the run folders under ``root`` whose process is gone (their lock is free); returns how many."""
    removed = 0
    if not root.is_dir():
        return 0
    for run in root.glob(f"{RUN_PREFIX}*"):
        lock = FileLock(str(run / RUN_LOCK))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue  # a live app owns it
        except OSError:
            pass  # no lock file (a half-made folder): nobody owns it
        try:
            shutil.rmtree(run, ignore_errors=True)
            removed += 1
        finally:
            with contextlib.suppress(Exception):
                lock.release()
    if removed:
        log.info("deleted %d session folder(s) left by earlier runs in %s", removed, root)
    return removed


class SessionLibraries:
    """The private libraries of one app process, keyed by browser session. Thread-safe."""

    def __init__(self, root: Path, open_library: Callable[[Path], Library], limits: SessionLimits) -> None:
        self.limits = limits
        self._open_library = open_library
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._evicted: OrderedDict[str, str] = OrderedDict()
        root.mkdir(parents=True, exist_ok=True)
        sweep_dead_runs(root)
        self.run_dir = Path(tempfile.mkdtemp(prefix=RUN_PREFIX, dir=root))
        self._run_lock = FileLock(str(self.run_dir / RUN_LOCK))
        self._run_lock.acquire(timeout=0)

    # --- access ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def use(self, key: str, *, create: bool) -> Iterator[Library | None]:
        """The library of session ``key`` while the block runs (never deleted under it).

        With ``create`` a missing library is made (after evicting the least recently used idle one at the
        cap); without it a missing library yields None, or raises :class:`SessionEvicted` once for a
        visitor whose library was closed to make room.
        """
        session = self._acquire(key, create)
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

    def _acquire(self, key: str, create: bool) -> _Session | None:
        victims: list[_Session] = []
        try:
            with self._lock:
                session = self._sessions.get(key)
                if session is None and not create:
                    reason = self._evicted.pop(key, None)
                    if reason is not None:
                        raise SessionEvicted(reason)
                    return None
                if session is None:
                    victims = self._make_room_locked(1)
                    session = self._new_session_locked(key)
                session.busy += 1
                session.last_used = time.monotonic()
                return session
        finally:
            for victim in victims:
                self._delete(victim)

    def _new_session_locked(self, key: str) -> _Session:
        self._evicted.pop(key, None)
        path = Path(tempfile.mkdtemp(prefix="session-", dir=self.run_dir))
        try:
            library = self._open_library(path)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        session = _Session(path, library, time.monotonic())
        self._sessions[key] = session
        return session

    def _make_room_locked(self, needed: int) -> list[_Session]:
        """Evict idle sessions, least recently used first, until ``needed`` more fit under the count cap."""
        victims: list[_Session] = []
        idle = sorted((s.last_used, k) for k, s in self._sessions.items() if s.busy == 0)
        while len(self._sessions) + needed > self.limits.max_sessions:
            if not idle:
                raise SessionLimitError(
                    f"This demo is serving its maximum of {self.limits.max_sessions} visitors right now. "
                    "Try again in a minute."
                )
            _, key = idle.pop(0)
            victims.append(self._evict_locked(key, "to make room for other visitors"))
        return victims

    def _evict_locked(self, key: str, why: str) -> _Session:
        session = self._sessions.pop(key)
        self._evicted[key] = (
            f"Your private library was closed {why} (this public demo keeps a limited number of libraries and "
            "deletes the least recently used first); its documents are gone. Add them again to continue."
        )
        while len(self._evicted) > _EVICTED_REMEMBERED:
            self._evicted.popitem(last=False)
        return session

    # --- disk -----------------------------------------------------------------------------------

    def check_room(self, key: str) -> None:
        """Before an add: refuse when this visitor's library is full; close idle libraries, oldest first,
        while all of them together use more disk than allowed."""
        with self._lock:
            session = self._sessions.get(key)
            sizes = {k: folder_bytes(s.path) for k, s in self._sessions.items()}
        own = sizes.get(key, 0)
        if session is not None and own >= self.limits.max_session_bytes:
            raise SessionLimitError(
                f"Your library uses {own / 2**20:.0f} MB, the most this public demo allows per visitor "
                f"({self.limits.max_session_bytes / 2**20:.0f} MB). Remove documents to add others, or run "
                "rdr-search on your own machine for larger collections."
            )
        victims: list[_Session] = []
        with self._lock:
            total = sum(sizes.values())
            idle = sorted((s.last_used, k) for k, s in self._sessions.items() if s.busy == 0 and k != key)
            while total > self.limits.max_total_bytes and idle:
                _, victim_key = idle.pop(0)
                total -= sizes.get(victim_key, 0)
                victims.append(self._evict_locked(victim_key, "to free disk space for other visitors"))
        for victim in victims:
            self._delete(victim)

    # --- ending ---------------------------------------------------------------------------------

    def release(self, key: str) -> None:
        """Forget a session and delete its library (now, or when its running request ends)."""
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return
            session.released = True
            if session.busy:
                return  # the request using it deletes it on the way out
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
        """Delete libraries idle longer than the TTL, and stray session folders; returns how many.

        Gradio may evict a session's state without calling its delete callback, so this is the backstop.
        """
        now = time.monotonic() if now is None else now
        ttl = self.limits.ttl_s
        with self._lock:
            idle = [k for k, s in self._sessions.items() if s.busy == 0 and now - s.last_used > ttl]
            stale = [self._sessions.pop(k) for k in idle]
            known = {s.path for s in self._sessions.values()}
        for session in stale:
            session.library.close()
            shutil.rmtree(session.path, ignore_errors=True)
        removed = len(stale)
        wall = time.time()
        for child in self.run_dir.glob("session-*"):  # left by a failed open, once older than the TTL
            with contextlib.suppress(OSError):
                if child not in known and wall - child.stat().st_mtime > ttl:
                    shutil.rmtree(child, ignore_errors=True)
                    removed += 1
        return removed

    def count(self) -> int:
        """Private libraries alive now."""
        with self._lock:
            return len(self._sessions)

    def close(self) -> None:
        """Close every library and delete this run's folder."""
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.library.close()
        with contextlib.suppress(Exception):
            self._run_lock.release()
        shutil.rmtree(self.run_dir, ignore_errors=True)
