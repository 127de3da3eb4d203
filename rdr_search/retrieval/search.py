"""A library search in any mode (dense, keyword, hybrid) under any filters, as hits.

Filters and phrases narrow the passages before ranking, in every mode: keyword search asks SQL for the
passages in scope; dense search asks the index to search only the allowed passage ids.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from rdr_search.index import VectorIndex
from rdr_search.records import Hit, SearchFilters, SearchMode
from rdr_search.retrieval.hybrid import DEFAULT_FUSION, Fusion, Scores, hybrid_ranking
from rdr_search.retrieval.keyword import KeywordQuery, keyword_ranking, phrase_matches
from rdr_search.store import Store, fts
from rdr_search.store import filters as sql_filters

if TYPE_CHECKING:
    from rdr_search.encoders.pair import EncoderPair

SPARE_HITS = 8
"""Passages may be removed between ranking and the row lookup: rank a few spare."""


@dataclass(frozen=True)
class SearchRequest:
    """One question to rank passages for (non-empty, already checked for length)."""

    question: str
    k: int
    mode: SearchMode = SearchMode.HYBRID
    filters: SearchFilters = SearchFilters()
    fusion: Fusion = DEFAULT_FUSION


class IndexCandidates:
    """Both halves' scores for one request, over a vector index and the keyword index in ``db`` (a library's,
    or a collection's). The question is encoded at most once, and only when a dense score is needed: keyword
    search loads no model. A ``vector`` given (evaluation encodes questions in batches) is used as is; without
    an ``index`` only keyword search can run (a collection evaluated without encoders)."""

    def __init__(
        self,
        request: SearchRequest,
        encoders: Callable[[], EncoderPair],
        index: VectorIndex | None,
        db: sqlite3.Connection,
        vector: np.ndarray | None = None,
    ) -> None:
        self.request = request
        self.query = KeywordQuery.parse(request.question)
        self._encoders = encoders
        self._index = index
        self._db = db
        if vector is not None:
            self._vector = vector
        self.scope = sql_filters.keyword_scope(request.filters)
        self.exact: set[int] | None = None
        """Passages holding the question's phrases word for word (keyword and hybrid modes, when it has any)."""
        self.allowed: np.ndarray | None = None
        """The only passage ids dense search may return; None: any."""
        if self.query.phrases and request.mode != SearchMode.DENSE:
            self.exact = phrase_matches(db, self.query, self.scope)
            self.allowed = np.fromiter(sorted(self.exact), dtype=np.int64)
        elif not request.filters.empty:
            self.allowed = sql_filters.passage_ids(db, request.filters)

    @cached_property
    def _vector(self) -> np.ndarray:
        return self._encoders().encode_questions([self.request.question])

    def _search(self, n: int, ids: np.ndarray | None) -> Scores:
        assert self._index is not None, "dense scores need a vector index"
        scores, found = self._index.search(self._vector, n, ids=ids)
        return {int(i): float(s) for s, i in zip(scores[0], found[0], strict=True) if i >= 0}

    def dense(self, n: int) -> Scores:
        if self.allowed is not None and len(self.allowed) == 0:
            return {}
        return self._search(n, self.allowed)

    def dense_scores(self, ids: Sequence[int]) -> Scores:
        return self._search(len(ids), np.asarray(ids, dtype=np.int64)) if len(ids) else {}

    def keyword(self, n: int) -> Scores:
        return dict(keyword_ranking(self._db, self.query, n, self.scope, self.exact))

    def keyword_scores(self, ids: Sequence[int]) -> Scores:
        if self.query.empty:
            return dict.fromkeys(ids, 0.0)
        return fts.scores_of(self._db, self.query.expression(), ids)


def ranking(candidates: IndexCandidates) -> list[tuple[int, float]]:
    """(passage id, score) best first: at least k + spare where the library has them."""
    request = candidates.request
    if request.mode == SearchMode.HYBRID:  # every candidate of both halves: at least max(k, depth) of them
        return hybrid_ranking(candidates, request.k, request.fusion)
    depth = request.k + SPARE_HITS
    ranked = candidates.dense(depth) if request.mode == SearchMode.DENSE else candidates.keyword(depth)
    return sorted(ranked.items(), key=lambda item: (-item[1], item[0]))


def to_hits(ranked: Sequence[tuple[int, float]], k: int, store: Store, mode: str) -> list[Hit]:
    """The first ``k`` ranked passages that still exist, as hits."""
    records = store.passages_by_ids([pid for pid, _ in ranked[: k + SPARE_HITS]])
    hits: list[Hit] = []
    for pid, score in ranked:
        record = records.get(pid)
        if record is None:
            continue
        hits.append(
            Hit(
                rank=len(hits) + 1,
                score=score,
                text=record.text,
                title=record.document_title,
                source=record.source,
                span=record.span,
                document_pages=record.document_pages,
                passage_id=record.id,
                mode=mode,
                kind=record.document_kind,
                ocr=record.ocr,
                indexing=record.indexing,
            )
        )
        if len(hits) == k:
            break
    return hits


def search_library(
    request: SearchRequest, encoders: Callable[[], EncoderPair], index: VectorIndex, store: Store
) -> list[Hit]:
    """The ``request.k`` best passages of a library for a (non-empty) question, best first.

    Scores by mode: dense, the inner product of question and passage vectors; keyword, BM25 (``-bm25()`` of
    FTS5: higher is better); hybrid, the fused score of :mod:`rdr_search.retrieval.hybrid` (0..1).
    """
    candidates = IndexCandidates(request, encoders, index, store.db)
    return to_hits(ranking(candidates), request.k, store, str(request.mode))
