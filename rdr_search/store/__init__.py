"""The store: SQLite holds documents, passages, vector sets and their vectors; the library's commit point."""

from __future__ import annotations

from rdr_search.store.records import INDEXING, READY, DocumentRecord, PassageRecord, VectorSetRecord, content_key
from rdr_search.store.schema import SCHEMA_VERSION
from rdr_search.store.sqlite import Store, now_iso

__all__ = [
    "INDEXING",
    "READY",
    "SCHEMA_VERSION",
    "DocumentRecord",
    "PassageRecord",
    "Store",
    "VectorSetRecord",
    "content_key",
    "now_iso",
]
