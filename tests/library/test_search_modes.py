"""Keyword and hybrid search in a real library: the FTS5 index stays with the passages, phrases, filters."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.errors import QueryError
from rdr_search.library import DB_NAME, Library
from rdr_search.records import SearchFilters
from rdr_search.settings import Settings
from rdr_search.store import SCHEMA_VERSION
from tests.files import sample_corpus

SETTINGS = Settings(precision="fp32", passage_words=12)
MODES = ("dense", "keyword", "hybrid")


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), SETTINGS)


@pytest.fixture()
def library(tmp_path: Path, pair: EncoderPair) -> Library:
    lib = Library.open(tmp_path / "library", pair, SETTINGS)
    yield lib
    lib.close()


def database(lib: Library) -> sqlite3.Connection:
    """A second connection to the library's database, as another program would open it."""
    return sqlite3.connect(lib.path / DB_NAME)


def indexed_words(lib: Library, word: str) -> set[str]:
    """Sources of the passages the keyword index finds for one word."""
    return {h.source for h in lib.search(word, k=1000, mode="keyword")}


def fts_rows(lib: Library) -> tuple[int, int]:
    """(keyword index rows, passages)."""
    with database(lib) as db:
        return (
            db.execute("SELECT COUNT(*) FROM passages_fts_docsize").fetchone()[0],
            db.execute("SELECT COUNT(*) FROM passages").fetchone()[0],
        )


def test_the_keyword_index_follows_add_replace_and_remove(library: Library, tmp_path: Path) -> None:
    corpus = sample_corpus(tmp_path / "docs")
    library.add_files(list(corpus.values()), progress=False)
    rows, passages = fts_rows(library)
    assert rows == passages > 5 and library.check().ok
    assert indexed_words(library, "Runnymede") == {"history.pdf"}

    note = tmp_path / "note.md"
    note.write_text("# Note\n\nThe old version mentions quinces and apricots.\n")
    library.add_files([note], progress=False)
    note.write_text("# Note\n\nThe new version mentions persimmons only.\n")
    assert library.add_files([note], progress=False).outcomes[0].status == "replaced"
    assert indexed_words(library, "quinces") == set() and indexed_words(library, "persimmons") == {"note.md"}
    assert library.check().ok

    assert library.remove("history.pdf")
    assert indexed_words(library, "Runnymede") == set()
    rows, passages = fts_rows(library)
    assert rows == passages and library.check().ok


def test_check_reports_a_keyword_index_that_disagrees(library: Library, tmp_path: Path) -> None:
    corpus = sample_corpus(tmp_path / "docs")
    library.add_files([corpus["md"], corpus["html"]], progress=False)
    with database(library) as db:  # a passage written behind the index's back (no trigger)
        db.execute("DROP TRIGGER passages_fts_insert")
        db.execute(
            "INSERT INTO passages (document_id, ordinal, title, text, page_start, page_end, char_start, char_end,"
            " content_key) SELECT document_id, 99, title, 'stray words', 1, 1, 0, 11, content_key FROM passages"
            " LIMIT 1"
        )
    problems = library.check().problems
    assert "the keyword index trigger passages_fts_insert is missing" in problems
    assert "1 passages are missing from the keyword index" in problems


def test_a_library_without_the_keyword_index_gains_it_on_open(
    tmp_path: Path, pair: EncoderPair, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = sample_corpus(tmp_path / "docs")
    with Library.open(tmp_path / "old", pair, SETTINGS) as lib:
        lib.add_files(list(corpus.values()), progress=False)
        expected = lib.search("Who sealed the Magna Carta?", k=5, mode="dense")
    with sqlite3.connect(tmp_path / "old" / DB_NAME) as db:  # as the library was before schema 2
        for trigger in ("insert", "delete", "update"):
            db.execute(f"DROP TRIGGER passages_fts_{trigger}")
        db.execute("DROP TABLE passages_fts")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with Library.open(tmp_path / "old", pair, SETTINGS) as lib:
        assert "Building the keyword index" in capsys.readouterr().err  # with progress
        assert lib.check().ok
        assert indexed_words(lib, "Runnymede") == {"history.pdf"}
        assert lib.search("Who sealed the Magna Carta?", k=5, mode="dense") == expected
        rows, passages = fts_rows(lib)
        assert rows == passages
    with sqlite3.connect(tmp_path / "old" / DB_NAME) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)


def test_a_quoted_phrase_matches_only_passages_holding_it_word_for_word(library: Library, tmp_path: Path) -> None:
    docs = {
        "exact.md": "The old lighthouse keeper heard the blue whale sing at dawn.",
        "apart.md": "A blue boat passed while a grey whale surfaced near the pier.",
        "stemmed.md": "Several blue whales were singing far out in the bay that night.",
        "case.md": "Sailors still say BLUE-Whale when they see one breach the water.",
    }
    for name, text in docs.items():
        (tmp_path / name).write_text(f"# {name}\n\n{text}\n")
    library.add_files([tmp_path / name for name in docs], progress=False)
    for mode in ("keyword", "hybrid"):
        hits = library.search('where did the "blue whale" sing', k=10, mode=mode)
        assert {h.source for h in hits} == {"exact.md", "case.md"}, mode  # case and punctuation aside
        assert all(h.mode == mode for h in hits)
    assert {h.source for h in library.search('"whale sing"', k=10, mode="keyword")} == {"exact.md"}
    assert library.search('"lighthouse whale"', k=10, mode="hybrid") == []
    assert len({h.source for h in library.search('"blue whale"', k=10, mode="dense")}) == 4  # dense: no phrases


