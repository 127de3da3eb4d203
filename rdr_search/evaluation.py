"""DPR-compatible answer matching and top-k answer recall.

This module ports the evaluation of facebookresearch/DPR (our own code, same behaviour):

- :class:`SimpleTokenizer` follows ``dpr/utils/tokenizers.py::SimpleTokenizer`` (itself from DrQA): tokens are
  runs of letters/digits/marks ``[\\p{L}\\p{N}\\p{M}]+`` or any other single character that is neither a
  separator nor a control/format character ``[^\\p{Z}\\p{C}]``; "uncased" words are ``str.lower()`` of each
  token.
- :func:`has_answer` follows ``dpr/data/qa_validation.py::has_answer`` / ``regex_match`` / ``_normalize``:
  text and answers are Unicode-NFD-normalised; "string" matching looks for the answer's token sequence as a
  contiguous run of the text's uncased tokens; "regex" matching searches the (NFD, not lower-cased) text with
  each answer compiled with IGNORECASE | UNICODE | MULTILINE, and an answer that does not compile never
  matches.
- :func:`answer_recall` / :func:`recall_from_hits` follow ``qa_validation.py::calculate_matches`` (the
  ``top_k_hits`` accumulation over each question's first hit) and ``dense_retriever.py::validate`` (divide by
  the number of questions), reported as percentages like the RDR model cards.
- :func:`read_questions` follows ``dpr/data/retriever_data.py::CsvQASrc`` (tab-separated, answers column
  evaluated as a Python literal; we use ``ast.literal_eval``, never ``eval``) and ``JsonlQASrc``;
  :func:`read_collection` follows ``retriever_data.py::CsvCtxSrc`` (tab-separated csv reader, rows whose id is
  ``"id"`` skipped, ``text.strip('"')``) but streams in batches instead of filling a dict.

Match only the passage *text* against answers, not its title: DPR's ``check_answer`` (used by ``validate``)
reads ``doc[0]``, the text.

Depends on the ``regex`` package (as DPR does) for the ``\\p{...}`` Unicode classes; no torch/faiss here.
"""

from __future__ import annotations

import ast
import csv
import gzip
import json
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from numbers import Integral
from pathlib import Path
from typing import IO, Any

import regex

from rdr_search.errors import RdrSearchError

__all__ = [
    "DEFAULT_KS",
    "MATCH_TYPES",
    "AnswerMatcher",
    "CollectionPassage",
    "EvaluationDataError",
    "QAPair",
    "RecallReport",
    "SimpleTokenizer",
    "answer_recall",
    "dpr_normalize_question",
    "format_markdown",
    "has_answer",
    "lookup_passages",
    "read_collection",
    "read_questions",
    "recall_from_hits",
    "reports_from_json",
    "to_json",
]

DEFAULT_KS: tuple[int, ...] = (1, 5, 20, 50, 100)
MATCH_TYPES: tuple[str, ...] = ("string", "regex")

# DPR: regex.IGNORECASE + regex.UNICODE + regex.MULTILINE, for both the tokenizer and regex answers.
_DPR_FLAGS = regex.IGNORECASE | regex.UNICODE | regex.MULTILINE


class EvaluationDataError(RdrSearchError, ValueError):
    """A question file or passage collection cannot be read; the message says where and why."""


# ----------------------------------------------------------------------------------------------------
# Tokenization and answer matching
# ----------------------------------------------------------------------------------------------------


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
        tokens = self._regexp.findall(text)
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
    for answer in answers:
        pattern = _compile_regex_answer(_normalize(answer))
        if pattern is not None and pattern.search(text) is not None:
            return True
    return False


class AnswerMatcher:
    """:func:`has_answer` with memoised work, for evaluating many questions over shared passages.

    Each distinct passage text is normalised and tokenized once (LRU cache of ``cache_size`` texts), each
    distinct answer once, each regex compiled once. Results are identical to :func:`has_answer`.
    """

    def __init__(self, match_type: str = "string", *, cache_size: int = 50_000) -> None:
        _check_match_type(match_type)
        self.match_type = match_type
        self._tokenizer = SimpleTokenizer()
        if match_type == "string":
            self._text = lru_cache(maxsize=cache_size)(self._text_words)
            self._answer = lru_cache(maxsize=cache_size)(self._text_words)
        else:
            self._text = lru_cache(maxsize=cache_size)(_normalize)
            self._answer = lru_cache(maxsize=cache_size)(self._regex)

    def _text_words(self, text: str) -> list[str]:
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
        prepared = self._text(text)
        if self.match_type == "string":
            return any(_contains_run(prepared, self._answer(a)) for a in answers)
        for answer in answers:
            pattern = self._answer(answer)
            if pattern is not None and pattern.search(prepared) is not None:
                return True
        return False

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
        self._text.cache_clear()
        self._answer.cache_clear()


