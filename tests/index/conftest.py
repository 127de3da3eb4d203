"""The backends every contract test runs against: add a backend's name here to hold it to the same contract.

Milvus runs as Milvus Lite (in-process, one local file per test module: its start-up takes a second or two).
"""

from __future__ import annotations

from collections.abc import Iterator

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
