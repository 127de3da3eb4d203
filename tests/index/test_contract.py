"""What the library relies on from any index backend: exact search, removal, ids, saving and reopening."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from rdr_search.index import VectorIndex
from rdr_search.index.files import state_path
from tests.index.conftest import clustered, require_kind, vectors


def test_exact_search_equals_brute_force_after_adds_and_removals(backend: type[VectorIndex]) -> None:
    data = vectors(500)
    ids = np.arange(1000, 1500, dtype=np.int64)
    index = backend.build(24, [(ids[:200], data[:200]), (ids[200:], data[200:])])
    assert isinstance(index, VectorIndex) and index.kind == "flat"
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
    assert len(index) == 333 and sorted(index.ids().tolist()) == ids[kept].tolist()


def test_empty_index_finds_nothing_and_ignores_removals(backend: type[VectorIndex]) -> None:
    index = backend.build(24, [])
    scores, found = index.search(vectors(3), 10)
    assert scores.shape == found.shape == (3, 0)
    assert index.remove([1, 2]) == 0 and index.remove([]) == 0
    assert len(index) == 0 and index.ids().tolist() == []


def test_replace_swaps_a_documents_vectors(backend: type[VectorIndex]) -> None:
    index = backend.build(24, [(np.arange(10, dtype=np.int64), vectors(10))])
    fresh = vectors(3, seed=4)
    index.replace([0, 1, 2, 3], np.array([20, 21, 22], dtype=np.int64), fresh)
    assert sorted(index.ids().tolist()) == [4, 5, 6, 7, 8, 9, 20, 21, 22]
    _, found = index.search(fresh, 1)
    assert found[:, 0].tolist() == [20, 21, 22]


def test_saved_index_reopens_with_its_generation(backend: type[VectorIndex], tmp_path: Path) -> None:
    index = backend.build(24, [(np.arange(50, dtype=np.int64), vectors(50))])
    path = tmp_path / f"index-x{backend.suffix}"
    index.save(path, generation=7)
    loaded = backend.open(path)
    assert loaded is not None
    reopened, state = loaded
    assert (state.generation, state.count, state.dim, state.kind) == (7, 50, 24, index.kind)
    assert len(reopened) == 50
    queries = vectors(2, seed=3)
    np.testing.assert_array_equal(reopened.search(queries, 5)[1], index.search(queries, 5)[1])
    assert not list(tmp_path.glob("*.tmp"))  # written through temp files, renamed into place


@pytest.mark.parametrize("damage", ["truncated", "garbage", "state missing", "state garbled", "missing"])
def test_a_damaged_or_missing_save_is_refused(backend: type[VectorIndex], tmp_path: Path, damage: str) -> None:
    path = tmp_path / f"index-x{backend.suffix}"
    backend.build(24, [(np.arange(50, dtype=np.int64), vectors(50))]).save(path, generation=1)
    state = state_path(path)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    elif damage == "garbage":
        path.write_bytes(b"garbage from a crash")
    elif damage == "state missing":
        state.unlink()
    elif damage == "state garbled":
        state.write_text('{"generation": 1}')
    else:
        path.unlink()
    assert backend.open(path) is None  # the caller rebuilds from the store


@pytest.mark.parametrize("kind", ["flat", "ivf", "ivfpq", "hnsw"])
def test_search_within_ids_is_exhaustive_over_them(backend: type[VectorIndex], kind: str) -> None:
    require_kind(backend, kind)
    data = vectors(3000)
    ids = np.arange(3000, dtype=np.int64) * 2
    index = backend.build(24, [(ids, data)], kind=kind)
    within = ids[[5, 700, 1500, 2999]]
    queries = vectors(2, seed=3)
    scores, found = index.search(queries, 10, ids=within)
    assert found.shape == (2, 4)  # no more places than the ids allowed
    brute = queries @ data[[5, 700, 1500, 2999]].T
    order = np.argsort(-brute, axis=1)
    np.testing.assert_array_equal(found, within[order])
    tolerance = 1e-4 if kind == "flat" else 0.15  # IVF scores come from 8-bit codes
    np.testing.assert_allclose(scores, np.take_along_axis(brute, order, axis=1), atol=tolerance, rtol=0.05)
    _, none = index.search(queries, 10, ids=np.empty(0, dtype=np.int64))
    assert none.shape == (2, 0)
    _, absent = index.search(queries, 3, ids=np.array([1, 3], dtype=np.int64))  # odd ids are not held
    assert (absent == -1).all()


@pytest.mark.parametrize("kind", ["flat", "ivf", "ivfpq", "hnsw"])
def test_hits_after_removal_return_the_right_ids(backend: type[VectorIndex], kind: str) -> None:
    require_kind(backend, kind)
    data, fresh = np.split(clustered(3050), [3000])  # fresh: added after the removal, under higher ids
    ids = np.arange(3000, dtype=np.int64) * 7 + 11
    index = backend.build(24, [(ids, data)], kind=kind)
    gone = set(ids[::3].tolist()) | set(ids[1000:1400].tolist())
    assert index.remove(sorted(gone)) == len(gone)
    kept = np.array([i not in gone for i in ids.tolist()])
    index.add(np.arange(50_000, 50_050, dtype=np.int64), fresh)
    held_ids = np.concatenate([ids[kept], np.arange(50_000, 50_050)])
    held = np.concatenate([data[kept], fresh])
    assert sorted(index.ids().tolist()) == sorted(held_ids.tolist())
    queries = clustered(40, seed=3) + 0.05
    scores, found = index.search(queries, 10)
    assert not set(found.ravel().tolist()) & gone
    by_id = dict(zip(held_ids.tolist(), held, strict=True))
    true_scores = np.array([[q @ by_id[i] for i in row] for q, row in zip(queries, found.tolist(), strict=True)])
    tolerance = 1e-4 if kind == "flat" else 0.15  # approximate kinds score on 8-bit codes
    np.testing.assert_allclose(scores, true_scores, atol=tolerance, rtol=0.02)  # each score is its id's
    truth = held_ids[np.argsort(-(queries @ held.T), axis=1)[:, :10]]
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found.tolist(), truth.tolist(), strict=True)])
    assert recall == 1.0 if kind == "flat" else recall >= 0.8


def test_searches_during_adds_see_only_whole_added_batches(backend: type[VectorIndex]) -> None:
    data = vectors(600)
    index = backend.build(24, [(np.arange(100, dtype=np.int64), data[:100])])
    errors: list[BaseException] = []
    seen: list[np.ndarray] = []

    def search_while_adding() -> None:
        try:
            for _ in range(15):
                scores, found = index.search(data[:4], 10)
                assert (found >= 0).all() and (found < 600).all()
                assert (np.diff(scores, axis=1) <= 1e-5).all()  # best first
                seen.append(found)
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=search_while_adding)
    reader.start()
    for start in range(100, 600, 50):
        index.replace([], np.arange(start, start + 50, dtype=np.int64), data[start : start + 50])
    reader.join()
    assert not errors and seen
    assert len(index) == 600
    _, found = index.search(data[590:600], 1)
    assert found[:, 0].tolist() == list(range(590, 600))  # every added vector is found as its own best match
