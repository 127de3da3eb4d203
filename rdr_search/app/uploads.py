"""Files that visitors upload: accepted only when they are exactly what this app received, then deleted.

The web framework checks no more than that a submitted path lies inside its upload folder, so the folder itself,
another visitor's upload, or a link would pass. Here a path is accepted only when it names a regular file (not a
link, not a folder) that the upload endpoint itself wrote and that no request has used yet; once the library has
read it, the file is deleted, so it can be neither added by someone else nor downloaded later.

Gradio stores an upload at ``<folder>/<keyed hash of its bytes>/<name>``: two uploads of the same file (two
visitors, or one in two tabs) land on one path. Each upload is owed one add, so the record counts the uploads
of each path (:class:`UploadLedger`) and the file is deleted only once no upload of it is left unclaimed or
being read.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
from collections import Counter
from collections.abc import Iterable, MutableSet, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import InitVar, dataclass, field
from pathlib import Path

from rdr_search.library import FileOutcome, clean_source

log = logging.getLogger("rdr_search.app")

NOT_AN_UPLOAD = "refused: not a file uploaded with this request (only files you upload can be added here)"


class UploadLedger(set[str]):
    """The framework's set of uploaded paths (it calls ``update`` after each upload), counting how many uploads
    wrote each path: the set holds a path while some upload of it is still unclaimed."""

    def __init__(self, paths: Iterable[str] = ()) -> None:
        super().__init__()
        self.unclaimed: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.update(paths)

    def add(self, path: str) -> None:
        with self._lock:
            super().add(path)
            self.unclaimed[path] += 1

    def update(self, *others: Iterable[str]) -> None:
        for other in others:
            for path in other:
                self.add(path)

    def __isub__(self, paths: AbstractSet[object]) -> UploadLedger:  # the framework's cache deletion
        with self._lock:
            for path in paths:
                self.unclaimed.pop(str(path), None)
            super().__isub__(paths)
        return self

    def take(self, *names: str) -> str | None:
        """Claim one upload of the first of ``names`` that has one unclaimed; returns that name, or None."""
        with self._lock:
            for name in names:
                if self.unclaimed[name] > 0:
                    self.unclaimed[name] -= 1
                    if not self.unclaimed[name]:
                        del self.unclaimed[name]
                        self.discard(name)
                    return name
            return None

    def waiting(self, name: str) -> bool:
        """Whether an upload of ``name`` is still unclaimed."""
        with self._lock:
            return self.unclaimed.get(name, 0) > 0


def install_ledger(blocks: object) -> UploadLedger:
    """Put a counting record in place of a Gradio app's set of uploaded paths (it is also among the sets the
    framework empties when it deletes its cache); returns it."""
    plain: MutableSet[str] = blocks.upload_file_set  # type: ignore[attr-defined]
    ledger = UploadLedger(plain)
    blocks.upload_file_set = ledger  # type: ignore[attr-defined]
    sets = blocks.temp_file_sets  # type: ignore[attr-defined]
    sets[:] = [ledger if held is plain else held for held in sets]
    return ledger


@dataclass
class UploadedFiles:
    """The upload folder and the record of paths the upload endpoint has written (shared with the framework)."""

    folder: Path
    written: InitVar[Iterable[str]] = ()
    """The framework's record: the :class:`UploadLedger` put in it (:func:`install_ledger`), or plain paths
    taken as uploaded once each."""
    ledger: UploadLedger = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _reading: Counter[str] = field(default_factory=Counter, repr=False)
    """Claimed uploads being read, per path: a path's file stays while any is."""

    def __post_init__(self, written: Iterable[str]) -> None:
        self.ledger = written if isinstance(written, UploadLedger) else UploadLedger(written)

    def claim(self, paths: Sequence[object], max_files: int) -> tuple[list[tuple[Path, str]], list[FileOutcome]]:
        """Split submitted paths into (accepted (path, name) pairs, refusals). Each accepted path uses up one
        upload of it, so a request naming it once more (a replay) is refused."""
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
            if self.ledger.take(path, raw) is None:
                return NOT_AN_UPLOAD
            self._reading[path] += 1
        reason = self._file_refusal(path)
        if reason is not None:
            self._release(path)
        return reason

    def _file_refusal(self, path: str) -> str | None:
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

    def _release(self, path: str) -> bool:
        """One read of ``path`` is over; whether its file may go (no other upload of it is claimed or owed)."""
        with self._lock:
            self._reading[path] -= 1
            if self._reading[path] > 0:
                return False
            del self._reading[path]
            return not self.ledger.waiting(path)

    def discard(self, paths: Sequence[Path]) -> None:
        """After the library has read accepted uploads: delete each (and its folder, once empty) unless
        another upload of the same file is still to be added."""
        folder = os.path.realpath(self.folder)
        for path in paths:
            if not self._release(os.path.abspath(path)):
                continue
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
