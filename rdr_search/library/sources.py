"""Which files an add reads and the names (sources) they are stored under."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from rdr_search.documents import SUPPORTED_EXTENSIONS
from rdr_search.errors import RdrSearchError
from rdr_search.records import SkippedFile, SkipReason


def clean_source(name: str) -> str:
    """A document name safe to show and store: no parent or root parts, no control characters."""
    name = "".join(ch for ch in name.replace("\\", "/") if ch.isprintable())
    parts = [part.strip() for part in name.split("/") if part.strip() not in ("", ".", "..")]
    return "/".join(parts) or "unnamed"


def collect_files(
    paths: Sequence[str | Path], sources: Sequence[str] | None = None, *, expand_folders: bool = True
) -> list[tuple[Path, str]]:
    """Expand folders (recursively, supported types only) into (path, source name) pairs.

    A file given directly is named by its file name (or the matching ``sources`` entry, e.g. an upload's
    original name); a file found in a folder by its path relative to the folder's parent. Without
    ``expand_folders`` (paths that arrive over the network) a folder stays one entry, which then fails.
    """
    return scan_files(paths, sources, expand_folders=expand_folders)[0]


def scan_files(
    paths: Sequence[str | Path],
    sources: Sequence[str] | None = None,
    expand_folders: bool = True,
    max_bytes: int | None = None,
) -> tuple[list[tuple[Path, str]], list[SkippedFile]]:
    """Like :func:`collect_files`, and also what folders held that is not read, and why: unsupported
    types, hidden files and folders (not entered), files over ``max_bytes``. Files named directly are
    never skipped: each gets its own outcome."""
    if sources is not None and len(sources) != len(paths):
        raise RdrSearchError("sources must name every path")
    found: list[tuple[Path, str]] = []
    skipped: list[SkippedFile] = []
    for i, raw in enumerate(paths):
        path = Path(raw).expanduser()
        if expand_folders and path.is_dir():
            _scan_folder(path, found, skipped, max_bytes)
        else:
            found.append((path, clean_source(sources[i]) if sources is not None else path.name))
    return found, skipped


def _scan_folder(
    folder: Path, found: list[tuple[Path, str]], skipped: list[SkippedFile], max_bytes: int | None
) -> None:
    base = folder.resolve().parent
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        # A hidden folder (.git, .venv, ...) is skipped whole rather than read file by file.
        for name in sorted(d for d in dirs if d.startswith(".")):
            skipped.append(SkippedFile(_source(here / name, base), SkipReason.HIDDEN))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            child = here / name
            source = _source(child, base)
            if name.startswith("."):
                skipped.append(SkippedFile(source, SkipReason.HIDDEN))
            elif child.suffix.lower() not in SUPPORTED_EXTENSIONS:
                skipped.append(SkippedFile(source, SkipReason.UNSUPPORTED))
            elif not child.is_file():
                continue
            elif max_bytes is not None and child.stat().st_size > max_bytes:
                skipped.append(SkippedFile(source, SkipReason.TOO_LARGE))
            else:
                found.append((child, source))
    found.sort(key=lambda item: item[1])


def _source(path: Path, base: Path) -> str:
    return path.resolve().relative_to(base).as_posix()
