"""What the read-and-remove commands say about a library that is not there or holds nothing yet.

They ask :func:`rdr_search.library.presence.library_state` before opening, so they never create a library
and never load a model just to say it is empty. The library package is imported only when a command runs,
so that ``rdr-search --help`` stays quick.
"""

from __future__ import annotations

from pathlib import Path

from rdr_search.cli.options import fail


def plural(count: int, word: str) -> str:
    """'1 page', '2 pages'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def add_hint(folder: Path) -> str:
    """The command that fills a library at ``folder``."""
    return f"add documents with:  rdr-search add FILES_OR_FOLDERS --library {folder}"


def library_ready(folder: Path) -> bool:
    """True when ``folder`` holds a library with documents or vectors (missing and empty ones are not)."""
    from rdr_search.library.presence import LibraryState, library_state

    return library_state(folder) == LibraryState.READY


def library_empty(folder: Path) -> bool:
    """Whether ``folder``'s library holds nothing yet; a missing one stops the command (exit 1), creating
    nothing."""
    from rdr_search.library.presence import LibraryState, library_state

    state = library_state(folder)
    if state == LibraryState.MISSING:
        why = "no such folder" if not folder.expanduser().exists() else "the folder holds no library"
        raise fail(f"No library at '{folder}' ({why}); {add_hint(folder)}", 1)
    return state == LibraryState.EMPTY


def not_found(name: str, known: list[str]) -> str:
    """Why ``name`` was not removed, with the sources it could mean (a file name for a path in a folder)."""
    from rdr_search.library.presence import sources_meaning

    meant = sources_meaning(name, known)
    if not meant:
        return f"not in the library: {name} (rdr-search list shows the names)"
    return f"not in the library: {name}; did you mean {' or '.join(meant)}?"
