"""The backends every contract test runs against: add a backend's name here to hold it to the same contract.

Milvus runs as Milvus Lite (in-process, one local file per test module: its start-up takes a second or two).
"""

from __future__ import annotations

from collections.abc import Iterator

import faiss
import numpy as np
import pytest

from rdr_search.index import VectorIndex, index_backend

BACKENDS = ["faiss", "milvus"]


@pytest.fixture(scope="module")
def milvus_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[type[VectorIndex]]:
    pytest.importorskip("pymilvus", reason="the milvus backend needs the scale extra (pip install 'rdr-search[scale]')")
    pytest.importorskip("milvus_lite", reason="Milvus Lite runs the milvus contract tests without a server")
    from rdr_search.index.milvus import MilvusIndex

    backend = MilvusIndex.at(str(tmp_path_factory.mktemp("milvus") / "milvus.db"))
    yield backend
    backend.disconnect()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> type[VectorIndex]:
    if request.param == "milvus":
        milvus: type[VectorIndex] = request.getfixturevalue("milvus_backend")
        return milvus
    return index_backend(request.param)


def vectors(n: int, dim: int = 24, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def clustered(n: int, dim: int = 24, clusters: int = 60, seed: int = 5) -> np.ndarray:
    """Vectors gathered around centres, like real embeddings (approximate indexes need neighbourhoods)."""
    centers = vectors(clusters, dim, seed)
    labels = np.random.default_rng(seed + 1).integers(0, clusters, n)
    return (centers[labels] + 0.3 * vectors(n, dim, seed + 2)).astype(np.float32)


@pytest.fixture(autouse=True)
def _one_openmp_thread() -> Iterator[None]:
    """FAISS training on one OpenMP thread: the suite runs a worker per core, and two OpenMP threads per
    worker then wait on each other's barriers (an IVF build of a few thousand vectors took 10 s, not 0.5 s)."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)


def require_kind(backend: type[VectorIndex], kind: str) -> None:
    """Skip a kind the backend does not offer (FAISS has no removable HNSW; Milvus no fast-scan PQ)."""
    if kind not in backend.kinds:
        pytest.skip(f"{backend.__name__} offers no {kind!r} index (it offers {', '.join(backend.kinds)})")
