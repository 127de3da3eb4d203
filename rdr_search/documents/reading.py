"""Reading one file in this process: the :class:`Document` it becomes, the checks before reading, the hash.

:func:`read_document` picks the converter by extension (see ``registry``), turns every failure into a
:class:`~rdr_search.errors.DocumentError` with a short reason a user can act on, and cleans the text the same way
for every format.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePath

from rdr_search.documents.cleaning import clean_text, clean_title
from rdr_search.documents.language import language_note
from rdr_search.documents.parsed import Parsed
from rdr_search.documents.registry import format_of
from rdr_search.errors import DocumentError

_MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * _MIB
"""Same default as ``Settings.max_file_bytes``."""

OUT_OF_MEMORY = "needs too much memory to read; skipped"


@dataclass(frozen=True)
class Document:
    """One file read as text: what the chunker and the store need, nothing format-specific."""

    source: str
    """The name users see: relative path for folder adds, file name for uploads."""
    title: str
    """Metadata title, else first heading, else the file name without its extension."""
    pages: tuple[str, ...]
    """Text per page; formats without pages have exactly one. Paragraphs are separated by blank lines."""
    kind: str
    """"pdf" | "docx" | "html" | "markdown" | "text"."""
    content_hash: str
    """sha256 hex digest of the raw file bytes (duplicate detection, change detection)."""
    size_bytes: int
    """Size of the raw file."""
    ocr_pages: tuple[int, ...] = ()
    """1-based pages whose text was read with OCR (scanned pages of a PDF)."""
    notes: tuple[str, ...] = ()
    """What the person adding it should know: pages read with OCR or left unread, a language other than English."""


def file_sha256(path: Path) -> str:
    """Return the sha256 hex digest of a file's raw bytes, read in blocks (constant memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_MIB), b""):
            digest.update(block)
    return digest.hexdigest()


def read_document(
    path: str | Path,
    source: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    budget_s: float | None = None,
) -> Document:
    """Read one file into a :class:`Document` in this process.

    ``source`` is the name users see (defaults to the file name); ``budget_s`` bounds slow steps such as OCR
    (the parser worker passes its time budget). Raises :class:`DocumentError` with a short, specific reason
    (unsupported type, too large, empty, encrypted, damaged, no text, ...).
    """
    path = Path(path)
    source = source if source is not None else path.name
    file_format = format_of(path, source)
    data = _read_bytes(path, max_bytes)
    if not data:
        raise DocumentError("empty file")
    fallback_title = clean_title(PurePath(source).stem) or clean_title(path.stem) or source

    try:
        timed = {"budget_s": budget_s} if file_format.timed and budget_s is not None else {}
        parsed = file_format.parse(data, **timed)
    except DocumentError:
        raise
    except MemoryError:
        raise DocumentError(OUT_OF_MEMORY) from None
    except RecursionError:
        raise DocumentError("too deeply nested to read; skipped") from None
    except Exception as exc:  # parsers raise anything on malformed input; that file is the outcome
        raise DocumentError(f"could not be read as {file_format.kind} ({short_reason(exc)})") from None

    if not isinstance(parsed, Parsed):
        parsed = Parsed(*parsed)
    cleaned = tuple(clean_text(page) for page in parsed.pages)
    if not any(cleaned):
        # Each parser raises its own, more specific message when it finds no text; this is the last guard.
        raise DocumentError(file_format.empty_reason)
    language = language_note(cleaned)
    return Document(
        source=source,
        title=clean_title(parsed.title or "") or fallback_title,
        pages=cleaned,
        kind=file_format.kind,
        content_hash=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        ocr_pages=parsed.ocr_pages,
        notes=parsed.notes + ((language,) if language else ()),
    )


def check_file(path: str | Path, source: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """The cheap checks, before anything is read: a supported type, a file that exists, within the size limit.
    Raises :class:`DocumentError` with the same reasons :func:`read_document` gives."""
    path = Path(path)
    format_of(path, source if source is not None else path.name)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DocumentError("file not found") from None
    except OSError as exc:
        raise DocumentError(f"cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if path.is_dir():
        raise DocumentError("not a file (it is a folder)")
    if size > max_bytes:
        raise DocumentError(_too_large(size, max_bytes))


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """Read the whole file, checking existence and size first (so a huge file is never read)."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise DocumentError("not a file (it is a folder)")
        if size > max_bytes:
            raise DocumentError(_too_large(size, max_bytes))
        with open(path, "rb") as f:
            # Read at most one byte past the limit: the file may have grown since stat().
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise DocumentError("file not found") from None
    except PermissionError:
        raise DocumentError("cannot read the file (permission denied)") from None
    except OSError as exc:
        raise DocumentError(f"cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if len(data) > max_bytes:
        limit = _human_size(max_bytes)
        raise DocumentError(f"too large (over {limit}; the limit is {limit})")
    return data


def _too_large(size: int, max_bytes: int) -> str:
    return f"too large ({_human_size(size)}; the limit is {_human_size(max_bytes)})"


def _human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < _MIB:
        return f"{n / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{n / _MIB:.1f}".removesuffix(".0") + " MB"


def short_reason(exc: BaseException) -> str:
    """A one-line description of an unexpected parser error: no traceback, bounded length."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
