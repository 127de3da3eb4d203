"""Export a library to one file and import it again: whole, merged by content, or refused (other pair, hostile)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.errors import ArchiveError
from rdr_search.library import Library
from rdr_search.library.archive import DATABASE, MANIFEST, export_library
from rdr_search.library.archive_import import import_library
from rdr_search.settings import Settings
from tests.files import sample_corpus

SETTINGS = Settings(precision="fp32", passage_words=12)
QUESTIONS = ["When was the treaty signed?", "How long should dough be kneaded?", "largest animals", "Moon craters"]


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), SETTINGS)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, pair: EncoderPair) -> tuple[Path, dict[str, list]]:
    """An archive of the sample corpus (a PDF among it) and the hits the library gave in every mode."""
    folder = tmp_path_factory.mktemp("exported")
    with Library.open(folder / "library", pair, SETTINGS) as lib:
        lib.add_files(list(sample_corpus(folder / "docs").values()))
        lib.remove("garden.docx")  # a gap in the ids: an import into an empty library keeps them anyway
        hits = {
            f"{mode}:{q}": lib.search(q, k=50, mode=mode) for q in QUESTIONS for mode in ("dense", "keyword", "hybrid")
        }
        result = export_library(lib, folder / "mine.rdrlib", progress=False)
    assert result.documents == 4 and result.originals == 1 and result.vector_sets == 1
    return result.path, hits


def test_import_into_an_empty_library_gives_identical_hits(tmp_path: Path, exported: tuple, pair: EncoderPair) -> None:
    archive, before = exported
    result = import_library(tmp_path / "moved", archive, SETTINGS, progress=False)  # a folder: no model loaded
    assert result.whole and sorted(result.added) == ["astronomy.html", "cooking.md", "history.pdf", "whales.txt"]
    with Library.open(tmp_path / "moved", settings=SETTINGS) as lib:  # the archive's pair, found by identity
        after = {
            f"{mode}:{q}": lib.search(q, k=50, mode=mode) for q in QUESTIONS for mode in ("dense", "keyword", "hybrid")
        }
        assert after == before
        assert lib.check().ok
        pdf_hit = next(h for h in after["dense:When was the treaty signed?"] if h.source == "history.pdf")
        assert lib.view(pdf_hit.passage_id).image is not None  # the kept original travelled: its page is drawn


def test_import_into_an_open_library_with_the_same_pair_merges_by_content(
    tmp_path: Path, exported: tuple, pair: EncoderPair
) -> None:
    archive, _ = exported
    docs = sample_corpus(tmp_path / "docs")
    (tmp_path / "docs" / "cooking.md").write_text("# Bread\n\nA different recipe: bake it for forty minutes.\n")
    with Library.open(tmp_path / "library", pair, SETTINGS) as lib:
        lib.add_files([docs["txt"], docs["md"], docs["docx"]])
        result = import_library(lib, archive, progress=False)
        assert result.unchanged == ["whales.txt"] and result.replaced == ["cooking.md"]
        assert sorted(result.added) == ["astronomy.html", "history.pdf"] and not result.whole
        assert {d.source for d in lib.documents()} == {
            "astronomy.html",
            "cooking.md",
            "garden.docx",
            "history.pdf",
            "whales.txt",
        }
        hits = lib.search("How long should dough be kneaded?", k=3, mode="keyword")  # searchable at once, no reopen
        assert hits and hits[0].source == "cooking.md" and "Knead" in hits[0].text
        assert lib.check().ok


def test_an_archive_of_another_pair_is_refused_with_the_ways_forward(
    tmp_path: Path, exported: tuple, other_tiny_pair: tuple[Path, Path]
) -> None:
    other = EncoderPair(EncoderSpec.pair(str(other_tiny_pair[0]), str(other_tiny_pair[1])), SETTINGS)
    with Library.open(tmp_path / "library", other, SETTINGS) as lib:
        with pytest.raises(ArchiveError, match="new, empty library") as refused:
            import_library(lib, exported[0], progress=False)
        assert "add-encoders" in str(refused.value)
        assert lib.documents() == []
    assert not list((tmp_path / "library").glob(".import-*"))


# --- hostile archives -------------------------------------------------------------------------------------------


def _repack(archive: Path, out: Path, *, change_db: str | None = None, extra: dict[str, bytes] | None = None,
            lie_sizes: bool = False) -> Path:  # fmt: skip
    """A copy of ``archive`` with its database altered by SQL and extra members, its manifest made to match (so
    only the check under test can catch it)."""
    work = out.parent / f"{out.stem}-work"
    work.mkdir()
    with zipfile.ZipFile(archive) as src:
        src.extractall(work)
    if change_db:
        db = sqlite3.connect(work / DATABASE)
        db.executescript(change_db)
        db.close()
    manifest = json.loads((work / MANIFEST).read_text())
    members = {}
    for name in [DATABASE, *[n for n in manifest["members"] if n != DATABASE], *(extra or {})]:
        data = (extra or {}).get(name) or (work / name).read_bytes()
        members[name] = data
        manifest["members"][name] = {"size": 10 if lie_sizes else len(data), "sha256": hashlib.sha256(data).hexdigest()}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members.items():
            dst.writestr(name, data)
        dst.writestr(MANIFEST, json.dumps(manifest))
    return out


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("traversal", "unexpected member"),
        ("bomb", "more bytes than its manifest"),
        ("too big", "room for it"),
        ("wrong schema", "layout"),
        ("trigger", "adds: trigger"),
        ("vector length", "wrong length"),
        ("bad name", "not a valid name"),
        ("checksum", "checksum"),
        ("not a zip", "not a zip"),
    ],
)
def test_hostile_archives_are_refused_and_leave_nothing_behind(
    tmp_path: Path, exported: tuple, kind: str, message: str
) -> None:
    archive = exported[0]
    bad = tmp_path / "bad.rdrlib"
    settings = SETTINGS
    if kind == "traversal":
        _repack(archive, bad, extra={"../../escaped.txt": b"owned"})
    elif kind == "bomb":
        _repack(archive, bad, lie_sizes=True)
    elif kind == "too big":
        _repack(archive, bad)
        settings = Settings(precision="fp32", passage_words=12, max_archive_unpacked_bytes=50_000)
    elif kind == "wrong schema":
        _repack(archive, bad, change_db="CREATE TABLE notes (x TEXT);")
    elif kind == "trigger":
        _repack(archive, bad, change_db="CREATE TRIGGER evil AFTER INSERT ON documents BEGIN DELETE FROM meta; END;")
    elif kind == "vector length":
        shorter = "UPDATE vectors SET vector = zeroblob(12) WHERE content_key = (SELECT MIN(content_key) FROM vectors);"
        _repack(archive, bad, change_db=shorter)
    elif kind == "bad name":
        _repack(archive, bad, change_db="UPDATE documents SET source = '../../etc/passwd' WHERE source = 'cooking.md';")
    elif kind == "checksum":
        _repack(archive, bad)
        with zipfile.ZipFile(bad) as z:
            manifest = json.loads(z.read(MANIFEST))
            members = {n: z.read(n) for n in z.namelist() if n != MANIFEST}
        manifest["members"][DATABASE]["sha256"] = "0" * 64
        with zipfile.ZipFile(bad, "w") as z:
            for name, data in members.items():
                z.writestr(name, data)
            z.writestr(MANIFEST, json.dumps(manifest))
    else:
        bad.write_bytes(b"PK\x03\x04 not really a zip")
    target = tmp_path / "library"
    with pytest.raises(ArchiveError, match=message):
        import_library(target, bad, settings, progress=False)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path.parent / "escaped.txt").exists()
    assert sorted(p.name for p in target.iterdir() if not p.name.startswith("library.sqlite3")) == [".write.lock"]
    with sqlite3.connect(target / "library.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 0
