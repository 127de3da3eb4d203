"""Milvus-only behaviour: the collection is derived, named by a pointer file, and tidied when replaced."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from rdr_search.index import IndexFiles, VectorIndex, index_backend
from tests.index.conftest import vectors

pytest.importorskip("pymilvus", reason="the milvus backend needs the scale extra (pip install 'rdr-search[scale]')")


def test_a_rebuild_replaces_the_collection_and_drops_the_old_one(
    milvus_backend: type[VectorIndex], tmp_path: Path
) -> None:
    from rdr_search.index.milvus import MilvusIndex

    files = IndexFiles(tmp_path, milvus_backend, FileLock(str(tmp_path / ".lock"), thread_local=False))
    data = vectors(30)
    first = files.open("set", 24, 1, iter([(np.arange(30, dtype=np.int64), data)]), lambda: 30)
    assert isinstance(first, MilvusIndex)
    pointer = json.loads(files.path("set").read_text())
    assert pointer["collection"] == first.collection
    second = files.open("set", 24, 2, iter([(np.arange(10, dtype=np.int64), data[:10])]), lambda: 10)
    assert isinstance(second, MilvusIndex) and second.collection != first.collection
    client = milvus_backend._client()  # type: ignore[attr-defined]
    assert not client.has_collection(first.collection) and client.has_collection(second.collection)
    reopened = files.load_current("set", 2)
    assert reopened is not None and sorted(reopened.ids().tolist()) == list(range(10))


def test_a_collection_saved_on_another_server_is_not_trusted(milvus_backend: type[VectorIndex], tmp_path: Path) -> None:
    path = tmp_path / "index-set.milvus"
    milvus_backend.build(24, [(np.arange(5, dtype=np.int64), vectors(5))]).save(path, generation=1)
    assert milvus_backend.open(path) is not None
    elsewhere = index_backend("milvus", str(tmp_path / "other.db"))
    assert elsewhere.open(path) is None  # the library rebuilds it on the server it was given


def test_uris_and_kinds_are_checked() -> None:
    with pytest.raises(ValueError, match="needs a URI"):
        index_backend("milvus")
    with pytest.raises(ValueError, match=r"ending in \.db"):
        index_backend("milvus", "milvus-data")
    with pytest.raises(ValueError, match="unknown index backend 'weaviate'"):
        index_backend("weaviate")


def test_hnsw_finds_the_nearest_and_supports_removal(milvus_backend: type[VectorIndex]) -> None:
    data = vectors(2000)
    index = milvus_backend.build(24, [(np.arange(2000, dtype=np.int64), data)], kind="hnsw")
    assert index.kind == "hnsw"
    assert index.remove(range(0, 2000, 2)) == 1000
    _, found = index.search(data[1:200:2], 1)
    assert found[:, 0].tolist() == list(range(1, 200, 2))
    with pytest.raises(ValueError, match="unknown Milvus index kind"):
        milvus_backend.build(24, [], kind="diskann")
