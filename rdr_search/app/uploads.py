"""Files that visitors upload: accepted only when they are exactly what this app received, then deleted.

The web framework checks no more than that a submitted path lies inside its upload folder, so the folder itself,
another visitor's upload, or a link would pass. Here a path is accepted only when it names a regular file (not a
link, not a folder) that the upload endpoint itself wrote and that no request has used yet; once the library has
read it, the file is deleted, so it can be neither added by someone else nor downloaded later.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
from collections.abc import MutableSet, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdr_search.library import FileOutcome, clean_source

log = logging.getLogger("rdr_search.app")

NOT_AN_UPLOAD = "refused: not a file uploaded with this request (only files you upload can be added here)"


@dataclass
class UploadedFiles:
    """The upload folder and the set of paths the upload endpoint has written (shared with the framework)."""

    folder: Path
    written: MutableSet[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def claim(self, paths: Sequence[object], max_files: int) -> tuple[list[tuple[Path, str]], list[FileOutcome]]:
        """Split submitted paths into (accepted (path, name) pairs, refusals). Each accepted path is taken
        out of the set, so a second request naming it is refused."""
        accepted: list[tuple[Path, str]] = []
        refused: list[FileOutcome] = []
        for i, raw in enumerate(paths):
            name = _display_name(raw)
            if i >= max_files:
                refused.append(FileOutcome(name, "failed", f"too many files in one request (the limit is {max_files})"))
                continue
            reason = self._refusal(raw)
            if reason is not None:
                refused.append(FileOutcome(name, "failed", reason))
                continue
            accepted.append((Path(str(raw)), name))
        return accepted, refused

    def _refusal(self, raw: object) -> str | None:
        if not isinstance(raw, str) or not raw or "\x00" in raw:
            return NOT_AN_UPLOAD
        path = os.path.abspath(raw)
        with self._lock:
            if path not in self.written and raw not in self.written:
                return NOT_AN_UPLOAD
            self.written.discard(path)
            self.written.discard(raw)
        folder = os.path.realpath(self.folder)
        try:
            info = os.lstat(path)
        except OSError:
            return "refused: the uploaded file is gone (upload it again)"
        if not stat.S_ISREG(info.st_mode):
            return "refused: not a regular file (folders and links cannot be added)"
        if os.path.realpath(path) != path or os.path.commonpath([folder, path]) != folder:
            return NOT_AN_UPLOAD
        return None

    def discard(self, paths: Sequence[Path]) -> None:
        """Delete accepted uploads (and their folder, once empty) after the library has read them."""
        folder = os.path.realpath(self.folder)
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not delete the upload %s: %s", path, exc)
                continue
            parent = path.parent
            if os.path.realpath(parent) != folder:
                with contextlib.suppress(OSError):
                    parent.rmdir()  # only when empty


def _display_name(raw: object) -> str:
    """The name a refused or accepted entry is reported under: its file name, cleaned and bounded."""
    text = raw if isinstance(raw, str) else type(raw).__name__
    name = clean_source(os.path.basename(text.rstrip("/\\")) or text)
    return name if len(name) <= 200 else name[:200] + "…"
