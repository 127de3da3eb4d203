"""Small SQL helpers shared by the store's modules."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

# Values per query: under SQLite's oldest default limit of 999 parameters even when a query names them twice.
CHUNK = 500


def in_chunks(db: sqlite3.Connection, sql: str, values: Sequence[object], before: tuple[object, ...] = ()) -> list[Any]:
    """Run ``sql`` once per chunk of ``values``, each ``{marks}`` in it standing for the chunk's placeholders
    (parameters: ``before``, then the chunk once per ``{marks}``); returns the rows of all runs."""
    rows: list[Any] = []
    for start in range(0, len(values), CHUNK):
        chunk = tuple(values[start : start + CHUNK])
        query = sql.format(marks=",".join("?" * len(chunk)))
        rows.extend(db.execute(query, (*before, *chunk * sql.count("{marks}"))))
    return rows
