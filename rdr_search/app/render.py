"""All HTML the app shows: result cards, banners, notices, tables' rows. Everything from documents is escaped here.

No other module of the app builds HTML; the service returns data and the tabs hand it to these functions.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rdr_search.library import AddResult, Hit, LibraryDocument
from rdr_search.library.views import CONTEXT_CHARS, PassageView

EMPTY_LIBRARY = "The library is empty — add documents"
NO_RESULTS = "No results"
TYPE_A_QUESTION = "Type a question"

OUTCOME_HEADERS = ["File", "Status", "Passages", "Pages", "Message"]
DOCUMENT_HEADERS = ["Document", "Title", "Type", "Pages", "Passages", "Size", "Added"]

# Words too common to be worth highlighting; words shorter than MIN_HIGHLIGHT_CHARS are skipped as well.
_STOPWORDS_TEXT = """
    a about above after again against all am an and any are as at be because been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her here hers him
    his how i if in into is it its itself just me more most my no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would you your
    yours"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
MIN_HIGHLIGHT_CHARS = 3


def question_terms(question: str) -> list[str]:
    """Lower-cased words of the question worth highlighting: no stopwords, no very short words."""
    words = re.findall(r"\w+", question.lower())
    return sorted({w for w in words if len(w) >= MIN_HIGHLIGHT_CHARS and w not in STOPWORDS}, key=len, reverse=True)


