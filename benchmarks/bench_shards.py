"""Sharded passage encoding (Ray Data, one encoder actor per worker) with 1 vs 2 workers on this machine.

Encoder: all-MiniLM-L6-v2 (a real-weights stand-in, 6 layers; RDR is BERT-base, ~4x the FLOPs per passage),
over the first N squad-dev-a paragraphs written as a DPR collection. Each run starts a fresh local Ray and a
fresh shard folder; passages/s counts the job's wall time (actor start-up and model loading included, as a
cluster job pays them once per worker too). On 2 cores, 2 workers of 1 CPU each mostly show what the job
costs on top of the encoder, not a speed-up a many-core node or a GPU per worker would give.

    python -m benchmarks.bench_shards --passages 400
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

import ray

from benchmarks._common import MINILM_DIR, load_squad, machine_line
from rdr_search.encoders import EncoderSpec
from rdr_search.evaluation.sharded import Workers, encode_collection_sharded
from rdr_search.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=400)
    parser.add_argument("--shards", type=int, default=8)
    args = parser.parse_args()
    passages, _ = load_squad(1)
    spec = EncoderSpec.single(str(MINILM_DIR))
    settings = Settings(device="cpu", precision="fp32")
    print("## Sharded encoding (Ray Data), all-MiniLM-L6-v2 stand-in, fp32")
    print(machine_line())
    print("\n| passages | shards | workers | CPUs per worker | job s | passages/s |")
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        collection = Path(tmp) / "psgs.tsv"
        with collection.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter="\t")
            writer.writerow(["id", "text", "title"])
            writer.writerows([p.id, p.text, p.title] for p in passages[: args.passages])
        for workers in (1, 2):
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            run = encode_collection_sharded(
                spec, collection, Path(tmp) / f"out-{workers}", settings=settings, shards=args.shards,
                workers=Workers(workers, 2 / workers), progress=False,
            )  # fmt: skip
            ray.shutdown()
            print(f"| {run.passages} | {args.shards} | {workers} | {2 / workers:g} | {run.seconds:.1f} | "
                  f"{run.passages_per_second:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
