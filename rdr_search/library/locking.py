"""Writers one at a time: threads of this process, then other processes through the folder's file lock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout

from rdr_search.errors import LibraryError

LOCK_NAME = ".write.lock"


class WriteLock:
    """Serialises writers of one library folder; readers never take it. ``catch_up`` runs once the lock is
    held, so a writer first picks up what another process committed."""

    def __init__(self, folder: Path, timeout_s: float, catch_up: Callable[[], None]) -> None:
        self.folder = folder
        self.timeout_s = timeout_s
        self.catch_up = catch_up
        self.thread_lock = threading.Lock()
        self.file_lock = FileLock(str(folder / LOCK_NAME), thread_local=False)

    def __enter__(self) -> None:
        self.thread_lock.acquire()
        try:
            self.file_lock.acquire(timeout=self.timeout_s)
        except Timeout as exc:
            self.thread_lock.release()
            raise LibraryError(
                f"Another program is changing the library in {self.folder} and did not finish within "
                f"{self.timeout_s:.0f} s. Try again when it is done."
            ) from exc
        try:
            self.catch_up()
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *exc: object) -> None:
        self.file_lock.release()
        self.thread_lock.release()
