"""Which file extensions are read, as which kind, by which converter.

Each format is one small module with ``parse(data: bytes) -> (title or None, pages)``; adding a format means
one module and one :class:`Format` line here. Format modules import their parser libraries inside ``parse``,
so this registry costs no more than a few regular expressions to import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath

from rdr_search.documents import docx, html, markdown, pdf, text
from rdr_search.documents.parsed import Parsed
from rdr_search.errors import DocumentError

Parser = Callable[..., tuple[str | None, list[str]] | Parsed]
"""Raw file bytes -> (title found in the file or None, text of each page), or a :class:`Parsed` with more."""


@dataclass(frozen=True)
class Format:
    """One readable format: its ``Document.kind``, the extensions that select it and its converter."""

    kind: str
    extensions: tuple[str, ...]
    parse: Parser
    empty_reason: str = "no text found"
    """The message when the parsed pages hold no text at all."""
    timed: bool = False
    """Whether ``parse`` takes ``budget_s``, the seconds it may spend (PDF: OCR of scanned pages)."""


FORMATS: tuple[Format, ...] = (
    Format("text", (".txt",), text.parse, empty_reason="empty file"),
    Format("markdown", (".md", ".markdown"), markdown.parse, empty_reason="empty file"),
    Format("pdf", (".pdf",), pdf.parse, timed=True),
    Format("docx", (".docx",), docx.parse),
    Format("html", (".html", ".htm"), html.parse),
)
_FORMAT_BY_EXTENSION: dict[str, Format] = {ext: fmt for fmt in FORMATS for ext in fmt.extensions}
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_FORMAT_BY_EXTENSION)


def format_of(path: Path, source: str) -> Format:
    """The format a file is read as, by extension; raises :class:`DocumentError` for an unsupported one.

    Uploads may arrive as temp files without the original extension; the user-facing ``source`` then decides.
    """
    extension = (path.suffix or PurePath(source).suffix).lower()
    found = _FORMAT_BY_EXTENSION.get(extension)
    if found is None:
        shown = f"'{extension}'" if extension else "(no extension)"
        supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise DocumentError(f"unsupported file type {shown} (supported: {supported})")
    return found
