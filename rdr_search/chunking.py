"""Documents -> passages: whole sentences gathered to about ``passage_words`` words.

DPR cut Wikipedia into disjoint 100-word blocks; we keep the length but cut at sentence boundaries
(sentence-splitter), so a passage never ends mid-sentence unless one sentence alone is over budget.
Every passage records its page range and its character span in the document's normalised text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sentence_splitter import SentenceSplitter, SentenceSplitterException

from rdr_search.errors import RdrSearchError
from rdr_search.records import Span
from rdr_search.settings import Settings

_WORD = re.compile(r"\S+")
_SPACE = re.compile(r"\s+")
# A line that starts a block of its own (heading, list item, table row) is never glued to the previous one.
_BLOCK_START = re.compile(r"^\s*(#{1,6}\s|[-*+•]\s|\d{1,3}[.)]\s|\|)")
_HYPHEN_END = re.compile(r"(\w)[-\u00ad]$")
PARAGRAPH_BREAK = "\n\n"


@dataclass(frozen=True)
class Passage:
    """A retrievable piece of a document, with where it came from."""

    ordinal: int
    title: str
    text: str
    span: Span


@dataclass(frozen=True)
class NormalizedText:
    """A document's text after line joining, with the offset where each page starts (pages are 1-based)."""

    text: str
    page_starts: tuple[int, ...]

    def page_at(self, offset: int) -> int:
        return bisect.bisect_right(self.page_starts, offset)


def normalize_page(page: str) -> str:
    """Join wrapped lines and hyphenated line breaks; keep paragraph breaks as blank lines."""
    paragraphs: list[str] = []
    current = ""
    for raw_line in page.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw_line.strip()
        if not line or _BLOCK_START.match(raw_line):
            if current:
                paragraphs.append(current)
            current = line
            continue
        if not current:
            current = line
        elif _HYPHEN_END.search(current) and line[:1].islower():
            current = current[:-1] + line  # "retrie-\nver" was one word broken by the layout
        else:
            current = f"{current} {line}"
    if current:
        paragraphs.append(current)
    return PARAGRAPH_BREAK.join(_SPACE.sub(" ", p) for p in paragraphs)


def normalize_pages(pages: Sequence[str]) -> NormalizedText:
    """The whole document as one string, with page start offsets."""
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for page in pages:
        starts.append(offset)
        text = normalize_page(page)
        if text:
            parts.append(text)
            offset += len(text) + len(PARAGRAPH_BREAK)
    return NormalizedText(PARAGRAPH_BREAK.join(parts), tuple(starts))


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    words: int


class Chunker:
    """Cuts normalised document text into passages; holds the sentence splitter for its language."""

    def __init__(self, settings: Settings) -> None:
        if settings.passage_words < 1:
            raise RdrSearchError("passage_words must be at least 1.")
        try:
            self._splitter = SentenceSplitter(language=settings.language)
        except SentenceSplitterException as exc:
            raise RdrSearchError(f"Sentence splitting does not support language '{settings.language}': {exc}") from exc
        self.settings = settings

    def _segments(self, text: str) -> list[tuple[int, int]]:
        """Spans of paragraphs, each cut to at most ``segment_chars`` at a space (the splitter is super-linear)."""
        spans: list[tuple[int, int]] = []
        limit = self.settings.segment_chars
        for match in re.finditer(r"[^\n]+", text):
            start, end = match.span()
            while end - start > limit:
                cut = text.rfind(" ", start + 1, start + limit)
                cut = cut if cut > start else start + limit
                spans.append((start, cut))
                start = cut
            spans.append((start, end))
        return spans

    def sentence_spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each sentence of ``text``, split as passages are (a sentence over the word budget
        comes in budget-sized runs), so the sentences of a passage's own text are the ones it was built from."""
        return [(s.start, s.end) for s in self._sentences(text)]

    def _sentences(self, text: str) -> Iterator[_Sentence]:
        """Lazily, segment by segment, so the first passages of a long document come before the rest is split."""
        for seg_start, seg_end in self._segments(text):
            segment = text[seg_start:seg_end]
            cursor = 0
            for sentence in self._splitter.split(segment):
                sentence = sentence.strip()
                if not sentence:
                    continue
                found = segment.find(sentence, cursor)
                if found < 0:  # the splitter altered spacing; fall back to the words' own positions
                    found = cursor
                    end = min(len(segment), cursor + len(sentence))
                else:
                    end = found + len(sentence)
                cursor = end
                for start, stop, words in self._hard_split(segment, found, end):
                    yield _Sentence(seg_start + start, seg_start + stop, words)

    def _hard_split(self, segment: str, start: int, end: int) -> list[tuple[int, int, int]]:
        """A sentence over the word budget is cut into budget-sized runs of words."""
        words = [m.span() for m in _WORD.finditer(segment, start, end)]
        if not words:
            return []
        budget = self.settings.passage_words
        if len(words) <= budget:
            return [(words[0][0], words[-1][1], len(words))]
        return [
            (words[i][0], words[min(i + budget, len(words)) - 1][1], min(budget, len(words) - i))
            for i in range(0, len(words), budget)
        ]

    def split(self, title: str, pages: Sequence[str]) -> tuple[NormalizedText, list[Passage]]:
        """Normalise pages and cut them into passages (never empty, never across documents)."""
        normalized = normalize_pages(pages)
        return normalized, list(self.iter_passages(title, normalized))

    def iter_passages(self, title: str, normalized: NormalizedText) -> Iterator[Passage]:
        """The passages of normalised text, in order, cut as they are asked for (the same ones as ``split``)."""
        text = normalized.text
        ordinal = 0
        for group in self._groups(self._sentences(text)):
            start, end = group[0].start, group[-1].end
            body = _SPACE.sub(" ", text[start:end]).strip()
            if not body:
                continue
            span = Span(normalized.page_at(start), normalized.page_at(max(start, end - 1)), start, end)
            yield Passage(ordinal=ordinal, title=title, text=body, span=span)
            ordinal += 1

    def _groups(self, sentences: Iterator[_Sentence]) -> Iterator[list[_Sentence]]:
        """Sentences gathered up to the word budget, with ``overlap_sentences`` carried into the next group."""
        budget = self.settings.passage_words
        overlap = self.settings.overlap_sentences
        current: list[_Sentence] = []
        words = 0
        for sentence in sentences:
            if current and words + sentence.words > budget:
                yield current
                carried = current[-overlap:] if overlap else []
                if sum(s.words for s in carried) + sentence.words > budget:
                    carried = []
                current, words = list(carried), sum(s.words for s in carried)
            current.append(sentence)
            words += sentence.words
        if current:
            yield current
