"""Adds the app accepts at any time: files that arrive while the models load wait for them (queued, never
refused) and are added as soon as they are ready; a load failure gives each queued file that outcome. Every
add in flight has a cancel flag per library, so a Cancel button can stop it after its current part."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from rdr_search.records import AddResult, FileOutcome, FileStatus

WAITING = "waiting for the models"
"""The status of a file queued while the models load."""


def queued_note(count: int) -> str:
    """What a person who dropped ``count`` files during model loading is told."""
    files = f"{count} file{'s' if count != 1 else ''}"
    return f"The models are still loading: {files} queued, {WAITING}; they are added as soon as the models are ready."


class AddQueue:
    """Adds waiting for the models, and the cancel flags of adds in flight, by library key (thread-safe)."""

    def __init__(self, ready: threading.Event) -> None:
        self._ready = ready
        self._lock = threading.Lock()
        self._flags: dict[str | None, set[threading.Event]] = {}
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """How many adds are waiting for the models now."""
        return self._waiting

    @contextlib.contextmanager
    def running(self, key: str | None) -> Iterator[threading.Event]:
        """The cancel flag of one add on the library of ``key``, registered while the add lasts."""
        flag = threading.Event()
        with self._lock:
            self._flags.setdefault(key, set()).add(flag)
        try:
            yield flag
        finally:
            with self._lock:
                flags = self._flags.get(key, set())
                flags.discard(flag)
                if not flags:
                    self._flags.pop(key, None)

    def cancel(self, key: str | None) -> int:
        """Ask every add in flight on the library of ``key`` to stop after its current part; how many there were."""
        with self._lock:
            flags = list(self._flags.get(key, ()))
        for flag in flags:
            flag.set()
        return len(flags)

    def wait_for_models(
        self, status: Callable[[], tuple[str, str]], paths: Sequence[Path], sources: Sequence[str] | None
    ) -> AddResult | None:
        """Block until the models have loaded; None when they are ready, else every file's outcome (the load
        failure, with its fix)."""
        with self._lock:
            self._waiting += 1
        try:
            self._ready.wait()
        finally:
            with self._lock:
                self._waiting -= 1
        state, message = status()
        if state == "ready":
            return None
        names = list(sources) if sources else [p.name for p in paths]
        reason = f"not added: the models could not be loaded. {message}"
        return AddResult(outcomes=[FileOutcome(name, FileStatus.FAILED, reason) for name in names])
