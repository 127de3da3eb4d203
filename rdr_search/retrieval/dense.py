"""Dense retrieval: the passages whose vectors have the highest inner product with the question's (DPR)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rdr_search.index import VectorIndex
from rdr_search.records import Hit
from rdr_search.store import Store

if TYPE_CHECKING:
    from rdr_search.encoders.pair import EncoderPair

SPARE_HITS = 8
"""Passages may be removed between the index scan and the row lookup: ask the index for a few spare."""


def dense_search(question: str, k: int, encoders: EncoderPair, index: VectorIndex, store: Store) -> list[Hit]:
    """The ``k`` best passages for a (non-empty) question, best first, with their stored text and place."""
    vector = encoders.encode_questions([question])
    scores, ids = index.search(vector, k + SPARE_HITS)
    records = store.passages_by_ids([int(i) for i in ids[0] if i >= 0])
    hits: list[Hit] = []
    for score, pid in zip(scores[0], ids[0], strict=True):
        record = records.get(int(pid))
        if record is None:
            continue
        hits.append(
            Hit(
                rank=len(hits) + 1,
                score=float(score),
                text=record.text,
                title=record.document_title,
                source=record.source,
                span=record.span,
                document_pages=record.document_pages,
                kind=record.document_kind,
                passage_id=record.id,
            )
        )
        if len(hits) == k:
            break
    return hits
