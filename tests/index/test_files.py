"""Saved indexes in a library folder: trusted only at the store's generation, else rebuilt; saved by the writer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from rdr_search.index import Batch, IndexFiles, VectorIndex
from tests.index.conftest import vectors

IDS = np.arange(40, dtype=np.int64)
DATA = vectors(40)


class StoreSide:
    """What the store hands over: its vectors and count, noting whether they were asked for."""

    def __init__(self, ids: np.ndarray = IDS, data: np.ndarray = DATA) -> None:
        self.ids, self.data = ids, data
        self.read = self.counted = False

    def vectors(self) -> Iterator[Batch]:
        self.read = True
        yield self.ids, self.data

    def count(self) -> int:
        self.counted = True
        return len(self.ids)


@pytest.fixture
def files(backend: type[VectorIndex], tmp_path: Path) -> IndexFiles:
    return IndexFiles(tmp_path, backend, FileLock(str(tmp_path / ".write.lock"), thread_local=False))


def open_with(files: IndexFiles, generation: int, store: StoreSide) -> VectorIndex:
    return files.open("set", 24, generation, store.vectors(), store.count)


def test_a_missing_index_is_built_from_the_store_and_saved(files: IndexFiles) -> None:
    store = StoreSide()
    index = open_with(files, 3, store)
    assert store.read and store.counted and len(index) == 40
    assert files.path("set").name == f"index-set{files.backend.suffix}" and files.path("set").is_file()
    current = files.load_current("set", 3)
    assert current is not None and sorted(current.ids().tolist()) == IDS.tolist()


def test_a_current_index_is_loaded_without_reading_the_store(files: IndexFiles) -> None:
    open_with(files, 3, StoreSide())
    store = StoreSide()
    assert len(open_with(files, 3, store)) == 40
    assert not store.read and not store.counted


def test_an_index_of_an_older_generation_is_rebuilt(files: IndexFiles) -> None:
    open_with(files, 3, StoreSide())
    store = StoreSide(IDS[:10], DATA[:10])  # the store moved on: 30 passages removed since
    assert files.load_current("set", 4) is None
    index = open_with(files, 4, store)
    assert store.read and sorted(index.ids().tolist()) == list(range(10))
    saved = files.load_current("set", 4)
    assert saved is not None and len(saved) == 10


def test_a_damaged_index_is_rebuilt(files: IndexFiles) -> None:
    open_with(files, 3, StoreSide())
    files.path("set").write_bytes(b"garbage from a crash")
    store = StoreSide()
    assert len(open_with(files, 3, store)) == 40 and store.read
    assert files.load_current("set", 3) is not None


def test_only_the_writer_saves_and_failures_are_logged(
    files: IndexFiles, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = open_with(files, 1, StoreSide())
    caplog.set_level(logging.DEBUG, logger="rdr_search.index")
    other = FileLock(str(tmp_path / ".write.lock"))  # another writer holds the folder
    with other:
        files.save("set", index, 2)
    assert files.load_current("set", 2) is None  # kept in memory only
    # Only this library's records: Milvus Lite's in-process server logs its own on creating a collection.
    assert [r.levelno for r in caplog.records if r.name == "rdr_search.index"] == [logging.DEBUG]
    caplog.clear()
    blocked = IndexFiles(tmp_path / "a-file", files.backend, files.writer_lock)
    (tmp_path / "a-file").write_text("not a folder")
    blocked.save("set", index, 2)
    assert [r.levelno for r in caplog.records if r.name == "rdr_search.index"] == [logging.WARNING]
