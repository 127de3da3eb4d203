"""An exact scan of one question over a flat matrix, split across worker threads that sleep when idle.

FAISS scans one query on one thread, and its own OpenMP pool (sized for many queries) spins and contends
with the question encoder's threads on a small machine. Here each worker runs FAISS's single-threaded kernel
over its slice of the rows and waits on a queue (asleep, not spinning) between questions.
"""

from __future__ import annotations

import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import faiss
import numpy as np

SPLIT_FROM_BYTES = 8 * 1024 * 1024
"""Below this a matrix is scanned in the calling thread: handing off costs more than it saves."""


def default_threads() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _single_threaded() -> None:
    # Per-thread OpenMP setting: FAISS calls from this worker never start a team of their own.
    faiss.omp_set_num_threads(1)


def _top_k(query: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores, positions = faiss.knn(query, rows, k, metric=faiss.METRIC_INNER_PRODUCT)
    return scores[0], positions[0]


class ParallelScan:
    """Top-k inner products of one query over a matrix, its rows split across ``threads`` workers."""

    def __init__(self, threads: int = 0) -> None:
        """``threads`` 0: one per core this process may use."""
        self.threads = threads or default_threads()
        self._pool: ThreadPoolExecutor | None = None
        self._made = threading.Lock()

    def _workers(self) -> ThreadPoolExecutor:
        with self._made:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, "rdr-scan", initializer=_single_threaded)
                # Idle workers hold no work, but end them with their owner rather than at interpreter exit.
                weakref.finalize(self, self._pool.shutdown, False)
            return self._pool

    def top_k(self, query: np.ndarray, matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, row positions) of the ``k`` best rows of ``matrix`` for one ``query`` (shape (1, dim)),
        best first; ``k`` at most ``len(matrix)``."""
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        parts = min(self.threads, max(1, matrix.nbytes // SPLIT_FROM_BYTES))
        if parts == 1:
            return _top_k(query, matrix, k)
        bounds = np.linspace(0, len(matrix), parts + 1).astype(int)
        slices = [(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
        pool = self._workers()
        futures = [pool.submit(_top_k, query, matrix[lo:hi], min(k, hi - lo)) for lo, hi in slices]
        scores = np.concatenate([f.result()[0] for f in futures])
        positions = np.concatenate([f.result()[1] + lo for f, (lo, _) in zip(futures, slices, strict=True)])
        best = np.argsort(-scores, kind="stable")[:k]
        return scores[best], positions[best]
