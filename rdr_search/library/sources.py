"""Which files an add reads and the names (sources) they are stored under."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rdr_search.documents import SUPPORTED_EXTENSIONS
from rdr_search.errors import RdrSearchError


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
    if sources is not None and len(sources) != len(paths):
        raise RdrSearchError("sources must name every path")
    found: list[tuple[Path, str]] = []
    for i, raw in enumerate(paths):
        path = Path(raw).expanduser()
        if expand_folders and path.is_dir():
            base = path.resolve().parent
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED_EXTENSIONS and not child.name.startswith("."):
                    found.append((child, child.resolve().relative_to(base).as_posix()))
        else:
            found.append((path, clean_source(sources[i]) if sources is not None else path.name))
    return found
