"""Search filters as SQL over the documents table (alias ``d``): by source, kind and date added."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import numpy as np

from rdr_search.errors import QueryError
from rdr_search.records import SearchFilters
from rdr_search.store.fts import TABLE, Scope

PASSAGE_DOCUMENT = "JOIN passages p ON p.id = {rowid} JOIN documents d ON d.id = p.document_id"


def stamp(value: str, what: str) -> str:
    """An ISO date or timestamp as stored in ``added_at`` (UTC, to the second); a date means its midnight,
    a time without a zone means UTC."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise QueryError(f"{what} takes a date like 2025-01-31 or an ISO timestamp (got {shown!r}).") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def condition(filters: SearchFilters) -> tuple[str, tuple[object, ...]]:
    """A condition over documents ``d`` and its parameters; ("", ()) when nothing is filtered."""
    parts: list[str] = []
    params: list[object] = []
    for column, values in (("source", filters.sources), ("kind", filters.kinds)):
        if values:
            parts.append(f"d.{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if filters.added_after:
        parts.append("d.added_at >= ?")
        params.append(stamp(filters.added_after, "added after"))
    if filters.added_before:
        parts.append("d.added_at < ?")
        params.append(stamp(filters.added_before, "added before"))
    return " AND ".join(parts), tuple(params)


def keyword_scope(filters: SearchFilters) -> Scope:
    """The rows of the library's keyword index the filters let through."""
    where, params = condition(filters)
    if not where:
        return Scope()
    return Scope(PASSAGE_DOCUMENT.format(rowid=f"{TABLE}.rowid"), where, params)


def passage_ids(db: sqlite3.Connection, filters: SearchFilters) -> np.ndarray:
    """Ids of the passages the filters let through (int64)."""
    where, params = condition(filters)
    rows = db.execute(
        f"SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id WHERE {where or '1'}", params
    )
    return np.fromiter((row[0] for row in rows), dtype=np.int64)
