"""Passages: whole sentences to ~N words, spans and pages that point back into the document."""

from __future__ import annotations

import re
import time

import pytest

from rdr_search.chunking import Chunker, normalize_page, normalize_pages
from rdr_search.errors import RdrSearchError
from rdr_search.settings import Settings


def words(text: str) -> int:
    return len(text.split())


def sentence(i: int, n: int = 12) -> str:
    return " ".join([f"Sentence{i}"] + [f"word{i}x{j}" for j in range(n - 1)]) + "."


def test_passages_are_whole_sentences_near_the_word_budget() -> None:
    text = " ".join(sentence(i) for i in range(40))
    _, passages = Chunker(Settings(passage_words=100)).split("T", [text])
    assert all(words(p.text) <= 100 for p in passages)
    assert all(words(p.text) > 100 - 12 for p in passages[:-1])  # no room left for another sentence
    for p in passages:
        assert p.text.startswith("Sentence") and p.text.endswith(".")
    rebuilt = " ".join(p.text for p in passages)
    assert rebuilt == text  # nothing lost, nothing repeated
    assert [p.ordinal for p in passages] == list(range(len(passages)))


def test_spans_point_into_the_normalized_text() -> None:
    pages = ["First page has one sentence here. And another one.\n\nA new paragraph.", "Second page text."]
    normalized, passages = Chunker(Settings(passage_words=5)).split("Doc", pages)
    for p in passages:
        assert " ".join(normalized.text[p.span.char_start : p.span.char_end].split()) == p.text
    assert passages[0].span.page_start == 1 and passages[-1].span.page_end == 2


def test_passages_may_cross_pages_and_record_the_range() -> None:
    pages = ["Alpha beta gamma delta.", "Epsilon zeta eta theta."]
    _, passages = Chunker(Settings(passage_words=100)).split("Doc", pages)
    assert len(passages) == 1 and (passages[0].span.page_start, passages[0].span.page_end) == (1, 2)


def test_empty_pages_keep_page_numbers_right() -> None:
    pages = ["Page one words.", "   ", "Page three words."]
    _, passages = Chunker(Settings(passage_words=3)).split("Doc", pages)
    assert [(p.text, p.span.page_start) for p in passages] == [("Page one words.", 1), ("Page three words.", 3)]


def test_a_sentence_longer_than_the_budget_is_hard_split() -> None:
    long_sentence = " ".join(f"w{i}" for i in range(250))
    _, passages = Chunker(Settings(passage_words=100)).split("T", [long_sentence + ". Short tail."])
    # The last 50-word piece and the next sentence still fit one passage together.
    assert [words(p.text) for p in passages] == [100, 100, 52]
    assert passages[-1].text.endswith("w249. Short tail.")


def test_sentence_overlap_repeats_the_last_sentences() -> None:
    text = " ".join(sentence(i, 10) for i in range(10))
    _, passages = Chunker(Settings(passage_words=30, overlap_sentences=1)).split("T", [text])
    for before, after in zip(passages, passages[1:], strict=False):
        last = re.findall(r"Sentence\d+", before.text)[-1]
        assert after.text.startswith(last + " ")


def test_wrapped_lines_and_hyphenation_are_joined() -> None:
    page = "The retrie-\nver was trained\non questions.\n\nNew para-\ngraph here."
    assert normalize_page(page) == "The retriever was trained on questions.\n\nNew paragraph here."
    # A hyphen before a capital or a number is a real hyphen.
    assert normalize_page("Franco-\nPrussian war") == "Franco- Prussian war"


def test_headings_and_list_items_stay_their_own_blocks() -> None:
    page = "Intro line\n# Heading\n- item one\n- item two"
    assert normalize_page(page) == "Intro line\n\n# Heading\n\n- item one\n\n- item two"


def test_no_empty_or_whitespace_passages() -> None:
    _, passages = Chunker(Settings()).split("T", ["   \n\n \t ", "", "\n"])
    assert passages == []
    assert normalize_pages(["", " "]).text == ""


def test_a_huge_line_without_punctuation_is_cut_in_bounded_time() -> None:
    text = " ".join(f"token{i % 97}" for i in range(200_000))  # ~1.4 MB, one line, no sentence end
    started = time.perf_counter()
    _, passages = Chunker(Settings()).split("T", [text])
    assert time.perf_counter() - started < 30
    assert sum(words(p.text) for p in passages) == 200_000
    assert all(words(p.text) <= 100 for p in passages)


def test_unsupported_language_is_a_clear_error() -> None:
    with pytest.raises(RdrSearchError, match="does not support language 'zh'"):
        Chunker(Settings(language="zh"))
