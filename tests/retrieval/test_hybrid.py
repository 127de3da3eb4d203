"""Fusion of dense and keyword scores: per-question normalisation, weights, RRF, candidate filling."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rdr_search.retrieval.hybrid import Fusion, fuse, hybrid_ranking, normalised


class Lists:
    """Both halves' scores over six passages, as a library would give them."""

    DENSE = {1: 0.9, 2: 0.8, 3: 0.7, 4: 0.1, 5: 0.0, 6: -0.2}
    KEYWORD = {4: 12.0, 3: 6.0, 6: 1.0}

    def __init__(self) -> None:
        self.asked: list[tuple[str, tuple[int, ...]]] = []

    @staticmethod
    def _top(scores: dict[int, float], n: int) -> dict[int, float]:
        return dict(sorted(scores.items(), key=lambda item: -item[1])[:n])

    def dense(self, n: int) -> dict[int, float]:
        return self._top(self.DENSE, n)

    def keyword(self, n: int) -> dict[int, float]:
        return self._top(self.KEYWORD, n)

    def dense_scores(self, ids: Sequence[int]) -> dict[int, float]:
        self.asked.append(("dense", tuple(ids)))
        return {i: self.DENSE[i] for i in ids}

    def keyword_scores(self, ids: Sequence[int]) -> dict[int, float]:
        self.asked.append(("keyword", tuple(ids)))
        return {i: self.KEYWORD.get(i, 0.0) for i in ids}


def test_normalisation_per_question() -> None:
    assert normalised({1: 2.0, 2: 4.0, 3: 3.0}, "minmax") == {1: 0.0, 2: 1.0, 3: 0.5}
    z = normalised({1: 1.0, 2: 3.0}, "zscore")
    assert z == {1: -1.0, 2: 1.0}
    assert normalised({1: 5.0, 2: 5.0}, "minmax") == {1: 0.0, 2: 0.0} and normalised({}, "zscore") == {}


def test_minmax_fusion_weighs_the_two_halves() -> None:
    dense, keyword = {1: 1.0, 2: 0.0}, {2: 10.0, 1: 0.0}
    assert fuse(dense, keyword, Fusion(keyword_weight=0.7)) == [(2, 0.7), (1, pytest.approx(0.3))]
    assert [i for i, _ in fuse(dense, keyword, Fusion(keyword_weight=0.3))] == [1, 2]


def test_rrf_uses_ranks_only() -> None:
    fused = fuse({1: 100.0, 2: 1.0}, {2: 5.0}, Fusion(method="rrf", rrf_k=60))
    assert fused == [(2, pytest.approx(1 / 62 + 1 / 61)), (1, pytest.approx(1 / 61))]
    with pytest.raises(ValueError, match="minmax, zscore, rrf"):
        Fusion(method="borda")


def test_hybrid_ranking_scores_every_candidate_on_both_halves() -> None:
    lists = Lists()
    ranked = hybrid_ranking(lists, 2, Fusion(depth=3))
    assert sorted(lists.asked) == [("dense", (4, 6)), ("keyword", (1, 2))]  # only the missing scores
    assert {i for i, _ in ranked} == {1, 2, 3, 4, 6}
    assert ranked[0][0] == 3  # good on both beats best on one
    assert all(0.0 <= score <= 1.0 for _, score in ranked)
    unfilled = Lists()
    hybrid_ranking(unfilled, 2, Fusion(depth=3, fill=False))
    assert unfilled.asked == []
