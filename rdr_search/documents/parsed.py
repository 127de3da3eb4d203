"""What a converter may say about a file beyond its title and pages: pages read with OCR, notes for people."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parsed:
    """A converter's result when it has more to say than ``(title, pages)``."""

    title: str | None
    pages: list[str]
    ocr_pages: tuple[int, ...] = ()
    """1-based pages whose text was read from the page image with OCR."""
    notes: tuple[str, ...] = ()
    """Things the person adding the file should know (it is still added)."""
