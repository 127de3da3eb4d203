"""What a search call asks for, checked and put in canonical form: the mode, and filters whose file types and
dates are understood the way the store records them."""

from __future__ import annotations

from dataclasses import replace

from rdr_search.documents.registry import FORMATS
from rdr_search.errors import QueryError
from rdr_search.records import SearchFilters, SearchMode
from rdr_search.retrieval import SearchRequest
from rdr_search.store.filters import stamp

_KINDS: dict[str, str] = {
    **{fmt.kind: fmt.kind for fmt in FORMATS},
    **{ext.lstrip("."): fmt.kind for fmt in FORMATS for ext in fmt.extensions},
}
"""File type names people use ("pdf", "md", "markdown", "txt", ...) -> the kind documents are stored with."""


def search_mode(mode: SearchMode | str) -> SearchMode:
    """``mode`` as a :class:`SearchMode`; an unknown one is refused with the modes there are."""
    try:
        return SearchMode(str(mode).strip().lower())
    except ValueError:
        modes = ", ".join(m.value for m in SearchMode)
        raise QueryError(f"The search mode is one of {modes} (got {str(mode)[:40]!r}).") from None


def document_kind(name: str) -> str:
    """The stored kind for a file type as people name it ("md", ".PDF", "markdown"); refuses unknown ones."""
    kind = _KINDS.get(name.strip().lower().lstrip("."))
    if kind is None:
        known = ", ".join(sorted({fmt.kind for fmt in FORMATS}))
        raise QueryError(f"Unknown file type {name[:40]!r}; the types are {known}.")
    return kind


def canonical_filters(filters: SearchFilters | None) -> SearchFilters:
    """Filters with kinds as stored and dates checked (a bad date is refused here, before any work)."""
    if filters is None:
        return SearchFilters()
    for value, what in ((filters.added_after, "added after"), (filters.added_before, "added before")):
        if value:
            stamp(value, what)
    kinds = tuple(dict.fromkeys(document_kind(k) for k in filters.kinds))
    return replace(filters, sources=tuple(dict.fromkeys(filters.sources)), kinds=kinds)


def search_request(
    question: str, k: int, mode: SearchMode | str, filters: SearchFilters | None
) -> SearchRequest | None:
    """The request to run, or None when there is nothing to search for (a blank question, k below 1)."""
    request = SearchRequest(question.strip(), k, search_mode(mode), canonical_filters(filters))
    return request if request.question and k >= 1 else None
