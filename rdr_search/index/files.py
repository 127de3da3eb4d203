"""Saved indexes in a library folder: written atomically, trusted only when they reflect the committed store.

This module knows file names and staleness, not the store: callers pass the store's generation, its vectors
and their count.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import BaseFileLock, Timeout

from rdr_search.index.base import Batch, IndexState, VectorIndex

log = logging.getLogger("rdr_search.index")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync it, rename over ``path``: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def state_path(path: Path) -> Path:
    """Where the state of the index saved at ``path`` lives."""
    return path.with_suffix(".json")


def write_state(path: Path, state: IndexState) -> None:
    """Record what the index saved at ``path`` reflects; written after the index, so a crash between the
    two leaves a state that no longer matches and the index is rebuilt."""
    write_atomically(state_path(path), json.dumps(asdict(state)).encode())


def read_state(path: Path) -> IndexState | None:
    """The recorded state of the index saved at ``path``, or None when missing or unreadable."""
    try:
        return IndexState(**json.loads(state_path(path).read_text()))
    except (OSError, ValueError, TypeError):
        return None


@dataclass(frozen=True)
class IndexFiles:
    """The saved indexes of one library folder, one per vector set, named ``index-{key}{suffix}``.

    Only the holder of the folder's writer lock replaces a file; anyone else who rebuilt an index keeps
    it in memory.
    """

    folder: Path
    backend: type[VectorIndex]
    writer_lock: BaseFileLock

    def path(self, key: str) -> Path:
        """The file of vector set ``key``."""
        return self.folder / f"index-{key}{self.backend.suffix}"

    def load_current(self, key: str, generation: int) -> VectorIndex | None:
        """The saved index of vector set ``key`` if it reflects store ``generation``, else None."""
        loaded = self.backend.open(self.path(key))
        if loaded is None or loaded[1].generation != generation:
            return None
        return loaded[0]

    def open(
        self, key: str, dim: int, generation: int, vectors: Iterable[Batch], count: Callable[[], int]
    ) -> VectorIndex:
        """The saved index if it reflects ``generation``; else one rebuilt from ``vectors`` (the store's at
        that generation) and saved. ``count`` (passages stored, to choose the index kind) is called only
        for a rebuild, as ``vectors`` is only iterated then."""
        index = self.load_current(key, generation)
        if index is None:
            index = self.backend.build(dim, vectors, kind="auto", total=count())
            self.save(key, index, generation)
        return index

    def save(self, key: str, index: VectorIndex, generation: int) -> None:
        """Replace the file of vector set ``key`` if this process may write; a failure only costs a rebuild
        on the next open, so it is logged, not raised."""
        path = self.path(key)
        try:
            with self.writer_lock.acquire(timeout=0):  # re-entrant when this process is the writer
                index.save(path, generation)
        except Timeout:
            log.debug("index %s not saved: another process is writing to %s", path.name, self.folder)
        except OSError as exc:
            log.warning("could not save the index %s (it is rebuilt on the next open): %s", path, exc)
