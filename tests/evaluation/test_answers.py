"""rdr_search.evaluation.answers: DPR's has_answer pinned case by case.

Expectations marked "DPR:" were derived by reading facebookresearch/DPR (dpr/data/qa_validation.py::has_answer,
regex_match, _normalize; dpr/utils/tokenizers.py::SimpleTokenizer).
"""

from __future__ import annotations

import unicodedata

import pytest

from rdr_search.evaluation.answers import AnswerMatcher, SimpleTokenizer, has_answer

# ----------------------------------------------------------------------------------------------------
# Tokenizer
# ----------------------------------------------------------------------------------------------------


def test_simple_tokenizer_words():
    tok = SimpleTokenizer()
    # Letter/digit runs are tokens; every other visible character is a token of its own; spaces, tabs and
    # newlines (categories Z and C) are dropped.
    assert tok.words("Levi's Stadium, 24–10\tU.S.\n") == [
        "Levi",
        "'",
        "s",
        "Stadium",
        ",",
        "24",
        "–",
        "10",
        "U",
        ".",
        "S",
        ".",
    ]
    assert tok.words("Denver BRONCOS", uncased=True) == ["denver", "broncos"]
    # Combining marks (\p{M}) stay inside the word: after NFD, "é" is "e" + U+0301 and remains one token.
    assert tok.words(unicodedata.normalize("NFD", "Café noir")) == ["Cafe\u0301", "noir"]


# ----------------------------------------------------------------------------------------------------
# has_answer, "string" matching
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "text", "expected"),
    [
        # Case-insensitive: tokens are lower-cased (Tokens.words(uncased=True)).
        (["Denver Broncos"], "The DENVER broncos won.", True),
        (["denver broncos"], "Denver Broncos", True),
        # Multi-token answers must appear as a contiguous run, in order.
        (["Denver Broncos"], "Broncos of Denver", False),
        (["Denver Broncos"], "Denver, Broncos", False),
        # Token boundaries: "art" is not a token of "party" (nor "Art" of "Arts").
        (["art"], "a party in the park", False),
        (["art"], "modern art.", True),
        (["Art"], "the Arts Council", False),
        # Punctuation inside answers is tokenized the same way in answer and text.
        (["U.S."], "the U.S. army", True),
        (["U.S."], "the US army", False),
        (["US"], "the U.S. army", False),
        (["U.S"], "the U.S. army", True),  # answer tokens u . s form a prefix run of u . s .
        (["Levi's Stadium"], "played at Levi's Stadium in Santa Clara", True),
        (["Levis Stadium"], "played at Levi's Stadium in Santa Clara", False),
        # A typographic apostrophe is a different one-character token: no match (DPR does no quote folding).
        (["Levi's Stadium"], "played at Levi\u2019s Stadium", False),
        (["24–10"], "won 24–10 over", True),
        (["24-10"], "won 24–10 over", False),  # hyphen-minus vs en dash
        (["24"], "won 24–10 over", True),
        # Any of several answers.
        (["Santa Clara, California", "Levi's Stadium"], "It was at Levi's Stadium.", True),
        ([], "anything", False),
    ],
)
def test_has_answer_string(answers, text, expected):
    assert has_answer(answers, text) is expected
    assert has_answer(answers, text, "string") is expected
    assert AnswerMatcher("string").has_answer(answers, text) is expected


def test_has_answer_accents_nfd():
    # DPR: _normalize is NFD (no accent stripping) and \p{M} keeps the combining accent in the token, so an
    # accented answer does NOT match the unaccented word, in either direction ...
    assert has_answer(["Café"], "a small cafe") is False
    assert has_answer(["cafe"], "a small Café") is False
    # ... but composed (NFC) and decomposed (NFD) spellings of the same accented word do match,
    # case-insensitively.
    nfc, nfd = "Café", "Cafe\u0301"
    assert nfc != nfd
    assert has_answer([nfc], f"the {nfd} opened") is True
    assert has_answer([nfd], "the CAFÉ opened") is True
    assert has_answer(["Ångström"], "unit: ångström") is True


def test_has_answer_empty_answer_matches_everything():
    # DPR: an answer with no tokens gives single_answer == [] and `[] == text[0:0]` is true at i = 0, so it
    # matches any text, even an empty one. Pinned because it is surprising, not because it is useful.
    assert has_answer([""], "whatever") is True
    assert has_answer(["   "], "") is True


def test_has_answer_rejects_bad_arguments():
    with pytest.raises(TypeError):
        has_answer("Denver", "Denver")  # a bare string would silently be matched character by character
    with pytest.raises(ValueError, match="match_type"):
        has_answer(["a"], "a", "kilt")


# ----------------------------------------------------------------------------------------------------
# has_answer, "regex" matching (CuratedTREC)
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "text", "expected"),
    [
        (["19[0-9]{2}"], "It was founded in 1987.", True),
        (["19[0-9]{2}"], "It was founded in 2001.", False),
        # IGNORECASE.
        (["(the )?beatles"], "THE BEATLES played", True),
        # No token boundaries: a plain search over the text.
        (["art"], "a party", True),
        # MULTILINE: ^ and $ match at line breaks.
        (["^1987$"], "born\n1987\nin Ohio", True),
        (["^1987$"], "born 1987 in Ohio", False),
        # An answer that does not compile matches nothing (DPR regex_match catches the error and returns
        # False) ...
        (["(unclosed"], "(unclosed", False),
        # ... and the other answers are still tried.
        (["(unclosed", "Pope Paul (VI)?"], "pope paul came", True),
    ],
)
def test_has_answer_regex(answers, text, expected):
    assert has_answer(answers, text, "regex") is expected
    assert AnswerMatcher("regex").has_answer(answers, text) is expected


def test_has_answer_regex_nfd():
    # Text and pattern are both NFD-normalised and the text is not tokenized, so "cafe" is a prefix of
    # "cafe" + U+0301 and matches (unlike string matching), while "café" matches both spellings.
    assert has_answer(["cafe"], "CAFÉ", "regex") is True
    assert has_answer(["café"], "Cafe\u0301", "regex") is True
    assert has_answer(["café"], "cafe", "regex") is False


def test_answer_matcher_cache_gives_same_results():
    m = AnswerMatcher("string", cache_size=2)
    texts = ["the Denver Broncos", "Carolina Panthers", "the Denver Broncos", None]
    assert m.hits(["denver broncos"], texts) == [True, False, True, False]
    assert m.first_hit(["panthers"], texts) == 1
    assert m.first_hit(["Seahawks"], texts) is None
    m.clear_cache()
    assert m.has_answer(["Broncos"], "Broncos") is True