# ----------------------------------------------------------------------------------------------------
# Recall
# ----------------------------------------------------------------------------------------------------


def _check_ks(ks: Sequence[int]) -> list[int]:
    values = [ks] if isinstance(ks, Integral) else list(ks)
    if not values or any(isinstance(k, bool) or not isinstance(k, Integral) or k < 1 for k in values):
        raise ValueError(f"ks must be positive integers, got {values!r}")
    return sorted({int(k) for k in values})


def _recall_from_first_hits(first_hits: Sequence[int | None], ks: list[int]) -> dict[int, float]:
    n = len(first_hits)
    if n == 0:
        raise ValueError("recall needs at least one question")
    # DPR calculate_matches: top_k_hits[best_hit:] += 1, i.e. a question counts at every k > its first hit
    # rank.
    return {k: 100.0 * sum(1 for h in first_hits if h is not None and h < k) / n for k in ks}


def recall_from_hits(hits_per_question: Sequence[Sequence[bool]], ks: Sequence[int] = DEFAULT_KS) -> dict[int, float]:
    """Top-k recall (percent) from DPR-style per-question hit lists (``questions_doc_hits``).

    A question counts at k if any of its first k passages has an answer; a k above the number of passages
    retrieved uses all of them.
    """
    ks_sorted = _check_ks(ks)
    first = [next((i for i, x in enumerate(h) if x), None) for h in hits_per_question]
    return _recall_from_first_hits(first, ks_sorted)


def answer_recall(
    answers_per_question: Sequence[Sequence[str]],
    retrieved_texts: Sequence[Sequence[str]],
    ks: Sequence[int] = DEFAULT_KS,
    match_type: str = "string",
    *,
    matcher: AnswerMatcher | None = None,
) -> dict[int, float]:
    """Top-k answer recall in percent (0..100), DPR semantics, keyed by k in ascending order.

    ``retrieved_texts[i]`` are question i's passage texts, best first (texts only, as DPR's ``validate``).
    Only the first ``max(ks)`` passages of each question are checked. Pass a shared ``matcher`` to reuse its
    tokenization cache across runs (e.g. when comparing two encoder pairs on one collection).
    """
    if len(answers_per_question) != len(retrieved_texts):
        raise ValueError(
            f"{len(answers_per_question)} answer lists but {len(retrieved_texts)} retrieved lists; they must pair up"
        )
    ks_sorted = _check_ks(ks)
    if matcher is None:
        matcher = AnswerMatcher(match_type)
    elif matcher.match_type != match_type:
        raise ValueError(f"matcher uses {matcher.match_type!r} but match_type is {match_type!r}")
    limit = ks_sorted[-1]
    first = [
        matcher.first_hit(answers, islice(texts, limit))
        for answers, texts in zip(answers_per_question, retrieved_texts, strict=True)
    ]
    return _recall_from_first_hits(first, ks_sorted)


# ----------------------------------------------------------------------------------------------------
# Reading DPR files
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QAPair:
    question: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class CollectionPassage:
    id: str
    text: str
    title: str


def dpr_normalize_question(question: str) -> str:
    """DPR ``dpr/utils/data_utils.py::normalize_question``: drop one trailing "?" before encoding a
    question."""
    if question and question[-1] == "?":
        return question[:-1]
    return question


def _raise_csv_field_limit() -> None:
    # csv's default field limit (131,072 chars) is too small for some collections; the limit is process-wide.
    limit = 2**31 - 1
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


def _kind(path: Path) -> tuple[str, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else ""), gz


def _open_text(path: Path, gz: bool) -> IO[str]:
    # utf-8-sig: a byte-order mark (left by some editors) is not part of the first question or id.
    # newline="": the csv module handles quoted newlines itself.
    if gz:
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _answers_tuple(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)) and all(isinstance(a, str) for a in value):
        return tuple(value)
    raise EvaluationDataError(f"{where}: answers must be a list of strings, got {value!r:.200}")


