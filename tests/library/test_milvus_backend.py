"""A library whose vectors are searched in Milvus (Milvus Lite here) behaves as one on FAISS does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rdr_search.app.config import AppConfig
from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.errors import LibraryError
from rdr_search.library import Library
from rdr_search.settings import Settings
from tests.files import sample_corpus

pytest.importorskip("pymilvus", reason="the milvus backend needs the scale extra (pip install 'rdr-search[scale]')")

FAISS = Settings(precision="fp32", passage_words=12)


@pytest.fixture(scope="module")
def milvus(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    uri = tmp_path_factory.mktemp("milvus") / "milvus.db"
    return Settings(precision="fp32", passage_words=12, index_backend="milvus", index_uri=str(uri))


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    ctx, question = tiny_pair
    return EncoderPair(EncoderSpec.pair(str(ctx), str(question)), FAISS)


def dense(library: Library, question: str) -> list[tuple[str, int, float]]:
    return [(h.source, h.passage_id, round(h.score, 3)) for h in library.search(question, 50, mode="dense")]


def test_milvus_library_ranks_like_faiss_and_removal_works(tmp_path: Path, pair: EncoderPair, milvus: Settings) -> None:
    files = list(sample_corpus(tmp_path / "docs").values())
    with (
        Library.open(tmp_path / "on-faiss", pair, FAISS) as on_faiss,
        Library.open(tmp_path / "on-milvus", pair, milvus) as on_milvus,
    ):
        on_faiss.add_files(files, progress=False)
        on_milvus.add_files(files, progress=False)
        question = "Who sealed the Magna Carta?"
        assert dense(on_milvus, question) == dense(on_faiss, question) != []
        assert on_milvus.remove("history.pdf") and on_faiss.remove("history.pdf")
        assert "history.pdf" not in {h.source for h in on_milvus.search(question, 50, mode="dense")}
        assert dense(on_milvus, question) == dense(on_faiss, question)
        assert on_milvus.check().problems == []
    assert not list((tmp_path / "on-milvus").glob("index-*.faiss"))  # no FAISS file beside the collection
    pointer = next((tmp_path / "on-milvus").glob("index-*.milvus"))
    assert json.loads(pointer.read_text())["uri"] == str(Path(milvus.index_uri).resolve())


def test_a_lagging_collection_is_rebuilt_from_the_store(tmp_path: Path, pair: EncoderPair, milvus: Settings) -> None:
    files = list(sample_corpus(tmp_path / "docs").values())
    with Library.open(tmp_path / "lib", pair, milvus) as library:
        library.add_files(files, progress=False)
        expected = dense(library, "garden roses")
        stats = library.stats()
    state = next((tmp_path / "lib").glob("index-*.json"))
    saved = json.loads(state.read_text())
    state.write_text(json.dumps({**saved, "generation": saved["generation"] - 1}))  # as after a crash
    with Library.open(tmp_path / "lib", pair, milvus) as reopened:
        assert reopened.stats() == stats and dense(reopened, "garden roses") == expected
        assert reopened.check().problems == []
    assert json.loads(state.read_text())["generation"] == saved["generation"]  # rebuilt and saved


def test_a_bad_backend_is_refused_clearly(tmp_path: Path, pair: EncoderPair) -> None:
    with pytest.raises(LibraryError, match="unknown index backend 'elastic'"):
        Library.open(tmp_path / "lib", pair, Settings(index_backend="elastic"))
    with pytest.raises(LibraryError, match=r"ending in \.db"):
        Library.open(tmp_path / "lib2", pair, Settings(index_backend="milvus", index_uri="some-folder"))


def test_session_scoped_app_refuses_milvus(tmp_path: Path) -> None:
    from rdr_search.app.main import config_from_args, parse_args

    with pytest.raises(LibraryError, match="session-scoped mode uses faiss"):
        AppConfig(session_scoped=True, settings=Settings(index_backend="milvus"))
    with pytest.raises(LibraryError, match="--index milvus is for a local library"):
        config_from_args(parse_args(["--index", "milvus", "--session-scoped"]))
    local = config_from_args(parse_args(["--index", "milvus", "--index-uri", str(tmp_path / "m.db")]))
    assert (local.settings.index_backend, local.settings.index_uri) == ("milvus", str(tmp_path / "m.db"))
