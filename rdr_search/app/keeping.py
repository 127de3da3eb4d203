"""Keeping a library from the app (no gradio here): export it to a file, import an uploaded archive, and watch
a folder (local mode only).

In session-scoped mode an export is how a visitor keeps their work (their library is deleted when the tab
closes) and an import brings it back. The upload goes through the app's upload checks (claimed once, deleted
after it is read) and may unpack to no more than the room the session has left.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path

from rdr_search.app.service import SAMPLES_KEY, SAMPLES_ONLY, AppService
from rdr_search.app.sessions import folder_bytes
from rdr_search.errors import RdrSearchError
from rdr_search.library.archive import SUFFIX, ExportResult, export_library
from rdr_search.library.archive_import import ImportResult, import_library
from rdr_search.library.watch import FolderWatch

log = logging.getLogger("rdr_search.app")

EXPORT_NAME = f"rdr-search-library{SUFFIX}"


def export_for(service: AppService, key: str | None, folder: Path) -> ExportResult:
    """The library of ``key`` as an archive in a new private folder under ``folder`` (Gradio's cache)."""
    if key == SAMPLES_KEY and service.sessions is not None:
        raise RdrSearchError(SAMPLES_ONLY)
    with service.library(key, create=False) as library:
        if library is None or not library.documents():
            raise RdrSearchError("The library is empty: there is nothing to export yet.")
        folder.mkdir(parents=True, exist_ok=True)
        return export_library(library, Path(tempfile.mkdtemp(dir=folder)) / EXPORT_NAME)


def import_upload(service: AppService, upload: object, key: str | None) -> ImportResult:
    """Import an uploaded archive into the library of ``key``; the upload is deleted afterwards."""
    if key == SAMPLES_KEY and service.sessions is not None:
        raise RdrSearchError(SAMPLES_ONLY)
    accepted, refused = service.uploads.claim([upload], 1)
    if not accepted:
        raise RdrSearchError(refused[0].message if refused else "Choose an archive to import.")
    path = accepted[0][0]
    try:
        if service.sessions is not None and key is not None:
            service.sessions.check_room(key)
        with service.library(key, create=True) as library:
            assert library is not None
            room = None
            if service.sessions is not None:
                room = max(0, service.config.limits.max_session_bytes - folder_bytes(library.path))
            return import_library(library, path, max_unpacked_bytes=room)
    finally:
        service.uploads.discard([path])


class AppWatch:
    """The local app's folder watch: started once the library is open, paused and resumed from the UI."""

    def __init__(self, service: AppService, folder: Path) -> None:
        self.service = service
        self.folder = folder
        self._watch: FolderWatch | None = None
        self._paused = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Wait for the library in the background, then watch (the app starts serving at once)."""
        threading.Thread(target=self._start, name="rdr-search-watch-start", daemon=True).start()

    def _start(self) -> None:
        self.service.wait_until_ready()
        try:
            with self.service.library(None, create=True) as library:
                assert library is not None
                watch = FolderWatch(library, self.folder)
        except RdrSearchError as exc:
            log.error("cannot watch %s: %s", self.folder, exc)
            return
        with self._lock:
            self._watch = watch
            if self._paused:
                watch.pause()
        watch.start()

    def set_running(self, running: bool) -> str:
        """Pause or resume; returns a line for the UI."""
        with self._lock:
            self._paused = not running
            if self._watch is not None:
                (self._watch.resume if running else self._watch.pause)()
        state = "kept in step with the library" if running else "paused (changes are picked up on resume)"
        return f"{self.folder}: {state}."

    def stop(self) -> None:
        with self._lock:
            if self._watch is not None:
                self._watch.stop()
