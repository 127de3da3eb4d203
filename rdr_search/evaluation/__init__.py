"""Answer-recall evaluation exactly as facebookresearch/DPR computes it.

- :mod:`~rdr_search.evaluation.answers`: DPR's ``has_answer`` (tokenizer, normalisation, regex answers).
- :mod:`~rdr_search.evaluation.formats`: DPR's question files and passage collections.
- :mod:`~rdr_search.evaluation.recall`: top-k recall and its reports (Markdown table, JSON).
- :mod:`~rdr_search.evaluation.run`: encode a collection or search a library, then score.
- :mod:`~rdr_search.evaluation.modes`: the same per search mode (dense, keyword, hybrid).

Importing this package loads no torch or faiss; only running an evaluation does.
"""

from __future__ import annotations

from rdr_search.evaluation.answers import MATCH_TYPES, AnswerMatcher, SimpleTokenizer, has_answer
from rdr_search.evaluation.formats import (
    CollectionPassage,
    EvaluationDataError,
    QAPair,
    dpr_normalize_question,
    lookup_passages,
    read_collection,
    read_questions,
)
from rdr_search.evaluation.modes import (
    collection_keyword_index,
    evaluate_collection_modes,
    evaluate_library_modes,
    parse_modes,
)
from rdr_search.evaluation.recall import (
    DEFAULT_KS,
    RecallReport,
    answer_recall,
    format_markdown,
    recall_from_hits,
    reports_from_json,
    to_json,
)
from rdr_search.evaluation.run import encode_collection, evaluate_collection, evaluate_library

__all__ = [
    "DEFAULT_KS",
    "MATCH_TYPES",
    "AnswerMatcher",
    "CollectionPassage",
    "EvaluationDataError",
    "QAPair",
    "RecallReport",
    "SimpleTokenizer",
    "answer_recall",
    "collection_keyword_index",
    "dpr_normalize_question",
    "encode_collection",
    "evaluate_collection",
    "evaluate_collection_modes",
    "evaluate_library",
    "evaluate_library_modes",
    "format_markdown",
    "has_answer",
    "lookup_passages",
    "parse_modes",
    "read_collection",
    "read_questions",
    "recall_from_hits",
    "reports_from_json",
    "to_json",
]
