"""The original bytes of the library's PDFs, kept so a hit can be shown on its page.

Only PDFs are kept (the only format shown as a page image), one file per content hash in ``originals/`` inside
the library folder, so they live exactly as long as the library and its documents: written before the document
is committed, deleted when the document is removed or replaced, and orphans (a crash between the two) are
swept by the next writer. A file is kept only when its bytes still hash to the document's content hash, so a
page is never drawn from another version than the text that was indexed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger("rdr_search.library")

FOLDER = "originals"
KEPT_KINDS = frozenset({"pdf"})
_HASH = re.compile(r"^[0-9a-f]{64}$")
_BLOCK = 1024 * 1024


class Originals:
    """The ``originals/`` folder of one library; writers call it under the library's write lock."""

    def __init__(self, library_path: Path, *, enabled: bool = True) -> None:
        self.folder = library_path / FOLDER
        self.enabled = enabled

    def path(self, content_hash: str, kind: str) -> Path | None:
        """The kept original of a document, or None when none is kept (other formats, older libraries)."""
        if kind not in KEPT_KINDS or not _HASH.match(content_hash):
            return None
        path = self.folder / f"{content_hash}.{kind}"
        return path if path.is_file() else None

    def keep(self, source_path: Path, content_hash: str, kind: str) -> bool:
        """Copy ``source_path`` in (atomically) when its kind is kept and its bytes hash to ``content_hash``."""
        if not self.enabled or kind not in KEPT_KINDS or not _HASH.match(content_hash):
            return False
        target = self.folder / f"{content_hash}.{kind}"
        if target.is_file():
            return True
        self.folder.mkdir(exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=f".{kind}")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, open(source_path, "rb") as src:
                for block in iter(lambda: src.read(_BLOCK), b""):
                    digest.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != content_hash:  # the file changed since it was read: keep nothing
                log.warning("%s changed while it was added; its pages cannot be shown", source_path)
                return False
            os.replace(temp, target)
            return True
        except OSError as exc:
            log.warning("could not keep the original of %s: %s", source_path, exc)
            return False
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)

    def discard(self, content_hash: str) -> None:
        """Delete a document's kept original (of any kind), if there is one."""
        if not _HASH.match(content_hash):
            return
        for kind in KEPT_KINDS:
            with contextlib.suppress(FileNotFoundError):
                (self.folder / f"{content_hash}.{kind}").unlink()

    def sweep(self, live_hashes: Iterable[str]) -> int:
        """Delete kept files no document uses (and temp files left by a crash); returns how many."""
        if not self.folder.is_dir():
            return 0
        live = set(live_hashes)
        removed = 0
        for entry in self.folder.iterdir():
            stem = entry.name.split(".", 1)[0]
            if entry.name.startswith(".tmp-") or stem not in live:
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed += 1
        return removed
