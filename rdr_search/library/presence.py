"""What a library folder holds, found out without opening it: no folder is made and no model is loaded.

Commands that only read or remove (list, remove, check, search) ask first, so that a mistyped ``--library``
creates nothing and an empty library answers at once, even with no model on the machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from rdr_search.store import Store


class LibraryState(StrEnum):
    """Whether a folder holds a library, and whether it has anything in it."""

    MISSING = "missing"
    """No library database in the folder (or no such folder)."""
    EMPTY = "empty"
    """A library database that holds no vectors yet (e.g. its first add failed before any document)."""
    READY = "ready"
    """A library built with an encoder pair: it opens without loading a model until one is needed."""


def library_state(folder: str | Path) -> LibraryState:
    """The state of the library in ``folder``; reading it never creates the folder or the database."""
    from rdr_search.library.core import DB_NAME

    database = Path(folder).expanduser() / DB_NAME
    if not database.is_file():
        return LibraryState.MISSING
    store = Store(database)
    try:
        built = store.get_meta("default_set") is not None
        documents, _ = store.counts()
    finally:
        store.close()
    return LibraryState.READY if built or documents else LibraryState.EMPTY


def sources_meaning(name: str, sources: Iterable[str]) -> list[str]:
    """The sources ``name`` could mean when it is not one itself: those whose file name (or trailing path
    parts) is ``name``, e.g. ``docs/rivers.txt`` for ``rivers.txt``; case is ignored as a last resort."""
    wanted = name.strip().strip("/").replace("\\", "/")
    if not wanted:
        return []
    listed = sorted(sources)
    tail = [s for s in listed if s == wanted or s.endswith("/" + wanted)]
    if tail:
        return tail
    folded = wanted.casefold()
    return [s for s in listed if s.casefold() == folded or s.casefold().endswith("/" + folded)]
