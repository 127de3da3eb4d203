"""DOCX: body paragraphs and tables in document order; the title from core properties, else the first heading.

A .docx is a zip: python-docx inflates its XML parts in memory, so a small file that inflates to gigabytes (a zip
bomb) would exhaust memory. The total uncompressed size is refused above max(floor, ratio x file size), capped:
real documents inflate a few times (text XML) or not at all (images).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from rdr_search.documents.cleaning import metadata_title
from rdr_search.errors import DocumentError

_MIB = 1024 * 1024
DOCX_EXPANSION_FLOOR = 200 * _MIB
DOCX_EXPANSION_RATIO = 100
DOCX_EXPANSION_CAP = 1024 * _MIB

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_NO_WORD_DOCUMENT = "not a valid .docx (a zip archive without a Word document inside)"


def expansion_limit(file_size: int) -> int:
    """The most a .docx of ``file_size`` bytes may inflate to before it is refused as a zip bomb."""
    return min(DOCX_EXPANSION_CAP, max(DOCX_EXPANSION_FLOOR, DOCX_EXPANSION_RATIO * file_size))


def parse(data: bytes) -> tuple[str | None, list[str]]:
    """The body text as one page; the title from core properties, else the first heading paragraph."""
    _check_archive(data)
    document = _open(data)
    blocks: list[str] = []
    heading: str | None = None
    for kind, text, style in _blocks(document):
        if not text.strip():
            continue
        blocks.append(text)
        if heading is None and kind == "p" and style.lower().startswith(("heading", "title")):
            heading = text
    if not blocks:
        raise DocumentError("no text found")
    return _core_title(document) or heading, ["\n\n".join(blocks)]


def _check_archive(data: bytes) -> None:
    """Refuse what is not a Word zip, or would inflate too far, before python-docx inflates anything."""
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
        if expanded > expansion_limit(len(data)):
            raise DocumentError(f"refused: .docx expands to {expanded // _MIB:,} MB (zip bomb?)")
        if "[Content_Types].xml" not in archive.namelist():  # not an Office (OPC) package at all
            raise DocumentError(_NO_WORD_DOCUMENT)


def _open(data: bytes) -> Any:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        return docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError):
        raise DocumentError(_NO_WORD_DOCUMENT) from None
    except XMLSyntaxError:
        # libxml2 also reports running out of (capped) memory this way.
        raise DocumentError("not a valid .docx (its XML is damaged or too large to read)") from None


def _core_title(document: Any) -> str | None:
    try:
        raw = document.core_properties.title
    except Exception:  # broken docProps: fall back to the heading
        return None
    return metadata_title(raw)


def _blocks(document: Any) -> Iterator[tuple[str, str, str]]:
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
            yield "tbl", _table_text(Table(element, document)), ""
        elif tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}smartTag"):
            stack.extend(reversed([child for child in element if child.tag != f"{_W}sdtPr"]))


def _table_text(table: Any) -> str:
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
            nested = [_table_text(t) for t in cell.tables]
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
