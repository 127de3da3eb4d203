"""rdr-search: semantic search over your own documents with the RDR retriever.

Public API::

    from rdr_search import Library
    lib = Library.open("data/library")
    report = lib.add_files(["paper.pdf", "notes/"])
    hits = lib.search("who signed the treaty?", k=10)

Attributes are imported lazily so that light modules (the document parser worker) do not pay for torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "AddResult",
    "EncoderSpec",
    "FileOutcome",
    "Hit",
    "Library",
    "RdrSearchError",
    "Settings",
]

_WHERE = {
    "AddResult": "rdr_search.library",
    "FileOutcome": "rdr_search.library",
    "Hit": "rdr_search.library",
    "Library": "rdr_search.library",
    "EncoderSpec": "rdr_search.encoders",
    "RdrSearchError": "rdr_search.errors",
    "Settings": "rdr_search.settings",
}

if TYPE_CHECKING:
    from rdr_search.encoders import EncoderSpec
    from rdr_search.errors import RdrSearchError
    from rdr_search.library import AddResult, FileOutcome, Hit, Library
    from rdr_search.settings import Settings


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'rdr_search' has no attribute {name!r}")
