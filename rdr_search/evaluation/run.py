"""Answer-recall runs: encode a DPR passage collection (resumable shards) or use a library, then score.

The matching and recall arithmetic live in :mod:`rdr_search.evaluation.answers` and
:mod:`rdr_search.evaluation.recall` (a port of DPR's); this module only moves vectors: collection -> shards on
disk -> exact index -> top-k texts per question. The vector modules are imported inside the functions, so
that importing the evaluation package stays free of torch and faiss.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from rdr_search.evaluation.answers import AnswerMatcher
from rdr_search.evaluation.formats import QAPair, dpr_normalize_question, read_collection
from rdr_search.evaluation.recall import DEFAULT_KS, RecallReport, answer_recall
from rdr_search.records import SearchMode

if TYPE_CHECKING:
    from rdr_search.encoders import EncoderPair
    from rdr_search.index import VectorIndex
    from rdr_search.library import Library


def encode_collection(
    pair: EncoderPair, collection: str | Path, work_dir: str | Path, *, shard_size: int = 10_000
) -> tuple[list[str], VectorIndex]:
    """Encode every passage of a ``id<TAB>text<TAB>title`` file into shards under ``work_dir`` (one folder per
    encoder identity); shards already there are reused, so an interrupted run resumes where it stopped.
    Returns the passage ids in index order and an exact index over all shards."""
    from rdr_search.index import FaissIndex, write_atomically

    folder = Path(work_dir) / pair.identity.key
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.json"
    expected = {"collection": str(Path(collection).resolve()), "shard_size": shard_size}
    if manifest.is_file() and json.loads(manifest.read_text()) != expected:
        for old in folder.glob("shard-*.npz"):
            old.unlink()
    write_atomically(manifest, json.dumps(expected).encode())
    ids: list[str] = []
    index = FaissIndex(pair.dim)
    with tqdm(desc="Encoding collection", unit="passage") as bar:
        for number, batch in enumerate(read_collection(collection, batch_size=shard_size)):
            shard = folder / f"shard-{number:05d}.npz"
            if shard.is_file():
                with np.load(shard) as saved:
                    vectors = saved["vectors"]
            else:
                vectors = pair.encode_passages([p.title for p in batch], [p.text for p in batch], progress=bar.update)
                tmp = shard.with_suffix(".tmp.npz")
                np.savez(tmp, vectors=vectors)
                tmp.replace(shard)  # a shard exists whole or not at all
            if shard.is_file() and len(vectors) != len(batch):
                raise ValueError(f"{shard} does not match the collection; delete {folder} and run again")
            index.add(np.arange(len(ids), len(ids) + len(batch), dtype=np.int64), vectors)
            ids.extend(p.id for p in batch)
    return ids, index


def evaluate_collection(
    pair: EncoderPair,
    questions: Sequence[QAPair],
    collection: str | Path,
    work_dir: str | Path,
    *,
    ks: Sequence[int] = DEFAULT_KS,
    match_type: str = "string",
    name: str = "",
    dataset: str = "",
    matcher: AnswerMatcher | None = None,
) -> RecallReport:
    """Top-k answer recall of ``pair`` over a passage collection, as DPR's dense_retriever computes it."""
    from rdr_search.evaluation.modes import evaluate_collection_modes

    (report,) = evaluate_collection_modes(
        pair, questions, collection, work_dir, modes=[SearchMode.DENSE], ks=ks, match_type=match_type,
        dataset=dataset, matcher=matcher,
    )  # fmt: skip
    report.name = name or report.name
    return report


def evaluate_library(
    library: Library,
    questions: Sequence[QAPair],
    *,
    ks: Sequence[int] = DEFAULT_KS,
    match_type: str = "string",
    name: str = "",
    dataset: str = "",
    mode: SearchMode | str = SearchMode.DENSE,
) -> RecallReport:
    """Top-k answer recall of a library's own passages, searched in ``mode`` (dense: its encoders alone)."""
    depth = max(ks)
    retrieved = [
        [hit.text for hit in library.search(dpr_normalize_question(q.question), depth, mode=mode)]
        for q in tqdm(questions, desc="Searching", unit="question")
    ]
    recall = answer_recall([q.answers for q in questions], retrieved, ks, match_type)
    primary = next((v.name for v in library.vector_sets() if v.primary), "")
    return RecallReport(name or primary, len(questions), recall, dataset)
