"""The search command's mode and filter options, defined once."""

from __future__ import annotations

from typing import Annotated

import typer

from rdr_search.records import SearchFilters

ModeOption = Annotated[
    str, typer.Option("--mode", "-m", help="hybrid (default: words and meaning fused), dense or keyword.")
]
DocumentOption = Annotated[
    list[str] | None, typer.Option("--document", "-d", help="Only this document (as `list` names it); repeatable.")
]
TypeOption = Annotated[
    list[str] | None, typer.Option("--type", "-t", help="Only this file type: pdf, docx, html, markdown (md), text.")
]
AfterOption = Annotated[
    str | None, typer.Option("--added-after", help="Only documents added on or after this date (YYYY-MM-DD).")
]
BeforeOption = Annotated[
    str | None, typer.Option("--added-before", help="Only documents added before this date (YYYY-MM-DD).")
]


def search_filters(
    documents: list[str] | None, types: list[str] | None, after: str | None, before: str | None
) -> SearchFilters:
    """The filters the options name (none: every passage)."""
    return SearchFilters(tuple(documents or ()), tuple(types or ()), after or None, before or None)
