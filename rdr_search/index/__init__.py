"""Vector indexes: the interface the library uses, its backends, and their files in a library folder.

A backend is one module implementing :class:`VectorIndex`, listed in :data:`BACKENDS`; Milvus
(:mod:`rdr_search.index.milvus`) is imported only when chosen, so pymilvus stays an optional extra.
"""

from __future__ import annotations

from rdr_search.index.base import Batch, IndexState, VectorIndex
from rdr_search.index.faiss import AUTO_APPROXIMATE_FROM, INDEX_KINDS, FaissIndex
from rdr_search.index.files import IndexFiles, write_atomically

BACKENDS: dict[str, type[VectorIndex]] = {"faiss": FaissIndex}
INDEX_BACKENDS = ("faiss", "milvus")


def index_backend(name: str = "faiss", uri: str = "") -> type[VectorIndex]:
    """The index class of backend ``name``; ``milvus`` needs ``uri`` (a server URL or a Milvus Lite .db file)."""
    if name == "milvus":
        if not uri:
            raise ValueError("the milvus index backend needs a URI: http://host:19530 or a Milvus Lite .db file")
        try:
            from rdr_search.index.milvus import MilvusIndex
        except ImportError as exc:
            raise ValueError(f"the milvus backend needs pymilvus: pip install 'rdr-search[scale]' ({exc})") from None
        return MilvusIndex.at(uri)
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown index backend {name!r}; one of {', '.join(INDEX_BACKENDS)}") from None


__all__ = [
    "AUTO_APPROXIMATE_FROM",
    "BACKENDS",
    "INDEX_KINDS",
    "Batch",
    "FaissIndex",
    "INDEX_BACKENDS",
    "IndexFiles",
    "IndexState",
    "VectorIndex",
    "index_backend",
    "write_atomically",
]