def test_user_text_is_never_read_as_query_syntax(library: Library, tmp_path: Path) -> None:
    corpus = sample_corpus(tmp_path / "docs")
    library.add_files(list(corpus.values()), progress=False)
    for question in ('NEAR(moon earth) OR title:moon AND "unbalanced', "moon* ^earth -(craters)", '"', "'; DROP"):
        for mode in MODES:
            library.search(question, k=5, mode=mode)  # no FTS5 syntax error, whatever the question holds
    assert indexed_words(library, "moon*") == {"astronomy.html"}
    assert library.check().ok


def test_every_filter_applies_in_every_mode(library: Library, tmp_path: Path) -> None:
    corpus = sample_corpus(tmp_path / "docs")
    library.add_files(list(corpus.values()), progress=False)
    with database(library) as db:
        db.execute("UPDATE documents SET added_at = '2020-06-01T12:00:00+00:00' WHERE source = 'cooking.md'")
    cases = {
        SearchFilters(sources=("history.pdf",)): {"history.pdf"},
        SearchFilters(sources=("garden.docx", "whales.txt")): {"garden.docx", "whales.txt"},
        SearchFilters(kinds=("pdf",)): {"history.pdf"},
        SearchFilters(kinds=("md", "html")): {"cooking.md", "astronomy.html"},  # types as people name them
        SearchFilters(added_before="2021-01-01"): {"cooking.md"},
        SearchFilters(added_after="2020-06-01T12:00:01"): {p.name for p in corpus.values()} - {"cooking.md"},
        SearchFilters(kinds=("pdf",), added_before="2021-01-01"): set(),
    }
    question = "the moon and bread and whales and treaties and tomatoes"
    for filters, expected in cases.items():
        for mode in MODES:
            hits = library.search(question, k=100, mode=mode, filters=filters)
            found = {h.source for h in hits}
            assert found <= expected and (found == expected or mode == "keyword"), (filters, mode, found)
            assert all(h.kind and h.mode == mode for h in hits)
    with pytest.raises(QueryError, match="date like 2025-01-31"):
        library.search("moon", filters=SearchFilters(added_after="last tuesday"))
    with pytest.raises(QueryError, match="Unknown file type 'xlsx'"):
        library.search("moon", filters=SearchFilters(kinds=("xlsx",)))


def test_keyword_search_finds_a_rare_name_the_tiny_dense_model_cannot(library: Library, tmp_path: Path) -> None:
    for n in range(12):
        lines = [f"Record {n}.{i} lists the harbour tolls and the ships that paid them." for i in range(6)]
        if n == 7:
            lines[3] = "Record 7.3 lists the harbour tolls and the ships that Oxtaven paid."
        (tmp_path / f"log{n:02d}.md").write_text(f"# Harbour log {n}\n\n{' '.join(lines)}\n")
    library.add_files(sorted(tmp_path.glob("*.md")), progress=False)
    question = "Which record lists the harbour tolls and ships that Oxtaven paid?"
    dense = ["Oxtaven" in h.text for h in library.search(question, k=100, mode="dense")]
    assert dense.index(True) > 0  # random weights: the rare name means little to the vectors
    for mode in ("keyword", "hybrid"):
        assert "Oxtaven" in library.search(question, k=1, mode=mode)[0].text


def test_modes_and_scores(library: Library, tmp_path: Path) -> None:
    corpus = sample_corpus(tmp_path / "docs")
    library.add_files(list(corpus.values()), progress=False)
    with pytest.raises(QueryError, match="dense, keyword, hybrid"):
        library.search("moon", mode="fuzzy")
    hybrid = library.search("How long does the Moon take to orbit the Earth?", k=5)  # hybrid by default
    assert hybrid[0].source == "astronomy.html" and {h.mode for h in hybrid} == {"hybrid"}
    assert all(0.0 <= h.score <= 1.0 for h in hybrid) and hybrid[0].kind == "html"
    keyword = library.search("Moon orbit", k=5, mode="keyword")
    assert keyword[0].score > 0 and keyword == sorted(keyword, key=lambda h: -h.score)
    assert library.search("?! ...", k=5, mode="keyword") == []  # no words at all
    assert library.search("Is it on?", k=20, mode="keyword")  # only stopwords: then they are the words
    with pytest.raises(QueryError, match="characters long"):  # the length check comes first
        library.search("x" * 5000, mode="fuzzy")
