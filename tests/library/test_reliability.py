"""Crash safety and concurrency: kills at random moments, searches during ingest, competing writers."""

from __future__ import annotations

import contextlib
import multiprocessing
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.library import Hit, Library
from tests.library.crash_worker import CHURN_SETTINGS, add_and_stall, churn

KILLS = 20


def per_source(hits: list[Hit]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit.source] = counts.get(hit.source, 0) + 1
    return counts


def write_documents(folder: Path, count: int, sentences: int = 12) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for n in range(count):
        body = " ".join(
            f"Document {n} sentence {i} talks about topic {n * 7 + i} in plain words." for i in range(sentences)
        )
        path = folder / f"doc{n:02d}.md"
        path.write_text(f"# Document {n}\n\n{body}\n")
        files.append(path)
    return files


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), CHURN_SETTINGS)


@pytest.mark.slow
def test_sigkill_at_random_moments_never_breaks_the_library(
    tmp_path: Path, tiny_pair: tuple[Path, Path], pair: EncoderPair
) -> None:
    files = write_documents(tmp_path / "docs", 16)
    with Library.open(tmp_path / "reference", pair, CHURN_SETTINGS) as reference:
        reference.add_files(files, progress=False)
        expected = {d.source: d.passages for d in reference.documents()}
    library = tmp_path / "library"
    # A forkserver that has imported the engine once makes each killed writer start in milliseconds.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.library.crash_worker"])
    rng = random.Random(20261128)
    kills = 0
    seen_documents: set[int] = set()
    seen_unfinished = 0
    for _ in range(KILLS):
        working = context.Event()
        writer = context.Process(
            target=churn,
            args=(str(library), str(tiny_pair[0]), str(tiny_pair[1]), [str(f) for f in files], working),
        )
        writer.start()
        assert working.wait(timeout=120), "the writer never got going"
        time.sleep(rng.uniform(0.0, 1.2))
        assert writer.is_alive(), "the writer died on its own"
        writer.kill()  # SIGKILL: no cleanup, no atexit, mid-transaction or mid-write
        writer.join()
        kills += 1
        with Library.open(library, pair, CHURN_SETTINGS) as reopened:
            report = reopened.check()  # the vectors, the index files and the keyword index agree with the rows
            assert report.ok, report.problems
            documents = reopened.documents()
            # No half documents unmarked: a ready document has exactly the passages a complete add gives; one
            # killed between parts is "indexing" with whole parts (fewer passages) and its hits say so.
            for d in documents:
                assert d.passages == expected[d.source] if d.state == "ready" else d.passages < expected[d.source]
            unfinished = {d.source for d in documents if d.state == "indexing"}
            seen_unfinished += len(unfinished)
            # Every passage says "topic": the keyword index finds each stored passage once, and nothing else.
            hits = reopened.search("topic", k=10_000, mode="keyword")
            assert per_source(hits) == {d.source: d.passages for d in documents}
            assert {h.source for h in hits if h.indexing} == unfinished
            seen_documents.add(len(documents))
    # the kills landed at many different points, some of them between the parts of a document
    assert kills == KILLS and len(seen_documents) > 3 and seen_unfinished > 0
    with Library.open(library, pair, CHURN_SETTINGS) as final:
        result = final.add_files(files, progress=False)  # unfinished documents resume
        assert all(o.status in ("added", "unchanged") for o in result.outcomes)
        assert {d.source: d.passages for d in final.documents()} == expected
        assert final.check().ok


def test_searches_during_an_ingest_never_see_half_a_document_unmarked(tmp_path: Path, pair: EncoderPair) -> None:
    # Many parts per document (4, then 8 each): many commits for a search to land between.
    files = write_documents(tmp_path / "docs", 24, sentences=40)
    with Library.open(tmp_path / "reference", pair, CHURN_SETTINGS) as reference:
        reference.add_files(files, progress=False)
        expected = {d.source: d.passages for d in reference.documents()}
    lib = Library.open(tmp_path / "library", pair, CHURN_SETTINGS)
    problems: list[str] = []
    searches = 0
    done = threading.Event()

    def search_loop() -> None:
        nonlocal searches
        while not done.is_set():
            mode = ("dense", "keyword", "hybrid")[searches % 3]
            hits = lib.search("topic words", k=10_000, mode=mode)
            counts, unfinished = per_source(hits), {h.source for h in hits if h.indexing}
            searches += 1
            # part of a document only while it is marked as still being indexed
            problems.extend(
                f"{s}: {n} of {expected[s]}" for s, n in counts.items() if n != expected[s] and s not in unfinished
            )

    searcher = threading.Thread(target=search_loop)
    searcher.start()
    try:
        for file in files:
            lib.add_files([file], progress=False)
        for document in lib.documents()[::3]:
            lib.remove(document.source)
    finally:
        done.set()
        searcher.join()
        lib.close()
    assert searches > 10 and not problems


