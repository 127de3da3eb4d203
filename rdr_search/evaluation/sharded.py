"""Passage encoding as a sharded Ray Data job: the only module that imports Ray (the ``scale`` extra).

The driver cuts the collection into shards (byte offsets into one file, see
:mod:`rdr_search.evaluation.shards`) and hands the ones not yet on disk to ``map_batches``, with one encoder
actor per worker: each actor loads the encoder pair once, reads its shards' rows from the shared file and
writes each shard whole. On one machine the job starts a local Ray with ``num_cpus``; with ``RAY_ADDRESS``
set, the same code runs on that cluster (the collection and the output folder must then be on storage every
node sees). The shards are the ones a single-process ``encode_collection`` writes, so ``rdr-search eval
--collection`` and ``import-shards`` reuse them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from rdr_search.encoders.spec import EncoderSpec
from rdr_search.evaluation.shards import (
    DEFAULT_SHARD_SIZE,
    ShardPlan,
    manifest_for,
    plan_shards,
    prepare_folder,
    read_planned,
    read_shard,
    shard_path,
    write_encoders,
    write_shard,
)
from rdr_search.settings import Settings


@dataclass(frozen=True)
class ShardedRun:
    """What a sharded encoding did: where the shards are, how many passages, shards encoded now or reused."""

    folder: Path
    passages: int
    encoded_shards: int
    reused_shards: int
    encoded_passages: int
    seconds: float

    @property
    def passages_per_second(self) -> float:
        return self.encoded_passages / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Workers:
    """How many encoder actors, and what each one takes from the Ray cluster."""

    count: int = 1
    cpus: float = 1.0
    gpus: float = 0.0


class ShardEncoder:
    """A Ray actor: loads the encoder pair once, then encodes and writes whole shards."""

    def __init__(self, spec: EncoderSpec, settings: Settings, precision: str, key: str, collection: str, folder: str):
        from rdr_search.encoders.pair import EncoderPair

        self.pair = EncoderPair(spec, settings, precision=precision)
        if self.pair.identity.key != key:  # another checkpoint on this node than on the driver
            raise RuntimeError(f"this worker's encoders differ from the driver's ({self.pair.describe()})")
        self.key, self.collection, self.folder = key, collection, Path(folder)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        for number, offset, rows in zip(batch["number"], batch["offset"], batch["rows"], strict=True):
            passages = read_planned(self.collection, ShardPlan(int(number), int(offset), int(rows)))
            vectors = self.pair.encode_passages([p.title for p in passages], [p.text for p in passages])
            write_shard(shard_path(self.folder, int(number)), [p.id for p in passages], vectors, self.key)
        return {"number": batch["number"], "rows": batch["rows"]}


def encode_collection_sharded(
    spec: EncoderSpec,
    collection: str | Path,
    out: str | Path,
    *,
    settings: Settings | None = None,
    shards: int | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    workers: Workers | None = None,
    progress: bool = True,
) -> ShardedRun:
    """Encode a ``id<TAB>text<TAB>title`` collection into shards under ``out`` with a Ray Data job; shards
    already there are kept (a stopped job resumes). ``shards`` cuts the file into that many shards instead of
    ``shard_size`` rows each. Returns where the shards are and what was done."""
    import ray

    from rdr_search.encoders.pair import EncoderPair

    started = time.perf_counter()
    settings = settings or Settings()
    workers = workers or Workers()
    # The driver loads the pair once, for its identity (and the precision "auto" resolves to on this machine).
    pair = EncoderPair(spec, settings)
    key = pair.identity.key
    plans = plan_shards(collection, shard_size, shards)
    size = plans[0].rows if plans else shard_size
    folder = prepare_folder(out, key, manifest_for(collection, size, pair.identity.to_json()))
    write_encoders(folder, spec.ctx_encoder, spec.question_encoder, spec.kind, spec.name)
    missing = [p for p in plans if read_shard(shard_path(folder, p.number), key) is None]
    done_rows = 0
    if missing:
        if not ray.is_initialized():
            # RAY_ADDRESS names a cluster (ray.init reads it); without it, a local Ray sized for the workers.
            cpus = None if os.environ.get("RAY_ADDRESS") else max(1, int(workers.count * workers.cpus))
            ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
        done_rows = _run_job(ray, missing, spec, settings, pair.precision, key, collection, folder, workers, progress)
    return ShardedRun(
        folder, sum(p.rows for p in plans), len(missing), len(plans) - len(missing), done_rows,
        time.perf_counter() - started,
    )  # fmt: skip


def _run_job(
    ray: Any, missing: list[ShardPlan], spec: EncoderSpec, settings: Settings, precision: str, key: str,
    collection: str | Path, folder: Path, workers: Workers, progress: bool,
) -> int:  # fmt: skip
    """Run the Ray Data job over the missing shards; returns the rows encoded."""
    items = [{"number": p.number, "offset": p.offset, "rows": p.rows} for p in missing]
    dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
        ShardEncoder,
        fn_constructor_kwargs={
            "spec": spec, "settings": settings, "precision": precision, "key": key,
            "collection": str(Path(collection).resolve()), "folder": str(folder),
        },
        batch_size=1, concurrency=workers.count, num_cpus=workers.cpus, num_gpus=workers.gpus,
    )  # fmt: skip
    done = 0
    with tqdm(total=sum(p.rows for p in missing), desc="Encoding shards", unit="passage", disable=not progress) as bar:
        for row in dataset.iter_rows():
            done += int(row["rows"])
            bar.update(int(row["rows"]))
    return done
