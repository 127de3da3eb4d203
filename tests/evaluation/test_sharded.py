"""Passage encoding as a sharded Ray Data job: the shards, merged, equal a single-process encoding, and a job
that stopped part way resumes with only the shards it lacked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.evaluation import encode_collection, read_collection
from rdr_search.evaluation.shards import iter_shards, plan_shards, read_encoders, read_planned
from rdr_search.settings import Settings
from tests.data import write_small_collection

ray = pytest.importorskip("ray", reason="sharded encoding needs the scale extra (pip install 'rdr-search[scale]')")

EXACT = Settings(precision="fp32")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def spec(tiny_pair: tuple[Path, Path]) -> EncoderSpec:
    return EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1]))


def test_planned_shards_read_back_the_collection_in_order(tmp_path: Path) -> None:
    collection, _ = write_small_collection(tmp_path, passages=31)
    plans = plan_shards(collection, shards=4)
    assert [p.rows for p in plans] == [8, 8, 8, 7]
    rows = [p for plan in plans for p in read_planned(collection, plan)]
    assert rows == next(read_collection(collection, batch_size=100))


@pytest.mark.slow
def test_sharded_job_equals_single_process_and_resumes(local_ray: None, spec: EncoderSpec, tmp_path: Path) -> None:
    from rdr_search.evaluation.sharded import Workers, encode_collection_sharded

    collection, _ = write_small_collection(tmp_path, passages=30)
    out = tmp_path / "shards"
    run = encode_collection_sharded(spec, collection, out, settings=EXACT, shards=4, workers=Workers(2), progress=False)
    assert (run.passages, run.encoded_shards, run.reused_shards, run.encoded_passages) == (30, 4, 0, 30)
    key = run.folder.name
    assert read_encoders(run.folder) == {  # import-shards names the library's pair from it, loading no model
        "ctx_encoder": spec.ctx_encoder, "question_encoder": spec.question_encoder, "kind": "dpr", "name": spec.name,
    }  # fmt: skip
    merged = list(iter_shards(run.folder, key))
    ids = [i for shard in merged for i in shard.ids]
    vectors = np.concatenate([shard.vectors for shard in merged])

    pair = EncoderPair(spec, EXACT)
    single_ids, single_index = encode_collection(pair, collection, tmp_path / "single", shard_size=8)
    assert ids == single_ids == [p.id for p in next(read_collection(collection, batch_size=100))]
    single = np.concatenate([s.vectors for s in iter_shards(tmp_path / "single" / key, key)])
    np.testing.assert_allclose(vectors, single, rtol=0, atol=1e-6)

    # As if the job had been killed: two shards never written, one half-written temp file left behind.
    kept = {p.name: p.stat().st_mtime_ns for p in run.folder.glob("shard-*[0-9].npz")}
    for name in ("shard-00001.npz", "shard-00003.npz"):
        (run.folder / name).unlink()
        kept.pop(name)
    (run.folder / "shard-00003.tmp.npz").write_bytes(b"half a shard")
    again = encode_collection_sharded(
        spec, collection, out, settings=EXACT, shards=4, workers=Workers(2), progress=False
    )
    assert (again.encoded_shards, again.reused_shards, again.encoded_passages) == (
        2,
        2,
        14,
    )  # shards of 8, 8, 8 and 6 rows
    assert {p.name: p.stat().st_mtime_ns for p in run.folder.glob("shard-0000[02].npz")} == kept
    resumed = np.concatenate([s.vectors for s in iter_shards(run.folder, key)])
    np.testing.assert_allclose(resumed, single, rtol=0, atol=1e-6)

    # eval --collection reuses the job's shards: nothing is encoded again.
    reused_ids, index = encode_collection(pair, collection, out)
    assert reused_ids == ids and len(index) == 30
