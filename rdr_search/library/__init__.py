"""A library folder: documents, passages, vectors and indexes, behind :class:`Library`.

``core`` is the facade (open, add_files, search, documents, remove, check); ``ingest`` reads, chunks, encodes
and commits one file; ``spaces`` holds each encoder pair's vector set and index (pairs load lazily);
``locking`` serialises writers; ``sources`` decides which files an add reads and what they are called.
"""

from rdr_search.library.core import DB_NAME, Library
from rdr_search.library.sources import clean_source, collect_files
from rdr_search.records import AddResult, CheckReport, FileOutcome, FileStatus, Hit, LibraryDocument, VectorSetInfo

__all__ = [
    "DB_NAME",
    "AddResult",
    "CheckReport",
    "FileOutcome",
    "FileStatus",
    "Hit",
    "Library",
    "LibraryDocument",
    "VectorSetInfo",
    "clean_source",
    "collect_files",
]
