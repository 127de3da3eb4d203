"""The FAISS backend: the only module that imports faiss.

Exact inner-product search (a flat index) up to a size, IVF with 8-bit codes above it; ids are the
store's passage ids, kept by an ``IndexIDMap2`` so vectors can be removed and listed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self

import faiss
import numpy as np

from rdr_search.index.base import Batch, IndexState, VectorIndex
from rdr_search.index.files import read_state, write_atomically, write_state

INDEX_KINDS = ("auto", "flat", "ivf")
# Below this many vectors an exact scan is fast enough (and exact); above it "auto" builds IVF.
AUTO_APPROXIMATE_FROM = 200_000


class FaissIndex(VectorIndex):
    """A FAISS index keyed by int64 passage ids; one lock makes it thread-safe."""

    suffix = ".faiss"

    def __init__(self, dim: int, kind: str = "flat", *, raw: Any = None) -> None:
        """An empty exact index, or (``raw``) a FAISS index already built, of ``kind`` flat or ivf."""
        if kind not in ("flat", "ivf") or (raw is None and kind != "flat"):
            raise ValueError(f"cannot make an empty index of kind {kind!r}; an IVF index comes from build()")
        self.dim = dim
        self.kind = kind
        self._lock = threading.RLock()
        # Any: faiss's Python wrappers take numpy arrays where its SWIG stubs declare C++ types.
        self._index: Any = raw if raw is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @classmethod
    def build(cls, dim: int, batches: Iterable[Batch], kind: str = "flat", total: int = 0) -> Self:
        """A new index from (ids, vectors) batches; ``kind="auto"`` picks exact or IVF by ``total``."""
        if kind not in INDEX_KINDS:
            raise ValueError(f"unknown index kind {kind!r}; one of {', '.join(INDEX_KINDS)}")
        if kind == "auto":
            kind = "ivf" if total >= AUTO_APPROXIMATE_FROM else "flat"
        if kind == "flat":
            index = cls(dim)
            for ids, vectors in batches:
                index.add(ids, vectors)
            return index
        # IVF trains on the vectors before it can hold any, so it needs them all at once.
        ids_all, vectors_all = [], []
        for ids, vectors in batches:
            ids_all.append(ids)
            vectors_all.append(vectors)
        ids = np.concatenate(ids_all) if ids_all else np.empty(0, np.int64)
        vectors = np.concatenate(vectors_all) if vectors_all else np.empty((0, dim), np.float32)
        index = cls(dim, "ivf", raw=_train_ivf(dim, vectors))
        index.add(ids, vectors)
        return index

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._lock:
            self._index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids: Iterable[int]) -> int:
        held = np.fromiter(ids, dtype=np.int64)
        if len(held) == 0:
            return 0
        with self._lock:
            return int(self._index.remove_ids(held))

    def replace(self, remove_ids: Iterable[int], add_ids: np.ndarray, vectors: np.ndarray) -> None:
        with self._lock:
            self.remove(remove_ids)
            self.add(add_ids, vectors)

    def ids(self) -> np.ndarray:
        with self._lock:
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def search(self, queries: np.ndarray, k: int, ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        with self._lock:
            if len(self) == 0 or (ids is not None and len(ids) == 0):
                return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
            depth = max(1, min(k, len(self), len(self) if ids is None else len(ids)))
            if ids is None:
                return self._index.search(queries, depth)
            # The selector must outlive the search: the parameters do not keep it alive themselves.
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(ids, dtype=np.int64))
            params: Any = faiss.SearchParametersIVF() if self.kind == "ivf" else faiss.SearchParameters()
            params.sel = selector
            if self.kind == "ivf":  # probe every list: a filter must not miss what it lets through
                params.nprobe = faiss.extract_index_ivf(self._index).nlist
            return self._index.search(queries, depth, params=params)

    def save(self, path: Path, generation: int) -> None:
        """Write the index and, after it, the generation it reflects (both atomically)."""
        with self._lock:
            data = faiss.serialize_index(self._index).tobytes()
            state = IndexState(generation, len(self), self.kind, self.dim)
        write_atomically(path, data)
        write_state(path, state)

    @classmethod
    def open(cls, path: Path) -> tuple[Self, IndexState] | None:
        state = read_state(path)
        if state is None or not path.is_file():
            return None
        try:
            raw = faiss.deserialize_index(np.fromfile(path, dtype=np.uint8))
            if raw.ntotal != state.count or raw.d != state.dim:
                return None
            return cls(state.dim, state.kind, raw=raw), state
        except (OSError, ValueError, RuntimeError):
            return None


def _train_ivf(dim: int, vectors: np.ndarray) -> Any:
    """IVF with 8-bit scalar quantisation: about 4x smaller than flat, high recall with enough probes."""
    n = len(vectors)
    nlist = int(max(1, min(4 * np.sqrt(max(n, 1)), n // 39 or 1)))
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    # k-means on at most 64k points and 10 iterations: at 1M vectors the library default (256k points, 25
    # iterations) takes tens of minutes on 2 cores, for no measurable recall gain (benchmarks/bench_search.py).
    ivf.cp.niter = 10
    size = min(n, max(nlist * 39, min(nlist * 64, 65_536)))
    sample = vectors[np.random.default_rng(0).choice(n, size=size, replace=False)] if n else vectors
    ivf.train(np.ascontiguousarray(sample, dtype=np.float32))
    # Probe 1/8 of the lists: on 768-d vectors drawn like MiniLM outputs at 1M, nprobe 32 of 4000 found 52% of
    # the exact top 10 and 512 found 96% (benchmarks/bench_search.py), still ~30x under a flat scan.
    ivf.nprobe = min(nlist, max(32, nlist // 8))
    return faiss.IndexIDMap2(ivf)
