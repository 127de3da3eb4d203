"""Query latency, memory and recall@10 of each ``rdr_search.index`` kind at 10k, 100k and 1M vectors.

Vectors (a stand-in): a Gaussian fitted to all-MiniLM-L6-v2 outputs over squad-dev-a (passages and
questions fitted separately), lifted to 768-d by a random orthogonal map; not iid random vectors, which make
approximate search look worse and structure-free. Latency of a query = question encoding (BERT-base DPR
question encoder, random weights, default precision) + index search; the floor = that encoder's bare forward
+ one scan of the matrix at the memory bandwidth a numpy pass measures. The question encoding is also timed
right after each exact search, to show the scan's worker threads leave the cores to the encoder.

    python -m benchmarks.bench_search                       # 10k, 100k, 1M (1M takes several minutes)
    python -m benchmarks.bench_search --sizes 10000 100000  # quick
    python -m benchmarks.bench_search --sizes 1000000 --kinds ivfpq --nprobe 64 128 256 --refine 10 20
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
import torch

from benchmarks._common import MINILM_DIR, build_dpr_pair, load_squad, machine_line
from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.evaluation import dpr_normalize_question
from rdr_search.index import FaissIndex
from rdr_search.settings import Settings

DIM = 768
K = 10


def fit_gaussians(cache: Path, questions: int) -> dict[str, np.ndarray]:
    """Mean and covariance of MiniLM passage and question vectors over squad-dev-a (cached in ``cache``)."""
    if cache.is_file():
        return dict(np.load(cache))
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    passages, qas = load_squad(questions)
    pair = EncoderPair(EncoderSpec.single(str(MINILM_DIR)), Settings(device="cpu", precision="fp32"))
    p_vec = pair.encode_passages([p.title for p in passages], [p.text for p in passages])
    q_vec = pair.encode_questions([dpr_normalize_question(q.question) for q in qas])
    fit = {
        "p_mean": p_vec.mean(0),
        "p_cov": np.cov(p_vec, rowvar=False),
        "q_mean": q_vec.mean(0),
        "q_cov": np.cov(q_vec, rowvar=False),
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **fit)
    return fit


class Sampler:
    """Draws from the fitted Gaussians and lifts the draws to 768-d with one random orthogonal map."""

    def __init__(self, fit: dict[str, np.ndarray], seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        d = len(fit["p_mean"])
        self.lift = np.linalg.qr(self.rng.standard_normal((DIM, d)))[0].astype(np.float32)  # orthonormal columns
        self.params = {
            side: (fit[f"{side}_mean"], np.linalg.cholesky(fit[f"{side}_cov"] + 1e-6 * np.eye(d)))
            for side in ("p", "q")
        }

    def draw(self, side: str, n: int) -> np.ndarray:
        mean, chol = self.params[side]
        z = self.rng.standard_normal((n, len(mean))) @ chol.T + mean
        return (z.astype(np.float32) @ self.lift.T).astype(np.float32)

    def matrix(self, n: int, chunk: int = 100_000) -> np.ndarray:
        out = np.empty((n, DIM), dtype=np.float32)
        for start in range(0, n, chunk):
            out[start : start + chunk] = self.draw("p", min(chunk, n - start))
        return out


def bandwidth(matrix: np.ndarray, rounds: int = 5) -> float:
    """Bytes per second of one numpy pass over ``matrix`` (best of ``rounds``)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        np.add.reduce(matrix, axis=0)
        best = min(best, time.perf_counter() - started)
    return matrix.nbytes / best


def latencies(fn, inputs) -> np.ndarray:
    out = []
    for item in inputs:
        started = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - started)
    return np.array(out) * 1e3


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, truth, strict=True)]))


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200, help="queries for recall and index latency")
    parser.add_argument("--encoded-queries", type=int, default=50, help="queries timed end to end (with encoding)")
    parser.add_argument("--nprobe", type=int, nargs="*", default=[16, 32, 64], help="IVF probes swept")
    parser.add_argument("--refine", type=int, nargs="*", default=[], help="ivfpq refine factors swept")
    parser.add_argument("--kinds", nargs="*", default=["ivfpq", "ivf"], help="approximate kinds from 100k")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fit-cache", type=Path, default=Path(tempfile.gettempdir()) / "rdr-bench-minilm-fit.npz")
    return parser.parse_args()


def _question_encoder() -> EncoderPair:
    """The BERT-base DPR stand-in pair on the default precision, with a one-layer context tower (not timed)."""
    with tempfile.TemporaryDirectory(prefix="rdr-bench-") as tmp:
        ctx_dir, question_dir = build_dpr_pair(Path(tmp), question_layers=12, ctx_layers=1)
        return EncoderPair(EncoderSpec.pair(str(ctx_dir), str(question_dir)), Settings(device="cpu"))


def _encoder_times(pair: EncoderPair, questions: list[str]) -> tuple[float, float, float]:
    """(bare forward p50 ms, encode_questions p50 ms, mean tokens), one question at a time."""
    tokens = [pair.question.tokenize([q])[0] for q in questions]
    feeds = [
        {
            "input_ids": torch.tensor([[t[0] for t in seq]]),
            "attention_mask": torch.ones((1, len(seq)), dtype=torch.long),
            "token_type_ids": torch.tensor([[t[1] for t in seq]]),
        }
        for seq in tokens
    ]

    def forward(feed: dict[str, torch.Tensor]) -> None:
        # The same arithmetic as the product's path (bf16 autocast by default), without tokenizing or pooling.
        with torch.inference_mode(), pair.question.autocast():
            pair.question.model(**feed)

    for feed in feeds[:3]:
        forward(feed)
    forward_ms = float(np.median(latencies(forward, feeds)))
    encode_ms = float(np.median(latencies(lambda q: pair.encode_questions([q]), questions)))
    return forward_ms, encode_ms, float(np.mean([len(t) for t in tokens]))


