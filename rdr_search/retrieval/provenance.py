"""Where a hit comes from: the sentence of each ranked passage closest to the question, and its page.

How "closest" is measured, and why. A passage's sentences are scored by the question's words they contain,
each word weighted by how rare it is among the passage's own sentences (``log(1 + n / df)``; words compared by
their first five letters, so "invented" meets "invention"); ties, including a question that shares no word with
any sentence, are broken by the retriever itself: the tied sentences are encoded with the context encoder (as
passages are, with their title) and the one with the highest inner product with the question vector wins.

Measured on squad-dev-a (``python -m benchmarks.bench_sentence``; the answer-bearing sentence is the right
one, passages with two or more sentences of which not all hold the answer): first sentence 33 %, semantic
alone (all-MiniLM-L6-v2) 77 %, words alone 83-84 %, words then the encoder on ties 85 %. Words lead because
people ask for names, numbers and phrases they expect to find; the encoder decides when words cannot. Scoring
words costs microseconds; the encoder is run only on ties (about one passage in ten there), a few short
sentences, so the extra encoding stays far below the cost of re-encoding whole passages for every hit.

Sentences are the chunker's own (``Chunker.sentence_spans``) over the passage's stored document text, so each
carries its exact character range and the page it starts on: a passage that crosses pages gets the page of its
best sentence, not only its page range.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from rdr_search.chunking import Chunker
from rdr_search.records import Hit, Span
from rdr_search.store import Store
from rdr_search.store.excerpts import passage_excerpts

if TYPE_CHECKING:
    from typing import TypeAlias

    from rdr_search.encoders.pair import EncoderPair

    Encoders: TypeAlias = EncoderPair | Callable[[], EncoderPair] | None
    """The pair, or a function that loads it (called only when a tie needs it)."""

STEM_CHARS = 5
"""Words are compared by this many leading characters (a cheap stemmer; 4-7 were measured, 5 was best)."""
_WORD = re.compile(r"\w+")
_IGNORED_TEXT = """a an and are as at be been by can could did do does for from had has have how i if in into is it its
    me my not of on or so than that the their them then there these they this those to was we were what when
    where which who whom whose why will with would you your"""
_IGNORED = frozenset(_IGNORED_TEXT.split())


def _terms(text: str) -> set[str]:
    return {w[:STEM_CHARS] for w in _WORD.findall(text.lower()) if w not in _IGNORED}


def word_scores(question: str, sentences: Sequence[str]) -> list[float]:
    """Per sentence: the summed weight of the question's words it holds, each ``log(1 + n / df)`` over the
    ``n`` sentences (a word in every sentence says little about which one answers)."""
    wanted = _terms(question)
    held = [_terms(s) & wanted for s in sentences]
    df = Counter(t for terms in held for t in terms)
    n = len(sentences)
    return [sum(math.log(1 + n / df[t]) for t in terms) for terms in held]


def best_sentences(
    question: str, passages: Sequence[tuple[str, Sequence[str]]], encoders: Encoders = None
) -> list[int]:
    """For each (title, sentences) passage, the index of its sentence closest to the question (see the module
    docstring). ``encoders`` is the pair (or a function that loads it, called only when a tie needs it); without
    it a tie goes to the earliest sentence."""
    best: list[int] = []
    tied: dict[int, list[int]] = {}
    for p, (_, sentences) in enumerate(passages):
        scores = word_scores(question, sentences)
        top = max(scores, default=0.0)
        candidates = [i for i, s in enumerate(scores) if s == top]
        best.append(candidates[0] if candidates else 0)
        if len(candidates) > 1:
            tied[p] = candidates
    if encoders is not None and tied:
        pair = encoders if not callable(encoders) else encoders()
        titles = [passages[p][0] for p, idx in tied.items() for _ in idx]
        texts = [passages[p][1][i] for p, idx in tied.items() for i in idx]
        vectors = pair.encode_passages(titles, texts)
        scores = vectors @ pair.encode_questions([question])[0]
        offset = 0
        for p, idx in tied.items():
            best[p] = idx[int(np.argmax(scores[offset : offset + len(idx)]))]
            offset += len(idx)
    return best


def locate_sentences(
    hits: Sequence[Hit], question: str, store: Store, chunker: Chunker, encoders: Encoders = None
) -> list[Hit]:
    """``hits`` with ``sentence`` (page and character range in the document) and ``sentence_text`` set to each
    passage's sentence closest to ``question``; hits whose passage is gone meanwhile are returned as they are."""
    if not hits:
        return list(hits)
    excerpts = passage_excerpts(store, [h.passage_id for h in hits])
    found: list[tuple[int, list[tuple[int, int]], str]] = []  # (hit index, sentence spans, excerpt text)
    for i, hit in enumerate(hits):
        excerpt = excerpts.get(hit.passage_id)
        if excerpt is None:
            continue
        spans = chunker.sentence_spans(excerpt.text) or [(0, len(excerpt.text))]
        found.append((i, spans, excerpt.text))
    choices = best_sentences(
        question, [(hits[i].title, [text[a:b] for a, b in spans]) for i, spans, text in found], encoders
    )
    out = list(hits)
    for (i, spans, text), choice in zip(found, choices, strict=True):
        excerpt = excerpts[hits[i].passage_id]
        start, end = spans[choice]
        sentence = Span(
            excerpt.page_at(excerpt.start + start), excerpt.page_at(excerpt.start + end - 1),
            excerpt.start + start, excerpt.start + end,
        )  # fmt: skip
        out[i] = replace(hits[i], sentence=sentence, sentence_text=" ".join(text[start:end].split()))
    return out
