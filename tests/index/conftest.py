"""The backends every contract test runs against: add a backend's name here to hold it to the same contract."""

from __future__ import annotations

import numpy as np
import pytest

from rdr_search.index import VectorIndex, index_backend

BACKENDS = ["faiss"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> type[VectorIndex]:
    return index_backend(request.param)


def vectors(n: int, dim: int = 24, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
