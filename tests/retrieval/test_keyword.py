"""Questions become safe FTS5 expressions; phrases are exact; BM25 ranks over a real FTS5 table."""

from __future__ import annotations

import sqlite3

import pytest

from rdr_search.retrieval.keyword import MAX_TERMS, KeywordQuery, keyword_ranking, phrase_matches
from rdr_search.store import fts

TEXTS = {
    1: "The Treaty of Versailles was signed in 1919.",
    2: "Versailles is a palace; a treaty was not signed there in 1815.",
    3: "The Congress of Vienna met in 1815.",
    4: "Le traité de Versailles fut signé en 1919.",
}


@pytest.fixture()
def db() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute(f"CREATE VIRTUAL TABLE {fts.TABLE} USING fts5(title, text, tokenize='{fts.TOKENIZER}')")
    connection.executemany(
        f"INSERT INTO {fts.TABLE} (rowid, title, text) VALUES (?, 'History', ?)", list(TEXTS.items())
    )
    return connection


def test_words_lose_stopwords_and_phrases_stay_whole() -> None:
    query = KeywordQuery.parse('When was the "Treaty of Versailles" signed, and by whom?')
    assert query.terms == ("signed",)
    assert query.phrases == (("treaty", "of", "versailles"),)
    assert query.expression() == '"treaty of versailles" OR "signed"'
    assert query.required() == '"treaty of versailles"'
    assert KeywordQuery.parse("Who was it?").terms == ("who", "was", "it")  # nothing else: keep them
    assert KeywordQuery.parse("?!").empty and KeywordQuery.parse('""').empty
    assert KeywordQuery.parse("\u201cCongress of Vienna\u201d").phrases == (("congress", "of", "vienna"),)
    assert KeywordQuery.parse('an "unpaired quote').terms == ("unpaired", "quote")


@pytest.mark.parametrize(
    "question",
    [
        'NEAR(treaty versailles, 2) OR title:treaty AND NOT "x',
        "versail* ^treaty -signed +1919 (a OR b)",
        'text:"x" : * " "" \\" \x00',
        "' OR 1=1 --",
    ],
)
def test_no_question_is_read_as_query_syntax(db: sqlite3.Connection, question: str) -> None:
    query = KeywordQuery.parse(question)
    for part in (*query.terms, *(w for p in query.phrases for w in p)):
        assert part.isalnum()
    keyword_ranking(db, query, 10)  # FTS5 accepts the expression


def test_many_words_are_capped() -> None:
    query = KeywordQuery.parse(" ".join(f"word{i}" for i in range(500)))
    assert len(query.terms) == MAX_TERMS


def test_bm25_ranks_rarer_and_more_words_first(db: sqlite3.Connection) -> None:
    ranked = keyword_ranking(db, KeywordQuery.parse("treaty signed 1919 Versailles"), 10)
    assert ranked[0][0] == 1 and 3 not in dict(ranked) and all(score > 0 for _, score in ranked)
    assert keyword_ranking(db, KeywordQuery.parse("Vienna"), 10) == keyword_ranking(
        db, KeywordQuery.parse("vienna"), 10
    )
    assert [row for row, _ in keyword_ranking(db, KeywordQuery.parse("traite"), 10)] == [4]  # accents folded


def test_phrases_are_exact_word_sequences(db: sqlite3.Connection) -> None:
    assert phrase_matches(db, KeywordQuery.parse('"treaty of Versailles"')) == {1}
    assert phrase_matches(db, KeywordQuery.parse('"traite de versailles"')) == {4}
    assert phrase_matches(db, KeywordQuery.parse('"treaties of Versailles"')) == set()  # the stemmer would match
    assert phrase_matches(db, KeywordQuery.parse('"palace a treaty"')) == {2}  # punctuation between words
    both = KeywordQuery.parse('"signed in 1919" "Treaty"')
    assert phrase_matches(db, both) == {1}
    assert [row for row, _ in keyword_ranking(db, both, 10)] == [1]
