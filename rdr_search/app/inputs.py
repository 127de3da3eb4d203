"""Bounds and checks for every value that reaches the app over the network, before any work is done."""

from __future__ import annotations

import math

from rdr_search.errors import RdrSearchError


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
