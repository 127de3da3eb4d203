"""Dense retrieval: the passages whose vectors have the highest inner product with the question's (DPR)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rdr_search.index import VectorIndex
from rdr_search.records import Hit, SearchMode
from rdr_search.retrieval.search import SearchRequest, search_library
from rdr_search.store import Store

if TYPE_CHECKING:
    from rdr_search.encoders.pair import EncoderPair


def dense_search(question: str, k: int, encoders: EncoderPair, index: VectorIndex, store: Store) -> list[Hit]:
    """The ``k`` best passages for a (non-empty) question, best first, with their stored text and place."""
    return search_library(SearchRequest(question, k, SearchMode.DENSE), lambda: encoders, index, store)
