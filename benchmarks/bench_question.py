"""Question encoding latency, one question at a time, of each precision and runtime.

The answer time of a search is this encoding plus the index scan (``bench_search``). Stand-in: a BERT-base DPR
question tower (``DPRConfig()`` defaults, random weights: RDR's exact architecture and cost), squad-dev-a
questions, normalised as the library does. p50 of every question after a warm-up, paths interleaved.

    python -m benchmarks.bench_question                       # 40 questions, torch and (if installed) openvino
    python -m benchmarks.bench_question --questions 100 --rounds 3
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks._common import build_dpr_pair, load_squad, machine_line
from benchmarks.bench_encode import _paths, _quiet_load
from benchmarks.bench_search import latencies
from rdr_search.encoders import EncoderSpec
from rdr_search.evaluation import dpr_normalize_question


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the best p50 of each path counts")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-peers", action="store_true", help="skip the openvino runtime (as in bench_encode)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    _, qas = load_squad(args.questions)
    questions = [dpr_normalize_question(q.question) for q in qas][: args.questions]
    with tempfile.TemporaryDirectory(prefix="rdr-bench-") as tmp:
        ctx_dir, question_dir = build_dpr_pair(Path(tmp) / "dpr", question_layers=12, ctx_layers=1)
        spec = EncoderSpec.pair(str(ctx_dir), str(question_dir))
        pairs = {path: _quiet_load(spec, path, 8, Path(tmp) / "runtimes") for path in _paths(args).values()}
        for pair in pairs.values():
            pair.encode_questions(questions[:3])  # warm-up: first calls allocate and pick kernels
        best = {path: float("inf") for path in pairs}
        for _ in range(args.rounds):
            for path, pair in pairs.items():
                p50 = float(np.median(latencies(lambda q, pair=pair: pair.encode_questions([q]), questions)))
                best[path] = min(best[path], p50)
    print("## Question encoding: BERT-base DPR question tower (random weights), one question at a time")
    print(machine_line())
    print(f"{len(questions)} squad-dev-a questions, best p50 of {args.rounds} interleaved rounds\n")
    print("| precision | runtime | p50 ms | x torch fp32 |\n|---|---|---:|---:|")
    reference = best[("fp32", "torch")]
    for (precision, runtime), ms in best.items():
        print(f"| {precision} | {runtime} | {ms:.1f} | {reference / ms:.2f} |")


if __name__ == "__main__":
    main()