def _questions_from_csv(path: Path, gz: bool, csv_quoting: bool) -> Iterator[QAPair]:
    _raise_csv_field_limit()
    with _open_text(path, gz) as f:
        # DPR CsvQASrc: csv.reader(delimiter="\t") with the default '"' quoting.
        quoting = csv.QUOTE_MINIMAL if csv_quoting else csv.QUOTE_NONE
        reader = csv.reader(f, delimiter="\t", quoting=quoting)
        first = True
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            where = f"{path}:{reader.line_num}"
            if first:
                first = False
                if (
                    len(row) >= 2
                    and row[0].strip().lower() == "question"
                    and row[1].strip().lower()
                    in (
                        "answers",
                        "answer",
                    )
                ):
                    continue  # tolerated header row (DPR files have none)
            if len(row) < 2:
                raise EvaluationDataError(f"{where}: expected 'question<TAB>[answers]', got {row!r:.200}")
            try:
                # DPR CsvQASrc evaluates the column with eval(); literal_eval reads the same lists safely
                # (JSON lists of strings and Python ['a', "b's"] lists alike).
                value = ast.literal_eval(row[1].strip())
            except (ValueError, SyntaxError, MemoryError, RecursionError) as e:
                raise EvaluationDataError(
                    f'{where}: answers column is not a list literal like ["answer"]: {row[1]!r:.200}'
                ) from e
            yield QAPair(row[0], _answers_tuple(value, where))


def _qa_from_obj(obj: Any, where: str) -> QAPair:
    if not isinstance(obj, dict) or not isinstance(obj.get("question"), str):
        raise EvaluationDataError(f"{where}: expected an object with a 'question' string, got {obj!r:.200}")
    # DPR JsonlQASrc: a missing "answers" is an empty list (the question then counts as a miss).
    return QAPair(obj["question"], _answers_tuple(obj.get("answers", []), where))


def read_questions(path: str | Path, *, csv_quoting: bool = True) -> Iterator[QAPair]:
    """Read questions and answers in DPR's formats, in file order.

    - ``.csv`` / ``.tsv``: ``question<TAB>["answer", ...]`` (DPR's qas files, e.g. ``nq-test.csv``); the
      answers column is a Python/JSON list literal; an optional header row ``question<TAB>answers`` is
      skipped.
    - ``.json``: a list of objects with ``question`` and ``answers`` (DPR's retriever data / results files).
    - ``.jsonl``: one such object per line.
    Any of these may be gzipped (``.csv.gz`` ...). Questions are returned as written (DPR strips a trailing
    "?" only when encoding: :func:`dpr_normalize_question`). Raises :class:`EvaluationDataError` on malformed
    input.

    ``csv_quoting`` (default True) reads csv/tsv files as DPR does, with the csv module's ``"`` quoting: a
    question written unquoted but starting with ``"`` loses those quotes (``"Bairn" and "hyem" ...?`` reads as
    ``Bairn and "hyem" ...?``). False splits each line on tabs literally (``csv.QUOTE_NONE``).
    """
    path = Path(path)
    kind, gz = _kind(path)
    if kind in (".csv", ".tsv"):
        yield from _questions_from_csv(path, gz, csv_quoting)
    elif kind == ".jsonl":
        with _open_text(path, gz) as f:
            for line_no, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                where = f"{path}:{line_no}"
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise EvaluationDataError(f"{where}: not valid JSON ({e.msg})") from e
                yield _qa_from_obj(obj, where)
    elif kind == ".json":
        with _open_text(path, gz) as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as e:
                raise EvaluationDataError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from e
        if not isinstance(data, list):
            raise EvaluationDataError(f"{path}: expected a JSON list of {{'question', 'answers'}} objects")
        for i, obj in enumerate(data):
            yield _qa_from_obj(obj, f"{path}: item {i}")
    else:
        raise EvaluationDataError(f"{path}: unknown question file type; use .csv, .tsv, .json or .jsonl")


def _iter_collection(path: Path, strip_quotes: bool) -> Iterator[CollectionPassage]:
    kind, gz = _kind(path)
    if kind not in (".tsv", ".csv", ".txt"):
        raise EvaluationDataError(f"{path}: expected a tab-separated passage collection (.tsv, like psgs_w100.tsv)")
    _raise_csv_field_limit()
    with _open_text(path, gz) as f:
        reader = csv.reader(f, delimiter="\t")
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if row[0] == "id":  # DPR CsvCtxSrc skips any row whose id column is "id" (the header)
                continue
            if len(row) < 2:
                raise EvaluationDataError(
                    f"{path}:{reader.line_num}: expected 'id<TAB>text<TAB>title', got {row!r:.200}"
                )
            text = row[1].strip('"') if strip_quotes else row[1]
            yield CollectionPassage(row[0], text, row[2] if len(row) > 2 else "")


