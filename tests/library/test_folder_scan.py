"""Which files an added folder gives, and the one-line-per-reason account of those it leaves out."""

from __future__ import annotations

from pathlib import Path

from rdr_search.library.sources import scan_files
from rdr_search.records import AddResult, SkipReason


def test_a_folder_scan_skips_hidden_unsupported_and_oversized_files(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / ".venv" / "lib").mkdir(parents=True)
    (docs / ".venv" / "lib" / "README.md").write_text("# a package's readme, not the user's")
    (docs / "deep" / "deeper").mkdir(parents=True)
    (docs / "deep" / "deeper" / "keep.md").write_text("# kept")
    (docs / "a.txt").write_text("small")
    (docs / "big.txt").write_text("x" * 5000)
    (docs / "scan.TIFF").write_bytes(b"II*\x00")
    (docs / ".DS_Store").write_bytes(b"\x00")

    found, skipped = scan_files([docs], max_bytes=1000)

    assert [source for _, source in found] == ["docs/a.txt", "docs/deep/deeper/keep.md"]
    assert {(s.source, s.reason) for s in skipped} == {
        ("docs/.venv", SkipReason.HIDDEN),  # a hidden folder is skipped whole, not entered
        ("docs/.DS_Store", SkipReason.HIDDEN),
        ("docs/scan.TIFF", SkipReason.UNSUPPORTED),
        ("docs/big.txt", SkipReason.TOO_LARGE),
    }
    assert AddResult(skipped=skipped).skipped_summary() == [
        "skipped 1 file of a type that cannot be read: docs/scan.TIFF",
        "skipped 2 hidden files and folders: docs/.venv, docs/.DS_Store",
        "skipped 1 file over the size limit: docs/big.txt",
    ]


def test_files_named_directly_are_never_skipped(tmp_path: Path) -> None:
    hidden, odd = tmp_path / ".notes.txt", tmp_path / "photo.png"
    hidden.write_text("mine")
    odd.write_bytes(b"\x89PNG")
    found, skipped = scan_files([hidden, odd], max_bytes=10)
    assert [source for _, source in found] == [".notes.txt", "photo.png"] and skipped == []


def test_a_long_list_of_skipped_files_names_a_few(tmp_path: Path) -> None:
    for i in range(7):
        (tmp_path / f"img{i}.png").write_bytes(b"\x89PNG")
    _, skipped = scan_files([tmp_path])
    (line,) = AddResult(skipped=skipped).skipped_summary()
    assert line.startswith("skipped 7 files of types that cannot be read: ") and line.endswith(" and 4 more")