def highlight(text: str, question: str) -> str:
    """``text`` HTML-escaped, with the question's words wrapped in <mark> (case-insensitive, whole words).

    Matches are found on the raw text and each piece is escaped on its own, so a mark can never land inside
    an entity such as ``&amp;`` (which a regex over already-escaped text could do for the word "amp").
    """
    terms = question_terms(question)
    if not terms:
        return _escape(text)
    # Plural and singular both match: "kites" marks "kite" and "kites".
    stems = {t[:-1] if t.endswith("s") and not t.endswith("ss") and len(t) > MIN_HIGHLIGHT_CHARS else t for t in terms}
    alternatives = "|".join(re.escape(t) for t in sorted(stems, key=len, reverse=True))
    pattern = re.compile(r"\b(?:" + alternatives + r")(?:s|es)?\b", re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(_escape(text[last : match.start()]))
        out.append(f"<mark>{_escape(match.group(0))}</mark>")
        last = match.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def _escape(text: str) -> str:
    # "$" too, so no client-side template syntax can ever be formed from document text.
    return html.escape(text, quote=True).replace("$", "&#36;")


def notice(message: str, kind: str = "info") -> str:
    return f'<div class="rdr-empty rdr-{kind}" data-state="{kind}">{_escape(message)}</div>'


SCORE_MEANING = {
    "dense": "DPR inner product (higher is closer)",
    "keyword": "BM25 (higher: more of the rarer words)",
    "hybrid": "meaning and words fused (1 = best on both)",
}


def render_hits(
    hits: Sequence[Hit], question: str, other: Mapping[int, int] | None = None, *, group: bool = False
) -> str:
    """Result cards: rank, score, title, source, page and the passage with the question's words marked.

    ``other`` (compare view) maps passage ids to their rank in the other ranking; each card then says where
    its passage stands there ("#3 in the other ranking" or "not in the other top-k"); otherwise each card has a
    button that opens the passage where it comes from (see ``page_view``). ``group`` puts each
    document's best passage first and its other passages under "n more in this document" (see :func:`group_hits`).
    """
    if not question.strip():
        return notice(TYPE_A_QUESTION)
    if not hits:
        return notice(NO_RESULTS)
    sources = len({h.source for h in hits})
    meaning = SCORE_MEANING.get(hits[0].mode, SCORE_MEANING["dense"])
    summary = (
        f'<div class="rdr-summary">{len(hits)} passage{"s" if len(hits) != 1 else ""} from {sources} '
        f"document{'s' if sources != 1 else ''} · score = {meaning}</div>"
    )
    # A list a screen reader announces and walks ("list, 5 items"), each card headed by its title; grouped, each
    # item is a document's best card with its other passages in a nested list under a disclosure.
    if not group:
        return summary + _hit_list(_card(hit, question, other, meaning) for hit in hits)
    items = []
    for best, *more in group_hits(hits):
        item = _card(best, question, other, meaning)
        if more:
            label = f"{len(more)} more in this document"
            item += (
                f'<details class="rdr-more" data-source="{_escape(best.source)}"><summary>{label}</summary>'
                + _hit_list((_card(hit, question, other, meaning) for hit in more), label)
                + "</details>"
            )
        items.append(item)
    return summary + _hit_list(items)


def _hit_list(items: Iterable[str], label: str = "Results") -> str:
    # role=list: Safari drops the list role of a list styled without bullets.
    body = "".join(f"<li>{item}</li>" for item in items)
    return f'<ol class="rdr-hits" role="list" aria-label="{_escape(label)}">{body}</ol>'


def group_hits(hits: Sequence[Hit]) -> list[list[Hit]]:
    """Hits by document: one list per source, in the order of each document's best hit, best first within."""
    groups: dict[str, list[Hit]] = {}
    for hit in sorted(hits, key=lambda h: h.rank):
        groups.setdefault(hit.source, []).append(hit)
    return list(groups.values())


def _card(hit: Hit, question: str, other: Mapping[int, int] | None, meaning: str) -> str:
    return (
        f'<article class="rdr-hit" data-rank="{hit.rank}" data-source="{_escape(hit.source)}">'
        '<div class="rdr-hit-head">'
        f'<span class="rdr-rank">#{hit.rank}</span>'
        f'<h2 class="rdr-title">{_escape(hit.title)}</h2>{INDEXING_BADGE if hit.indexing else ""}'
        f'<span class="rdr-score" title="{_escape(hit.mode)}: {meaning}">score {hit.score:.2f}</span>'
        "</div>"
        f'<div class="rdr-meta"><span class="rdr-source">{_escape(hit.source)}</span>{_page_label(hit)}'
        f"{_ocr_badge(hit)}{_other_rank(hit, other) if other is not None else _show_button(hit)}</div>"
        f'<p class="rdr-text">{_passage_text(hit, question)}</p>'
        "</article>"
    )


def _ocr_badge(hit: Hit) -> str:
    """ "OCR" beside the page of a hit read from a scanned page: its text may hold recognition errors."""
    if not hit.ocr:
        return ""
    return '<span class="rdr-ocr" title="Read with OCR from a scanned page; may hold recognition errors">OCR</span>'


INDEXING_BADGE = (
    '<span class="rdr-indexing" title="This document is still being indexed: more of it may match soon">'
    "still being indexed</span>"
)


def _page_label(hit: Hit) -> str:
    """The best sentence's page ("p. 7"), with the passage's range beside it when that is wider."""
    if not hit.pages:
        return ""
    if hit.sentence is None:
        return f'<span class="rdr-page">{_escape(hit.pages)}</span>'
    label = hit.sentence.pages_label(hit.document_pages)
    wider = f' <span class="rdr-page-range">(passage {_escape(hit.pages)})</span>' if label != hit.pages else ""
    return f'<span class="rdr-page" title="Page of the sentence closest to the question">{_escape(label)}</span>{wider}'


def _show_button(hit: Hit) -> str:
    """A real button (Enter and Space work) that opens the hit's page (PDFs) or its place in the text."""
    span = hit.sentence or hit.span
    what = "page" if hit.kind == "pdf" else "in context"
    return (
        f'<button type="button" class="rdr-show" id="rdr-show-{hit.passage_id}" data-passage="{hit.passage_id}" '
        f'data-page="{span.page_start}" data-start="{span.char_start}" data-end="{span.char_end}" '
        f'aria-label="Show {what}: #{hit.rank} {_escape(hit.source)}">Show {what}</button>'
    )


def _passage_text(hit: Hit, question: str) -> str:
    """The passage with the question's words marked and its best sentence set apart."""
    at = hit.text.find(hit.sentence_text) if hit.sentence_text else -1
    if at < 0:
        return highlight(hit.text, question)
    end = at + len(hit.sentence_text)
    return (
        f"{highlight(hit.text[:at], question)}"
        f'<span class="rdr-best" title="The sentence closest to the question">{highlight(hit.text[at:end], question)}'
        f"</span>{highlight(hit.text[end:], question)}"
    )


def render_passage_view(view: PassageView) -> str:
    """A hit where it comes from: its page as an image with the passage highlighted (PDFs), or the passage
    marked inside the text around it; a heading, a legend and a Close button (Escape closes it too)."""
    where = f"p. {view.page} of {view.document_pages}" if view.document_pages > 1 else ""
    kind = "page" if view.image is not None else "context"
    note = f'<p class="rdr-view-note">{_escape(view.note)}</p>' if view.note else ""
    body = _page_image(view) if view.image is not None else _context(view)
    legend = "passage" if view.sentence is None else "passage; darker: the sentence closest to the question"
    return (
        f'<section class="rdr-view" tabindex="-1" aria-labelledby="rdr-view-title" data-kind="{kind}" '
        f'data-passage="{view.passage_id}" data-page="{view.page}" data-return="rdr-show-{view.passage_id}">'
        f'<div class="rdr-view-head"><h2 id="rdr-view-title">{_escape(view.title)}</h2>'
        f'<span class="rdr-source">{_escape(view.source)}</span><span class="rdr-page">{where}</span>'
        '<button type="button" class="rdr-view-close" data-action="close">Close</button></div>'
        f'<p class="rdr-view-legend">Highlighted: the {legend}.</p>{note}{body}</section>'
    )


def _page_image(view: PassageView) -> str:
    image = view.image
    assert image is not None
    data = base64.b64encode(image.png).decode("ascii")
    boxes = json.dumps([[*box[:4], box[4]] for box in image.boxes])
    alt = f"Page {image.page} of {view.source}, the passage highlighted"
    return (
        f'<img class="rdr-page-image" src="data:image/png;base64,{data}" width="{image.width}" '
        f'height="{image.height}" alt="{_escape(alt)}" data-boxes="{_escape(boxes)}">'
    )


def _context(view: PassageView) -> str:
    """The document text around the passage, the passage marked and its best sentence marked more strongly."""
    excerpt, span, sentence = view.excerpt, view.span, view.sentence
    inner = (sentence.char_start, sentence.char_end) if sentence else (span.char_end, span.char_end)
    before = ("…" if excerpt.start > 0 else "") + excerpt.piece(excerpt.start, span.char_start)
    after = excerpt.piece(span.char_end, excerpt.end) + ("…" if excerpt.end - span.char_end >= CONTEXT_CHARS else "")
    marked = (
        _escape(excerpt.piece(span.char_start, inner[0]))
        + (f'<mark class="rdr-sentence">{_escape(excerpt.piece(*inner))}</mark>' if sentence else "")
        + _escape(excerpt.piece(inner[1], span.char_end))
    )
    return f'<div class="rdr-context">{_escape(before)}<mark class="rdr-passage">{marked}</mark>{_escape(after)}</div>'


def _other_rank(hit: Hit, other: Mapping[int, int] | None) -> str:
    if other is None:
        return ""
    rank = other.get(hit.passage_id)
    if rank is None:
        return '<span class="rdr-other rdr-other-missing" data-other-rank="">not in the other top-k</span>'
    if rank == hit.rank:
        kind, arrow = "same", "="
    elif rank > hit.rank:
        kind, arrow = "lower", "↓"
    else:
        kind, arrow = "higher", "↑"
    title = f"The other pair ranks this passage #{rank}"
    return (
        f'<span class="rdr-other rdr-other-{kind}" data-other-rank="{rank}" title="{title}">'
        f"{arrow} #{rank} in the other ranking</span>"
    )


def other_ranks(hits: Sequence[Hit]) -> dict[int, int]:
    """Passage id -> rank in ``hits`` (to mark each card with its rank in the other column)."""
    return {h.passage_id: h.rank for h in hits}


def render_compare_head(side: str, description: str) -> str:
    """A compare column's heading: which side and the pair's name/description (escaped)."""
    name, _, rest = description.partition(": ")
    detail = f'<div class="rdr-compare-detail">{_escape(rest)}</div>' if rest else ""
    return (
        f'<div class="rdr-compare-head"><span class="rdr-compare-side">{_escape(side)}</span>'
        f'<span class="rdr-compare-name">{_escape(name)}</span>{detail}</div>'
    )


def render_status(state: str, message: str, scope: str, compare: tuple[str, str] | None = None) -> str:
    """The model banner: loading / ready / failed (the failure message names the fix).

    ``compare`` is the compare pair's (state, message): once ready it is named below the main pair, and a
    failure of its own gets its own line while the banner stays "ready" for the main search.
    """
    if state == "loading":
        body = (
            f"<strong>{_escape(message)}</strong> The page works meanwhile; searching and indexing start when "
            "they are ready."
        )
    elif state == "failed":
        body = f"<strong>The models could not be loaded.</strong><div class='rdr-banner-msg'>{_escape(message)}</div>"
    else:
        body = f"<strong>Models ready.</strong> {_escape(message)}"
        if compare is not None and compare[0] == "ready":
            body += (
                f"<div class='rdr-banner-compare' data-compare-state='ready'>Compare pair: {_escape(compare[1])}</div>"
            )
        elif compare is not None:
            body += (
                "<div class='rdr-banner-compare rdr-banner-compare-failed' data-compare-state='failed'>"
                "<strong>The compare pair could not be loaded</strong> (search works; the Compare tab does not)."
                f"<div class='rdr-banner-msg'>{_escape(compare[1])}</div></div>"
            )
        body += f"<span class='rdr-scope'>{_escape(scope)}</span>"
    return f'<div class="rdr-banner rdr-banner-{state}" data-state="{state}">{body}</div>'


def outcome_rows(result: AddResult) -> list[list[Any]]:
    return [[o.source, o.status, o.passages or "", o.pages or "", o.message] for o in result.outcomes]


def document_rows(documents: Sequence[LibraryDocument]) -> list[list[Any]]:
    return [
        [d.source, d.title, d.kind, d.pages, _passages(d), _size(d.size_bytes), _when(d.added_at)] for d in documents
    ]


def _passages(document: LibraryDocument) -> int | str:
    """A document still being indexed shows how far it got (its passages so far) and says so."""
    return document.passages if document.state == "ready" else f"{document.passages} so far (still being indexed)"


def _size(size: int) -> str:
    return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def _when(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def add_summary(result: AddResult, *, samples: bool = False) -> str:
    if not result.outcomes:
        return ""
    ok = sum(1 for o in result.outcomes if o.ok)
    failed = result.count("failed")
    what = "Sample documents" if samples else "Files"
    tail = " Go to the Search tab to ask a question." if ok else ""
    text = f"{what}: {result.summary()}.{tail}"
    return notice(text, "error" if failed and not ok else "info")


STYLE = "<style>\n" + (Path(__file__).parent / "static" / "style.css").read_text(encoding="utf-8") + "</style>"

HEADER = """
<div id="rdr-header">
<h1>rdr-search</h1>
<p>Semantic search over your own documents with the RDR retriever (DPR distilled from its reader).
Add documents, then ask a question in plain words: passages are ranked by meaning and by your exact words.</p>
</div>
"""

EXAMPLE_QUESTIONS = [
    "How do honeybees tell each other where flowers are?",
    "Who invented the lens used in lighthouses?",
    "What water temperature is best for green tea?",
    "Why was 1816 called the year without a summer?",
]
