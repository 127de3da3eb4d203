"""Answer recall per search mode (dense, keyword, hybrid) over a DPR passage collection or a library.

Over a collection, keyword search needs a keyword index of it: :func:`collection_keyword_index` builds one
SQLite FTS5 file in the work folder, named by the collection's path, size and modification time, so it is
built once and reused by later runs (a run killed while building it leaves no file; the next one starts the
build again). Its row ids are the collection's row numbers, which are also the ids of the dense index that
:func:`~rdr_search.evaluation.run.encode_collection` builds, so both halves speak of the same passages and
hybrid ranking runs exactly the code a library search runs.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from rdr_search.evaluation.answers import AnswerMatcher
from rdr_search.evaluation.formats import QAPair, dpr_normalize_question, lookup_passages, read_collection
from rdr_search.evaluation.recall import DEFAULT_KS, RecallReport, answer_recall
from rdr_search.records import SearchMode

if TYPE_CHECKING:
    from rdr_search.encoders import EncoderPair
    from rdr_search.index import VectorIndex
    from rdr_search.library import Library
    from rdr_search.retrieval import Fusion

KEYWORD_NAME = "keyword (BM25)"


def parse_modes(mode: str) -> list[SearchMode]:
    """ "dense", "keyword", "hybrid", or "all" (the three, in that order)."""
    if mode == "all":
        return list(SearchMode)
    return [SearchMode(mode)]


def report_name(mode: SearchMode, pair_name: str, modes: Sequence[SearchMode]) -> str:
    """A report's row title: the pair alone for a dense-only run (as before modes existed)."""
    if mode == SearchMode.KEYWORD:
        return KEYWORD_NAME
    if list(modes) == [SearchMode.DENSE]:
        return pair_name
    return f"{pair_name} {mode.value}"


def collection_keyword_index(collection: str | Path, work_dir: str | Path) -> Path:
    """The keyword index of a collection in ``work_dir``, built now unless an earlier run built it."""
    from rdr_search.store.fts import TOKENIZER, build_collection_fts

    path = Path(collection).resolve()
    stat = path.stat()
    key = hashlib.sha256(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{TOKENIZER}".encode()).hexdigest()[:16]
    target = Path(work_dir) / f"keywords-{key}.sqlite3"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)

        def rows() -> Iterator[list[tuple[int, str, str]]]:
            start = 0
            for batch in read_collection(path):
                yield [(start + i, p.title, p.text) for i, p in enumerate(batch)]
                start += len(batch)

        build_collection_fts(target, rows())
    return target


def _texts(rows: set[int], db: sqlite3.Connection | None, ids: list[str], collection: str | Path) -> dict[int, str]:
    """Passage texts by collection row: from the keyword index when there is one, else from the file."""
    if db is not None:
        from rdr_search.store.sql import in_chunks

        found = in_chunks(db, "SELECT rowid, text FROM passages_fts WHERE rowid IN ({marks})", sorted(rows))
        return {int(r[0]): str(r[1]) for r in found}
    by_id = lookup_passages(collection, {ids[r] for r in rows})
    return {r: by_id[ids[r]].text for r in rows}


def _no_encoders() -> EncoderPair:
    raise ValueError("dense and hybrid modes need an encoder pair")


def _rankings(
    modes: Sequence[SearchMode],
    questions: Sequence[str],
    depth: int,
    dense: tuple[EncoderPair, VectorIndex] | None,
    db: sqlite3.Connection | None,
    fusion: Fusion,
) -> dict[SearchMode, list[list[int]]]:
    """Each mode's ranked collection rows per question: dense alone as one batched search, keyword and hybrid
    through the library's own ranking code, question by question."""
    from rdr_search.retrieval.search import IndexCandidates, SearchRequest, ranking

    vectors = dense[0].encode_questions(list(questions)) if dense is not None else None
    rankings: dict[SearchMode, list[list[int]]] = {}
    if SearchMode.DENSE in modes:
        assert dense is not None and vectors is not None
        _, rows = dense[1].search(vectors, depth)
        rankings[SearchMode.DENSE] = [[int(r) for r in row if r >= 0] for row in rows]
    others = [m for m in modes if m != SearchMode.DENSE]
    if not others:
        return rankings
    assert db is not None
    encoders = (lambda: dense[0]) if dense is not None else _no_encoders
    index = dense[1] if dense is not None else None
    for mode in others:
        ranked = rankings.setdefault(mode, [])
        for i, question in enumerate(tqdm(questions, desc=f"Ranking ({mode.value})", unit="question")):
            vector = vectors[i : i + 1] if vectors is not None else None
            candidates = IndexCandidates(
                SearchRequest(question, depth, mode, fusion=fusion), encoders, index, db, vector
            )
            ranked.append([row for row, _ in ranking(candidates)[:depth]])
    return rankings


def evaluate_collection_modes(
    pair: EncoderPair | None,
    questions: Sequence[QAPair],
    collection: str | Path,
    work_dir: str | Path,
    *,
    modes: Sequence[SearchMode],
    ks: Sequence[int] = DEFAULT_KS,
    match_type: str = "string",
    dataset: str = "",
    matcher: AnswerMatcher | None = None,
    fusion: Fusion | None = None,
) -> list[RecallReport]:
    """Top-k answer recall of each mode over a passage collection (``pair`` may be None for keyword only),
    as DPR's dense_retriever computes it; hybrid with ``fusion`` (default: the library's)."""
    from rdr_search.evaluation.run import encode_collection
    from rdr_search.retrieval import DEFAULT_FUSION

    if pair is None and any(m != SearchMode.KEYWORD for m in modes):
        raise ValueError("dense and hybrid modes need an encoder pair")
    ids: list[str] = []
    dense = None
    if pair is not None and any(m != SearchMode.KEYWORD for m in modes):
        ids, index = encode_collection(pair, collection, work_dir)
        dense = (pair, index)
    keywords = any(m != SearchMode.DENSE for m in modes)
    db = sqlite3.connect(collection_keyword_index(collection, work_dir)) if keywords else None
    try:
        asked = [dpr_normalize_question(q.question) for q in questions]
        rankings = _rankings(modes, asked, max(ks), dense, db, fusion or DEFAULT_FUSION)
        texts = _texts({r for rows in rankings.values() for row in rows for r in row}, db, ids, collection)
    finally:
        if db is not None:
            db.close()
    matcher = matcher or AnswerMatcher(match_type)
    name = pair.spec.name if pair is not None else ""
    reports = []
    for mode in modes:
        retrieved = [[texts[r] for r in row] for row in rankings[mode]]
        recall = answer_recall([q.answers for q in questions], retrieved, ks, match_type, matcher=matcher)
        reports.append(RecallReport(report_name(mode, name, modes), len(questions), recall, dataset))
    return reports


def evaluate_library_modes(
    library: Library,
    questions: Sequence[QAPair],
    *,
    modes: Sequence[SearchMode],
    ks: Sequence[int] = DEFAULT_KS,
    match_type: str = "string",
    dataset: str = "",
) -> list[RecallReport]:
    """Top-k answer recall of each mode over a library's own passages."""
    from rdr_search.evaluation.run import evaluate_library

    primary = next((v.name for v in library.vector_sets() if v.primary), "")
    return [
        evaluate_library(
            library,
            questions,
            ks=ks,
            match_type=match_type,
            dataset=dataset,
            mode=mode,
            name=report_name(mode, primary, modes),
        )  # fmt: skip
        for mode in modes
    ]
