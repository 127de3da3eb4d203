"""DPR-compatible answer matching: does a passage text contain one of a question's answers?

A port of facebookresearch/DPR's matching (our own code, same behaviour):

- :class:`SimpleTokenizer` follows ``dpr/utils/tokenizers.py::SimpleTokenizer`` (itself from DrQA): tokens are
  runs of letters/digits/marks ``[\\p{L}\\p{N}\\p{M}]+`` or any other single character that is neither a
  separator nor a control/format character ``[^\\p{Z}\\p{C}]``; "uncased" words are ``str.lower()`` of each
  token.
- :func:`has_answer` follows ``dpr/data/qa_validation.py::has_answer`` / ``regex_match`` / ``_normalize``:
  text and answers are Unicode-NFD-normalised; "string" matching looks for the answer's token sequence as a
  contiguous run of the text's uncased tokens; "regex" matching searches the (NFD, not lower-cased) text with
  each answer compiled with IGNORECASE | UNICODE | MULTILINE, and an answer that does not compile never
  matches.

Match only the passage *text* against answers, not its title: DPR's ``check_answer`` (used by ``validate``)
reads ``doc[0]``, the text.

Depends on the ``regex`` package (as DPR does) for the ``\\p{...}`` Unicode classes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

import regex

MATCH_TYPES: tuple[str, ...] = ("string", "regex")

# DPR: regex.IGNORECASE + regex.UNICODE + regex.MULTILINE, for both the tokenizer and regex answers.
_DPR_FLAGS = regex.IGNORECASE | regex.UNICODE | regex.MULTILINE


class SimpleTokenizer:
    """Port of DPR's ``dpr/utils/tokenizers.py::SimpleTokenizer`` (words only).

    DPR compiles ``"(%s)|(%s)" % (ALPHA_NUM, NON_WS)``; the capture groups only serve its span bookkeeping, so
    the same alternation without groups gives the same tokens in the same order.
    """

    ALPHA_NUM = r"[\p{L}\p{N}\p{M}]+"
    NON_WS = r"[^\p{Z}\p{C}]"

    def __init__(self) -> None:
        self._regexp = regex.compile(f"{self.ALPHA_NUM}|{self.NON_WS}", flags=_DPR_FLAGS)

    def words(self, text: str, *, uncased: bool = False) -> list[str]:
        """The text of each token (DPR ``Tokens.words(uncased)``: ``.lower()`` per token when uncased)."""
        tokens: list[str] = self._regexp.findall(text)
        if uncased:
            return [t.lower() for t in tokens]
        return tokens

    def tokenize(self, text: str) -> list[str]:
        """Alias of :meth:`words` (cased), for readers who know DPR's ``tokenize(text).words()``."""
        return self.words(text)


def _normalize(text: str) -> str:
    """DPR ``qa_validation.py::_normalize``: Unicode NFD (decomposed: 'é' becomes 'e' + U+0301)."""
    return unicodedata.normalize("NFD", text)


def _check_match_type(match_type: str) -> None:
    if match_type not in MATCH_TYPES:
        # DPR's has_answer silently returns False for an unknown type; a typo should not read as 0% recall.
        raise ValueError(f"match_type must be one of {MATCH_TYPES}, not {match_type!r}")


def _check_answers(answers: Sequence[str]) -> None:
    if isinstance(answers, str):
        raise TypeError("answers must be a sequence of strings, not a single string")


def _contains_run(text_words: list[str], answer_words: list[str]) -> bool:
    """True if ``answer_words`` is a contiguous run of ``text_words`` (the window loop of DPR's has_answer).

    An empty answer (one with no tokens, e.g. "" or only spaces) matches every text, even an empty one: DPR's
    loop ``for i in range(0, len(text) - 0 + 1): if [] == text[i:i]`` is true at i = 0.
    """
    m = len(answer_words)
    if m == 0:
        return True
    last = len(text_words) - m
    first = answer_words[0]
    i = 0
    while i <= last:
        try:
            i = text_words.index(first, i, last + 1)
        except ValueError:
            return False
        if text_words[i : i + m] == answer_words:
            return True
        i += 1
    return False