def _row(
    n: int, name: str, probes: str, recall: float, search: np.ndarray, query: str, index: FaissIndex, built: float
) -> None:
    print(
        f"| {n:,} | {name} | {probes} | {recall:.3f} | {np.median(search):.2f} | {np.percentile(search, 99):.2f} | "
        f"{query} | {index.nbytes() / len(index):.0f} | {index.nbytes() / 1e6:.0f} | {built:.1f} |"
    )


def _flat_row(
    matrix: np.ndarray, queries: np.ndarray, pair: EncoderPair, questions: list[str], floor_ms: float
) -> tuple[np.ndarray, float]:
    """Print the exact index's row; return its top-K ids of ``queries`` (the truth that recall is measured on)
    and the p50 ms of a question encoding started right after a search."""
    n = len(matrix)
    started = time.perf_counter()
    exact = FaissIndex.build(DIM, [(np.arange(n, dtype=np.int64), matrix)], kind="flat", total=n)
    built = time.perf_counter() - started
    _, truth = exact.search(queries, K)
    timed = queries[: max(20, len(queries) // (10 if n >= 1_000_000 else 1))]
    search = latencies(lambda q: exact.search(q[None], K), timed)
    query = latencies(lambda q: exact.search(pair.encode_questions([q]), K), questions)
    vector = pair.encode_questions(questions[:1])
    after = []
    for question in questions:  # a search, then a question encoding timed alone
        exact.search(vector, K)
        after.extend(latencies(lambda q: pair.encode_questions([q]), [question]))
    ratio = np.median(query) / floor_ms
    _row(n, "flat (exact)", "-", 1.0, search, f"{np.median(query):.1f} | {floor_ms:.1f} | {ratio:.2f}", exact, built)
    return truth, float(np.median(after))


def _approximate_rows(
    kind: str, matrix: np.ndarray, queries: np.ndarray, truth: np.ndarray, args: argparse.Namespace, encode_ms: float
) -> None:
    """Print one row of an approximate kind per probe count (and refine factor), its defaults among them."""
    n = len(matrix)
    started = time.perf_counter()
    approx = FaissIndex.build(DIM, [(np.arange(n, dtype=np.int64), matrix)], kind=kind, total=n)
    built = time.perf_counter() - started
    defaults = (approx.nprobe, approx.refine_factor)
    nlist = approx._index.nlist
    factors = sorted({*args.refine, defaults[1]}) if kind == "ivfpq" else [defaults[1]]
    for nprobe in sorted({*args.nprobe, defaults[0]}):
        for factor in factors:
            approx.nprobe, approx.refine_factor = nprobe, factor
            _, found = approx.search(queries, K)
            search = latencies(lambda q: approx.search(q[None], K), queries)
            mark = " (default)" if (nprobe, factor) == defaults or (kind == "ivf" and nprobe == defaults[0]) else ""
            name = f"ivf{nlist}-sq8" if kind == "ivf" else f"ivf{nlist}-pq4fs, refine x{factor} on sq8"
            query = f"{encode_ms + np.median(search):.1f} | - | -"
            _row(n, name, f"{nprobe}{mark}", recall_at_k(found, truth), search, query, approx, built)
    approx.nprobe, approx.refine_factor = defaults


def main() -> None:
    args = _parse_args()
    torch.set_num_threads(args.threads)
    faiss.omp_set_num_threads(args.threads)
    sampler = Sampler(fit_gaussians(args.fit_cache, questions=2000))
    _, qas = load_squad(args.encoded_queries)
    questions = [dpr_normalize_question(q.question) for q in qas]
    pair = _question_encoder()
    forward_ms, encode_ms, mean_tokens = _encoder_times(pair, questions)
    print("## Search: exact vs approximate (FaissIndex kinds), vectors from a Gaussian fitted to MiniLM (stand-in)")
    print(machine_line())
    print(
        f"question encoder: BERT-base DPR ({pair.precision}), bare forward p50 {forward_ms:.1f} ms, "
        f"encode_questions p50 {encode_ms:.1f} ms ({mean_tokens:.0f} tokens)\n"
    )
    print(
        "| n | index | nprobe | recall@10 | search p50 ms | search p99 ms | query p50 ms (encode+search) | "
        "floor ms | query/floor | bytes/vector | memory MB | build s |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    after = {}
    for n in args.sizes:
        matrix = sampler.matrix(n)
        queries = sampler.draw("q", args.queries)
        gbps = bandwidth(matrix)
        truth, after[n] = _flat_row(matrix, queries, pair, questions, floor_ms=forward_ms + matrix.nbytes / gbps * 1e3)
        gc.collect()
        for kind in args.kinds if n >= 100_000 else []:
            _approximate_rows(kind, matrix, queries, truth, args, encode_ms)
            gc.collect()
        print(f"|  | (memory bandwidth of a numpy pass at {n:,}: {gbps / 1e9:.1f} GB/s) ||||||||||")
        del matrix
        gc.collect()
    print(f"\nencode_questions p50 alone {encode_ms:.1f} ms; right after an exact search: ", end="")
    print(", ".join(f"{ms:.1f} ms at {n:,}" for n, ms in after.items()))
    print("targets: query p50 <= 1.3x floor at 100k; at 1M approximate recall@10 >= 0.95, search p50 <= 2 ms over")
    print("question encoding, memory <= 1 GB.")


if __name__ == "__main__":
    main()
