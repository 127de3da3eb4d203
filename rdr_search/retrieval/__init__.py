"""Ways to rank a library's passages for a question (dense today; keyword and hybrid search belong here), and
where in its document each hit's best sentence lies (``provenance``)."""

from rdr_search.retrieval.dense import dense_search
from rdr_search.retrieval.provenance import locate_sentences

__all__ = ["dense_search", "locate_sentences"]
