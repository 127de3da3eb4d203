"""The FAISS backend: the only place that imports faiss (with ``faiss_kinds.py`` and ``faiss_scan.py``).

Three kinds, each keyed by the store's passage ids and each able to remove them:

- ``flat``: exact inner products (the default below :data:`AUTO_APPROXIMATE_FROM` vectors); one question is
  scanned by worker threads, one slice of the vectors each.
- ``ivfpq``: IVF over 4-bit product codes scanned with SIMD (fast-scan), its candidates re-scored on 8-bit
  codes; what ``auto`` builds from :data:`AUTO_APPROXIMATE_FROM` vectors.
- ``ivf``: IVF over 8-bit codes (slower than ``ivfpq`` at the same recall; kept for saved libraries).
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self

import faiss
import numpy as np

from rdr_search.index.base import Batch, IndexState, VectorIndex
from rdr_search.index.faiss_kinds import (
    REFINE_FACTOR,
    ivf_ids,
    ivf_search,
    refined,
    train_ivf_pq,
    train_ivf_sq8,
)
from rdr_search.index.faiss_scan import ParallelScan
from rdr_search.index.files import read_state, write_atomically, write_state

INDEX_KINDS = ("auto", "flat", "ivf", "ivfpq")
# Below this many vectors an exact scan is fast enough (and exact); above it "auto" builds AUTO_APPROXIMATE_KIND.
AUTO_APPROXIMATE_FROM = 200_000
AUTO_APPROXIMATE_KIND = "ivfpq"

_PARTS = b"rdr-faiss-parts\n"
"""Opens a saved index made of several FAISS indexes (ivfpq: lists and refine codes)."""


class FaissIndex(VectorIndex):
    """A FAISS index keyed by int64 passage ids; one lock makes it thread-safe."""

    kinds = INDEX_KINDS

    suffix = ".faiss"

    def __init__(self, dim: int, kind: str = "flat", *, raw: Any = None, refine: Any = None, threads: int = 0) -> None:
        """An empty exact index, or (``raw``, and ``refine`` for ivfpq) FAISS indexes already built.
        ``threads``: workers scanning one question in a flat index (0: one per core)."""
        if kind not in INDEX_KINDS[1:] or (raw is None and kind != "flat") or ((refine is None) != (kind != "ivfpq")):
            raise ValueError(f"cannot make an empty index of kind {kind!r}; approximate indexes come from build()")
        self.dim = dim
        self.kind = kind
        self.refine_factor = REFINE_FACTOR
        """ivfpq: candidates per hit asked for, re-scored on 8-bit codes (more: higher recall, slower)."""
        self._lock = threading.RLock()
        # Any: faiss's Python wrappers take numpy arrays where its SWIG stubs declare C++ types.
        self._index: Any = raw if raw is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._refine: Any = refine
        self._scan = ParallelScan(threads)

    @classmethod
    def build(cls, dim: int, batches: Iterable[Batch], kind: str = "flat", total: int = 0) -> Self:
        """A new index from (ids, vectors) batches; ``kind="auto"`` picks exact or ivfpq by ``total``."""
        if kind not in INDEX_KINDS:
            raise ValueError(f"unknown index kind {kind!r}; one of {', '.join(INDEX_KINDS)}")
        if kind == "auto":
            kind = AUTO_APPROXIMATE_KIND if total >= AUTO_APPROXIMATE_FROM else "flat"
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
        if kind == "ivf":
            index = cls(dim, "ivf", raw=train_ivf_sq8(dim, vectors))
        else:
            raw, refine = train_ivf_pq(dim, vectors)
            index = cls(dim, "ivfpq", raw=raw, refine=refine)
        index.add(ids, vectors)
        return index

    @property
    def nprobe(self) -> int:
        """IVF lists probed per question (0 for flat)."""
        return 0 if self.kind == "flat" else int(self._index.nprobe)

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if self.kind == "flat":
            raise ValueError("a flat index has no lists to probe")
        with self._lock:
            self._index.nprobe = max(1, min(int(value), int(self._index.nlist)))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        with self._lock:
            self._index.add_with_ids(vectors, ids)
            if self._refine is not None:
                self._refine.add_with_ids(vectors, ids)

    def remove(self, ids: Iterable[int]) -> int:
        held = np.fromiter(ids, dtype=np.int64)
        if len(held) == 0:
            return 0
        with self._lock:
            if self._refine is not None:
                self._refine.remove_ids(held)
            return int(self._index.remove_ids(held))

    def replace(self, remove_ids: Iterable[int], add_ids: np.ndarray, vectors: np.ndarray) -> None:
        with self._lock:
            self.remove(remove_ids)
            self.add(add_ids, vectors)

    def ids(self) -> np.ndarray:
        with self._lock:
            if self.kind == "ivf":
                return ivf_ids(self._index)
            held = self._index if self._refine is None else self._refine
            return faiss.vector_to_array(held.id_map).astype(np.int64)

    def search(self, queries: np.ndarray, k: int, ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        with self._lock:
            if len(self) == 0 or (ids is not None and len(ids) == 0):
                return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
            depth = max(1, min(k, len(self), len(self) if ids is None else len(ids)))
            if self.kind == "ivf":
                return ivf_search(self._index, queries, depth, ids)
            if self.kind == "ivfpq":
                _, candidates = ivf_search(self._index, queries, min(len(self), depth * self.refine_factor), ids)
                return refined(self._refine, queries, candidates, depth)
            if ids is not None:
                # The selector must outlive the search: the parameters do not keep it alive themselves.
                selector = faiss.IDSelectorBatch(np.ascontiguousarray(ids, dtype=np.int64))
                params: Any = faiss.SearchParameters()
                params.sel = selector
                return self._index.search(queries, depth, params=params)
            if len(queries) == 1:
                return self._scan_one(queries, depth)
            return self._index.search(queries, depth)

    def _scan_one(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k of one question over the flat vectors, read in place (the lock is held)."""
        flat: Any = faiss.downcast_index(self._index.index)
        n = int(flat.ntotal)
        matrix = faiss.rev_swig_ptr(flat.get_xb(), n * self.dim).reshape(n, self.dim)
        id_map = faiss.rev_swig_ptr(self._index.id_map.data(), n)
        scores, positions = self._scan.top_k(query, matrix, k)
        return scores[None, :], id_map[positions].astype(np.int64)[None, :]

    def nbytes(self) -> int:
        """Memory the index holds, about: vectors or codes, ids and lists (flat: computed, not serialised)."""
        with self._lock:
            if self.kind == "flat":
                return len(self) * (self.dim * 4 + 16)
            return sum(len(part) for part in self._parts())

    def _parts(self) -> list[bytes]:
        held = [self._index] if self._refine is None else [self._index, self._refine]
        return [faiss.serialize_index(part).tobytes() for part in held]

    def save(self, path: Path, generation: int) -> None:
        """Write the index and, after it, the generation it reflects (both atomically)."""
        with self._lock:
            parts = self._parts()
            state = IndexState(generation, len(self), self.kind, self.dim)
        if len(parts) == 1:
            data = parts[0]
        else:
            lengths = struct.pack(f"<{len(parts) + 1}Q", len(parts), *map(len, parts))
            data = b"".join([_PARTS, lengths, *parts])
        write_atomically(path, data)
        write_state(path, state)

    @classmethod
    def open(cls, path: Path) -> tuple[Self, IndexState] | None:
        state = read_state(path)
        if state is None or not path.is_file() or state.kind not in INDEX_KINDS[1:]:
            return None
        try:
            parts = [faiss.deserialize_index(np.frombuffer(p, dtype=np.uint8)) for p in _split(path.read_bytes())]
        except (OSError, ValueError, RuntimeError, struct.error):
            return None
        if not _fits(state, parts):
            return None
        return cls(state.dim, state.kind, raw=parts[0], refine=parts[1] if len(parts) > 1 else None), state


