"""Searchable while it reads: long documents commit part by part (marked "indexing" until done), a cancel
stops between parts and files, and an unfinished document resumes with nothing encoded twice."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.library import Library
from rdr_search.records import FileStatus
from rdr_search.settings import Settings

PARTS = Settings(precision="fp32", passage_words=20, batch_size=4, first_part_passages=2, part_passages=4)


class CancelAt(threading.Event):
    """A cancel flag that sets itself at its ``n``-th check, as if a person pressed Cancel right then (the library
    checks before each part and each file)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n, self.checks = n, 0

    def is_set(self) -> bool:
        self.checks += 1
        if self.checks >= self.n:
            self.set()
        return super().is_set()


def long_document(folder: Path, name: str = "long.md", sentences: int = 60, topic: str = "rivers") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = " ".join(
        f"Sentence {i} of the long text says that {topic} number {i} run to the sea." for i in range(sentences)
    )
    path = folder / name
    path.write_text(f"# A long text about {topic}\n\n{body}\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), PARTS)


@pytest.fixture()
def reference(tmp_path: Path, pair: EncoderPair) -> list[tuple[str, int, int]]:
    """The long document's passages (text, char span) when added in one go."""
    with Library.open(tmp_path / "reference", pair, PARTS) as lib:
        lib.add_files([long_document(tmp_path / "docs")], progress=False)
        hits = lib.search("rivers", k=1000, mode="keyword")
        return sorted((h.text, h.span.char_start, h.span.char_end) for h in hits)


def test_a_cancelled_long_document_stays_marked_and_resumes_without_encoding_twice(
    tmp_path: Path, pair: EncoderPair, reference: list[tuple[str, int, int]]
) -> None:
    path = long_document(tmp_path / "docs")
    total = len(reference)
    assert total > 10  # several parts
    with Library.open(tmp_path / "library", pair, PARTS) as lib:
        # checks: before the file, before part 1 (2 passages), before part 2 (4), then cancelled before part 3
        result = lib.add_files([path], progress=False, cancel=CancelAt(4))
        (outcome,) = result.outcomes
        assert outcome.status == FileStatus.CANCELLED and outcome.passages == 6
        assert "add the file again" in outcome.message
        (document,) = lib.documents()
        assert document.state == "indexing" and document.passages == 6
        hits = lib.search("rivers to the sea", k=100)
        assert len(hits) == 6 and all(h.indexing for h in hits)  # what is in is searchable, and marked
        report = lib.check()
        assert report.ok, report.problems
        assert report.indexing == ("long.md",)

        resumed = lib.add_files([path], progress=False)
        (outcome,) = resumed.outcomes
        assert outcome.status == FileStatus.ADDED and outcome.passages == total and "resumed" in outcome.message
        assert resumed.encoded == total - 6  # the committed parts cost nothing
        (document,) = lib.documents()
        assert document.state == "ready" and document.passages == total
        hits = lib.search("rivers", k=1000, mode="keyword")
        assert not any(h.indexing for h in hits)
        assert sorted((h.text, h.span.char_start, h.span.char_end) for h in hits) == reference
        assert lib.check().ok and lib.check().indexing == ()
        assert lib.add_files([path], progress=False).outcomes[0].status == FileStatus.UNCHANGED


def test_a_cancel_between_files_keeps_what_was_committed(tmp_path: Path, pair: EncoderPair) -> None:
    files = [long_document(tmp_path / "docs", f"short{n}.md", sentences=1, topic=f"lakes{n}") for n in range(3)]
    with Library.open(tmp_path / "library", pair, PARTS) as lib:
        result = lib.add_files(files, progress=False, cancel=CancelAt(3))  # file 1, its one part, then file 2
        assert [o.status for o in result.outcomes] == ["added", "cancelled", "cancelled"]
        assert "before it was read" in result.outcomes[1].message
        assert [(d.source, d.passages) for d in lib.documents()] == [("short0.md", 1)]
        assert lib.check().ok
        assert "1 cancelled" not in result.summary() and "2 cancelled" in result.summary()


def test_an_unfinished_document_can_be_removed_or_replaced(tmp_path: Path, pair: EncoderPair) -> None:
    path = long_document(tmp_path / "docs")
    with Library.open(tmp_path / "library", pair, PARTS) as lib:
        lib.add_files([path], progress=False, cancel=CancelAt(3))
        assert lib.documents()[0].state == "indexing"
        assert lib.remove("long.md")
        assert lib.documents() == [] and lib.search("rivers", k=10) == [] and lib.check().ok

        lib.add_files([path], progress=False, cancel=CancelAt(3))
        changed = long_document(tmp_path / "changed", sentences=9, topic="canals")
        result = lib.add_files([changed], ["long.md"], progress=False)
        assert result.outcomes[0].status == FileStatus.REPLACED
        (document,) = lib.documents()
        assert document.state == "ready" and document.passages == result.outcomes[0].passages
        canals = lib.search("canals", k=100, mode="keyword")
        assert len(canals) == document.passages and all(not h.indexing for h in canals)
        assert lib.search("rivers", k=100, mode="keyword") == [] and lib.check().ok


def test_check_catches_a_ready_document_with_missing_parts(tmp_path: Path, pair: EncoderPair) -> None:
    with Library.open(tmp_path / "library", pair, PARTS) as lib:
        lib.add_files([long_document(tmp_path / "docs")], progress=False)
    with sqlite3.connect(tmp_path / "library" / "library.sqlite3") as db:  # a part lost behind the library's back
        db.execute("DELETE FROM passages WHERE ordinal >= 6")
    with Library.open(tmp_path / "library", pair, PARTS) as lib:
        problems = lib.check().problems
    assert any("'long.md' is marked ready but holds 6 of its" in p for p in problems), problems


def test_a_library_from_before_parts_is_upgraded_on_open(tmp_path: Path, pair: EncoderPair) -> None:
    with Library.open(tmp_path / "library", pair, PARTS) as lib:
        lib.add_files([long_document(tmp_path / "docs")], progress=False)
        passages = lib.documents()[0].passages
    with sqlite3.connect(tmp_path / "library" / "library.sqlite3") as db:  # as schema 2 wrote it
        db.execute("ALTER TABLE documents DROP COLUMN state")
        db.execute("ALTER TABLE documents DROP COLUMN planned_passages")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Library.open(tmp_path / "library", pair, PARTS) as lib:
        (document,) = lib.documents()
        assert document.state == "ready" and document.passages == passages
        assert lib.check().ok
    with sqlite3.connect(tmp_path / "library" / "library.sqlite3") as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
