"""import-shards: an encoded collection bulk-loaded into a library, one document per title, with the shards'
vectors (nothing encoded, no model loaded), searchable as the shards rank it; a rerun adds nothing."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.errors import LibraryError
from rdr_search.evaluation import encode_collection
from rdr_search.evaluation.shards import ENCODERS, iter_shards
from rdr_search.library import Library
from rdr_search.library.shards_import import import_shards
from rdr_search.settings import Settings
from rdr_search.store import content_key
from tests.cli.runner import run

EXACT = Settings(precision="fp32")
TITLES = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Alpha"]  # Alpha comes back: a second document
WORDS = ["river", "castle", "engine", "harvest", "comet", "violin", "glacier", "market", "orbit", "lantern"]


def write_collection(folder: Path) -> Path:
    """30 passages, five a title, in DPR's id<TAB>text<TAB>title format."""
    path = folder / "psgs.tsv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["id", "text", "title"])
        for n in range(30):
            text = f"{WORDS[n % 10]} {WORDS[(n * 3 + 1) % 10]} {WORDS[(n * 7 + 2) % 10]} passage number {n}."
            writer.writerow([str(n + 1), text, TITLES[n // 5]])
    return path


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), EXACT)


@pytest.fixture(scope="module")
def shards(pair: EncoderPair, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(collection, shard folder) encoded the way an eval run does it (no Ray), 8 rows a shard."""
    base = tmp_path_factory.mktemp("shards")
    collection = write_collection(base)
    encode_collection(pair, collection, base / "work", shard_size=8)
    return collection, base / "work" / pair.identity.key


@pytest.fixture
def no_encoding(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Counts every passage encoding and every pair loaded while it is active."""
    calls: list[str] = []
    encode, init = EncoderPair.encode_passages, EncoderPair.__init__

    def counting_encode(self: EncoderPair, *args: object, **kwargs: object) -> np.ndarray:
        calls.append("encode")
        return encode(self, *args, **kwargs)  # type: ignore[arg-type]

    def counting_init(self: EncoderPair, *args: object, **kwargs: object) -> None:
        calls.append("load")
        init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(EncoderPair, "encode_passages", counting_encode)
    monkeypatch.setattr(EncoderPair, "__init__", counting_init)
    yield calls


def test_imported_shards_search_as_the_shards_rank(
    pair: EncoderPair, shards: tuple[Path, Path], tmp_path: Path, no_encoding: list[str]
) -> None:
    collection, folder = shards
    result = import_shards(tmp_path / "lib", folder.parent, settings=EXACT, progress=False)  # the --out folder
    assert no_encoding == []  # no model loaded, nothing encoded
    assert result.added == ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Alpha (2)"]
    assert result.passages == 30

    again = import_shards(tmp_path / "lib", folder, collection, settings=EXACT, progress=False)
    assert (again.added, again.replaced, again.passages) == ([], [], 0)
    assert len(again.unchanged) == 6
    assert no_encoding == []

    vectors = np.concatenate([s.vectors for s in iter_shards(folder, pair.identity.key)])
    with Library.open(tmp_path / "lib", pair, EXACT) as library:
        assert library.check().problems == []
        assert library.stats() == {"documents": 6, "passages": 30, "vectors": 30}
        assert [d.passages for d in library.documents()] == [5, 5, 5, 5, 5, 5]
        # Every passage's stored vector is its shard's vector.
        rows = library._store.db.execute("SELECT title, text FROM passages ORDER BY id").fetchall()
        keys = [content_key(title, text) for title, text in rows]
        stored = library._store.known_vectors(library._spaces[pair.identity.key].record.id, keys)
        np.testing.assert_array_equal(np.stack([stored[k] for k in keys]), vectors)
        # Dense search ranks the passages as an exact product of the question with the shard vectors does.
        question = "castle comet harvest"
        scores = vectors @ pair.encode_questions([question])[0]
        texts = [text for _, text in rows]
        expected = [(texts[i], round(float(scores[i]), 4)) for i in np.argsort(-scores)[:10]]
        hits = library.search(question, 10, mode="dense")
        assert [(h.text, round(h.score, 4)) for h in hits] == expected
        assert hits[0].source in {"Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Alpha (2)"}


def test_shards_of_another_pair_are_refused(
    pair: EncoderPair, shards: tuple[Path, Path], other_tiny_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    collection, folder = shards
    import_shards(tmp_path / "lib", folder, settings=EXACT, progress=False)
    other = EncoderPair(EncoderSpec.pair(str(other_tiny_pair[0]), str(other_tiny_pair[1])), EXACT)
    encode_collection(other, collection, tmp_path / "other", shard_size=8)
    with pytest.raises(LibraryError, match="made by another encoder pair") as refused:
        import_shards(tmp_path / "lib", tmp_path / "other", settings=EXACT, progress=False)
    assert "new --library folder" in str(refused.value)
    with Library.open(tmp_path / "lib", pair, EXACT) as library:  # untouched
        assert library.stats()["passages"] == 30
        assert library.check().problems == []


def test_shards_import_into_an_open_library_on_milvus(
    pair: EncoderPair, shards: tuple[Path, Path], tmp_path: Path
) -> None:
    pytest.importorskip("pymilvus", reason="the milvus backend needs the scale extra")
    _, folder = shards
    milvus = Settings(precision="fp32", index_backend="milvus", index_uri=str(tmp_path / "milvus.db"))
    with Library.open(tmp_path / "lib", pair, milvus) as library:
        result = import_shards(library, folder, progress=False)
        assert len(result.added) == 6
        assert library.stats()["vectors"] == 30
        assert library.check().problems == []
        assert library.search("violin orbit", 3, mode="dense") != []


def test_a_folder_that_does_not_name_its_pair_needs_the_encoder_options(
    pair: EncoderPair, shards: tuple[Path, Path], tiny_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    collection, folder = shards
    older = tmp_path / "older"
    shutil.copytree(folder, older)
    (older / ENCODERS).unlink()  # as encode-collection wrote folders before it recorded the pair
    with pytest.raises(LibraryError, match="do not say which encoders"):
        import_shards(tmp_path / "lib", older, collection, settings=EXACT, progress=False)
    assert not (tmp_path / "lib").exists()  # refused before anything was made
    spec = EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1]))
    result = import_shards(tmp_path / "lib", older, collection, encoders=spec, settings=EXACT, progress=False)
    assert len(result.added) == 6
    with Library.open(tmp_path / "lib", None, EXACT) as library:  # the stored pair loads for questions
        assert library.search("castle comet", 1, mode="dense") != []


def test_import_shards_command(shards: tuple[Path, Path], tmp_path: Path) -> None:
    _, folder = shards
    first = run("import-shards", str(folder.parent), "--library", str(tmp_path / "lib"), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "6 added, 0 replaced, 0 unchanged (30 passages written" in first.stdout
    again = run("import-shards", str(folder), "--library", str(tmp_path / "lib"), cwd=tmp_path)
    assert "0 added, 0 replaced, 6 unchanged" in again.stdout
    missing = run("import-shards", str(tmp_path / "nowhere"), "--library", str(tmp_path / "lib"), cwd=tmp_path)
    assert missing.returncode == 2 and "No shard folder" in missing.stderr
