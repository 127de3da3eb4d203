"""The Milvus backend: the only module that imports pymilvus (and only when this backend is chosen).

A Milvus collection is derived data like a FAISS file: the store stays the commit point. What the library
folder keeps is a small pointer file (``index-{key}.milvus``: the server URI and the collection's name) and
the usual state file recording the store generation the collection reflects. A collection that lags, or
that the pointer names on another server, is rebuilt from the store. The URI is a Milvus server or cluster
(``http://host:19530``) or a Milvus Lite file (``path/to/milvus.db``, in-process, for one process at a time).
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from pymilvus import DataType, MilvusClient, MilvusException

from rdr_search.index.base import Batch, IndexState, VectorIndex
from rdr_search.index.files import read_state, write_atomically, write_state

MILVUS_KINDS = ("auto", "flat", "ivf", "hnsw")
# Where "auto" leaves an exact scan for HNSW (as FAISS leaves flat for IVF).
AUTO_APPROXIMATE_FROM = 200_000
_INSERT_ROWS = 2_000  # rows per insert call: 2000 x 768 float32 is ~6 MB, well under gRPC's 64 MB message cap
_FETCH_IDS = 1_000  # ids per `id in [...]` expression or get call
_MAX_TOPK = 16_384  # Milvus refuses larger search limits
_HNSW_EF = 256


def normalise_uri(uri: str) -> str:
    """A server URI as given; a Milvus Lite file as an absolute path (so two spellings name one file)."""
    if "://" in uri:
        return uri
    path = Path(uri).expanduser().resolve()
    if path.suffix != ".db":
        raise ValueError(f"a Milvus Lite URI is a file ending in .db (got {uri!r}); a server is http://host:19530")
    return str(path)


class _Connection:
    """One lazily made client per backend URI; a failed first connection is tried once more (Milvus Lite
    starts a local server process, and its first gRPC handshake sometimes loses a race with it)."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._client: MilvusClient | None = None
        self._lock = threading.Lock()

    def client(self) -> MilvusClient:
        with self._lock:
            if self._client is None:
                if "://" not in self.uri:
                    Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
                try:
                    self._client = MilvusClient(self.uri)
                except MilvusException:
                    self._client = MilvusClient(self.uri)
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


