"""Take results away: the hits for a question as CSV, JSON or Markdown, each with a citation line.

Every format carries, per hit: rank, score, mode, document (title), source (file name), page, passage text and a
citation such as ``Title, p. 7 (file.pdf)``. The page is the best-matching sentence's page when the hit knows it,
else the passage's page range; documents without pages have none. Text only: no model, no web framework.

- CSV follows RFC 4180 (the csv module, CRLF line ends) and is safe to open in a spreadsheet: a text cell that
  starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``, so it can never be
  read as a formula (CSV injection). Numbers are written by this module and are never prefixed.
- JSON also carries the question, the search mode and when it was exported.
- Markdown is a table; characters that would end a cell or start inline markup are backslash-escaped and line
  breaks become spaces, so a passage always stays one cell.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from rdr_search.records import Hit

EXPORT_FORMATS: tuple[str, ...] = ("csv", "json", "md")
"""What :func:`export_hits` writes: CSV, JSON, Markdown."""

MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "md": "text/markdown"}
FIELDS: tuple[str, ...] = ("rank", "score", "mode", "document", "source", "page", "citation", "passage")
"""The fields of every exported hit, in column order."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")
_MAX_NAME_CHARS = 40


def hit_page(hit: Hit) -> str:
    """'p. 7' (the best sentence's page when known, else the passage's pages, e.g. 'pp. 3-4'); '' without pages."""
    if hit.sentence is not None:
        return hit.sentence.pages_label(hit.document_pages)
    return hit.pages


def citation(hit: Hit) -> str:
    """'Title, p. 7 (file.pdf)', or 'Title (file.txt)' for a document without pages."""
    title = hit.title.strip() or hit.source
    page = hit_page(hit)
    return f"{title}, {page} ({hit.source})" if page else f"{title} ({hit.source})"


def hit_record(hit: Hit) -> dict[str, object]:
    """One hit as the export's fields (see :data:`FIELDS`)."""
    return {
        "rank": hit.rank,
        "score": hit.score,
        "mode": hit.mode,
        "document": hit.title,
        "source": hit.source,
        "page": hit_page(hit),
        "citation": citation(hit),
        "passage": hit.text,
    }


def search_mode(hits: Sequence[Hit]) -> str:
    """The mode the hits were found with ('' for no hits; modes joined by '+' if they differ)."""
    return "+".join(dict.fromkeys(h.mode for h in hits))


def check_format(fmt: str) -> str:
    """``fmt`` lower-cased ('markdown' counts as 'md'); ValueError naming the formats otherwise."""
    value = fmt.strip().lower()
    value = "md" if value == "markdown" else value
    if value not in EXPORT_FORMATS:
        raise ValueError(f"The export format is one of {', '.join(EXPORT_FORMATS)} (got {fmt[:20]!r}).")
    return value


def export_hits(
    hits: Sequence[Hit], question: str, fmt: str, *, mode: str | None = None, exported_at: datetime | None = None
) -> str:
    """The hits for ``question`` as ``fmt`` (one of :data:`EXPORT_FORMATS`), best first.

    ``mode`` names how they were found (default: the hits' own); ``exported_at`` defaults to now (UTC).
    """
    fmt = check_format(fmt)
    records = [hit_record(h) for h in hits]
    if fmt == "csv":
        return _csv(records)
    when = (exported_at or datetime.now(UTC)).isoformat(timespec="seconds")
    found_by = search_mode(hits) if mode is None else mode
    if fmt == "json":
        payload = {"question": question, "mode": found_by, "exported_at": when, "hits": records}
        return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    return _markdown(records, question, found_by, when)


def export_bytes(hits: Sequence[Hit], question: str, fmt: str, *, mode: str | None = None) -> bytes:
    """:func:`export_hits` encoded for a file: UTF-8, CSV with a byte-order mark (so spreadsheets read the
    text as UTF-8, not as the local code page)."""
    text = export_hits(hits, question, fmt, mode=mode)
    return text.encode("utf-8-sig" if check_format(fmt) == "csv" else "utf-8")


def export_filename(question: str, fmt: str) -> str:
    """A safe file name for an export, e.g. 'rdr-search-who-invented-the-lens.csv'."""
    words = re.findall(r"[a-z0-9]+", question.lower())
    slug = "-".join(words)[:_MAX_NAME_CHARS].strip("-")
    return f"rdr-search-{slug or 'results'}.{check_format(fmt)}"


def safe_cell(value: object) -> object:
    """A CSV cell that a spreadsheet can never read as a formula: text starting with = + - @ (or a tab or
    carriage return) gets a leading quote; numbers pass as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv(records: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for record in records:
        writer.writerow({name: _plain(safe_cell(value)) for name, value in record.items()})
    return out.getvalue()


def _plain(value: object) -> object:
    return f"{value:.4f}" if isinstance(value, float) else value


def markdown_cell(value: object) -> str:
    """Text for one Markdown table cell: markup characters escaped, line breaks as spaces (one cell, one line)."""
    text = " ".join(str(_plain(value)).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _markdown(records: list[dict[str, object]], question: str, mode: str, when: str) -> str:
    head = ["Rank", "Score", "Mode", "Document", "Source", "Page", "Passage", "Citation"]
    keys = ["rank", "score", "mode", "document", "source", "page", "passage", "citation"]
    lines = [
        "# rdr-search results",
        "",
        f"- Question: {markdown_cell(question)}",
        f"- Mode: {markdown_cell(mode) or '-'}",
        f"- Exported: {when}",
        f"- Hits: {len(records)}",
        "",
        "| " + " | ".join(head) + " |",
        "|---:|---:|" + "---|" * (len(head) - 2),
    ]
    lines += ["| " + " | ".join(markdown_cell(r[k]) for k in keys) + " |" for r in records]
    return "\n".join(lines) + "\n"
