"""Vector index: the only module that imports faiss.

The index is derived data: the store (SQLite) holds every committed vector, and the index file records
the store generation it reflects, so a stale or half-written index is rebuilt instead of trusted.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

INDEX_KINDS = ("auto", "flat", "ivf")
# Below this many vectors an exact scan is fast enough (and exact); above it "auto" builds IVF.
AUTO_APPROXIMATE_FROM = 200_000


@dataclass(frozen=True)
class IndexState:
    """What an index file on disk reflects."""

    generation: int
    count: int
    kind: str
    dim: int


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync it, rename over ``path``: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


class VectorIndex:
    """Inner-product search over vectors keyed by int64 passage ids; thread-safe."""

    def __init__(self, dim: int, kind: str = "flat") -> None:
        if kind not in ("flat", "ivf"):
            raise ValueError(f"unknown index kind {kind!r}")
        self.dim = dim
        self.kind = kind
        self._lock = threading.RLock()
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @classmethod
    def build(
        cls, dim: int, batches: Iterable[tuple[np.ndarray, np.ndarray]], kind: str = "flat", total: int = 0
    ) -> VectorIndex:
        """A new index from (ids, vectors) batches; ``kind="auto"`` picks exact or IVF by ``total``."""
        if kind == "auto":
            kind = "ivf" if total >= AUTO_APPROXIMATE_FROM else "flat"
        index = cls(dim, "flat")
        if kind == "ivf":
            ids_all, vectors_all = [], []
            for ids, vectors in batches:
                ids_all.append(ids)
                vectors_all.append(vectors)
            ids = np.concatenate(ids_all) if ids_all else np.empty(0, np.int64)
            vectors = np.concatenate(vectors_all) if vectors_all else np.empty((0, dim), np.float32)
            index._index = _train_ivf(dim, vectors)
            index.kind = "ivf"
            index.add(ids, vectors)
            return index
        for ids, vectors in batches:
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
        ids = np.fromiter(ids, dtype=np.int64)
        if len(ids) == 0:
            return 0
        with self._lock:
            return int(self._index.remove_ids(ids))

    def replace(self, remove_ids: Iterable[int], add_ids: np.ndarray, vectors: np.ndarray) -> None:
        """Remove and add under one lock, so a concurrent search sees the old or the new state."""
        with self._lock:
            self.remove(remove_ids)
            self.add(add_ids, vectors)

    def ids(self) -> np.ndarray:
        """All ids held (for consistency checks)."""
        with self._lock:
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ids (n, k), best first."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        with self._lock:
            if len(self) == 0:
                return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
            return self._index.search(queries, max(1, min(k, len(self))))

    def save(self, path: Path, generation: int) -> None:
        """Write the index and, after it, the generation it reflects (both atomically)."""
        with self._lock:
            data = faiss.serialize_index(self._index).tobytes()
            state = IndexState(generation, len(self), self.kind, self.dim)
        write_atomically(path, data)
        write_atomically(path.with_suffix(".json"), json.dumps(state.__dict__).encode())

    @classmethod
    def load(cls, path: Path) -> tuple[VectorIndex, IndexState] | None:
        """The saved index and its state, or None when missing or unreadable (the caller rebuilds)."""
        meta = path.with_suffix(".json")
        if not path.is_file() or not meta.is_file():
            return None
        try:
            state = IndexState(**json.loads(meta.read_text()))
            raw = faiss.deserialize_index(np.fromfile(path, dtype=np.uint8))
        except (OSError, ValueError, TypeError, RuntimeError):
            return None
        if raw.ntotal != state.count or raw.d != state.dim:
            return None
        index = cls(state.dim, "flat")
        index._index = raw
        index.kind = state.kind
        return index, state


def _train_ivf(dim: int, vectors: np.ndarray) -> faiss.Index:
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
    # Probe 1/8 of the lists: on 768-d vectors drawn like MiniLM outputs (Decision 15) at 1M, nprobe 32 of 4000
    # found 52% of the exact top 10 and 512 found 96% (benchmarks/bench_search.py), still ~30x under a flat scan.
    ivf.nprobe = min(nlist, max(32, nlist // 8))
    return faiss.IndexIDMap2(ivf)
