"""Which sentence of a hit is "closest to the question": accuracy and cost of the ways to choose it.

On squad-dev-a each question was written from one paragraph; the right sentence is the one holding the answer
(questions whose paragraph has a single sentence, or whose answer is in every sentence, are left out). Each
paragraph is split into sentences as the chunker splits passages. Methods: the first sentence; the question's
words weighted by rarity (``word_scores``); the encoder alone (every sentence encoded with the context
encoder, highest inner product with the question vector); and what ``retrieval.provenance`` ships: words, with
the encoder only on ties. The encoder is all-MiniLM-L6-v2 (the one real model available offline).

Cost: milliseconds per search of ten hits (the gold paragraph and nine others), best of three rounds, for the
words alone, the shipped method, and the encoder alone, next to one question encoding (what a search itself
pays for its encoder). ``--dpr`` also times the BERT-base DPR stand-in (random weights: RDR's size and cost;
its choices mean nothing, only its time does).

    python -m benchmarks.bench_sentence                     # 1000 questions with the encoder, all without
    python -m benchmarks.bench_sentence --questions 300 --dpr
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from benchmarks._common import MINILM_DIR, build_dpr_pair, load_squad, machine_line, squad_dir
from rdr_search.chunking import Chunker
from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.retrieval.provenance import best_sentences
from rdr_search.settings import Settings

HITS = 10
Case = tuple[str, str, list[str], list[bool]]
"""(question, paragraph id, its sentences, which of them hold an answer)."""


def cases(chunker: Chunker) -> tuple[list[Case], dict[str, tuple[str, list[str]]]]:
    """Questions with a right sentence to find, and every paragraph as (title, sentences)."""
    passages, _ = load_squad(0)
    paragraphs = {p.id: (p.title, [p.text[a:b] for a, b in chunker.sentence_spans(p.text)]) for p in passages}
    out: list[Case] = []
    for line in (squad_dir() / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        pid = str(row["passage_id"])
        sentences = paragraphs[pid][1]
        answers = [a.lower() for a in row["answers"]]
        right = [any(a in s.lower() for a in answers) for s in sentences]
        if len(sentences) > 1 and any(right) and not all(right):
            out.append((row["question"], pid, sentences, right))
    return out, paragraphs


def encoder_alone(question: str, passages: Sequence[tuple[str, Sequence[str]]], pair: EncoderPair) -> list[int]:
    """Every sentence encoded; per passage the one with the highest inner product with the question."""
    titles = [title for title, sentences in passages for _ in sentences]
    scores = pair.encode_passages(titles, [s for _, sentences in passages for s in sentences])
    scores = scores @ pair.encode_questions([question])[0]
    best, offset = [], 0
    for _, sentences in passages:
        best.append(int(np.argmax(scores[offset : offset + len(sentences)])))
        offset += len(sentences)
    return best


def accuracy(rows: list[Case], choose: Callable[[str, list[tuple[str, list[str]]]], list[int]]) -> float:
    return float(np.mean([right[choose(q, [("", sentences)])[0]] for q, _, sentences, right in rows]))


def costs(rows: list[Case], paragraphs: dict[str, tuple[str, list[str]]], pair: EncoderPair) -> dict[str, float]:
    """Milliseconds per search of ``HITS`` hits for each way, best of three rounds over ``rows``."""
    ids = sorted(paragraphs)
    runs: dict[str, Callable[[str, list[tuple[str, list[str]]]], object]] = {
        "question encoding (reference)": lambda q, ps: pair.encode_questions([q]),
        "words": lambda q, ps: best_sentences(q, ps),
        "words, encoder on ties (shipped)": lambda q, ps: best_sentences(q, ps, pair),
        "encoder alone": lambda q, ps: encoder_alone(q, ps, pair),
    }
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(3):
        for name, run in runs.items():
            started = time.perf_counter()
            for n, (question, pid, _, _) in enumerate(rows):
                others = [paragraphs[ids[(n * 7 + j) % len(ids)]] for j in range(1, HITS)]
                run(question, [paragraphs[pid], *others])
            best[name] = min(best[name], (time.perf_counter() - started) * 1000 / len(rows))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=1000, help="questions for the encoder methods")
    parser.add_argument("--timed", type=int, default=100, help="questions timed per method and round")
    parser.add_argument("--dpr", action="store_true", help="also time the BERT-base DPR stand-in")
    args = parser.parse_args()
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    settings = Settings(device="cpu")
    rows, paragraphs = cases(Chunker(settings))
    sample = [rows[i] for i in np.linspace(0, len(rows) - 1, min(args.questions, len(rows))).astype(int)]
    minilm = EncoderPair(EncoderSpec.single(str(MINILM_DIR)), settings)
    print(machine_line())
    print(f"{len(rows)} questions with a right sentence to find ({len(sample)} for the encoder methods)\n")
    print("| way to choose | right sentence, all | right sentence, sample |")
    print("|---|---|---|")
    sample_ways: dict[str, Callable[[str, list[tuple[str, list[str]]]], list[int]]] = {
        "first sentence": lambda q, ps: [0],
        "words": lambda q, ps: best_sentences(q, ps),
        "encoder alone": lambda q, ps: encoder_alone(q, ps, minilm),
        "words, encoder on ties (shipped)": lambda q, ps: best_sentences(q, ps, minilm),
    }
    for name, way in sample_ways.items():
        everything = f"{accuracy(rows, way):.1%}" if "encoder" not in name else "-"
        print(f"| {name} | {everything} | {accuracy(sample, way):.1%} |")
    timed = sample[: args.timed]
    pairs = {"all-MiniLM-L6-v2": minilm}
    if args.dpr:
        folder = Path(tempfile.mkdtemp(prefix="bench-sentence-"))
        ctx, question = build_dpr_pair(folder)
        pairs["BERT-base DPR"] = EncoderPair(EncoderSpec.pair(str(ctx), str(question)), settings)
    for label, pair in pairs.items():
        print(f"\nms per search of {HITS} hits, {label} ({pair.precision}), best of 3 rounds of {len(timed)}:")
        for name, ms in costs(timed, paragraphs, pair).items():
            print(f"  {name:34s} {ms:8.1f}")


if __name__ == "__main__":
    main()