def test_a_commit_that_fails_after_the_index_changed_leaves_the_index_as_the_store(
    tmp_path: Path, pair: EncoderPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Indexes change inside the write transaction, just before it commits; a COMMIT that then fails (disk
    full, I/O error: simulated by rolling back and raising where SQLite would) must not leave vectors of rows
    that never existed, or drop those of rows that still do."""
    files = write_documents(tmp_path / "docs", 2, sentences=20)
    with Library.open(tmp_path / "library", pair, CHURN_SETTINGS) as lib:
        lib.add_files(files[:1], progress=False)
        store = lib._store
        written = store.transaction

        @contextlib.contextmanager
        def commit_fails() -> Iterator[sqlite3.Connection]:
            with contextlib.suppress(sqlite3.OperationalError), written() as db:
                yield db
                raise sqlite3.OperationalError("rolled back")  # inside written(): it rolls back
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(store, "transaction", commit_fails)
        with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
            lib.add_files(files[1:], progress=False)
        with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
            lib.remove(files[0].name)
        monkeypatch.undo()
        report = lib.check()
        assert report.ok, report.problems
        hits = lib.search("topic", k=1000, mode="dense")
        assert per_source(hits) == {files[0].name: 20} and not any(h.indexing for h in hits)
        assert lib.add_files(files[1:], progress=False).outcomes[0].status == "added"
        assert lib.remove(files[0].name)
        assert per_source(lib.search("topic", k=1000, mode="dense")) == {files[1].name: 20}
        assert lib.check().ok


def test_a_long_document_killed_between_parts_is_marked_and_resumes(
    tmp_path: Path, tiny_pair: tuple[Path, Path], pair: EncoderPair
) -> None:
    (long,) = write_documents(tmp_path / "docs", 1, sentences=30)
    with Library.open(tmp_path / "reference", pair, CHURN_SETTINGS) as reference:
        reference.add_files([long], progress=False)
        total = reference.documents()[0].passages
    library = tmp_path / "library"
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.library.crash_worker"])
    reached = context.Event()
    # checks: before the file, before part 1, part 2, part 3: stalled (and killed) with two parts committed
    args = (str(library), str(tiny_pair[0]), str(tiny_pair[1]), str(long), 4, reached)
    writer = context.Process(target=add_and_stall, args=args)
    writer.start()
    assert reached.wait(timeout=120), "the writer never got to its third part"
    writer.kill()
    writer.join()
    with Library.open(library, pair, CHURN_SETTINGS) as lib:
        (document,) = lib.documents()
        assert document.state == "indexing" and document.passages == 4 + 8
        hits = lib.search("topic", k=100)
        assert len(hits) == 12 and all(h.indexing for h in hits)
        report = lib.check()
        assert report.ok and report.indexing == (long.name,), report.problems
        result = lib.add_files([long], progress=False)
        assert result.outcomes[0].status == "added" and result.encoded == total - 12  # from its last part on
        assert lib.documents()[0].state == "ready" and lib.documents()[0].passages == total
        assert lib.check().ok


def test_two_writers_on_one_library_serialize(tmp_path: Path, pair: EncoderPair) -> None:
    files = write_documents(tmp_path / "docs", 10)
    first = Library.open(tmp_path / "library", pair, CHURN_SETTINGS)
    second = Library.open(tmp_path / "library", pair, CHURN_SETTINGS)  # as a second program would
    errors: list[BaseException] = []

    def add(lib: Library, batch: list[Path]) -> None:
        try:
            for file in batch:
                lib.add_files([file], progress=False)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=add, args=(first, files[0::2])),
        threading.Thread(target=add, args=(second, files[1::2])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors
        for lib in (first, second):
            assert len(lib.documents()) == 10
            assert len(lib.search("topic", k=1000)) == lib.stats()["passages"]  # each sees the other's adds
            assert lib.check().ok
    finally:
        first.close()
        second.close()
