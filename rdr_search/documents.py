"""Read files into plain-text documents: the only module that knows file formats.

``read_document`` turns one file (.txt, .md, .pdf, .docx, .html) into a :class:`Document` with a title and
the text of each page, or raises :class:`~rdr_search.errors.DocumentError` with a short reason a user can
act on. :class:`DocumentReader` does the same in a separate worker process with a time budget per file, so
a pathological file costs one skipped file, not a hung or crashed app (DESIGN Decision 9).

This module must stay light: it imports no torch/transformers/faiss and not ``rdr_search.library``, because
the worker process imports it. The parsers (pypdf, python-docx, lxml with BeautifulSoup's encoding detection,
charset-normalizer) are imported inside the functions that need them, so importing this module costs almost nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import multiprocessing
import os
import re
import sys
import threading
import types
import weakref
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from rdr_search.errors import DocumentError

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "Document",
    "check_file",
    "DocumentReader",
    "file_sha256",
    "read_document",
]

_MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * _MIB
"""Same default as ``Settings.max_file_bytes``."""

_KIND_BY_EXTENSION: dict[str, str] = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
}
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_KIND_BY_EXTENSION)

TITLE_MAX_CHARS = 200

# A .docx is a zip: python-docx inflates its XML parts in memory, so a small file that inflates to gigabytes
# (a zip bomb) would exhaust memory. The total uncompressed size is refused above
# max(floor, ratio x file size), capped: real documents inflate a few times (text XML) or not at all (images).
DOCX_EXPANSION_FLOOR = 200 * _MIB
DOCX_EXPANSION_RATIO = 100
DOCX_EXPANSION_CAP = 1024 * _MIB

# The worker's address-space cap: a decompression bomb in a parser becomes a MemoryError (one skipped file)
# instead of the machine swapping or the OOM killer picking a victim.
WORKER_MEMORY_BYTES = 2 * 1024 * _MIB
# Starting a spawn worker and importing the parsers takes ~0.5 s; allow for a slow, busy machine. This is not
# charged to any file's budget.
_WORKER_START_TIMEOUT_S = 120.0


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


def file_sha256(path: Path) -> str:
    """Return the sha256 hex digest of a file's raw bytes, read in blocks (constant memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_MIB), b""):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------------------------------------
# In-process reading
# ----------------------------------------------------------------------------------------------------------


