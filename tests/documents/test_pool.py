"""rdr_search.documents.pool: one DocumentReader shared by many callers, over a bounded pool of workers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rdr_search.documents import Document, DocumentReader
from rdr_search.errors import DocumentError
from tests.documents.helpers import reader_children, wait_until, write_slow_html

pytestmark = pytest.mark.slow  # starts several worker processes


def text_files(folder: Path, count: int) -> list[Path]:
    paths = []
    for i in range(count):
        path = folder / f"f{i}.txt"
        path.write_text(f"file number {i}", encoding="utf-8")
        paths.append(path)
    return paths


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="workers"):
        DocumentReader(workers=0)
    with pytest.raises(ValueError, match="timeout_s"):
        DocumentReader(timeout_s=0)
    with pytest.raises(ValueError, match="idle_timeout_s"):
        DocumentReader(idle_timeout_s=0)


def test_workers_start_only_when_needed(tmp_path: Path) -> None:
    (quick,) = text_files(tmp_path, 1)
    with DocumentReader(workers=4) as reader:
        assert reader.alive_workers() == 0 and reader.worker_pids() == []
        for _ in range(3):  # one caller at a time: one worker is enough
            assert reader.read(quick).pages == ("file number 0",)
        assert reader.alive_workers() == 1


def test_two_concurrent_reads_use_two_workers(tmp_path: Path) -> None:
    # Both calls come in while the first worker is still starting (~0.5 s), so neither waits for the other.
    slow = [write_slow_html(tmp_path / f"slow{i}.html", paragraphs=20_000) for i in range(2)]
    with DocumentReader(timeout_s=60, workers=2) as reader, ThreadPoolExecutor(2) as pool:
        seen: list[int] = []
        futures = [pool.submit(reader.read, path) for path in slow]
        while not all(f.done() for f in futures):
            seen.append(reader.alive_workers())
            time.sleep(0.01)
        docs = [f.result() for f in futures]
        assert all(isinstance(doc, Document) and doc.kind == "html" for doc in docs)
        assert max(seen) == 2  # both files were read at the same time, each in its own process
        assert len(set(reader.worker_pids())) == 2 and reader.alive_workers() == 2


def test_a_timeout_in_one_worker_leaves_the_other_alone(tmp_path: Path) -> None:
    slow = write_slow_html(tmp_path / "huge.html", paragraphs=300_000)  # ~2 s: far past the budget
    quick = text_files(tmp_path, 2)
    with DocumentReader(timeout_s=0.3, workers=2) as reader:
        with ThreadPoolExecutor(2) as pool:  # start both workers
            assert [d.pages for d in pool.map(reader.read, quick)] == [("file number 0",), ("file number 1",)]
        before = set(reader.worker_pids())
        assert len(before) == 2

        with ThreadPoolExecutor(1) as pool:
            timed_out = pool.submit(reader.read, slow)
            reads = 0
            while not timed_out.done():  # meanwhile the other worker keeps reading
                assert reader.read(quick[0]).pages == ("file number 0",)
                reads += 1
            with pytest.raises(DocumentError, match=r"^took longer than 0\.3 s to read; skipped$"):
                timed_out.result()
        assert reads > 0
        # Only the worker that ran out of time was stopped; the one serving the quick reads is the same process.
        survivors = set(reader.worker_pids())
        assert len(survivors) == 1 and survivors < before and reader.alive_workers() == 1
        assert reader.read(slow.with_name("f1.txt")).pages == ("file number 1",)


def test_ten_threads_never_get_more_than_the_bound(tmp_path: Path) -> None:
    paths = text_files(tmp_path, 40)
    seen: list[int] = []
    done = threading.Event()
    with DocumentReader(timeout_s=60, workers=3) as reader:

        def watch() -> None:
            while not done.is_set():
                seen.append(reader.alive_workers())
                seen.append(len(reader_children()))
                time.sleep(0.005)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with ThreadPoolExecutor(10) as pool:
                docs = list(pool.map(reader.read, paths * 3))
        finally:
            done.set()
            watcher.join()
        assert [d.pages[0] for d in docs] == [f"file number {i}" for i in range(40)] * 3
        assert max(seen) <= 3 and len(reader.worker_pids()) <= 3
        assert reader.alive_workers() >= 2  # ten callers at once did share the work


def test_close_leaves_no_process(tmp_path: Path) -> None:
    paths = text_files(tmp_path, 12)
    reader = DocumentReader(workers=3)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(reader.read, paths))
    pids = set(reader.worker_pids())
    assert pids and pids <= reader_children()
    reader.close()
    assert reader.alive_workers() == 0 and reader.worker_pids() == []
    assert not pids & reader_children()
    with pytest.raises(RuntimeError, match="closed"):
        reader.read(paths[0])


def test_close_waits_for_a_read_in_progress(tmp_path: Path) -> None:
    slow = write_slow_html(tmp_path / "huge.html")
    reader = DocumentReader(timeout_s=60, workers=2)
    with ThreadPoolExecutor(1) as pool:
        reading = pool.submit(reader.read, slow)
        assert wait_until(lambda: reader.alive_workers() == 1)
        pids = set(reader.worker_pids())
        reader.close()
        assert reading.done() and reading.result().kind == "html"  # finished, not killed half-way
    assert reader.alive_workers() == 0 and not pids & reader_children()


def test_idle_workers_stop_after_idle_timeout(tmp_path: Path) -> None:
    (quick,) = text_files(tmp_path, 1)
    with DocumentReader(workers=2, idle_timeout_s=0.3) as reader:
        reader.read(quick)
        assert reader.alive_workers() == 1
        assert wait_until(lambda: reader.alive_workers() == 0)
        assert reader.read(quick).pages == ("file number 0",)  # started again when needed
        assert reader.alive_workers() == 1
