"""Vector indexes: the interface the library uses, its backends, and their files in a library folder.

A backend is one module implementing :class:`VectorIndex`, listed in :data:`BACKENDS`.
"""

from __future__ import annotations

from rdr_search.index.base import Batch, IndexState, VectorIndex
from rdr_search.index.faiss import AUTO_APPROXIMATE_FROM, INDEX_KINDS, FaissIndex
from rdr_search.index.files import IndexFiles, write_atomically

BACKENDS: dict[str, type[VectorIndex]] = {"faiss": FaissIndex}


def index_backend(name: str = "faiss") -> type[VectorIndex]:
    """The index class of backend ``name``."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown index backend {name!r}; one of {', '.join(BACKENDS)}") from None


__all__ = [
    "AUTO_APPROXIMATE_FROM",
    "BACKENDS",
    "INDEX_KINDS",
    "Batch",
    "FaissIndex",
    "IndexFiles",
    "IndexState",
    "VectorIndex",
    "index_backend",
    "write_atomically",
]
