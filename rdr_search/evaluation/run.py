"""Answer-recall runs: encode a DPR passage collection (resumable shards) or use a library, then score.

The matching and recall arithmetic live in :mod:`rdr_search.evaluation.answers` and
:mod:`rdr_search.evaluation.recall` (a port of DPR's); this module only moves vectors: collection -> shards on
disk -> exact index -> top-k texts per question. The vector modules are imported inside the functions, so
that importing the evaluation package stays free of torch and faiss.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from rdr_search.evaluation.answers import AnswerMatcher
from rdr_search.evaluation.formats import QAPair, dpr_normalize_question, read_collection
from rdr_search.evaluation.recall import DEFAULT_KS, RecallReport, answer_recall
from rdr_search.evaluation.shards import (
    DEFAULT_SHARD_SIZE,
    manifest_for,
    prepare_folder,
    read_shard,
    recorded_shard_size,
    shard_path,
    write_encoders,
    write_shard,
)
from rdr_search.records import SearchMode

if TYPE_CHECKING:
    from rdr_search.encoders import EncoderPair
    from rdr_search.index import VectorIndex
    from rdr_search.library import Library


def encode_collection(
    pair: EncoderPair, collection: str | Path, work_dir: str | Path, *, shard_size: int | None = None
) -> tuple[list[str], VectorIndex]:
    """Encode every passage of a ``id<TAB>text<TAB>title`` file into shards under ``work_dir`` (one folder per
    encoder identity, see :mod:`rdr_search.evaluation.shards`); shards already there, from an earlier run or a
    sharded job (``rdr-search encode-collection``), are reused, so an interrupted run resumes where it
    stopped. Returns the passage ids in index order and an exact index over all shards."""
    from rdr_search.index import FaissIndex

    key = pair.identity.key
    size = shard_size or recorded_shard_size(work_dir, key, collection) or DEFAULT_SHARD_SIZE
    folder = prepare_folder(work_dir, key, manifest_for(collection, size, pair.identity.to_json()))
    spec = pair.spec
    write_encoders(folder, spec.ctx_encoder, spec.question_encoder, spec.kind, spec.name)
    ids: list[str] = []
    index = FaissIndex(pair.dim)
    with tqdm(desc="Encoding collection", unit="passage") as bar:
        for number, batch in enumerate(read_collection(collection, batch_size=size)):
            path = shard_path(folder, number)
            shard = read_shard(path, key)
            if shard is None:
                vectors = pair.encode_passages([p.title for p in batch], [p.text for p in batch], progress=bar.update)
                write_shard(path, [p.id for p in batch], vectors, key)
            elif shard.ids != [p.id for p in batch]:
                raise ValueError(f"{path} does not match the collection; delete {folder} and run again")
            else:
                vectors = shard.vectors
                bar.update(len(batch))
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
