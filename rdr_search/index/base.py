"""What the library asks of a vector index, whatever backend holds the vectors (see docs/ARCHITECTURE.md).

An index is derived data: the store holds every committed vector, and a saved index records the store
generation it reflects, so a stale or half-written one is rebuilt instead of trusted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Self

import numpy as np

Batch = tuple[np.ndarray, np.ndarray]
"""int64 ids of shape (n,) and float32 vectors of shape (n, dim)."""


@dataclass(frozen=True)
class IndexState:
    """What a saved index reflects: the store generation, and enough to tell a damaged file."""

    generation: int
    count: int
    kind: str
    dim: int


class VectorIndex(ABC):
    """Inner-product search over vectors keyed by int64 passage ids.

    Implementations are thread-safe: a search running during :meth:`replace` sees the state before or
    after it, never between.
    """

    suffix: ClassVar[str]
    """How a saved index's file name ends (e.g. ``.faiss``)."""
    kinds: ClassVar[tuple[str, ...]]
    """The kinds :meth:`build` accepts, ``auto`` first."""

    dim: int
    kind: str
    """How the backend searches (e.g. ``flat`` for exact); recorded in the saved state."""

    @classmethod
    @abstractmethod
    def build(cls, dim: int, batches: Iterable[Batch], kind: str = "flat", total: int = 0) -> Self:
        """A new index over (ids, vectors) batches; ``kind="auto"`` lets the backend choose by ``total``."""

    @classmethod
    @abstractmethod
    def open(cls, path: Path) -> tuple[Self, IndexState] | None:
        """The index saved at ``path`` and what it reflects, or None when missing or unreadable."""

    @abstractmethod
    def save(self, path: Path, generation: int) -> None:
        """Persist the index as reflecting store ``generation``; a crash leaves the old save or the new."""

    @abstractmethod
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ids not yet held."""

    @abstractmethod
    def remove(self, ids: Iterable[int]) -> int:
        """Drop these ids (absent ones are ignored); returns how many were held."""

    @abstractmethod
    def replace(self, remove_ids: Iterable[int], add_ids: np.ndarray, vectors: np.ndarray) -> None:
        """Remove and add as one step, as searches see it."""

    @abstractmethod
    def search(self, queries: np.ndarray, k: int, ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ids, each of shape (len(queries), min(k, len(self))), best first. With ``ids``, only
        those vectors are searched, exhaustively (filters; scores of given passages); places beyond the
        vectors found hold id -1."""

    @abstractmethod
    def ids(self) -> np.ndarray:
        """Every id held, as int64 (for consistency checks)."""

    @abstractmethod
    def __len__(self) -> int:
        """How many vectors are held."""