def read_collection(
    path: str | Path, *, batch_size: int = 10_000, strip_quotes: bool = True
) -> Iterator[list[CollectionPassage]]:
    """Stream a DPR passage collection (``id<TAB>text<TAB>title``, like ``psgs_w100.tsv``) in lists of at most
    ``batch_size`` passages, never holding more than one batch.

    Read with the csv module (tab delimiter, ``"`` quoting with doubled inner quotes), like DPR's
    ``CsvCtxSrc``; the ``id`` header row is skipped; a missing title column reads as "". ``strip_quotes``
    mirrors DPR's ``row[text_col].strip('"')`` (leading/trailing double quotes removed from the text after csv
    decoding). ``.gz`` files are read transparently.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    batch: list[CollectionPassage] = []
    for passage in _iter_collection(Path(path), strip_quotes):
        batch.append(passage)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def lookup_passages(path: str | Path, ids: Iterable[str], *, strip_quotes: bool = True) -> dict[str, CollectionPassage]:
    """The passages with the given ids, found in one streaming pass (only those are kept in memory).

    Ids absent from the collection are absent from the result.
    """
    wanted = {str(i) for i in ids}
    found: dict[str, CollectionPassage] = {}
    if not wanted:
        return found
    for passage in _iter_collection(Path(path), strip_quotes):
        if passage.id in wanted:
            found[passage.id] = passage
            if len(found) == len(wanted):
                break
    return found


# ----------------------------------------------------------------------------------------------------
# Reports
# ----------------------------------------------------------------------------------------------------


@dataclass
class RecallReport:
    """Recall of one encoder pair on one question set; ``recall`` maps k to a percentage."""

    name: str
    questions: int
    recall: dict[int, float]
    dataset: str = field(default="")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(reports: Sequence[RecallReport]) -> str:
    """A Markdown table laid out like the RDR model cards' "Performance" table.

    ``| | Top-K Passages | 1 | 5 | 20 | 50 | 100 |``: one row per report (encoder pair) with figures to 2
    decimals, the dataset in bold on the first row of each run of reports that share it (the dataset column is
    left out when no report names one), encoder names in bold, and, where two or more reports share a dataset
    (a side-by-side comparison), the best figure of each column in bold. The columns are the ks present in any
    report; a k a report lacks shows "-".
    """
    if not reports:
        raise ValueError("no reports to format")
    ks = sorted({k for r in reports for k in r.recall})
    with_dataset = any(r.dataset for r in reports)

    best: dict[tuple[str, int], float] = {}
    group_size: dict[str, int] = {}
    for r in reports:
        group_size[r.dataset] = group_size.get(r.dataset, 0) + 1
        for k, v in r.recall.items():
            key = (r.dataset, k)
            best[key] = max(best.get(key, v), v)

    head = (["", "Top-K Passages"] if with_dataset else ["Top-K Passages"]) + [str(k) for k in ks]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    previous: str | None = None
    for r in reports:
        cells: list[str] = []
        if with_dataset:
            cells.append(f"**{_cell(r.dataset)}**" if r.dataset and r.dataset != previous else "")
        previous = r.dataset
        cells.append(f"**{_cell(r.name)}**")
        for k in ks:
            if k not in r.recall:
                cells.append("-")
                continue
            figure = f"{r.recall[k]:.2f}"
            is_best = group_size[r.dataset] > 1 and f"{best[(r.dataset, k)]:.2f}" == figure
            cells.append(f"**{figure}**" if is_best else figure)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_json(reports: Sequence[RecallReport], *, indent: int | None = 2) -> str:
    """The reports as JSON: ``{"reports": [{"name", "dataset", "questions", "recall": {"1": 61.84, ...}}]}``.

    Figures keep full precision (percentages); JSON object keys are strings, so k is written as "1", "5", ...
    """
    payload = {
        "reports": [
            {
                "name": r.name,
                "dataset": r.dataset,
                "questions": r.questions,
                "recall": {str(k): r.recall[k] for k in sorted(r.recall)},
            }
            for r in reports
        ]
    }
    return json.dumps(payload, indent=indent, ensure_ascii=False)


def reports_from_json(text: str) -> list[RecallReport]:
    """Read back what :func:`to_json` wrote (e.g. to compare a saved run with a new one)."""
    try:
        data = json.loads(text)
        return [
            RecallReport(
                name=str(r["name"]),
                questions=int(r["questions"]),
                recall={int(k): float(v) for k, v in r["recall"].items()},
                dataset=str(r.get("dataset", "")),
            )
            for r in data["reports"]
        ]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
        raise EvaluationDataError(f"not a recall report written by rdr-search: {e}") from e
