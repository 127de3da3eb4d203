"""The FAISS backend's own choices: IVF for large sets, still finding the exact neighbours and removing."""

from __future__ import annotations

import numpy as np
import pytest

from rdr_search.index import AUTO_APPROXIMATE_FROM, FaissIndex
from tests.index.conftest import vectors


def test_ivf_is_built_by_size_supports_removal_and_finds_exact_neighbours() -> None:
    # Clustered like real embeddings (iid Gaussian vectors have no neighbourhoods for IVF to exploit).
    centers = vectors(200, dim=32, seed=5)
    labels = np.random.default_rng(6).integers(0, 200, 20_000)
    data = centers[labels] + 0.3 * vectors(20_000, dim=32)
    ids = np.arange(20_000, dtype=np.int64)
    exact = FaissIndex.build(32, [(ids, data)], kind="flat")
    approximate = FaissIndex.build(32, [(ids, data)], kind="ivf")
    assert approximate.kind == "ivf" and len(approximate) == 20_000
    queries = data[:50] + 0.01 * vectors(50, dim=32, seed=2)
    _, exact_ids = exact.search(queries, 10)
    _, approx_ids = approximate.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact_ids, approx_ids, strict=True)])
    assert recall >= 0.9
    approximate.remove(range(10))
    assert len(approximate) == 19_990 and not set(approximate.search(queries, 10)[1].ravel()) & set(range(10))


def test_auto_picks_exact_below_the_threshold_and_ivf_from_it() -> None:
    small = FaissIndex.build(8, [(np.arange(100, dtype=np.int64), vectors(100, dim=8))], kind="auto", total=100)
    assert small.kind == "flat"
    data = vectors(2_000, dim=8)
    large = FaissIndex.build(8, [(np.arange(2_000, dtype=np.int64), data)], kind="auto", total=AUTO_APPROXIMATE_FROM)
    assert large.kind == "ivf" and len(large) == 2_000


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError):
        FaissIndex.build(8, [], kind="hnsw")
    with pytest.raises(ValueError):
        FaissIndex(8, "ivf")  # an IVF index is trained, so only build() makes one
