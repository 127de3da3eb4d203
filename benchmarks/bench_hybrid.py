"""Which fusion makes hybrid search beat both of its halves: answer recall on squad-dev-a, method x k.

The dense half is all-MiniLM-L6-v2 (the one real encoder that loads offline; fp32 on CPU), the keyword half
BM25 over the FTS5 index; passages are squad-dev-a's 1,023 paragraphs as a DPR collection and every question
is scored with DPR's has_answer, as ``rdr-search eval`` computes it. For each question both halves' top 100
and the missing scores of their union are computed once, through the library's own ranking code
(``IndexCandidates``); each fusion method then ranks those same candidates with ``hybrid_ranking``. The rows
"dense" and "keyword" are the halves alone; a method passes when it is at least the better half at every k.

    python -m benchmarks.bench_hybrid                  # all 5,397 questions (a few minutes on 2 cores)
    python -m benchmarks.bench_hybrid --questions 1000 # an evenly spaced sample
"""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm

from benchmarks._common import MINILM_DIR, ROOT, load_squad, machine_line, squad_dir
from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.evaluation import (
    AnswerMatcher,
    answer_recall,
    collection_keyword_index,
    dpr_normalize_question,
    encode_collection,
)
from rdr_search.records import SearchMode
from rdr_search.retrieval import DEFAULT_FUSION, Fusion, hybrid_ranking
from rdr_search.retrieval.hybrid import Scores
from rdr_search.retrieval.search import IndexCandidates, SearchRequest
from rdr_search.settings import Settings

KS = (1, 5, 20, 100)
DEPTH = 100
FUSIONS = (
    Fusion(method="rrf", fill=False),
    Fusion(method="minmax", keyword_weight=0.3, fill=False),
    Fusion(method="minmax", keyword_weight=0.5, fill=False),
    Fusion(method="minmax", keyword_weight=0.7, fill=False),
    Fusion(method="zscore", keyword_weight=0.5, fill=False),
    Fusion(method="minmax", keyword_weight=0.3),
    Fusion(method="minmax", keyword_weight=0.4),
    Fusion(method="minmax", keyword_weight=0.5),
    Fusion(method="minmax", keyword_weight=0.6),
    Fusion(method="minmax", keyword_weight=0.7),
    Fusion(method="zscore", keyword_weight=0.4),
    Fusion(method="zscore", keyword_weight=0.5),
    Fusion(method="zscore", keyword_weight=0.6),
)


class Recorded:
    """One question's candidates, scored on both halves once; every fusion reads the same numbers."""

    def __init__(self, live: IndexCandidates, dense_alone: IndexCandidates) -> None:
        self.dense_alone = dense_alone.dense(DEPTH)  # hybrid's dense half also keeps to a quoted phrase
        self.top_dense, self.top_keyword = live.dense(DEPTH), live.keyword(DEPTH)
        union = self.top_dense.keys() | self.top_keyword.keys()
        self.all_dense = {**live.dense_scores(sorted(union - self.top_dense.keys())), **self.top_dense}
        self.all_keyword = {**live.keyword_scores(sorted(union - self.top_keyword.keys())), **self.top_keyword}

    @staticmethod
    def _top(scores: Scores, n: int) -> Scores:
        assert n <= DEPTH
        return dict(sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:n])

    def dense(self, n: int) -> Scores:
        return self._top(self.top_dense, n)

    def keyword(self, n: int) -> Scores:
        return self._top(self.top_keyword, n)

    def dense_scores(self, ids: Sequence[int]) -> Scores:
        return {i: self.all_dense[i] for i in ids}

    def keyword_scores(self, ids: Sequence[int]) -> Scores:
        return {i: self.all_keyword[i] for i in ids}


def record(questions: list[str], work_dir: Path) -> list[Recorded]:
    """Both halves' candidates for every question."""
    collection = squad_dir() / "passages.tsv"
    pair = EncoderPair(EncoderSpec.single(str(MINILM_DIR)), Settings(device="cpu", precision="fp32"))
    _, index = encode_collection(pair, collection, work_dir)
    db = sqlite3.connect(collection_keyword_index(collection, work_dir))
    vectors = pair.encode_questions(questions)
    recorded = []
    for i, question in enumerate(tqdm(questions, desc="Scoring candidates", unit="question")):
        vector = vectors[i : i + 1]
        hybrid, dense = (SearchRequest(question, DEPTH, mode) for mode in (SearchMode.HYBRID, SearchMode.DENSE))
        recorded.append(
            Recorded(
                IndexCandidates(hybrid, lambda: pair, index, db, vector),
                IndexCandidates(dense, lambda: pair, index, db, vector),
            )
        )
    db.close()
    return recorded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=None, help="an evenly spaced sample (default: all)")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "benchmarks" / "results" / "hybrid")
    args = parser.parse_args()
    passages, qas = load_squad(args.questions)
    texts = {i: p.text for i, p in enumerate(passages)}  # collection rows, as the indexes number them
    recorded = record([dpr_normalize_question(q.question) for q in qas], args.work_dir)
    matcher = AnswerMatcher("string")
    answers = [q.answers for q in qas]

    def recall(rankings: list[list[int]]) -> dict[int, float]:
        return answer_recall(answers, [[texts[i] for i in row] for row in rankings], KS, matcher=matcher)

    rows = {
        "dense (all-MiniLM-L6-v2)": recall([list(Recorded._top(r.dense_alone, DEPTH)) for r in recorded]),
        "keyword (BM25)": recall([list(r.keyword(DEPTH)) for r in recorded]),
    }
    better_half = {k: max(figures[k] for figures in rows.values()) for k in KS}
    for fusion in FUSIONS:
        ranked = [[i for i, _ in hybrid_ranking(r, DEPTH, fusion)[:DEPTH]] for r in recorded]
        rows[f"hybrid: {fusion.label}" + (" (default)" if fusion == DEFAULT_FUSION else "")] = recall(ranked)
    print(f"\nsquad-dev-a: {len(passages)} passages, {len(qas)} questions; {machine_line()}\n")
    print("| method | " + " | ".join(f"top-{k}" for k in KS) + " | >= both halves |")
    print("|---|" + "---|" * (len(KS) + 1))
    for name, figures in rows.items():
        beats = all(figures[k] >= better_half[k] for k in KS)
        verdict = ("yes" if beats else "no") if name.startswith("hybrid") else ""
        print(f"| {name} | " + " | ".join(f"{figures[k]:.2f}" for k in KS) + f" | {verdict} |")


if __name__ == "__main__":
    main()
