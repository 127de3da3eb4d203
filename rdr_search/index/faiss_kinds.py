"""How each FAISS index kind is trained and laid out (used only by ``index/faiss.py``).

The approximate kinds keep the store's passage ids inside the inverted lists themselves: an ``IndexIDMap2``
over IVF maps search results by position, and IVF's ``remove_ids`` does not shift positions, so after a
removal such a map names the wrong passages.
"""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np

TRAIN_ITERATIONS = 10
# k-means on at most 64k points and 10 iterations: at 1M vectors the library default (256k points, 25
# iterations) takes tens of minutes on 2 cores, for no measurable recall gain (benchmarks/bench_search.py).

REFINE_FACTOR = 20
"""ivfpq: candidates drawn from the 4-bit codes per hit asked for, then re-scored on 8-bit codes. At 100k
768-d vectors (benchmarks/bench_search.py) 20 found 0.958 of the exact top 10 with a quarter of the lists
probed, 40 only 0.02 more in 5x the time (FAISS's fast-scan slows down past a few hundred candidates)."""


def lists_for(n: int) -> int:
    """IVF lists for ``n`` vectors: ~4 sqrt(n), and at least 39 training points per list."""
    return int(max(1, min(4 * np.sqrt(max(n, 1)), n // 39 or 1)))


def training_sample(vectors: np.ndarray, nlist: int) -> np.ndarray:
    """A fixed random sample, big enough for the lists' k-means."""
    n = len(vectors)
    size = min(n, max(nlist * 39, min(nlist * 64, 65_536)))
    sample = vectors[np.random.default_rng(0).choice(n, size=size, replace=False)] if n else vectors
    return np.ascontiguousarray(sample, dtype=np.float32)


def default_nprobe(nlist: int) -> int:
    """Probe 1/8 of the lists: on 768-d vectors drawn like MiniLM outputs at 1M, IVF-SQ8 found 52% of the
    exact top 10 with 32 of 4000 lists and 96% with 512 (benchmarks/bench_search.py)."""
    return min(nlist, max(32, nlist // 8))


def train_ivf_sq8(dim: int, vectors: np.ndarray) -> Any:
    """IVF over 8-bit scalar codes: about 4x smaller than flat; ids held in its lists."""
    nlist = lists_for(len(vectors))
    ivf = faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    ivf.cp.niter = TRAIN_ITERATIONS
    ivf.train(training_sample(vectors, nlist))
    ivf.nprobe = default_nprobe(nlist)
    return ivf


def pq_subquantizers(dim: int) -> int:
    """4-bit sub-quantizers of about 4 dimensions each (the largest divisor of ``dim`` up to dim / 4)."""
    return next(m for m in range(max(1, dim // 4), 0, -1) if dim % m == 0)


def train_ivf_pq(dim: int, vectors: np.ndarray) -> tuple[Any, Any]:
    """IVF over 4-bit product codes scanned with SIMD lookups (fast-scan), plus 8-bit codes of every vector
    (keyed by id) to re-score its candidates: (ivf, refine). ~1 byte per dimension and a little more."""
    nlist = lists_for(len(vectors))
    ivf = faiss.IndexIVFPQFastScan(
        faiss.IndexFlatIP(dim), dim, nlist, pq_subquantizers(dim), 4, faiss.METRIC_INNER_PRODUCT
    )
    ivf.cp.niter = TRAIN_ITERATIONS
    sample = training_sample(vectors, nlist)
    ivf.train(sample)
    # A quarter of the lists: the 4-bit codes rank less sharply than 8-bit ones, so their candidates must come
    # from more lists (at 100k, 1/8 capped recall@10 at ~0.9 whatever the refine factor).
    ivf.nprobe = min(nlist, max(32, nlist // 4))
    refine = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    refine.train(sample)
    return ivf, faiss.IndexIDMap2(refine)


def ivf_ids(ivf: Any) -> np.ndarray:
    """Every id held in an IVF index's lists."""
    lists = ivf.invlists
    out = []
    for number in range(ivf.nlist):
        size = lists.list_size(number)
        if size:
            pointer = lists.get_ids(number)
            out.append(faiss.rev_swig_ptr(pointer, size).copy())
            lists.release_ids(number, pointer)
    return np.concatenate(out).astype(np.int64) if out else np.empty(0, np.int64)


def ivf_search(ivf: Any, queries: np.ndarray, k: int, ids: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """An IVF search at its own probes, or, within ``ids``, over every list (a filter must not miss what it
    lets through)."""
    if ids is None:
        return ivf.search(queries, k)
    params: Any = faiss.SearchParametersIVF()
    # The selector must outlive the search: the parameters do not keep it alive themselves.
    selector = faiss.IDSelectorBatch(np.ascontiguousarray(ids, dtype=np.int64))
    params.sel = selector
    params.nprobe = ivf.nlist
    return ivf.search(queries, k, params=params)


def refined(refine: Any, queries: np.ndarray, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best of each query's candidate ids (-1 for none), scored on the refine codes."""
    scores = np.full((len(queries), k), np.finfo(np.float32).min, dtype=np.float32)  # as FAISS fills gaps
    found = np.full((len(queries), k), -1, dtype=np.int64)
    for row, (query, ids) in enumerate(zip(queries, candidates, strict=True)):
        ids = ids[ids >= 0]
        if len(ids) == 0:
            continue
        exact = refine.reconstruct_batch(ids) @ query
        best = np.argsort(-exact, kind="stable")[:k]
        scores[row, : len(best)] = exact[best]
        found[row, : len(best)] = ids[best]
    return scores, found
