"""Ways to rank a library's passages for a question: dense (vectors), keyword (BM25 over FTS5) and hybrid
(both, fused); :func:`search_library` runs any of them under filters; ``provenance`` finds where in its
document each hit's best sentence lies."""

from rdr_search.retrieval.dense import dense_search
from rdr_search.retrieval.hybrid import DEFAULT_FUSION, Fusion, fuse, hybrid_ranking
from rdr_search.retrieval.keyword import KeywordQuery, keyword_ranking
from rdr_search.retrieval.provenance import locate_sentences
from rdr_search.retrieval.search import SearchRequest, search_library

__all__ = [
    "DEFAULT_FUSION",
    "Fusion",
    "KeywordQuery",
    "SearchRequest",
    "dense_search",
    "fuse",
    "hybrid_ranking",
    "keyword_ranking",
    "locate_sentences",
    "search_library",
]
