"""Reading DPR's evaluation files: question sets and passage collections.

- :func:`read_questions` follows ``dpr/data/retriever_data.py::CsvQASrc`` (tab-separated, answers column
  evaluated as a Python literal; we use ``ast.literal_eval``, never ``eval``) and ``JsonlQASrc``.
- :func:`read_collection` follows ``retriever_data.py::CsvCtxSrc`` (tab-separated csv reader, rows whose id is
  ``"id"`` skipped, ``text.strip('"')``) but streams in batches instead of filling a dict.
- :func:`dpr_normalize_question` follows ``dpr/utils/data_utils.py::normalize_question``.
"""

from __future__ import annotations

import ast
import csv
import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rdr_search.errors import RdrSearchError


class EvaluationDataError(RdrSearchError, ValueError):
    """A question file or passage collection cannot be read; the message says where and why."""


@dataclass(frozen=True)
class QAPair:
    """One question and the answers that count as found (any of them)."""

    question: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class CollectionPassage:
    """One row of a passage collection (``id<TAB>text<TAB>title``)."""

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


def _is_blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def _answers_tuple(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)) and all(isinstance(a, str) for a in value):
        return tuple(value)
    raise EvaluationDataError(f"{where}: answers must be a list of strings, got {value!r:.200}")


def _is_question_header(row: list[str]) -> bool:
    return len(row) >= 2 and row[0].strip().lower() == "question" and row[1].strip().lower() in ("answers", "answer")


def _qa_from_row(row: list[str], where: str) -> QAPair:
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
    return QAPair(row[0], _answers_tuple(value, where))


def _questions_from_csv(path: Path, gz: bool, csv_quoting: bool) -> Iterator[QAPair]:
    _raise_csv_field_limit()
    with _open_text(path, gz) as f:
        # DPR CsvQASrc: csv.reader(delimiter="\t") with the default '"' quoting.
        if csv_quoting:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_MINIMAL)
        else:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        first = True
        for row in reader:
            if _is_blank(row):
                continue
            if first:
                first = False
                if _is_question_header(row):
                    continue  # tolerated header row (DPR files have none)
            yield _qa_from_row(row, f"{path}:{reader.line_num}")


def _qa_from_obj(obj: Any, where: str) -> QAPair:
    if not isinstance(obj, dict) or not isinstance(obj.get("question"), str):
        raise EvaluationDataError(f"{where}: expected an object with a 'question' string, got {obj!r:.200}")
    # DPR JsonlQASrc: a missing "answers" is an empty list (the question then counts as a miss).
    return QAPair(obj["question"], _answers_tuple(obj.get("answers", []), where))


def _questions_from_jsonl(path: Path, gz: bool) -> Iterator[QAPair]:
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


def _questions_from_json(path: Path, gz: bool) -> Iterator[QAPair]:
    with _open_text(path, gz) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as e:
            raise EvaluationDataError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from e
    if not isinstance(data, list):
        raise EvaluationDataError(f"{path}: expected a JSON list of {{'question', 'answers'}} objects")
    for i, obj in enumerate(data):
        yield _qa_from_obj(obj, f"{path}: item {i}")


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
        yield from _questions_from_jsonl(path, gz)
    elif kind == ".json":
        yield from _questions_from_json(path, gz)
    else:
        raise EvaluationDataError(f"{path}: unknown question file type; use .csv, .tsv, .json or .jsonl")


def _iter_collection(path: Path, strip_quotes: bool) -> Iterator[CollectionPassage]:
    return (passage for passage, _ in iter_collection_rows(path, strip_quotes=strip_quotes))


def iter_collection_rows(
    path: str | Path, *, offset: int = 0, strip_quotes: bool = True
) -> Iterator[tuple[CollectionPassage, int]]:
    """The passages of a collection from byte ``offset`` (0, or a value this returned), each with the byte
    offset where the next row starts: sharded jobs read their part of one file from there."""
    path = Path(path)
    kind, gz = _kind(path)
    if kind not in (".tsv", ".csv", ".txt"):
        raise EvaluationDataError(f"{path}: expected a tab-separated passage collection (.tsv, like psgs_w100.tsv)")
    _raise_csv_field_limit()
    with gzip.open(path, "rb") if gz else open(path, "rb") as f:
        f.seek(offset)
        position = offset

        def lines() -> Iterator[str]:
            # Bytes are counted line by line, so the position after a row is exact even with quoted newlines
            # (the csv reader pulls exactly the lines of each row); a byte-order mark is skipped at the start.
            nonlocal position
            for raw in f:
                encoding = "utf-8-sig" if position == 0 else "utf-8"
                position += len(raw)
                yield raw.decode(encoding)

        reader = csv.reader(lines(), delimiter="\t")
        for row in reader:
            if _is_blank(row):
                continue
            if row[0] == "id":  # DPR CsvCtxSrc skips any row whose id column is "id" (the header)
                continue
            if len(row) < 2:
                raise EvaluationDataError(
                    f"{path}:{reader.line_num}: expected 'id<TAB>text<TAB>title', got {row!r:.200}"
                )
            text = row[1].strip('"') if strip_quotes else row[1]
            yield CollectionPassage(row[0], text, row[2] if len(row) > 2 else ""), position


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
