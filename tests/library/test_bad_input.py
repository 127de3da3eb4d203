"""Bad input: each broken file gets its own specific reason; the batch and the library are unharmed."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.library import Library
from rdr_search.settings import Settings

CORPUS = Path(__file__).parents[1] / "corpus" / "bad"
SETTINGS = Settings(precision="fp32", max_file_bytes=30 * 1024 * 1024, parse_timeout_s=60)

# file in tests/corpus/bad -> words its outcome message must contain
EXPECTED = {
    "empty.txt": "empty file",
    "zero-byte.pdf": "empty file",
    "truncated.pdf": "not a readable PDF (damaged or truncated)",
    "encrypted.pdf": "encrypted PDF (password-protected)",
    "scanned-no-text.pdf": "no extractable text (its pages hold neither a text layer nor a scanned image)",
    "not-a-zip.docx": "not a valid .docx (not a zip archive)",
    "zip-bomb.docx": "zip bomb",
    "binary-data.txt": "not a text file (binary data)",
    "only-script.html": "no text found",
    "table.xlsx": "unsupported file type '.xlsx'",
    "front-matter-only.md": "empty file",
}


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), SETTINGS)


@pytest.fixture()
def good_files(tmp_path: Path) -> list[Path]:
    first, second = tmp_path / "harbour.md", tmp_path / "tides.txt"
    first.write_text("# Harbours\n\nShips shelter in the harbour when storms come in from the sea.\n")
    second.write_text("Tides rise and fall twice a day because of the Moon's pull.\n")
    return [first, second]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_gets_its_reason_and_the_batch_goes_on(
    name: str, pair: EncoderPair, good_files: list[Path], tmp_path: Path
) -> None:
    with Library.open(tmp_path / "lib", pair, SETTINGS) as lib:
        result = lib.add_files([good_files[0], CORPUS / name, good_files[1]], progress=False)
        outcomes = {o.source: o for o in result.outcomes}
        assert outcomes[name].status == "failed" and EXPECTED[name] in outcomes[name].message
        assert outcomes["harbour.md"].status == "added" and outcomes["tides.txt"].status == "added"
        assert [d.source for d in lib.documents()] == ["harbour.md", "tides.txt"]
        assert lib.check().ok


def test_a_bad_batch_leaves_the_library_exactly_as_it_was(
    pair: EncoderPair, good_files: list[Path], tmp_path: Path
) -> None:
    with Library.open(tmp_path / "lib", pair, SETTINGS) as lib:
        lib.add_files(good_files, progress=False)
        before = (lib.documents(), lib.search("storm at sea", k=10), lib.stats())
        result = lib.add_files(sorted(CORPUS.iterdir()), progress=False)
        failed = {o.source for o in result.outcomes if o.status == "failed"}
        assert failed == set(EXPECTED)
        after = (lib.documents(), lib.search("storm at sea", k=10), lib.stats())
        # invalid-utf8.txt is readable text with a few broken bytes: it is added, the rest change nothing.
        assert {o.source for o in result.outcomes if o.status == "added"} == {"invalid-utf8.txt"}
        lib.remove("invalid-utf8.txt")
        assert (lib.documents(), lib.search("storm at sea", k=10), lib.stats()) == before
        assert after[2]["documents"] == 3 and lib.check().ok


def test_invalid_utf8_is_read_with_replacement_not_refused(pair: EncoderPair, tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib", pair, SETTINGS) as lib:
        result = lib.add_files([CORPUS / "invalid-utf8.txt"], progress=False)
        assert result.outcomes[0].status == "added"
        assert any("crème brûlée" in h.text for h in lib.search("dessert", k=50))


def test_file_over_the_size_limit(pair: EncoderPair, good_files: list[Path], tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("word " * 2000)
    small_limit = Settings(precision="fp32", max_file_bytes=5000)
    with Library.open(tmp_path / "lib", pair, small_limit) as lib:
        result = lib.add_files([big, *good_files], progress=False)
    assert result.outcomes[0].status == "failed" and "too large" in result.outcomes[0].message
    assert "the limit is" in result.outcomes[0].message
    assert [o.status for o in result.outcomes[1:]] == ["added", "added"]


def test_too_many_files_in_one_batch(pair: EncoderPair, good_files: list[Path], tmp_path: Path) -> None:
    extra = tmp_path / "third.md"
    extra.write_text("A third note about lighthouses.")
    with Library.open(tmp_path / "lib", pair, Settings(precision="fp32", max_files_per_batch=2)) as lib:
        result = lib.add_files([*good_files, extra], progress=False)
    assert [o.status for o in result.outcomes] == ["added", "added", "failed"]
    assert "too many files in one batch (the limit is 2)" in result.outcomes[2].message


def test_names_with_traversal_unicode_and_spaces_stay_labels(
    pair: EncoderPair, good_files: list[Path], tmp_path: Path
) -> None:
    upload = tmp_path / "upload.txt"
    shutil.copy(good_files[1], upload)
    library_dir = tmp_path / "lib"
    outside_before = sorted(p.name for p in tmp_path.iterdir())
    with Library.open(library_dir, pair, SETTINGS) as lib:
        result = lib.add_files([upload], sources=["../../etc/ünïcode name with spaces.txt"], progress=False)
        assert result.outcomes[0].status == "added"
        source = lib.documents()[0].source
    assert source == "etc/ünïcode name with spaces.txt"  # no parent-directory parts survive
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({*outside_before, "lib"})
    assert not (tmp_path.parent / "etc").exists()


@pytest.mark.slow
def test_a_20_mb_line_without_punctuation_does_not_hang(pair: EncoderPair, tmp_path: Path) -> None:
    huge = tmp_path / "one-line.txt"
    with huge.open("w") as handle:
        for i in range(2_000_000):
            handle.write(f"tok{i % 1000:03d} ")  # ~20 MB, one line, no sentence end
    started = time.perf_counter()
    with Library.open(tmp_path / "lib", pair, SETTINGS) as lib:
        result = lib.add_files([huge], progress=False)
        assert result.outcomes[0].status == "added" and 20_000 <= result.outcomes[0].passages < 22_000
        hits = lib.search("tok001", k=25_000)
        assert sum(len(h.text.split()) for h in hits) == 2_000_000  # every word indexed, once
        assert max(len(h.text.split()) for h in hits) <= 100
        assert lib.check().ok
    print(f"20 MB single line: {result.outcomes[0].passages} passages in {time.perf_counter() - started:.1f} s")
