"""Showing a hit where it comes from: its PDF page drawn with the passage highlighted, or, for other formats (and
PDFs whose original is not kept), the passage inside the document text around it.

Every value that names what to show (passage id, page, sentence range) is checked against the stored passage,
so a request can only ever show a page or text of a document that holds that passage.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rdr_search.documents import DocumentReader, PageImage
from rdr_search.errors import DocumentError, QueryError
from rdr_search.library.originals import Originals
from rdr_search.records import Span
from rdr_search.settings import Settings
from rdr_search.store import Store
from rdr_search.store.excerpts import Excerpt, passage_excerpts

CONTEXT_CHARS = 600
"""Characters of document text shown on each side of a passage in a context view."""
GONE = "That passage is no longer in the library (its document was removed or replaced); search again."


@dataclass(frozen=True)
class PassageView:
    """A passage shown in place: ``image`` is its page (PDFs with a kept original), else None and ``excerpt``
    (always there) holds the text around it; ``note`` says why a page could not be drawn."""

    passage_id: int
    source: str
    title: str
    kind: str
    document_pages: int
    span: Span
    sentence: Span | None
    excerpt: Excerpt
    page: int
    image: PageImage | None = None
    note: str = ""


def view_passage(
    store: Store,
    originals: Originals,
    reader: DocumentReader,
    settings: Settings,
    passage_id: int,
    *,
    page: int | None = None,
    sentence: tuple[int, int] | None = None,
) -> PassageView:
    """The view of one passage: ``page`` (default: the sentence's, else the passage's first) must be one of the
    document's pages; ``sentence`` (document offsets) is marked when it lies inside the passage."""
    records = store.passages_by_ids([passage_id])
    excerpts = passage_excerpts(store, [passage_id], CONTEXT_CHARS)
    if passage_id not in records or passage_id not in excerpts:
        raise QueryError(GONE)
    record, excerpt = records[passage_id], excerpts[passage_id]
    span = record.span
    marked = _sentence_span(excerpt, span, sentence)
    shown = page if page is not None else (marked.page_start if marked else span.page_start)
    if not 1 <= shown <= max(1, record.document_pages):
        raise QueryError(f"Page {shown} is not a page of {record.source} (it has {record.document_pages}).")
    view = PassageView(
        passage_id, record.source, record.document_title, record.document_kind, record.document_pages, span,
        marked, excerpt, shown,
    )  # fmt: skip
    original = originals.path(excerpt.content_hash, record.document_kind)
    if original is None:
        note = (
            "The original PDF is not kept in this library; the passage is shown in its text."
            if (record.document_kind == "pdf")
            else ""
        )
        return replace(view, note=note)
    marks = [("passage", _on_page(excerpt, span.char_start, span.char_end, shown))]
    if marked is not None:
        marks.append(("sentence", _on_page(excerpt, marked.char_start, marked.char_end, shown)))
    try:
        image = reader.render_page(
            original, shown, [m for m in marks if m[1]], settings.page_max_side, settings.page_timeout_s
        )
    except DocumentError as exc:
        return replace(view, note=f"The page could not be drawn ({exc}); the passage is shown in its text.")
    return replace(view, image=image)


def _sentence_span(excerpt: Excerpt, span: Span, sentence: tuple[int, int] | None) -> Span | None:
    """The requested sentence range as a span, when it lies inside the passage (else it is ignored)."""
    if sentence is None:
        return None
    start, end = sentence
    if not span.char_start <= start < end <= span.char_end:
        return None
    return Span(excerpt.page_at(start), excerpt.page_at(end - 1), start, end)


def _on_page(excerpt: Excerpt, start: int, end: int, page: int) -> str:
    """The part of document text ``start``..``end`` that lies on ``page``."""
    page_start, page_end = excerpt.page_range(page)
    return excerpt.piece(max(start, page_start), min(end, page_end)).strip()
