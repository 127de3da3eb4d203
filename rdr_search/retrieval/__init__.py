"""Ways to rank a library's passages for a question (dense today; keyword and hybrid search belong here)."""

from rdr_search.retrieval.dense import dense_search

__all__ = ["dense_search"]
