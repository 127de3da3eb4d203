"""The FAISS backend's own choices: approximate kinds for large sets (finding the exact neighbours, removing,
saving), and one question's exact scan split across worker threads that sleep between questions."""

from __future__ import annotations

import time
from pathlib import Path

import faiss
import numpy as np
import pytest

from rdr_search.index import AUTO_APPROXIMATE_FROM, FaissIndex
from rdr_search.index.base import IndexState
from rdr_search.index.faiss_scan import SPLIT_FROM_BYTES, ParallelScan
from rdr_search.index.files import write_atomically, write_state
from tests.index.conftest import clustered, vectors


@pytest.mark.parametrize("kind", ["ivf", "ivfpq"])
def test_approximate_kinds_find_the_exact_neighbours_and_remove(kind: str) -> None:
    data = clustered(8_000, dim=32, clusters=100)
    ids = np.arange(8_000, dtype=np.int64)
    exact = FaissIndex.build(32, [(ids, data)], kind="flat")
    approximate = FaissIndex.build(32, [(ids, data)], kind=kind)
    assert approximate.kind == kind and len(approximate) == 8_000 and approximate.nprobe > 0
    queries = data[:50] + 0.01 * vectors(50, dim=32, seed=2)
    _, exact_ids = exact.search(queries, 10)
    _, approx_ids = approximate.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact_ids, approx_ids, strict=True)])
    assert recall >= 0.9
    approximate.remove(range(10))
    assert len(approximate) == 7_990 and not set(approximate.search(queries, 10)[1].ravel()) & set(range(10))


def test_auto_picks_exact_below_the_threshold_and_ivfpq_from_it() -> None:
    small = FaissIndex.build(8, [(np.arange(100, dtype=np.int64), vectors(100, dim=8))], kind="auto", total=100)
    assert small.kind == "flat"
    data = vectors(2_000, dim=8)
    large = FaissIndex.build(8, [(np.arange(2_000, dtype=np.int64), data)], kind="auto", total=AUTO_APPROXIMATE_FROM)
    assert large.kind == "ivfpq" and len(large) == 2_000


@pytest.mark.parametrize("kind", ["ivf", "ivfpq"])
def test_approximate_kinds_reopen_with_their_probes_and_removals(kind: str, tmp_path: Path) -> None:
    data = clustered(4_000)
    index = FaissIndex.build(24, [(np.arange(4_000, dtype=np.int64), data)], kind=kind)
    index.remove(range(0, 4_000, 2))
    index.nprobe = 5
    path = tmp_path / "index-x.faiss"
    index.save(path, generation=3)
    loaded = FaissIndex.open(path)
    assert loaded is not None and loaded[1].kind == kind and loaded[1].count == 2_000
    reopened = loaded[0]
    assert reopened.nprobe == 5 and sorted(reopened.ids().tolist()) == list(range(1, 4_000, 2))
    queries = clustered(5, seed=8)
    np.testing.assert_array_equal(reopened.search(queries, 10)[1], index.search(queries, 10)[1])
    path.write_bytes(path.read_bytes()[:-1000])  # a torn write of a file in parts
    assert FaissIndex.open(path) is None


def test_an_ivf_saved_in_the_earlier_id_map_layout_is_refused(tmp_path: Path) -> None:
    # That layout named the wrong passages after removals; refusing it makes the library rebuild from the store.
    data = clustered(2_000)
    ivf = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(24), 24, 16, faiss.ScalarQuantizer.QT_8bit, 0)
    ivf.train(data)
    old = faiss.IndexIDMap2(ivf)
    old.add_with_ids(data, np.arange(2_000, dtype=np.int64))
    path = tmp_path / "index-x.faiss"
    write_atomically(path, faiss.serialize_index(old).tobytes())
    write_state(path, IndexState(generation=1, count=2_000, kind="ivf", dim=24))
    assert FaissIndex.open(path) is None


def test_the_parallel_scan_is_exact_over_every_slice() -> None:
    matrix = vectors(SPLIT_FROM_BYTES // (64 * 4) * 3, dim=64, seed=4)  # big enough for three slices
    scan = ParallelScan(threads=3)
    for seed in range(3):
        query = vectors(1, dim=64, seed=10 + seed)
        scores, positions = scan.top_k(query, matrix, 25)
        brute = matrix @ query[0]
        np.testing.assert_array_equal(positions, np.argsort(-brute, kind="stable")[:25])
        np.testing.assert_allclose(scores, brute[positions], rtol=1e-5)


def test_one_question_over_a_large_flat_index_is_exact_after_removals_and_threads_then_sleep() -> None:
    data = vectors(12_000, dim=256, seed=6)  # 12 MB: scanned in slices
    ids = np.arange(12_000, dtype=np.int64) * 2 + 1
    index = FaissIndex.build(256, [(ids, data)])
    index.remove(ids[:6_000:5].tolist())
    kept = np.ones(12_000, bool)
    kept[:6_000:5] = False
    query = vectors(1, dim=256, seed=7)
    brute = data[kept] @ query[0]
    time.sleep(0.5)  # numpy's BLAS threads spin for a while after the product above: let them settle first
    scores, found = index.search(query, 10)
    started = time.process_time()
    time.sleep(0.5)
    assert time.process_time() - started < 0.1  # idle workers sleep: no core spent spinning for the next search
    np.testing.assert_array_equal(found[0], ids[kept][np.argsort(-brute, kind="stable")[:10]])
    np.testing.assert_allclose(scores[0], np.sort(brute)[::-1][:10], rtol=1e-5)


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError):
        FaissIndex.build(8, [], kind="hnsw")
    with pytest.raises(ValueError):
        FaissIndex(8, "ivf")  # an IVF index is trained, so only build() makes one
    with pytest.raises(ValueError):
        FaissIndex.build(8, [], kind="flat").nprobe = 4