def _split(data: bytes) -> list[bytes]:
    """The FAISS indexes of a saved file (one, or several behind a header)."""
    if not data.startswith(_PARTS):
        return [data]
    start = len(_PARTS)
    (count,) = struct.unpack_from("<Q", data, start)
    if not 1 <= count <= 4:
        raise ValueError("not a saved index")
    lengths = struct.unpack_from(f"<{count}Q", data, start + 8)
    offset, parts = start + 8 * (count + 1), []
    for length in lengths:
        if offset + length > len(data):
            raise ValueError("truncated")
        parts.append(data[offset : offset + length])
        offset += length
    return parts


def _fits(state: IndexState, parts: list[Any]) -> bool:
    """True when the loaded FAISS indexes are of the layout ``state.kind`` needs and hold ``state.count``.
    An IVF saved inside an IDMap2 (an earlier layout, which named wrong ids after removals) is refused."""
    layout = {
        "flat": (faiss.IndexIDMap2,),
        "ivf": (faiss.IndexIVFScalarQuantizer,),
        "ivfpq": (faiss.IndexIVFPQFastScan, faiss.IndexIDMap2),
    }[state.kind]
    if len(parts) != len(layout) or not all(isinstance(p, t) for p, t in zip(parts, layout, strict=True)):
        return False
    return all(p.ntotal == state.count and p.d == state.dim for p in parts)
