"""rdr_search.documents.worker through DocumentReader: reading in a worker process, with its time budget."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rdr_search.documents import DocumentReader, read_document
from rdr_search.documents.worker import _limit_memory, _stop
from rdr_search.errors import DocumentError
from tests.documents.helpers import THREE_PAGES, make_pdf, reader_children, wait_until, write_slow_html


@pytest.fixture(scope="module")
def reader() -> Iterator[DocumentReader]:
    with DocumentReader(timeout_s=30) as shared:
        yield shared


def test_reader_reads_in_a_worker(reader: DocumentReader, tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "w.pdf", THREE_PAGES, title="Worker Title")
    doc = reader.read(path, source="folder/w.pdf")
    assert doc == read_document(path, source="folder/w.pdf")
    (pid,) = reader.worker_pids()
    assert pid != os.getpid() and pid in reader_children()
    assert reader.alive_workers() == 1


def test_reader_reports_document_errors(reader: DocumentReader, tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="^file not found$"):
        reader.read(tmp_path / "missing.txt")
    path = tmp_path / "random.txt"
    path.write_bytes(os.urandom(2048))
    with pytest.raises(DocumentError, match="binary data"):
        reader.read(path)


def test_reader_relative_path(reader: DocumentReader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rel.txt").write_text("relative", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert reader.read("rel.txt").pages == ("relative",)


def test_reader_is_thread_safe(reader: DocumentReader, tmp_path: Path) -> None:
    paths = []
    for i in range(12):
        path = tmp_path / f"t{i}.txt"
        path.write_text(f"file number {i}", encoding="utf-8")
        paths.append(path)
    with ThreadPoolExecutor(max_workers=6) as pool:
        docs = list(pool.map(reader.read, paths))
    assert [d.pages[0] for d in docs] == [f"file number {i}" for i in range(12)]


@pytest.mark.slow  # kills or spawns processes (still under a second)
def test_reader_restarts_a_dead_worker(reader: DocumentReader, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("before", encoding="utf-8")
    reader.read(path)
    (old,) = reader.worker_pids()
    os.kill(old, signal.SIGKILL)
    assert wait_until(lambda: reader.alive_workers() == 0)
    path.write_text("after", encoding="utf-8")
    assert reader.read(path).pages == ("after",)
    (new,) = reader.worker_pids()
    assert new != old and reader.alive_workers() == 1


@pytest.mark.slow  # kills or spawns processes (still under a second)
def test_reader_timeout_kills_the_worker_and_recovers(tmp_path: Path) -> None:
    slow = write_slow_html(tmp_path / "huge.html")  # about a second: ten times the 0.1 s budget
    quick = tmp_path / "quick.txt"
    quick.write_text("still works", encoding="utf-8")
    with DocumentReader(timeout_s=0.1) as reader:
        assert reader.read(quick).pages == ("still works",)  # worker started; startup is not charged
        (worker,) = reader.worker_pids()
        start = time.perf_counter()
        with pytest.raises(DocumentError, match=r"^took longer than 0\.1 s to read; skipped$"):
            reader.read(slow)
        assert time.perf_counter() - start < 3
        assert reader.alive_workers() == 0 and worker not in reader_children()
        assert reader.read(quick).pages == ("still works",)
    with pytest.raises(RuntimeError, match="closed"):
        reader.read(quick)


def test_reader_close_stops_the_worker(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("closing", encoding="utf-8")
    reader = DocumentReader()
    reader.read(path)
    (worker,) = reader.worker_pids()
    reader.close()
    assert reader.alive_workers() == 0 and reader.worker_pids() == []
    assert worker not in reader_children()
    reader.close()  # idempotent


@pytest.mark.slow  # kills or spawns processes (still under a second)
def test_import_is_light_and_worker_skips_main(tmp_path: Path) -> None:
    # Importing the module must not pull in parsers or heavy libraries, and the spawned worker must not
    # re-run the parent's __main__ script (which, for app.py, imports gradio and torch).
    main = tmp_path / "fake_app.py"
    note = tmp_path / "note.txt"
    note.write_text("read in the worker", encoding="utf-8")
    main.write_text(
        "import sys\n"
        "import rdr_search.documents as d\n"
        "heavy = {'torch', 'transformers', 'faiss', 'pypdf', 'docx', 'bs4', 'lxml',\n"
        "         'charset_normalizer', 'rdr_search.library'}\n"
        "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n"
        "print('MAIN RAN')\n"
        "if __name__ == '__main__':\n"
        "    with d.DocumentReader() as r:\n"
        f"        print(r.read({str(note)!r}).pages)\n"
    )
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    result = subprocess.run(
        [sys.executable, str(main)], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    # Had the worker re-imported __main__, "MAIN RAN" would be printed twice.
    assert result.stdout.count("MAIN RAN") == 1, result.stdout
    assert "('read in the worker',)" in result.stdout


class _StuckProcess:
    pid = 4242

    def is_alive(self) -> bool:
        return True

    def kill(self) -> None:
        raise OSError("operation not permitted")

    def join(self, timeout: float | None = None) -> None:
        return None


class _BrokenPipe:
    def close(self) -> None:
        raise OSError("bad file descriptor")


def test_a_worker_that_cannot_be_cleaned_up_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="rdr_search.documents"):
        _stop(_StuckProcess(), _BrokenPipe())
    assert "pid 4242" in caplog.text
    assert "operation not permitted" in caplog.text and "bad file descriptor" in caplog.text


def test_a_memory_cap_that_cannot_be_set_is_logged(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    resource = pytest.importorskip("resource")

    def refuse(*args: object) -> None:
        raise ValueError("not allowed")

    # Never really set: a cap on the test process itself would outlive the test.
    monkeypatch.setattr(resource, "getrlimit", lambda kind: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    monkeypatch.setattr(resource, "setrlimit", refuse)
    with caplog.at_level(logging.DEBUG, logger="rdr_search.documents"):
        _limit_memory(1 << 30)
    assert "without its memory cap: not allowed" in caplog.text