def _compile_regex_answer(pattern: str) -> regex.Pattern[str] | None:
    """DPR ``qa_validation.py::regex_match``: compile with its flags; any failure means "no match" (it catches
    ``BaseException``)."""
    try:
        return regex.compile(pattern, flags=_DPR_FLAGS)
    except Exception:
        return None


def _any_pattern_found(patterns: Iterable[regex.Pattern[str] | None], text: str) -> bool:
    return any(p is not None and p.search(text) is not None for p in patterns)


_TOKENIZER = SimpleTokenizer()


def has_answer(answers: Sequence[str], text: str, match_type: str = "string") -> bool:
    """Whether ``text`` contains any of ``answers``; port of DPR ``qa_validation.py::has_answer``.

    ``"string"``: NFD-normalise text and answer, tokenize both with :class:`SimpleTokenizer`, lower-case
    tokens, look for the answer's tokens as a contiguous run (token boundaries matter: "art" does not match
    "party"; punctuation is kept as tokens: "U.S." matches "the U.S. army" but not "US").
    ``"regex"``: each answer is a pattern searched in the NFD text with IGNORECASE | UNICODE | MULTILINE, no
    token boundaries; an invalid pattern matches nothing.
    """
    _check_answers(answers)
    _check_match_type(match_type)
    text = _normalize(text)
    if match_type == "string":
        text_words = _TOKENIZER.words(text, uncased=True)
        return any(_contains_run(text_words, _TOKENIZER.words(_normalize(a), uncased=True)) for a in answers)
    return _any_pattern_found((_compile_regex_answer(_normalize(a)) for a in answers), text)


class AnswerMatcher:
    """:func:`has_answer` with memoised work, for evaluating many questions over shared passages.

    Each distinct passage text is normalised and tokenized once (LRU cache of ``cache_size`` texts), each
    distinct answer once, each regex compiled once. Results are identical to :func:`has_answer`.
    """

    def __init__(self, match_type: str = "string", *, cache_size: int = 50_000) -> None:
        _check_match_type(match_type)
        self.match_type = match_type
        self._tokenizer = SimpleTokenizer()
        # Texts and answers get caches of their own so that many answers cannot evict the passages.
        self._text_words = lru_cache(maxsize=cache_size)(self._words)
        self._answer_words = lru_cache(maxsize=cache_size)(self._words)
        self._text_nfd = lru_cache(maxsize=cache_size)(_normalize)
        self._answer_regex = lru_cache(maxsize=cache_size)(self._regex)

    def _words(self, text: str) -> list[str]:
        return self._tokenizer.words(_normalize(text), uncased=True)

    @staticmethod
    def _regex(answer: str) -> regex.Pattern[str] | None:
        return _compile_regex_answer(_normalize(answer))

    def has_answer(self, answers: Sequence[str], text: str | None) -> bool:
        """Same as :func:`has_answer` with this matcher's type; ``None`` text is a miss (DPR
        ``check_answer``)."""
        _check_answers(answers)
        if text is None:
            return False
        if self.match_type == "string":
            words = self._text_words(text)
            return any(_contains_run(words, self._answer_words(a)) for a in answers)
        return _any_pattern_found(map(self._answer_regex, answers), self._text_nfd(text))

    def hits(self, answers: Sequence[str], texts: Iterable[str | None]) -> list[bool]:
        """Per-passage answer presence for one question (DPR ``qa_validation.py::check_answer``)."""
        return [self.has_answer(answers, t) for t in texts]

    def first_hit(self, answers: Sequence[str], texts: Iterable[str | None]) -> int | None:
        """0-based rank of the first passage that has an answer, or None (DPR's ``best_hit``)."""
        for i, t in enumerate(texts):
            if self.has_answer(answers, t):
                return i
        return None

    def clear_cache(self) -> None:
        """Forget every memoised text, answer and pattern."""
        for cache in (self._text_words, self._answer_words, self._text_nfd, self._answer_regex):
            cache.cache_clear()