class MilvusIndex(VectorIndex):
    """A Milvus collection keyed by int64 passage ids; make the class of one server with :meth:`at`.

    One lock per index makes a search in this process see a :meth:`replace` whole or not at all; searches
    ask for strong consistency, so they see every add and removal that returned before them.
    """

    kinds = MILVUS_KINDS

    suffix = ".milvus"
    uri: ClassVar[str] = ""
    _connection: ClassVar[_Connection | None] = None

    def __init__(self, dim: int, kind: str, collection: str, count: int = 0) -> None:
        """The index over an existing ``collection`` holding ``count`` vectors (see :meth:`build`)."""
        self.dim = dim
        self.kind = kind
        self.collection = collection
        self._count = count
        self._lock = threading.RLock()

    @classmethod
    def at(cls, uri: str) -> type[MilvusIndex]:
        """The backend class whose indexes live at ``uri`` (a server URL or a Milvus Lite ``.db`` file)."""
        uri = normalise_uri(uri)
        return type("MilvusIndex", (cls,), {"uri": uri, "_connection": _Connection(uri), "__doc__": cls.__doc__})

    @classmethod
    def _client(cls) -> MilvusClient:
        if cls._connection is None:
            raise ValueError("no Milvus URI: make the backend with MilvusIndex.at(uri) or index_backend('milvus', uri)")
        return cls._connection.client()

    @classmethod
    def disconnect(cls) -> None:
        """Close this backend's client (a later call connects again)."""
        if cls._connection is not None:
            cls._connection.close()

    @classmethod
    def build(cls, dim: int, batches: Iterable[Batch], kind: str = "flat", total: int = 0) -> Self:
        """A new collection from (ids, vectors) batches; ``kind="auto"`` picks exact or HNSW by ``total``."""
        if kind not in MILVUS_KINDS:
            raise ValueError(f"unknown Milvus index kind {kind!r}; one of {', '.join(MILVUS_KINDS)}")
        if kind == "auto":
            kind = "hnsw" if total >= AUTO_APPROXIMATE_FROM else "flat"
        client = cls._client()
        name = f"rdr_{uuid.uuid4().hex}"
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        params = client.prepare_index_params()
        params.add_index(field_name="vector", metric_type="IP", **_index_params(kind, total))
        client.create_collection(name, schema=schema, index_params=params)
        index = cls(dim, kind, name)
        try:
            for ids, vectors in batches:
                index.add(ids, vectors)
        except BaseException:
            client.drop_collection(name)
            raise
        return index

    def __len__(self) -> int:
        return self._count

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        client = self._client()
        with self._lock:
            for start in range(0, len(ids), _INSERT_ROWS):
                stop = start + _INSERT_ROWS
                rows = [{"id": int(i), "vector": v} for i, v in zip(ids[start:stop], vectors[start:stop], strict=True)]
                client.insert(self.collection, rows)
                self._count += len(rows)

    def remove(self, ids: Iterable[int]) -> int:
        wanted = [int(i) for i in ids]
        if not wanted:
            return 0
        client = self._client()
        removed = 0
        with self._lock:
            for chunk in _chunks(wanted, _FETCH_IDS):
                # Milvus counts a delete of an absent key as deleted, so ask which are held first.
                rows = client.query(
                    self.collection, filter=f"id in {chunk}", output_fields=["id"], consistency_level="Strong"
                )
                held = [int(r["id"]) for r in rows]
                if held:
                    client.delete(self.collection, ids=held)
                removed += len(held)
            self._count -= removed
        return removed

    def replace(self, remove_ids: Iterable[int], add_ids: np.ndarray, vectors: np.ndarray) -> None:
        with self._lock:
            self.remove(remove_ids)
            self.add(add_ids, vectors)

    def ids(self) -> np.ndarray:
        client = self._client()
        with self._lock:
            found = [int(r["id"]) for r in _iterate(client, self.collection, self._count)]
        return np.array(found, dtype=np.int64)

    def search(self, queries: np.ndarray, k: int, ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        empty = np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        with self._lock:
            if self._count == 0 or (ids is not None and len(ids) == 0):
                return empty
            if ids is not None:
                return self._search_within(queries, k, ids)
            depth = max(1, min(k, self._count, _MAX_TOPK))
            results = self._client().search(
                self.collection, data=list(queries), limit=depth, output_fields=[],
                search_params={"metric_type": "IP", "params": _search_params(self.kind)}, consistency_level="Strong",
            )  # fmt: skip
        scores = np.full((len(queries), depth), -np.inf, dtype=np.float32)
        found = np.full((len(queries), depth), -1, dtype=np.int64)
        for row, hits in enumerate(results):
            for place, hit in enumerate(hits[:depth]):
                scores[row, place], found[row, place] = hit["distance"], hit["id"]
        return scores, found

    def _search_within(self, queries: np.ndarray, k: int, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact scores over the held vectors among ``ids`` (fetched, then scored here: exhaustive by design)."""
        client = self._client()
        held: list[int] = []
        vectors: list[np.ndarray] = []
        for chunk in _chunks([int(i) for i in ids], _FETCH_IDS):
            for row in client.get(self.collection, ids=chunk, output_fields=["vector"], consistency_level="Strong"):
                held.append(int(row["id"]))
                vectors.append(np.asarray(row["vector"], dtype=np.float32))
        depth = max(1, min(k, self._count, len(ids)))
        scores = np.full((len(queries), depth), -np.inf, dtype=np.float32)
        found = np.full((len(queries), depth), -1, dtype=np.int64)
        if held:
            exact = queries @ np.stack(vectors).T
            order = np.argsort(-exact, axis=1, kind="stable")[:, :depth]
            scores[:, : order.shape[1]] = np.take_along_axis(exact, order, axis=1)
            found[:, : order.shape[1]] = np.asarray(held, dtype=np.int64)[order]
        return scores, found

    def save(self, path: Path, generation: int) -> None:
        """Flush the collection, point ``path`` at it, record ``generation``; drop the collection the pointer
        named before, if another (a rebuild replaced it)."""
        client = self._client()
        with self._lock:
            client.flush(self.collection)
            state = IndexState(generation, self._count, self.kind, self.dim)
        previous = _read_pointer(path)
        write_atomically(path, json.dumps({"uri": self.uri, "collection": self.collection}).encode())
        write_state(path, state)
        if previous is not None and previous["uri"] == self.uri and previous["collection"] != self.collection:
            with contextlib.suppress(MilvusException):  # gone already: nothing to tidy
                client.drop_collection(previous["collection"])

    @classmethod
    def open(cls, path: Path) -> tuple[Self, IndexState] | None:
        state = read_state(path)
        pointer = _read_pointer(path)
        if state is None or pointer is None or pointer["uri"] != cls.uri:
            return None  # another server's collection: rebuilt here from the store
        name = pointer["collection"]
        try:
            client = cls._client()
            if not client.has_collection(name):
                return None
            client.load_collection(name)
            rows = client.query(name, filter="", output_fields=["count(*)"], consistency_level="Strong")
            fields = client.describe_collection(name)["fields"]
            dim = next(int(f["params"]["dim"]) for f in fields if f["name"] == "vector")
        except (MilvusException, KeyError, StopIteration, ValueError):
            return None
        if int(rows[0]["count(*)"]) != state.count or dim != state.dim:
            return None
        return cls(state.dim, state.kind, name, state.count), state

    def drop(self) -> None:
        """Delete the collection (an index that is no longer wanted; the store keeps the vectors)."""
        self._client().drop_collection(self.collection)


def _read_pointer(path: Path) -> dict[str, str] | None:
    try:
        pointer = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(pointer, dict) or not all(isinstance(pointer.get(k), str) for k in ("uri", "collection")):
        return None
    return {"uri": pointer["uri"], "collection": pointer["collection"]}


def _index_params(kind: str, total: int) -> dict[str, Any]:
    """Milvus index of each kind; IVF keeps 8-bit codes like the FAISS backend's."""
    if kind == "flat":
        return {"index_type": "FLAT", "params": {}}
    if kind == "ivf":
        nlist = int(max(1, min(4 * np.sqrt(max(total, 1)), 65_536)))
        return {"index_type": "IVF_SQ8", "params": {"nlist": nlist}}
    return {"index_type": "HNSW", "params": {"M": 32, "efConstruction": 200}}


def _search_params(kind: str) -> dict[str, Any]:
    if kind == "ivf":
        return {"nprobe": 64}
    if kind == "hnsw":
        return {"ef": _HNSW_EF}
    return {}


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _iterate(client: MilvusClient, collection: str, count: int) -> Iterator[dict[str, Any]]:
    # One query is enough up to Milvus's result cap; past it the iterator pages (it costs an extra
    # timestamp call that Milvus Lite does not implement and logs as an error, so only when needed).
    if count < _MAX_TOPK:
        yield from client.query(
            collection, filter="", output_fields=["id"], limit=_MAX_TOPK, consistency_level="Strong"
        )
        return
    iterator = client.query_iterator(
        collection, batch_size=10_000, filter="", output_fields=["id"], consistency_level="Strong"
    )
    try:
        while rows := iterator.next():
            yield from rows
    finally:
        iterator.close()
