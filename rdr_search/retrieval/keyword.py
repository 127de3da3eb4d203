"""Keyword retrieval: BM25 over the FTS5 index (:mod:`rdr_search.store.fts`) for a question in plain words.

A question becomes a :class:`KeywordQuery`: its words, less common English stopwords, are OR-ed terms (BM25
ranks passages holding more of the rarer ones first); a "quoted phrase" must appear in a passage as is. Every
term and phrase reaches FTS5 inside double quotes and holds only letters and digits, so no user text is ever
read as FTS5 syntax (AND, OR, NOT, NEAR, column filters, prefixes, ``^``).

"Exact phrase" means the same words in the same order, whatever the case, accents and punctuation between
them: FTS5 finds the candidates (its stemmer would also let "running dogs" match "run dog"), then each is
checked on the passage's own words.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from rdr_search.store import fts

_STOPWORDS = """
    a about above after again against all also am an and any are as at be been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just may me might more most must my myself no
    nor not now of off on once only or other our ours ourselves out over own same shall she should so some such
    than that the their theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom whose why will with would you your yours yourself
    yourselves
"""
STOPWORDS = frozenset(_STOPWORDS.split())
"""Words too common to rank by; dropped from a question unless it has no other words (never from a phrase)."""
MAX_TERMS = 64
MAX_PHRASES = 8
MAX_PHRASE_WORDS = 32

_WORD = re.compile(r"[^\W_]+")
_PHRASE = re.compile(r'"([^"]*)"|\u201c([^\u201d]*)\u201d')


def _fold(text: str) -> str:
    """Lower case without accents, as the index compares words."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def _quoted(words: tuple[str, ...]) -> str:
    return '"' + " ".join(words) + '"'  # words hold letters and digits only: nothing to escape


@dataclass(frozen=True)
class KeywordQuery:
    """What keyword search looks for: single words (any of them) and exact phrases (all of them)."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def parse(cls, question: str) -> KeywordQuery:
        """Words and "quoted phrases" of a question (straight or curly double quotes; an unpaired quote is
        ignored)."""
        phrases: list[tuple[str, ...]] = []

        def take(match: re.Match[str]) -> str:
            words = tuple(w.lower() for w in _WORD.findall(match.group(1) or match.group(2) or ""))
            if words:
                phrases.append(words[:MAX_PHRASE_WORDS])
            return " "

        rest = _PHRASE.sub(take, question)
        words = [w.lower() for w in _WORD.findall(rest)]
        content = [w for w in words if w not in STOPWORDS]
        if not content and not phrases:
            content = words  # "who was it": better the stopwords than nothing
        return cls(tuple(dict.fromkeys(content))[:MAX_TERMS], tuple(dict.fromkeys(phrases))[:MAX_PHRASES])

    @property
    def empty(self) -> bool:
        return not (self.terms or self.phrases)

    def expression(self) -> str:
        """The FTS5 expression passages are ranked by: every phrase and term, OR-ed."""
        return " OR ".join([_quoted(p) for p in self.phrases] + [_quoted((t,)) for t in self.terms])

    def required(self) -> str | None:
        """The FTS5 expression every hit must match (all phrases), or None without phrases."""
        return " AND ".join(_quoted(p) for p in self.phrases) or None

    @cached_property
    def _patterns(self) -> list[re.Pattern[str]]:
        return [
            re.compile(r"(?<![^\W_])" + r"[\W_]+".join(re.escape(_fold(w)) for w in phrase) + r"(?![^\W_])")
            for phrase in self.phrases
        ]

    def has_phrases(self, title: str, text: str) -> bool:
        """Whether every phrase appears, word for word, in the title or the text."""
        folded = (_fold(title), _fold(text))
        return all(any(p.search(part) for part in folded) for p in self._patterns)


def phrase_matches(db: sqlite3.Connection, query: KeywordQuery, scope: fts.Scope = fts.EVERYTHING) -> set[int]:
    """Rows within ``scope`` that hold every phrase of the query word for word (the query must have one)."""
    required = query.required()
    assert required is not None, "a query without phrases restricts nothing"
    return {row for row, title, text in fts.matching_texts(db, required, scope=scope) if query.has_phrases(title, text)}


def keyword_ranking(
    db: sqlite3.Connection,
    query: KeywordQuery,
    n: int,
    scope: fts.Scope = fts.EVERYTHING,
    exact: set[int] | None = None,
) -> list[tuple[int, float]]:
    """(rowid, -bm25) of the ``n`` best rows for the query within ``scope``, best first. With phrases, only
    rows holding them word for word (``exact``, when the caller has found them already)."""
    if query.empty:
        return []
    required = query.required()
    if required is None:
        return fts.ranked(db, query.expression(), n, scope=scope)
    if exact is None:
        exact = phrase_matches(db, query, scope)
    rows = fts.ranked(db, query.expression(), -1, scope=scope, require=required)
    return [row for row in rows if row[0] in exact][:n]
