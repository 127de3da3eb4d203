"""Reindex in place: to another encoder pair or other chunking, the old vectors answering until the switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.library import Library
from rdr_search.library.reindex import rechunk, reindex_encoders
from rdr_search.settings import Settings
from tests.files import sample_corpus

SETTINGS = Settings(precision="fp32", passage_words=12)
WIDER = Settings(precision="fp32", passage_words=40)
QUESTION = "When was the treaty signed?"


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), SETTINGS)


@pytest.fixture(scope="module")
def other(other_tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(other_tiny_pair[0]), str(other_tiny_pair[1])), SETTINGS)


@pytest.fixture()
def corpus(tmp_path: Path) -> list[Path]:
    return list(sample_corpus(tmp_path / "docs").values())


def answers(hits: list) -> list[tuple[str, str, float]]:
    return [(h.source, h.text, round(h.score, 5)) for h in hits]


def fresh_hits(folder: Path, pair: EncoderPair, settings: Settings, corpus: list[Path]) -> list:
    with Library.open(folder, pair, settings) as lib:
        lib.add_files(corpus, progress=False)
        return lib.search(QUESTION, k=100, mode="dense")


def test_reindex_to_another_pair_switches_when_complete(
    tmp_path: Path, pair: EncoderPair, other: EncoderPair, corpus: list[Path]
) -> None:
    with Library.open(tmp_path / "lib", pair, SETTINGS) as lib:
        lib.add_files(corpus, progress=False)
        result = reindex_encoders(lib, other, progress=False)
        assert result.what == "encoders" and result.encoded == result.passages_before > 0
        assert answers(lib.search(QUESTION, k=100, mode="dense")) == answers(
            fresh_hits(tmp_path / "fresh", other, SETTINGS, corpus)
        )
    with Library.open(tmp_path / "lib", settings=SETTINGS) as reopened:  # its own pair is now the new one
        assert [(s.key, s.primary) for s in reopened.vector_sets()] == [(other.identity.key, True)]
        assert reopened.check().ok


def test_an_interrupted_reindex_leaves_the_old_pair_in_use(
    tmp_path: Path, pair: EncoderPair, other: EncoderPair, corpus: list[Path]
) -> None:
    with Library.open(tmp_path / "lib", pair, SETTINGS) as lib:
        lib.add_files(corpus, progress=False)
        before = lib.search(QUESTION, k=100, mode="dense")

    def crash(*args: object) -> None:
        raise RuntimeError("power cut")

    handle = other.ctx.model.register_forward_hook(crash)
    try:
        with Library.open(tmp_path / "lib", settings=SETTINGS) as lib, pytest.raises(RuntimeError, match="power cut"):
            reindex_encoders(lib, other, progress=False)
    finally:
        handle.remove()
    with Library.open(tmp_path / "lib", settings=SETTINGS) as lib:
        assert next(s for s in lib.vector_sets() if s.primary).key == pair.identity.key
        assert lib.search(QUESTION, k=100, mode="dense") == before
        assert reindex_encoders(lib, other, progress=False).what == "encoders"  # run again: it completes


def test_rechunk_swaps_all_passages_and_later_adds_follow(
    tmp_path: Path, pair: EncoderPair, corpus: list[Path]
) -> None:
    with Library.open(tmp_path / "lib", pair, SETTINGS) as lib:
        lib.add_files(corpus[:-1], progress=False)
        result = rechunk(lib, WIDER, progress=False)
        assert result.what == "chunking" and result.passages_after < result.passages_before
        assert lib.check().ok
    with Library.open(tmp_path / "lib", settings=SETTINGS) as lib:  # opened with 12 words: the library keeps 40
        lib.add_files(corpus[-1:], progress=False)
        got = answers(lib.search(QUESTION, k=100, mode="dense"))
        assert rechunk(lib, WIDER, progress=False).what == "nothing"
    assert got == answers(fresh_hits(tmp_path / "fresh", pair, WIDER, corpus))


def test_an_interrupted_rechunk_changes_nothing(tmp_path: Path, pair: EncoderPair, corpus: list[Path]) -> None:
    with Library.open(tmp_path / "lib", pair, SETTINGS) as lib:
        lib.add_files(corpus, progress=False)
        before = lib.search(QUESTION, k=100, mode="dense")

        def crash(*args: object) -> None:
            raise RuntimeError("power cut")

        handle = pair.ctx.model.register_forward_hook(crash)
        try:
            with pytest.raises(RuntimeError, match="power cut"):
                rechunk(lib, WIDER, progress=False)
        finally:
            handle.remove()
        assert lib.search(QUESTION, k=100, mode="dense") == before
        assert lib.check().ok
