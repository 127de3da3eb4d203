"""Bounds and checks for every value that reaches the app over the network, before any work is done."""

from __future__ import annotations

import math

from rdr_search.errors import RdrSearchError
from rdr_search.records import SearchFilters, SearchMode


class InputError(RdrSearchError):
    """A request value is missing, malformed or too large; the message says which and what is allowed."""


def text_input(value: object, what: str, max_chars: int) -> str:
    """``value`` as stripped text, refused (without echoing it) when it is not text or longer than allowed."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"The {what} must be text.")
    if len(value) > max_chars:
        raise InputError(f"The {what} is {len(value):,} characters long; the limit is {max_chars:,}.")
    return value.strip()


def result_count(value: object, default: int, max_k: int) -> int:
    """How many results to return: a whole number, clamped to 1..max_k; missing means ``default``."""
    if value is None or value == "":
        return default
    number = _finite(value, f"The number of results must be a whole number from 1 to {max_k}.")
    return max(1, min(int(number), max_k))


def whole_number(value: object, what: str, low: int, high: int) -> int:
    """``value`` as a whole number from ``low`` to ``high`` (refused otherwise, without echoing it)."""
    message = f"The {what} must be a whole number from {low:,} to {high:,}."
    number = _finite(value, message)
    if number != int(number) or not low <= number <= high:
        raise InputError(message)
    return int(number)


def _finite(value: object, message: str) -> float:
    """``value`` (a number or numeric text) as a finite float; ``message`` is the refusal."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(message)
    try:
        number = float(value)
    except ValueError:
        raise InputError(message) from None
    if not math.isfinite(number):
        raise InputError(message)
    return number


def search_mode(value: object) -> str:
    """A search mode: "dense", "keyword" or "hybrid" (missing means hybrid)."""
    if value is None or value == "":
        return SearchMode.HYBRID.value
    modes = [m.value for m in SearchMode]
    if not isinstance(value, str) or value.strip().lower() not in modes:
        raise InputError(f"The search mode is one of {', '.join(modes)}.")
    return value.strip().lower()


def name_list(value: object, what: str, max_items: int, max_chars: int) -> tuple[str, ...]:
    """A list of names (documents, file types): each text within ``max_chars``, at most ``max_items``."""
    if value is None or value == "":
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise InputError(f"The {what} must be a list of names.")
    if len(items) > max_items:
        raise InputError(f"At most {max_items} {what} can be given; got {len(items):,}.")
    names = (text_input(item, what, max_chars) for item in items)
    return tuple(dict.fromkeys(name for name in names if name))


DATE_CHARS = 40
"""Longest date a filter takes (an ISO timestamp with fractions and a zone is 32)."""


def search_filters(
    documents: object, kinds: object, added_after: object, added_before: object, *, max_items: int, max_chars: int
) -> SearchFilters:
    """Filters from request values, bounded (their meaning, e.g. a date's format, is checked by the library)."""
    return SearchFilters(
        sources=name_list(documents, "documents", max_items, max_chars),
        kinds=name_list(kinds, "file types", max_items, DATE_CHARS),
        added_after=text_input(added_after, "date", DATE_CHARS) or None,
        added_before=text_input(added_before, "date", DATE_CHARS) or None,
    )


def bounded_filters(filters: object, max_items: int, max_chars: int) -> SearchFilters | None:
    """Filters handed to the service, bounded again whoever built them; None for none."""
    if filters is None:
        return None
    if not isinstance(filters, SearchFilters):
        raise InputError("The filters must be SearchFilters.")
    return search_filters(
        filters.sources, filters.kinds, filters.added_after, filters.added_before, max_items=max_items,
        max_chars=max_chars,
    )  # fmt: skip
