"""Encoder pairs of a library: each has a vector set in the store and an index derived from it.

A pair is loaded only when a question or a passage must be encoded: opening a library with the pair it was
built with, listing, removing and checking never load a model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from rdr_search.encoders.availability import check_available
from rdr_search.encoders.spec import EncoderIdentity, EncoderSpec
from rdr_search.errors import LibraryError
from rdr_search.index import VectorIndex, index_backend
from rdr_search.settings import Settings
from rdr_search.store import Store, VectorSetRecord

if TYPE_CHECKING:  # the pair module imports torch: loaded only when a pair is
    from rdr_search.encoders.pair import EncoderPair

T = TypeVar("T")


@dataclass
class VectorSpace:
    """One encoder pair's view of the library: its vector set, the index derived from it, and the pair
    itself (loaded on first use when the library was opened without one)."""

    record: VectorSetRecord
    index: VectorIndex
    generation: int
    dim: int
    pair: EncoderPair | None = None
    load: Callable[[], EncoderPair] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def encoders(self) -> EncoderPair:
        """The pair, loading it now if needed (a changed checkpoint is refused)."""
        with self._lock:
            if self.pair is None:
                assert self.load is not None
                pair = self.load()
                if pair.identity.key != self.record.key:
                    raise LibraryError(
                        f"The encoders of vector set {self.record.name} changed on disk since its vectors were made "
                        f"({', '.join(EncoderIdentity.from_json(self.record.identity).differences(pair.identity))} "
                        "differ); add vectors for the new pair with rdr-search add-encoders."
                    )
                self.pair = pair
            return self.pair

    @property
    def name(self) -> str:
        return self.record.name


def commit_with_indexes(
    spaces: Iterable[VectorSpace],
    store: Store,
    write: Callable[..., T],
    change: Callable[[VectorSpace, list[int]], None],
    rebuild: Callable[[], None],
) -> T:
    """Call ``write`` (a store write) with ``before_commit``: a hook that applies ``change`` to every space's
    index inside the transaction, just before it commits; returns what ``write`` returns.

    Why before: a search pins a store snapshot before it reads the index, so the index is never behind the
    rows it sees. Updated after the commit, there would be a moment when a document's last part is committed
    (the document "ready") but missing from the index, and a search would show it ready with passages
    missing. Ahead of the snapshot is harmless: ids without a row are skipped, and a document replaced or
    removed meanwhile is missing whole. If the write fails after the hook ran, ``rebuild`` restores the
    indexes from the committed store (row ids of a rolled-back insert are given out again).
    """
    spaces = list(spaces)
    changed = False

    def hook(ids: list[int]) -> None:
        nonlocal changed
        changed = True
        for space in spaces:
            change(space, ids)

    try:
        result = write(before_commit=hook)
    except BaseException:
        if changed:
            rebuild()
        raise
    generation = store.generation()
    for space in spaces:
        space.generation = generation
    return result


MILVUS_LITE_FILE = "milvus.db"


def index_backend_for(folder: Path, settings: Settings) -> type[VectorIndex]:
    """The index backend ``settings`` name for the library in ``folder`` (Milvus Lite in it by default)."""
    uri = settings.index_uri
    if settings.index_backend == "milvus" and not uri:
        uri = str(folder / MILVUS_LITE_FILE)
    try:
        return index_backend(settings.index_backend, uri)
    except ValueError as exc:
        raise LibraryError(f"Cannot use the {settings.index_backend!r} index: {exc}") from None


def stored_pair_loader(record: VectorSetRecord, settings: Settings) -> Callable[[], EncoderPair]:
    """How to load the pair a vector set was made with, at its stored precision under "auto"."""
    return lambda: load_pair(None, record, settings)


def load_pair(
    encoders: EncoderSpec | EncoderPair | None, stored: VectorSetRecord | None, settings: Settings
) -> EncoderPair:
    """The pair to open a library with: given, or the one it was built with (at its stored precision)."""
    if encoders is not None and not isinstance(encoders, EncoderSpec):
        return encoders  # already loaded
    spec, precision, runtime = encoders, None, None
    if stored is not None:
        if spec is None:
            spec = EncoderSpec(stored.ctx_encoder, stored.question_encoder, stored.kind, stored.name)
        identity = EncoderIdentity.from_json(stored.identity)
        if settings.precision == "auto":
            precision = identity.precision  # "auto" keeps the library's
        if settings.runtime == "auto":
            runtime = identity.runtime
    spec = spec or EncoderSpec()
    check_available(spec)  # before torch is even imported: a model that is not here fails at once
    from rdr_search.encoders.pair import EncoderPair

    return EncoderPair(spec, settings, precision=precision, runtime=runtime)


def _recipe(identity: EncoderIdentity) -> str:
    return identity.precision if identity.runtime == "torch" else f"{identity.precision}, {identity.runtime}"


def mismatch_message(path: Path, stored: Sequence[VectorSetRecord], pair: EncoderPair) -> str:
    built = "; ".join(
        f"{r.name} ({r.ctx_encoder} + {r.question_encoder}, {_recipe(EncoderIdentity.from_json(r.identity))})"
        for r in stored
    )
    differs = ", ".join(EncoderIdentity.from_json(stored[0].identity).differences(pair.identity))
    return (
        f"The library in {path} holds vectors of: {built}. Its vectors cannot be searched with "
        f"{pair.describe()} (they differ in: {differs}).\n"
        "Either open it with a pair it holds (leave out --preset/--ctx-encoder/--question-encoder/--precision/"
        "--runtime), "
        "or add vectors for the new pair (encodes every passage once):  rdr-search add-encoders --library "
        f"{path} <the same encoder options>  -- or use a new --library folder."
    )
