"""Keeping a library in step with a folder: files added, changed, deleted or renamed there are reflected.

The folder is polled (no extra dependency, and it works on every file system, network mounts included). A
change is acted on once the folder has looked the same for a quiet period, so a file being copied is read
when it is complete. A file that appears with the content of a document whose file went away is a rename:
the document takes the new name and keeps its passages and vectors (zero encodings). Documents are named as
``rdr-search add FOLDER`` names them (the path relative to the folder's parent), so a watch continues what
an add began. A folder that vanishes (an unmounted disk) removes nothing; the watch waits for it to return.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from rdr_search.documents import file_sha256
from rdr_search.errors import RdrSearchError
from rdr_search.library.core import Library
from rdr_search.library.sources import collect_files
from rdr_search.records import FileStatus

log = logging.getLogger("rdr_search.watch")

FileState = tuple[int, int]
"""(size, modification time in ns): what a poll compares."""


@dataclass(frozen=True)
class Change:
    """One change reflected in the library, as the log line reports it."""

    kind: str
    """"added", "changed", "removed", "renamed" or "failed"."""
    source: str
    detail: str = ""

    def line(self) -> str:
        return f"{self.kind:>8}  {self.source}" + (f"  {self.detail}" if self.detail else "")


def rename_document(library: Library, old: str, new: str) -> bool:
    """Give a document a new source name, keeping its passages and vectors (no encoding, same hits)."""
    with library._lock, library._store.transaction() as db:
        if db.execute("SELECT 1 FROM documents WHERE source = ?", (new,)).fetchone() is not None:
            return False
        return db.execute("UPDATE documents SET source = ? WHERE source = ?", (new, old)).rowcount == 1


class FolderWatch:
    """Polls one folder and applies its changes to ``library``; :meth:`run` loops, :meth:`step` is one poll."""

    def __init__(
        self,
        library: Library,
        folder: str | Path,
        *,
        poll_s: float | None = None,
        quiet_s: float | None = None,
        on_change: Callable[[Change], object] | None = None,
    ) -> None:
        self.library = library
        self.folder = Path(folder).expanduser().resolve()
        self.prefix = f"{self.folder.name}/"
        self.poll_s = library.settings.watch_poll_s if poll_s is None else poll_s
        self.quiet_s = library.settings.watch_quiet_s if quiet_s is None else quiet_s
        self.on_change = on_change
        self._applied: dict[str, FileState] = {}
        self._last_scan: dict[str, tuple[Path, FileState]] | None = None
        self._changed_at = 0.0
        self._missing = False
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._thread: threading.Thread | None = None

    # --- control --------------------------------------------------------------------------------

    def run(self) -> None:
        """Poll until :meth:`stop` (or Ctrl-C in the calling thread, which ends the loop between polls)."""
        log.info("watching %s (every %.1f s, after %.1f s of quiet)", self.folder, self.poll_s, self.quiet_s)
        while not self._stop.is_set():
            if not self._paused.is_set():
                try:
                    self.step()
                except RdrSearchError as exc:  # e.g. another writer held the lock too long: try again later
                    log.warning("could not apply changes from %s: %s", self.folder, exc)
            self._stop.wait(self.poll_s)
        log.info("stopped watching %s", self.folder)

    def start(self) -> FolderWatch:
        """Run in a background thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=f"watch {self.folder.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 30.0) -> None:
        """End the loop after the step in progress (a step never leaves a half-applied file)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def pause(self) -> None:
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    # --- one poll -------------------------------------------------------------------------------

    def _scan(self) -> dict[str, tuple[Path, FileState]] | None:
        """Supported files by source name with their state; None when the folder is not there."""
        if not self.folder.is_dir():
            return None
        found: dict[str, tuple[Path, FileState]] = {}
        try:
            for path, source in collect_files([self.folder]):
                try:
                    info = path.stat()
                except FileNotFoundError:  # deleted between the listing and the stat
                    continue
                found[source] = (path, (info.st_size, info.st_mtime_ns))
        except FileNotFoundError:  # the folder went away during the listing
            return None
        return found

    def step(self, now: float | None = None) -> list[Change]:
        """Scan once; apply the differences when the folder has been quiet long enough. Returns what changed."""
        now = time.monotonic() if now is None else now
        files = self._scan()
        if files is None:
            if not self._missing:
                log.warning("%s is not there; waiting for it to come back (nothing is removed)", self.folder)
            self._missing = True
            return []
        if self._missing:
            log.info("%s is back", self.folder)
            self._missing = False
        if files != self._last_scan:
            self._last_scan, self._changed_at = files, now
            if self.quiet_s > 0:
                return []
        if now - self._changed_at < self.quiet_s:
            return []
        return self._apply(files)

    def _apply(self, files: dict[str, tuple[Path, FileState]]) -> list[Change]:
        records = {d.source: d for d in self.library._store.documents() if d.source.startswith(self.prefix)}
        gone = {source: record.content_hash for source, record in records.items() if source not in files}
        todo = {s: p for s, (p, state) in files.items() if self._applied.get(s) != state}
        changes = self._renames(todo, gone, records)
        if todo:
            result = self.library.add_files(list(todo.values()), list(todo), progress=False, expand_folders=False)
            kinds: dict[str, str] = {
                FileStatus.ADDED: "added",
                FileStatus.REPLACED: "changed",
                FileStatus.FAILED: "failed",
            }
            for outcome in result.outcomes:
                if outcome.status in kinds:
                    changes.append(Change(kinds[outcome.status], outcome.source, outcome.message))
                elif outcome.status == FileStatus.DUPLICATE:
                    changes.append(Change("skipped", outcome.source, outcome.message))
        for source in gone:
            if self.library.remove(source):
                changes.append(Change("removed", source))
        self._applied = {s: state for s, (_, state) in files.items()}
        for change in changes:
            log.info("%s", change.line())
            if self.on_change is not None:
                self.on_change(change)
        return changes

    def _renames(self, todo: dict[str, Path], gone: dict[str, str], records: Collection[str]) -> list[Change]:
        """New names whose content is a vanished document's: renamed in place (taken out of ``todo``/``gone``)."""
        if not gone:
            return []
        by_hash = {content_hash: source for source, content_hash in gone.items()}
        changes = []
        for source, path in list(todo.items()):
            if source in records:
                continue
            try:
                digest = file_sha256(path)
            except OSError:
                continue
            old = by_hash.get(digest)
            if old is not None and rename_document(self.library, old, source):
                changes.append(Change("renamed", source, f"from {old} (no encoding)"))
                del todo[source], gone[old], by_hash[digest]
        return changes
