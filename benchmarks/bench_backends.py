"""Index backends side by side: FAISS (embedded) vs Milvus Lite (in-process Milvus), build time, search p50
and recall@10 against an exact scan, through ``rdr_search.index.VectorIndex`` as the library uses them.

Vectors (a stand-in): the Gaussian fitted to all-MiniLM-L6-v2 outputs over squad-dev-a, lifted to 768-d (as in
``bench_search``). Build = build() from 10k-vector batches + save(); search = one question at a time, k=10.
Milvus Lite runs one local server process on this machine: a Milvus cluster has other costs (network,
distributed segments), so these figures say what the code does, not what a cluster would.

    python -m benchmarks.bench_backends                    # 100k
    python -m benchmarks.bench_backends --sizes 20000      # quick
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from benchmarks._common import machine_line
from benchmarks.bench_search import DIM, Sampler, fit_gaussians, recall_at_k
from rdr_search.index import VectorIndex, index_backend

KINDS = {"faiss": ("flat", "ivf"), "milvus": ("flat", "ivf", "hnsw")}
# Bytes per vector held in memory, for the 21M column (arithmetic, not measured): flat float32; IVF 8-bit
# codes; HNSW float32 plus its graph (M=32: ~2*32 links of 4 bytes on the base layer); ids 8 bytes each.
BYTES_PER_VECTOR = {"flat": DIM * 4 + 8, "ivf": DIM + 8, "hnsw": DIM * 4 + 2 * 32 * 4 + 8}


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--fit-sample", type=int, default=0, help="fit on the first N passages and questions only (0: as bench_search)"
    )
    parser.add_argument("--fit-cache", type=Path, default=Path(tempfile.gettempdir()) / "rdr-bench-minilm-fit.npz")
    return parser.parse_args()


def _batches(matrix: np.ndarray, size: int = 10_000):
    for start in range(0, len(matrix), size):
        yield np.arange(start, min(start + size, len(matrix)), dtype=np.int64), matrix[start : start + size]


def _row(name: str, kind: str, backend: type[VectorIndex], matrix: np.ndarray, queries: np.ndarray,
         truth: np.ndarray, folder: Path) -> None:  # fmt: skip
    started = time.perf_counter()
    index = backend.build(DIM, _batches(matrix), kind=kind, total=len(matrix))
    index.save(folder / f"index-{name}-{kind}{backend.suffix}", generation=1)
    build_s = time.perf_counter() - started
    index.search(queries[:5], 10)  # warm up (Milvus loads segments on first search)
    found, times = [], []
    for query in queries:
        started = time.perf_counter()
        found.append(index.search(query[None, :], 10)[1][0])
        times.append(time.perf_counter() - started)
    p50 = float(np.percentile(np.array(times) * 1e3, 50))
    recall = recall_at_k(np.array(found), truth)
    memory_gb = BYTES_PER_VECTOR[kind] * 21_000_000 / 1e9
    print(f"| {len(matrix):,} | {name} | {kind} | {build_s:.1f} | {p50:.2f} | {recall:.3f} | {memory_gb:.0f} |")
    if hasattr(index, "drop"):
        index.drop()


def _small_fit(n: int) -> dict[str, np.ndarray]:
    """The same Gaussian fit on the first ``n`` passages and questions (n > 384, so the covariance has full rank)."""
    from benchmarks._common import MINILM_DIR, load_squad
    from rdr_search.encoders import EncoderPair, EncoderSpec
    from rdr_search.evaluation import dpr_normalize_question
    from rdr_search.settings import Settings

    passages, qas = load_squad(n)
    pair = EncoderPair(EncoderSpec.single(str(MINILM_DIR)), Settings(device="cpu", precision="fp32"))
    p_vec = pair.encode_passages([p.title for p in passages[:n]], [p.text for p in passages[:n]])
    q_vec = pair.encode_questions([dpr_normalize_question(q.question) for q in qas[:n]])
    return {"p_mean": p_vec.mean(0), "p_cov": np.cov(p_vec, rowvar=False),
            "q_mean": q_vec.mean(0), "q_cov": np.cov(q_vec, rowvar=False)}  # fmt: skip


def main() -> None:
    args = _parse_args()
    sampler = Sampler(_small_fit(args.fit_sample) if args.fit_sample else fit_gaussians(args.fit_cache, 2000))
    print("## Index backends: FAISS vs Milvus Lite (VectorIndex), vectors from a Gaussian fitted to MiniLM (stand-in)")
    print(machine_line())
    print("\n| n | backend | kind | build s | search p50 ms | recall@10 | memory at 21M GB (arithmetic) |")
    print("|---:|---|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        backends = {"faiss": index_backend("faiss"), "milvus": index_backend("milvus", str(folder / "milvus.db"))}
        for n in args.sizes:
            matrix = sampler.matrix(n)
            queries = sampler.draw("q", args.queries)
            exact = faiss.IndexFlatIP(DIM)
            exact.add(matrix)
            truth = exact.search(queries, 10)[1]
            for name, kinds in KINDS.items():
                for kind in kinds:
                    _row(name, kind, backends[name], matrix, queries, truth, folder)


if __name__ == "__main__":
    main()
