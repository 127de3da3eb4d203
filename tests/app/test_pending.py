"""Uploads never bounce: adds that come while the models load are queued and then processed (or each told the
load failure); a running add can be cancelled and leaves the library consistent."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from rdr_search.app.pending import WAITING, queued_note
from rdr_search.app.service import AppService
from rdr_search.encoders import EncoderSpec
from rdr_search.library import AddResult
from rdr_search.settings import Settings
from tests.app.helpers import tiny_config

PARTS = Settings(precision="fp32", passage_words=20, batch_size=4, first_part_passages=2, part_passages=2)


def write(folder: Path, name: str, sentences: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = " ".join(f"Line {i}: kites fly high over the windy hill number {i} today." for i in range(sentences))
    path = folder / name
    path.write_text(f"# Kites {name}\n\n{body}\n", encoding="utf-8")
    return path


def eventually(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def add_in_background(service: AppService, paths: list[Path]) -> tuple[threading.Thread, list[AddResult]]:
    results: list[AddResult] = []
    thread = threading.Thread(target=lambda: results.append(service.add(paths, None, None)))
    thread.start()
    return thread, results


def test_files_added_while_the_models_load_are_queued_then_added(tiny_pair: tuple[Path, Path], tmp_path: Path) -> None:
    service = AppService(tiny_config(tiny_pair, tmp_path / "library"))  # not started yet: still "loading"
    files = [write(tmp_path / "docs", "a.md"), write(tmp_path / "docs", "b.md")]
    try:
        assert service.status()[0] == "loading"
        thread, results = add_in_background(service, files)
        eventually(lambda: service.adds.waiting == 1)  # queued, not refused
        assert thread.is_alive() and not results
        service.start()  # the models finish loading: the queued add goes on by itself
        thread.join(120)
        (result,) = results
        assert [(o.source, o.status) for o in result.outcomes] == [("a.md", "added"), ("b.md", "added")]
        hits, empty = service.search("kites on the hill", 5, None)
        assert not empty and {h.source for h in hits} == {"a.md", "b.md"}
        assert WAITING in queued_note(2) and "2 files" in queued_note(2)
    finally:
        service.close()


def test_a_load_failure_gives_each_queued_file_that_outcome(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-model")
    service = AppService(tiny_config((Path(missing), Path(missing)), tmp_path / "library"))
    assert service.config.encoder_spec == EncoderSpec.pair(missing, missing)
    files = [write(tmp_path / "docs", "a.md"), write(tmp_path / "docs", "b.md")]
    try:
        thread, results = add_in_background(service, files)
        eventually(lambda: service.adds.waiting == 1)
        service.start()
        thread.join(120)
        state, message = service.status()
        assert state == "failed"
        (result,) = results
        assert [o.source for o in result.outcomes] == ["a.md", "b.md"]
        assert all(o.status == "failed" and message in o.message for o in result.outcomes)  # the reason and its fix
    finally:
        service.close()


def test_a_queued_add_can_be_cancelled_before_it_starts(tiny_pair: tuple[Path, Path], tmp_path: Path) -> None:
    service = AppService(tiny_config(tiny_pair, tmp_path / "library"))
    try:
        thread, results = add_in_background(service, [write(tmp_path / "docs", "a.md")])
        eventually(lambda: service.adds.waiting == 1)
        assert service.adds.cancel(None) == 1
        service.start()
        thread.join(120)
        assert [o.status for o in results[0].outcomes] == ["cancelled"]
        assert service.documents(None) == [] and service.adds.cancel(None) == 0  # nothing left in flight
    finally:
        service.close()


def test_cancel_stops_a_long_add_and_keeps_a_consistent_library(tiny_pair: tuple[Path, Path], tmp_path: Path) -> None:
    service = AppService(tiny_config(tiny_pair, tmp_path / "library", settings=PARTS))
    service.start()
    long = write(tmp_path / "docs", "long.md", sentences=1500)  # hundreds of two-passage parts
    try:
        assert service.wait_until_ready(120)
        thread, results = add_in_background(service, [long, write(tmp_path / "docs", "after.md")])
        eventually(lambda: any(d.state == "indexing" for d in service.documents(None)))  # its first parts are in
        assert service.adds.cancel(None) == 1
        thread.join(120)
        (result,) = results
        assert [o.status for o in result.outcomes] == ["cancelled", "cancelled"]
        (document,) = service.documents(None)
        assert document.state == "indexing" and document.passages == result.outcomes[0].passages > 0
        with service.library(None, create=False) as library:
            assert library is not None
            report = library.check()
            assert report.ok and report.indexing == ("long.md",), report.problems
    finally:
        service.close()
