"""Errors that carry a message meant for the person using rdr-search."""

from __future__ import annotations


class RdrSearchError(Exception):
    """Base class: its message is shown to users as is (no traceback)."""


class DocumentError(RdrSearchError):
    """A file could not be read as a document; the message says why."""


class ModelLoadError(RdrSearchError):
    """An encoder could not be loaded; the message says how to fix it."""


class LibraryError(RdrSearchError):
    """The library on disk cannot be used as asked (mismatched encoders, locked, corrupt)."""


class QueryError(RdrSearchError):
    """A question cannot be searched as given (e.g. too long); the message says why."""


class ArchiveError(LibraryError):
    """A library archive cannot be exported or imported as asked (damaged, hostile, another encoder pair)."""
