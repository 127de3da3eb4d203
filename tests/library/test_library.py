"""The engine end to end: files -> passages -> vectors -> FAISS library on disk -> hits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.errors import LibraryError
from rdr_search.library import Library
from rdr_search.settings import Settings
from tests.files import sample_corpus

EXACT = Settings(precision="fp32")
SMALL_PASSAGES = Settings(precision="fp32", passage_words=12)


@pytest.fixture(scope="session")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    ctx, question = tiny_pair
    return EncoderPair(EncoderSpec.pair(str(ctx), str(question)), EXACT)


@pytest.fixture()
def corpus(tmp_path: Path) -> dict[str, Path]:
    return sample_corpus(tmp_path / "docs")


@pytest.fixture()
def library(tmp_path: Path, pair: EncoderPair) -> Library:
    lib = Library.open(tmp_path / "library", pair, SMALL_PASSAGES)
    yield lib
    lib.close()


class ForwardCounter:
    """Counts real forward passes of the context encoder (a hook, not a mock)."""

    def __init__(self, pair: EncoderPair) -> None:
        self.calls = 0
        self.rows = 0
        self._handle = pair.ctx.model.register_forward_hook(self._hook)

    def _hook(self, module: object, args: object, kwargs: object, output: object = None) -> None:
        self.calls += 1

    def close(self) -> None:
        self._handle.remove()


def all_hits(library: Library, question: str = "anything at all") -> list:
    return library.search(question, k=10_000)


def test_add_files_reports_each_file_and_hits_carry_source_and_page(library: Library, corpus: dict) -> None:
    result = library.add_files(list(corpus.values()))
    statuses = {o.source: o.status for o in result.outcomes}
    assert statuses == {p.name: "added" for p in corpus.values()}
    pdf_outcome = next(o for o in result.outcomes if o.source == "history.pdf")
    assert pdf_outcome.pages == 3 and pdf_outcome.passages >= 3
    hits = all_hits(library)
    assert {h.source for h in hits} == {p.name for p in corpus.values()}
    pdf_hits = [h for h in hits if h.source == "history.pdf"]
    for hit in pdf_hits:
        assert hit.title == "A Short History of Treaties"
        for page, word in {1: "Versailles", 2: "Vienna", 3: "Magna"}.items():
            if word in hit.text:
                assert hit.span.page_start <= page <= hit.span.page_end
    assert {h.span.page_start for h in pdf_hits} == {1, 2, 3}
    assert any(h.pages == "p. 2" for h in pdf_hits)
    titles = {h.source: h.title for h in hits}
    assert titles["garden.docx"] == "Gardening Basics"
    assert titles["astronomy.html"] == "Notes on the Moon"
    assert titles["cooking.md"] == "Bread"
    assert titles["whales.txt"] == "whales"
    assert any("largest animals" in h.text for h in hits if h.source == "whales.txt")  # UTF-16 read right
    assert not any("script text" in h.text for h in hits)


def test_ranking_equals_brute_force_inner_product(library: Library, corpus: dict, pair: EncoderPair) -> None:
    library.add_files(list(corpus.values()))
    question = "When was the treaty signed?"
    hits = library.search(question, k=1000, mode="dense")
    passages = all_hits(library)
    vectors = pair.encode_passages([p.title for p in passages], [p.text for p in passages])
    scores = vectors @ pair.encode_questions([question])[0]
    order = np.argsort(-scores, kind="stable")
    assert [h.passage_id for h in hits] == [passages[i].passage_id for i in order]
    np.testing.assert_allclose([h.score for h in hits], scores[order], rtol=1e-5, atol=1e-5)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_reopen_gives_identical_hits(tmp_path: Path, tiny_pair: tuple[Path, Path], corpus: dict) -> None:
    spec = EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1]))
    with Library.open(tmp_path / "lib", spec, EXACT) as lib:
        lib.add_files(list(corpus.values()))
        before = lib.search("Who sealed the Magna Carta?", k=7)
    with Library.open(tmp_path / "lib", settings=EXACT) as reopened:  # the stored pair, by path
        assert reopened.search("Who sealed the Magna Carta?", k=7) == before
        assert reopened.check().ok


def test_unchanged_file_costs_zero_encoder_calls(library: Library, corpus: dict, pair: EncoderPair) -> None:
    library.add_files(list(corpus.values()))
    counter = ForwardCounter(pair)
    try:
        again = library.add_files(list(corpus.values()))
    finally:
        counter.close()
    assert [o.status for o in again.outcomes] == ["unchanged"] * len(corpus)
    assert counter.calls == 0 and again.encoded == 0


def test_changed_file_replaces_its_passages_and_encodes_only_new_ones(
    library: Library, tmp_path: Path, pair: EncoderPair
) -> None:
    note = tmp_path / "note.md"
    keep = "This first paragraph stays exactly the same in both versions of the note. " * 3
    note.write_text(f"# Note\n\n{keep}\n\nThe old ending talks about apples.\n")
    library.add_files([note])
    note.write_text(f"# Note\n\n{keep}\n\nThe new ending talks about pears instead.\n")
    result = library.add_files([note])
    assert result.outcomes[0].status == "replaced"
    texts = " ".join(h.text for h in all_hits(library))
    assert "pears" in texts and "apples" not in texts
    assert library.stats()["passages"] == library.stats()["vectors"]
    assert result.encoded < result.passages or result.passages == 1
    assert library.check().ok


def test_remove_deletes_passages_and_vectors_for_good(library: Library, corpus: dict, tmp_path: Path) -> None:
    library.add_files(list(corpus.values()))
    assert library.remove("history.pdf")
    assert not library.remove("history.pdf")
    assert all(h.source != "history.pdf" for h in all_hits(library))
    assert library.check().ok
    path = library.path
    library.close()
    with Library.open(path, settings=EXACT) as reopened:
        assert all(h.source != "history.pdf" for h in all_hits(reopened))
        assert "history.pdf" not in {d.source for d in reopened.documents()}


def test_same_content_under_another_name_is_a_duplicate(library: Library, corpus: dict, tmp_path: Path) -> None:
    copy = tmp_path / "copy-of-cooking.md"
    copy.write_bytes(corpus["md"].read_bytes())
    result = library.add_files([corpus["md"], copy])
    assert [o.status for o in result.outcomes] == ["added", "duplicate"]
    assert "cooking.md" in result.outcomes[1].message
    assert [d.source for d in library.documents()] == ["cooking.md"]


def test_one_bad_file_never_spoils_the_batch(library: Library, corpus: dict, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n this is not really a pdf")
    unsupported = tmp_path / "table.xlsx"
    unsupported.write_bytes(b"PK\x03\x04")
    result = library.add_files([corpus["md"], broken, unsupported, corpus["txt"]])
    by_source = {o.source: o for o in result.outcomes}
    assert by_source["cooking.md"].status == "added" and by_source["whales.txt"].status == "added"
    assert by_source["broken.pdf"].status == "failed" and "pdf" in by_source["broken.pdf"].message.lower()
    assert by_source["table.xlsx"].status == "failed" and "unsupported" in by_source["table.xlsx"].message
    assert library.check().ok and len(library.documents()) == 2


def test_folder_add_names_documents_by_relative_path(library: Library, corpus: dict) -> None:
    folder = corpus["md"].parent
    (folder / "sub").mkdir()
    (folder / "sub" / "extra.txt").write_text("A nested note about rivers and lakes.")
    (folder / "ignored.bin").write_bytes(b"\x00\x01")
    result = library.add_files([folder])
    sources = sorted(o.source for o in result.outcomes)
    assert sources == sorted([f"docs/{p.name}" for p in corpus.values()] + ["docs/sub/extra.txt"])


def test_a_different_encoder_pair_is_refused(
    tmp_path: Path, pair: EncoderPair, other_tiny_pair: tuple[Path, Path], corpus: dict
) -> None:
    with Library.open(tmp_path / "lib", pair, EXACT) as lib:
        lib.add_files([corpus["md"]])
    other = EncoderSpec.pair(str(other_tiny_pair[0]), str(other_tiny_pair[1]))
    with pytest.raises(LibraryError) as refused:
        Library.open(tmp_path / "lib", other, EXACT)
    message = str(refused.value)
    assert "holds vectors of" in message and "ctx_checkpoint" in message
    assert "rdr-search add-encoders" in message and "--library" in message  # the two ways forward


def test_a_second_pair_shares_the_passages_and_keeps_its_own_index(
    tmp_path: Path, pair: EncoderPair, other_tiny_pair: tuple[Path, Path], corpus: dict
) -> None:
    other = EncoderPair(EncoderSpec.pair(str(other_tiny_pair[0]), str(other_tiny_pair[1])), EXACT)
    with Library.open(tmp_path / "lib", pair, EXACT) as lib:
        lib.add_files([corpus["md"], corpus["html"]])
        key = lib.attach(other, progress=False)  # encodes the passages already there
        lib.add_files([corpus["txt"]])  # and keeps up with new ones
        assert lib.check().ok
        mine = lib.search("moon", k=100, mode="dense")
        theirs = lib.search("moon", k=100, mode="dense", vector_set=key)
        assert {h.passage_id for h in mine} == {h.passage_id for h in theirs}
        assert [h.passage_id for h in mine] != [h.passage_id for h in theirs] or len(mine) < 3
        assert {v.name for v in lib.vector_sets()} == {"custom"} and len(lib.vector_sets()) == 2
    # Opening with the second pair is now allowed: the library holds its vectors.
    with Library.open(tmp_path / "lib", other, EXACT) as reopened:
        assert {h.passage_id for h in reopened.search("moon", k=100)} == {h.passage_id for h in theirs}
        assert reopened.check().ok
    # A library opened with only the first pair keeps adding; the second catches up when attached again.
    with Library.open(tmp_path / "lib", pair, EXACT) as lib:
        lib.add_files([corpus["docx"]])
    with Library.open(tmp_path / "lib", other, EXACT) as caught_up:
        assert caught_up.check().ok and len(caught_up.search("garden", k=100)) == caught_up.stats()["passages"]


def test_stale_or_missing_index_is_rebuilt_from_the_store(library: Library, corpus: dict) -> None:
    library.add_files(list(corpus.values()))
    before = library.search("moon craters", k=5)
    path = library.path
    library.close()
    for index_file in path.glob("index-*.faiss"):
        index_file.write_bytes(b"garbage from a crash")
    with Library.open(path, settings=EXACT) as reopened:
        assert reopened.search("moon craters", k=5) == before
        assert len(before) == 5
        assert reopened.check().ok


def test_search_edge_cases(library: Library, corpus: dict) -> None:
    assert library.search("anything") == []  # empty library
    library.add_files([corpus["md"]])
    assert library.search("   ") == []
    assert len(library.search("bread", k=50)) == library.stats()["passages"]
