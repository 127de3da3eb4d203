"""The vector index: exact search equals FAISS's own, removal, IVF for large sets, atomic files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rdr_search.index import VectorIndex


def vectors(n: int, dim: int = 24, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def test_exact_search_equals_brute_force_after_adds_and_removals() -> None:
    index = VectorIndex(24)
    data = vectors(500)
    ids = np.arange(1000, 1500, dtype=np.int64)
    index.add(ids, data)
    assert index.remove(range(1000, 1500, 3)) == 167
    queries = vectors(5, seed=1)
    kept = np.array([i for i in range(500) if (i + 1000) % 3 != 1000 % 3])
    brute = queries @ data[kept].T
    for k in (1, 10, 333, 1000):
        scores, found = index.search(queries, k)
        order = np.argsort(-brute, axis=1, kind="stable")[:, : min(k, len(kept))]
        np.testing.assert_array_equal(found, ids[kept][order])
        np.testing.assert_allclose(scores, np.take_along_axis(brute, order, axis=1), rtol=1e-4, atol=1e-4)
    assert not set(found.ravel().tolist()) & set(range(1000, 1500, 3))


def test_ivf_is_built_by_size_supports_removal_and_finds_exact_neighbours() -> None:
    # Clustered like real embeddings (iid Gaussian vectors have no neighbourhoods for IVF to exploit).
    centers = vectors(200, dim=32, seed=5)
    labels = np.random.default_rng(6).integers(0, 200, 20_000)
    data = centers[labels] + 0.3 * vectors(20_000, dim=32)
    ids = np.arange(20_000, dtype=np.int64)
    exact = VectorIndex.build(32, [(ids, data)], kind="flat")
    approximate = VectorIndex.build(32, [(ids, data)], kind="ivf")
    assert approximate.kind == "ivf" and len(approximate) == 20_000
    queries = data[:50] + 0.01 * vectors(50, dim=32, seed=2)
    _, exact_ids = exact.search(queries, 10)
    _, approx_ids = approximate.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact_ids, approx_ids, strict=True)])
    assert recall >= 0.9
    approximate.remove(range(10))
    assert len(approximate) == 19_990 and not set(approximate.search(queries, 10)[1].ravel()) & set(range(10))


def test_saved_index_reloads_with_its_generation_and_a_damaged_file_is_refused(tmp_path: Path) -> None:
    index = VectorIndex(24)
    index.add(np.arange(50, dtype=np.int64), vectors(50))
    path = tmp_path / "index-x.faiss"
    index.save(path, generation=7)
    loaded, state = VectorIndex.load(path)
    assert state.generation == 7 and state.count == 50 and len(loaded) == 50
    np.testing.assert_array_equal(loaded.search(vectors(2, seed=3), 5)[1], index.search(vectors(2, seed=3), 5)[1])
    assert not list(tmp_path.glob("*.tmp"))  # written through a temp file, renamed into place
    path.write_bytes(path.read_bytes()[:100])
    assert VectorIndex.load(path) is None  # the caller rebuilds from the store