def read_document(path: str | Path, source: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read one file into a :class:`Document` in this process.

    ``source`` is the name users see (defaults to the file name). Raises :class:`DocumentError` with a short,
    specific reason (unsupported type, too large, empty, encrypted, damaged, no text, ...).
    """
    path = Path(path)
    source = source if source is not None else path.name
    kind = _kind_of(path, source)
    data = _read_bytes(path, max_bytes)
    if not data:
        raise DocumentError("empty file")
    fallback_title = _clean_title(PurePath(source).stem) or _clean_title(path.stem) or source

    parse = _PARSERS[kind]
    try:
        title, pages = parse(data)
    except DocumentError:
        raise
    except MemoryError:
        raise DocumentError(_OUT_OF_MEMORY) from None
    except RecursionError:
        raise DocumentError("too deeply nested to read; skipped") from None
    except Exception as exc:  # parsers raise anything on malformed input; that file is the outcome
        raise DocumentError(f"could not be read as {kind} ({_short_reason(exc)})") from None

    pages = tuple(_clean_text(page) for page in pages)
    if not any(pages):
        # Each parser raises its own, more specific message when it finds no text; this is the last guard.
        raise DocumentError("empty file" if kind in ("text", "markdown") else "no text found")
    return Document(
        source=source,
        title=_clean_title(title or "") or fallback_title,
        pages=pages,
        kind=kind,
        content_hash=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
    )


_OUT_OF_MEMORY = "needs too much memory to read; skipped"


def check_file(path: str | Path, source: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """The cheap checks, before anything is read: a supported type, a file that exists, within the size limit.
    Raises :class:`DocumentError` with the same reasons :func:`read_document` gives."""
    path = Path(path)
    _kind_of(path, source if source is not None else path.name)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DocumentError("file not found") from None
    except OSError as exc:
        raise DocumentError(f"cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if path.is_dir():
        raise DocumentError("not a file (it is a folder)")
    if size > max_bytes:
        raise DocumentError(f"too large ({_human_size(size)}; the limit is {_human_size(max_bytes)})")


def _kind_of(path: Path, source: str) -> str:
    extension = _extension(path, source)
    kind = _KIND_BY_EXTENSION.get(extension)
    if kind is None:
        shown = f"'{extension}'" if extension else "(no extension)"
        supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise DocumentError(f"unsupported file type {shown} (supported: {supported})")
    return kind


def _extension(path: Path, source: str) -> str:
    # Uploads may arrive as temp files without the original extension; the user-facing name then decides.
    return (path.suffix or PurePath(source).suffix).lower()


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """Read the whole file, checking existence and size first (so a huge file is never read)."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise DocumentError("not a file (it is a folder)")
        if size > max_bytes:
            raise DocumentError(f"too large ({_human_size(size)}; the limit is {_human_size(max_bytes)})")
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


def _human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < _MIB:
        return f"{n / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{n / _MIB:.1f}".removesuffix(".0") + " MB"


def _short_reason(exc: BaseException) -> str:
    """A one-line description of an unexpected parser error: no traceback, bounded length."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


# Control characters (C0 except \t \n, DEL, C1) and stray BOMs/zero-width no-break spaces: never text.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufeff]")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def _clean_text(text: str) -> str:
    """Normalise newlines, drop control characters, keep paragraph breaks as one blank line.

    Wrapped lines are NOT joined and hyphens are NOT removed: the chunking module decides that.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Vertical tab, form feed and Unicode line/paragraph separators break lines: dropping them glues words.
    text = text.translate({0x0B: "\n", 0x0C: "\n", 0x2028: "\n", 0x2029: "\n\n", 0x85: "\n"})
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("\n", text)
    text = _MANY_BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _clean_title(title: str) -> str:
    title = " ".join(_CONTROL.sub("", title).split())
    if len(title) > TITLE_MAX_CHARS:
        title = title[: TITLE_MAX_CHARS - 1].rstrip() + "…"
    return title


# ----------------------------------------------------------------------------------------------------------
# Plain text and Markdown
# ----------------------------------------------------------------------------------------------------------

# Longest BOMs first: the UTF-32 LE BOM starts with the UTF-16 LE BOM.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
_NOT_TEXT = "not a text file (binary data)"
# Share of control characters (other than whitespace) above which decoded "text" is really binary data.
_MAX_CONTROL_RATIO = 0.02
_MAX_NUL_RATIO = 0.01
# Control characters that do not occur in text files (\x1a: the DOS end-of-file marker does).
_BINARY_CONTROL = re.compile("[\x01-\x08\x0e-\x19\x1b-\x1f]")


def _decode_text(data: bytes) -> str:
    """Decode a text file: BOM, then strict UTF-8, then (mostly-UTF-8 | legacy single-byte) guesses."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _check_textual(data[len(bom) :].decode(encoding.removesuffix("-sig")))
            except UnicodeDecodeError:
                name = encoding.upper().removesuffix("-SIG")
                raise DocumentError(f"not a valid {name} text file") from None
    nuls = data.count(0)
    if nuls > _MAX_NUL_RATIO * len(data):
        # No BOM but many NUL bytes: UTF-16 without a BOM (every other byte NUL for Latin text) or binary.
        # A few stray NULs (a log cut by a crash) do not make a text file binary; they are dropped later.
        return _check_textual(_decode_utf16_without_bom(data))
    try:
        return _check_textual(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    valid_non_ascii = len(text) - len(text.encode("ascii", "ignore")) - bad
    if valid_non_ascii >= 2 * bad:
        # Clearly UTF-8 (many valid multi-byte sequences) with a few damaged bytes: keep it UTF-8.
        return _check_textual(text)
    return _check_textual(_decode_legacy(data))


def _decode_utf16_without_bom(data: bytes) -> str:
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    half = max(1, len(data) // 2)
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        encoding = "utf-16-le"
    elif even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        encoding = "utf-16-be"
    else:
        raise DocumentError(_NOT_TEXT)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise DocumentError(_NOT_TEXT) from None


def _decode_legacy(data: bytes) -> str:
    """Guess a legacy (single-byte) encoding with charset-normalizer."""
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise DocumentError(_NOT_TEXT)
    # charset-normalizer often ranks cp1250 first for Western European text that cp1252 decodes equally well
    # ("naïve" -> "naďve"). When cp1252 fits as well as the winner, prefer it: it is by far the most common.
    for match in matches:
        fits_as_well = match.chaos <= best.chaos + 1e-6 and match.coherence >= best.coherence - 1e-6
        if fits_as_well and "cp1252" in match.could_be_from_charset:
            try:
                return data.decode("cp1252")
            except UnicodeDecodeError:
                break
    return str(best)


def _check_textual(text: str) -> str:
    if not text.strip():
        raise DocumentError("empty file")
    # Binary data shows control characters everywhere; two samples of 256k characters tell as well as the whole
    # text, at a bounded cost. NULs were judged already (by byte count, before decoding).
    sample = text if len(text) <= 1 << 19 else text[: 1 << 18] + text[len(text) // 2 : len(text) // 2 + (1 << 18)]
    controls = len(_BINARY_CONTROL.findall(sample))
    if controls > _MAX_CONTROL_RATIO * len(sample):
        raise DocumentError(_NOT_TEXT)
    return text


def _parse_text(data: bytes) -> tuple[str | None, list[str]]:
    return None, [_decode_text(data)]


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_TITLE = re.compile(r"^title[ \t]*:[ \t]*(.+?)[ \t]*$", re.MULTILINE | re.IGNORECASE)
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_SETEXT_H1 = re.compile(r"^(?! {4})(\S[^\n]*)\n {0,3}=+[ \t]*$", re.MULTILINE)
_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.MULTILINE)
# Bounded repetitions keep these linear on hostile input.
_IMAGE_OR_LINK = re.compile(r"!?\[([^\[\]\n]{0,1000})\]\([^()\n]{0,2000}\)")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]{1,1000}\]:[ \t]*\S+.*$\n?", re.MULTILINE)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _parse_markdown(data: bytes) -> tuple[str | None, list[str]]:
    """Markdown stays mostly as written; only noise that hurts retrieval (front matter, URLs) is removed."""
    text = _decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    title: str | None = None
    front = _FRONT_MATTER.match(text)
    if front:
        found = _FRONT_MATTER_TITLE.search(front.group(1) or "")
        if found:
            title = found.group(1).strip().strip("\"'")
        text = text[front.end() :]
    if not title:
        title = _first_markdown_heading(text)
    text = _HTML_COMMENT.sub("", text)
    text = _REFERENCE_DEFINITION.sub("", text)
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _strip_heading_markers(text)
    if not text.strip():
        raise DocumentError("empty file")
    return title, [text]


def _in_code_fence(lines: list[str]) -> list[bool]:
    """For each line, whether it belongs to a fenced code block (fence lines included). Linear."""
    inside: list[bool] = []
    fence: str | None = None
    for line in lines:
        if fence is None:
            opener = _FENCE.match(line)
            if opener:
                fence = opener.group(1)
            inside.append(fence is not None)
        else:
            inside.append(True)
            if line.lstrip().startswith(fence):
                fence = None
    return inside


def _strip_heading_markers(text: str) -> str:
    # "## Methods" -> "Methods": heading markers are not words. "# comment" lines in code blocks stay.
    lines = text.split("\n")
    for i, in_code in enumerate(_in_code_fence(lines)):
        if not in_code:
            lines[i] = _ATX_HEADING.sub(lambda m: m.group(2), lines[i])
    return "\n".join(lines)


def _first_markdown_heading(text: str) -> str | None:
    # Headings inside fenced code blocks ("# a comment" in a shell snippet) do not count: blank those lines.
    lines = text.split("\n")
    prose = "\n".join("" if in_code else line for line, in_code in zip(lines, _in_code_fence(lines), strict=True))
    candidates = []
    atx = next((m for m in _ATX_HEADING.finditer(prose) if len(m.group(1)) == 1 and m.group(2).strip()), None)
    if atx:
        candidates.append((atx.start(), atx.group(2)))
    setext = _SETEXT_H1.search(prose)
    if setext:
        candidates.append((setext.start(), setext.group(1)))
    if not candidates:
        return None
    heading = min(candidates)[1]
    return _IMAGE_OR_LINK.sub(r"\1", heading).strip()


# ----------------------------------------------------------------------------------------------------------
# PDF
# ----------------------------------------------------------------------------------------------------------

_PDF_DAMAGED = "not a readable PDF (damaged or truncated)"
_PDF_ENCRYPTED = "encrypted PDF (password-protected); remove the password and add it again"
_PDF_NO_TEXT = "no extractable text (scanned? run OCR first)"
# Titles that tools write when the author set none: worse than the file name.
_JUNK_TITLE = re.compile(
    r"^(?:untitled(?:\s*document)?\d*|document\d*|title|none|null|unknown|slide\s*\d+|\W*"
    r"|(?:microsoft\s+)?(?:word|powerpoint|excel)\s+-\s+.*"
    r"|.*\.(?:docx?|pdf|tex|dvi|ps|rtf|odt|pptx?|xlsx?|txt|html?|indd|qxd|cdr|ai|eps|pages))$",
    re.IGNORECASE,
)


def _parse_pdf(data: bytes) -> tuple[str | None, list[str]]:
    import pypdf
    from pypdf.errors import DependencyError

    if b"%PDF-" not in data[:1024]:
        raise DocumentError("not a PDF file (no PDF header; damaged or another format)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are encrypted with an empty user password (only printing/copying is restricted):
            # those open without asking anyone for a password, so read them.
            try:
                opened = reader.decrypt("")
            except DependencyError:
                raise DocumentError("encrypted PDF (needs the 'cryptography' package to open)") from None
            except Exception:  # a failed decrypt of any kind means we cannot read it
                opened = 0
            if not opened:
                raise DocumentError(_PDF_ENCRYPTED)
        pages = list(reader.pages)
    except (DocumentError, MemoryError):
        raise
    except Exception:  # pypdf raises many types (PdfReadError, ValueError, KeyError, ...)
        raise DocumentError(_PDF_DAMAGED) from None
    if not pages:
        raise DocumentError("no pages (empty PDF)")

    texts: list[str] = []
    failures = 0
    for page in pages:
        try:
            texts.append(page.extract_text() or "")
        except MemoryError:
            raise
        except Exception:  # one bad page should not lose the others; it keeps its index, empty
            failures += 1
            texts.append("")
    if not any(_clean_text(t) for t in texts):
        raise DocumentError(_PDF_DAMAGED if failures == len(pages) else _PDF_NO_TEXT)
    return _pdf_title(reader), texts


def _pdf_title(reader: Any) -> str | None:
    try:
        metadata = reader.metadata
        raw = metadata.get("/Title") if metadata else None
    except Exception:  # damaged metadata is no reason to lose the text
        return None
    if raw is None:
        return None
    title = _clean_title(str(raw))
    if not title or _JUNK_TITLE.match(title):
        return None
    return title


# ----------------------------------------------------------------------------------------------------------
# DOCX
# ----------------------------------------------------------------------------------------------------------

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_expansion_limit(file_size: int) -> int:
    return min(DOCX_EXPANSION_CAP, max(DOCX_EXPANSION_FLOOR, DOCX_EXPANSION_RATIO * file_size))


def _parse_docx(data: bytes) -> tuple[str | None, list[str]]:
    if data.startswith(_OLE_SIGNATURE):
        # Old binary .doc files and password-protected .docx files are OLE containers, not zips.
        raise DocumentError(
            "not a valid .docx (not a zip archive: an old Word .doc or a password-protected file; "
            "save it as .docx without a password)"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise DocumentError("not a valid .docx (not a zip archive)") from None
    with archive:
        # ZipInfo.file_size comes from the central directory; zipfile never inflates an entry past it,
        # so this sum bounds what python-docx can inflate.
        expanded = sum(info.file_size for info in archive.infolist())
        if expanded > _docx_expansion_limit(len(data)):
            raise DocumentError(f"refused: .docx expands to {expanded // _MIB:,} MB (zip bomb?)")
        if "[Content_Types].xml" not in archive.namelist():  # not an Office (OPC) package at all
            raise DocumentError("not a valid .docx (a zip archive without a Word document inside)")

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError):
        raise DocumentError("not a valid .docx (a zip archive without a Word document inside)") from None
    except XMLSyntaxError:
        # libxml2 also reports running out of (capped) memory this way.
        raise DocumentError("not a valid .docx (its XML is damaged or too large to read)") from None

    blocks: list[str] = []
    heading: str | None = None
    for kind, text, style in _docx_blocks(document):
        if not text.strip():
            continue
        blocks.append(text)
        if heading is None and kind == "p" and style.lower().startswith(("heading", "title")):
            heading = text
    if not blocks:
        raise DocumentError("no text found")

    title: str | None = None
    try:
        title = document.core_properties.title or None
    except Exception:  # broken docProps: fall back to the heading
        title = None
    if title and _JUNK_TITLE.match(_clean_title(title)):
        title = None
    return title or heading, ["\n\n".join(blocks)]


def _docx_blocks(document: Any) -> Iterator[tuple[str, str, str]]:
    """Yield (kind, text, style name) for body paragraphs and tables in document order.

    Walks the XML directly (iteratively, as hostile files can nest deeply) so content controls (w:sdt), which
    python-docx's paragraph list skips, are included. Tables give one line per row, cells separated by tabs.
    """
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = document.element.body
    stack = list(reversed(list(body)))
    while stack:
        element = stack.pop()
        tag = element.tag
        if tag == f"{_W}p":
            paragraph = Paragraph(element, document)
            yield "p", paragraph.text, _style_name(paragraph)
        elif tag == f"{_W}tbl":
            yield "tbl", _docx_table_text(Table(element, document)), ""
        elif tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}smartTag"):
            stack.extend(reversed([child for child in element if child.tag != f"{_W}sdtPr"]))


def _docx_table_text(table: Any) -> str:
    lines: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            # A merged cell appears once per grid column it spans; keep it once.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            nested = [_docx_table_text(t) for t in cell.tables]
            cells.append("\n".join([text, *nested]).strip() if nested else text)
        line = "\t".join(c for c in cells if c)
        if line:
            lines.append(line)
    return "\n".join(lines)


def _style_name(paragraph: Any) -> str:
    try:
        style = paragraph.style
        return (style.name or "") if style is not None else ""
    except Exception:  # a missing style definition must not stop reading
        return ""


# ----------------------------------------------------------------------------------------------------------
# HTML
# ----------------------------------------------------------------------------------------------------------

# Elements whose content is never visible text.
_HTML_INVISIBLE = (
    "script", "style", "noscript", "template", "head", "svg", "math", "canvas", "iframe", "object",
)  # fmt: skip
# Elements that start a new paragraph (blank line) or a new line.
_HTML_PARAGRAPH = frozenset((
    "address", "article", "aside", "blockquote", "body", "caption", "details", "dialog", "div", "dl",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "ul",
))  # fmt: skip
_HTML_LINE = frozenset(("br", "dd", "dt", "li", "tr", "legend", "option"))
_HTML_CELL = frozenset(("td", "th"))
# Private-use characters mark breaks while whitespace is collapsed as a browser would; turned into breaks after.
_PARA_MARK, _LINE_MARK, _CELL_MARK = "\ue000", "\ue001", "\ue002"
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_HTML_OPEN_MARK = {
    **dict.fromkeys(_HTML_PARAGRAPH, _PARA_MARK),
    **dict.fromkeys(_HTML_LINE, _LINE_MARK),
}
_HTML_CLOSE_MARK = {**_HTML_OPEN_MARK, **dict.fromkeys(_HTML_CELL, _CELL_MARK)}


def _parse_html(data: bytes) -> tuple[str | None, list[str]]:
    # BeautifulSoup's UnicodeDammit finds the encoding (BOM, <meta charset>, then a guess); the tree comes from
    # lxml directly, because building a BeautifulSoup tree is ~100x slower (4 MB of HTML: 25 s against 0.2 s
    # here), enough to push ordinary large pages past the time budget.
    import lxml.html
    from bs4 import UnicodeDammit
    from lxml.etree import ParserError

    markup = UnicodeDammit(data, is_html=True).unicode_markup
    if markup is None:
        raise DocumentError("not a readable HTML file (unknown text encoding)")
    # lxml refuses str input that declares an encoding, and control characters are never visible text.
    markup = _CONTROL.sub("", _XML_DECLARATION.sub("", markup, count=1))
    if not markup.strip():
        raise DocumentError("empty file")
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(markup, parser=parser)
    except ParserError:  # "Document is empty": nothing but a doctype or comments
        raise DocumentError("no text found") from None

    title = _first_text(root, "title") or _first_text(root, "body//h1")
    text = _HTML_SPACE.sub(" ", _html_marked_text(root))
    paragraphs: list[str] = []
    for block in text.split(_PARA_MARK):
        lines = []
        for line in block.split(_LINE_MARK):
            cells = [c.strip() for c in line.split(_CELL_MARK)]
            line = "\t".join(c for c in cells if c)
            if line:
                lines.append(line)
        if lines:
            paragraphs.append("\n".join(lines))
    if not paragraphs:
        raise DocumentError("no text found")
    return title, ["\n\n".join(paragraphs)]


_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]{0,500}\?>")


def _first_text(root: Any, path: str) -> str | None:
    element = root.find(f".//{path}")
    return " ".join(element.text_content().split()) if element is not None else None


def _html_marked_text(root: Any) -> str:
    """Visible text of an lxml HTML tree, with break markers around blocks, lines and table cells.

    One iterative depth-first walk, so deeply nested pages cannot hit the recursion limit.
    """
    out: list[str] = []
    pre_depth = 0
    # Events: (element, _OPEN), (element, _CLOSE) or (tail text, _TEXT). A tail is the text after an element's
    # end tag; it is visible even when the element itself is not (<script>...</script>visible).
    stack: list[tuple[Any, int]] = [(root, _OPEN)]
    while stack:
        item, event = stack.pop()
        if event == _TEXT:
            out.append(item.replace("\n", _LINE_MARK) if pre_depth else item)
            continue
        tag = item.tag if isinstance(item.tag, str) else ""  # comments/entities have a function as tag
        if event == _CLOSE:
            if tag == "pre":
                pre_depth -= 1
            out.append(_HTML_CLOSE_MARK.get(tag, ""))
            continue
        if not tag or tag in _HTML_INVISIBLE or "hidden" in item.attrib:
            continue
        if tag == "pre":
            pre_depth += 1
        out.append(_HTML_OPEN_MARK.get(tag, ""))
        if item.text:
            out.append(item.text.replace("\n", _LINE_MARK) if pre_depth else item.text)
        stack.append((item, _CLOSE))
        for child in reversed(item):
            if child.tail:
                stack.append((child.tail, _TEXT))
            stack.append((child, _OPEN))
    return "".join(out)


_OPEN, _CLOSE, _TEXT = 0, 1, 2

_PARSERS: dict[str, Callable[[bytes], tuple[str | None, list[str]]]] = {
    "text": _parse_text,
    "markdown": _parse_markdown,
    "pdf": _parse_pdf,
    "docx": _parse_docx,
    "html": _parse_html,
}


# ----------------------------------------------------------------------------------------------------------
# Worker process
# ----------------------------------------------------------------------------------------------------------


def _worker_main(conn: Any, memory_bytes: int) -> None:
    """Worker loop: receive (path, source, max_bytes), send ("ok", Document) or ("error", message).

    Runs in a spawned process that imports only this module and the parsers.
    """
    _limit_memory(memory_bytes)
    import logging
    import signal

    # Ctrl-C in a terminal reaches the whole process group; the parent decides when this worker ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    # Import the parsers now, so their import time is not charged to the first file's budget.
    import bs4  # noqa: F401
    import charset_normalizer  # noqa: F401
    import docx  # noqa: F401
    import lxml.html  # noqa: F401
    import pypdf  # noqa: F401

    # pypdf logs a warning for every oddity in a damaged file; the file's outcome already says what matters.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    conn.send(("ready", None))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        path, source, max_bytes = request
        try:
            conn.send(("ok", read_document(path, source, max_bytes=max_bytes)))
        except DocumentError as exc:
            conn.send(("error", str(exc)))
        except Exception as exc:  # report anything rather than die silently
            conn.send(("error", f"could not be read ({_short_reason(exc)})"))


def _limit_memory(memory_bytes: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the time budget still applies
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass  # not allowed here (some containers): run without the cap rather than not at all


# spawn re-imports the parent's __main__ module in the child (to unpickle functions defined there). For
# `python app.py` that would import gradio and torch into the parser worker; the worker needs nothing from
# __main__, so the start is done with a bare stand-in __main__. The lock keeps two starts from interleaving.
_START_LOCK = threading.Lock()


def _start_process(process: Any) -> None:
    with _START_LOCK:
        real_main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            process.start()
        finally:
            if real_main is not None:
                sys.modules["__main__"] = real_main


def _stop(process: Any, conn: Any) -> None:
    """Kill a worker and release its pipe (idempotent; also run by a finalizer at garbage collection)."""
    try:
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
    except (OSError, ValueError, AssertionError):
        pass
    with contextlib.suppress(OSError):
        conn.close()


class DocumentReader:
    """Reads documents in a separate worker process (spawn context) that imports only parsers, with a time
    budget per file.

    One worker is reused across files (a new process per file would cost ~0.5 s each). When a file takes
    longer than ``timeout_s`` or the worker dies, the worker is killed and restarted for the next file, and
    that file gets a :class:`DocumentError`. The worker's address space is capped (``WORKER_MEMORY_BYTES``)
    where the OS allows, so a decompression bomb becomes that file's error. Thread-safe: requests are served
    one at a time.
    Use as a context manager; ``close()`` stops the worker.
    """

    def __init__(self, timeout_s: float = 60.0, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._conn: Any = None
        self._finalizer: weakref.finalize | None = None
        self._closed = False

    def __enter__(self) -> DocumentReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def read(self, path: str | Path, source: str | None = None) -> Document:
        """Read one file in the worker; raises :class:`DocumentError` (including for timeouts and crashes)."""
        path = Path(path)
        # Resolve relative paths here: the worker's working directory is not guaranteed to follow ours.
        request = (os.path.abspath(path), source if source is not None else path.name, self.max_bytes)
        with self._lock:
            if self._closed:
                raise RuntimeError("DocumentReader is closed")
            self._ensure_worker()
            try:
                self._conn.send(request)
            except (BrokenPipeError, EOFError, OSError):
                # The worker died between files: start a fresh one and try once more.
                self._kill()
                self._ensure_worker()
                self._conn.send(request)
            if not self._conn.poll(self.timeout_s):
                self._kill()
                raise DocumentError(f"took longer than {self.timeout_s:g} s to read; skipped")
            try:
                status, payload = self._conn.recv()
            except (EOFError, OSError):
                exitcode = self._process.exitcode if self._process is not None else None
                self._kill()
                detail = f" (exit code {exitcode})" if exitcode not in (None, 0) else ""
                raise DocumentError(f"crashed the document reader{detail}; skipped") from None
            if status == "error" and payload == _OUT_OF_MEMORY:
                # After a MemoryError the worker's heap may be fragmented or hold half-built objects: start
                # afresh for the next file.
                self._kill()
        if status == "ok":
            return payload
        raise DocumentError(payload)

    def close(self) -> None:
        """Stop the worker. Further reads raise RuntimeError."""
        with self._lock:
            self._closed = True
            if self._process is not None:
                try:
                    self._conn.send(None)  # ask the worker to exit; killed below if it does not
                    self._process.join(timeout=2)
                except (BrokenPipeError, EOFError, OSError):
                    pass
            self._kill()

    def _ensure_worker(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self._kill()
        parent_conn, child_conn = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main,
            args=(child_conn, WORKER_MEMORY_BYTES),
            name="rdr-search-document-reader",
            daemon=True,  # never outlive the app
        )
        _start_process(process)
        child_conn.close()  # the child holds its own copy; closing ours lets recv() see EOF when it dies
        self._process, self._conn = process, parent_conn
        self._finalizer = weakref.finalize(self, _stop, process, parent_conn)
        try:
            ready = parent_conn.poll(_WORKER_START_TIMEOUT_S) and parent_conn.recv()[0] == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._kill()
            raise DocumentError("the document reader could not start; skipped")

    def _kill(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # runs _stop once; the finalizer is then dead
            self._finalizer = None
        self._process, self._conn = None, None
