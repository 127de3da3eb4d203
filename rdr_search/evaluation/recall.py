"""Top-k answer recall and its reports (a Markdown table like the RDR model cards, JSON).

:func:`answer_recall` / :func:`recall_from_hits` follow DPR's ``qa_validation.py::calculate_matches`` (the
``top_k_hits`` accumulation over each question's first hit) and ``dense_retriever.py::validate`` (divide by the
number of questions), reported as percentages like the RDR model cards.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice
from numbers import Integral

from rdr_search.evaluation.answers import AnswerMatcher
from rdr_search.evaluation.formats import EvaluationDataError

DEFAULT_KS: tuple[int, ...] = (1, 5, 20, 50, 100)


def _check_ks(ks: Sequence[int]) -> list[int]:
    values = [ks] if isinstance(ks, Integral) else list(ks)
    if not values or any(isinstance(k, bool) or not isinstance(k, Integral) or k < 1 for k in values):
        raise ValueError(f"ks must be positive integers, got {values!r}")
    return sorted({int(k) for k in values})


def _recall_from_first_hits(first_hits: Sequence[int | None], ks: list[int]) -> dict[int, float]:
    n = len(first_hits)
    if n == 0:
        raise ValueError("recall needs at least one question")
    # DPR calculate_matches: top_k_hits[best_hit:] += 1, i.e. a question counts at every k > its first hit
    # rank.
    return {k: 100.0 * sum(1 for h in first_hits if h is not None and h < k) / n for k in ks}


def recall_from_hits(hits_per_question: Sequence[Sequence[bool]], ks: Sequence[int] = DEFAULT_KS) -> dict[int, float]:
    """Top-k recall (percent) from DPR-style per-question hit lists (``questions_doc_hits``).

    A question counts at k if any of its first k passages has an answer; a k above the number of passages
    retrieved uses all of them.
    """
    ks_sorted = _check_ks(ks)
    first = [next((i for i, x in enumerate(h) if x), None) for h in hits_per_question]
    return _recall_from_first_hits(first, ks_sorted)


def answer_recall(
    answers_per_question: Sequence[Sequence[str]],
    retrieved_texts: Sequence[Sequence[str]],
    ks: Sequence[int] = DEFAULT_KS,
    match_type: str = "string",
    *,
    matcher: AnswerMatcher | None = None,
) -> dict[int, float]:
    """Top-k answer recall in percent (0..100), DPR semantics, keyed by k in ascending order.

    ``retrieved_texts[i]`` are question i's passage texts, best first (texts only, as DPR's ``validate``).
    Only the first ``max(ks)`` passages of each question are checked. Pass a shared ``matcher`` to reuse its
    tokenization cache across runs (e.g. when comparing two encoder pairs on one collection).
    """
    if len(answers_per_question) != len(retrieved_texts):
        raise ValueError(
            f"{len(answers_per_question)} answer lists but {len(retrieved_texts)} retrieved lists; they must pair up"
        )
    ks_sorted = _check_ks(ks)
    if matcher is None:
        matcher = AnswerMatcher(match_type)
    elif matcher.match_type != match_type:
        raise ValueError(f"matcher uses {matcher.match_type!r} but match_type is {match_type!r}")
    limit = ks_sorted[-1]
    first = [
        matcher.first_hit(answers, islice(texts, limit))
        for answers, texts in zip(answers_per_question, retrieved_texts, strict=True)
    ]
    return _recall_from_first_hits(first, ks_sorted)


@dataclass
class RecallReport:
    """Recall of one encoder pair on one question set; ``recall`` maps k to a percentage."""

    name: str
    questions: int
    recall: dict[int, float]
    dataset: str = field(default="")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _best_figures(reports: Sequence[RecallReport]) -> dict[tuple[str, int], str]:
    """The best figure (as printed) of each (dataset, k) column shared by two or more reports."""
    best: dict[tuple[str, int], float] = {}
    group_size: dict[str, int] = {}
    for r in reports:
        group_size[r.dataset] = group_size.get(r.dataset, 0) + 1
        for k, v in r.recall.items():
            key = (r.dataset, k)
            best[key] = max(best.get(key, v), v)
    return {key: f"{v:.2f}" for key, v in best.items() if group_size[key[0]] > 1}


def _figure_cells(report: RecallReport, ks: list[int], best: dict[tuple[str, int], str]) -> list[str]:
    cells: list[str] = []
    for k in ks:
        if k not in report.recall:
            cells.append("-")
            continue
        figure = f"{report.recall[k]:.2f}"
        cells.append(f"**{figure}**" if best.get((report.dataset, k)) == figure else figure)
    return cells


def format_markdown(reports: Sequence[RecallReport]) -> str:
    """A Markdown table laid out like the RDR model cards' "Performance" table.

    ``| | Top-K Passages | 1 | 5 | 20 | 50 | 100 |``: one row per report (encoder pair) with figures to 2
    decimals, the dataset in bold on the first row of each run of reports that share it (the dataset column is
    left out when no report names one), encoder names in bold, and, where two or more reports share a dataset
    (a side-by-side comparison), the best figure of each column in bold. The columns are the ks present in any
    report; a k a report lacks shows "-".
    """
    if not reports:
        raise ValueError("no reports to format")
    ks = sorted({k for r in reports for k in r.recall})
    with_dataset = any(r.dataset for r in reports)
    best = _best_figures(reports)

    head = (["", "Top-K Passages"] if with_dataset else ["Top-K Passages"]) + [str(k) for k in ks]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    previous: str | None = None
    for r in reports:
        cells: list[str] = []
        if with_dataset:
            cells.append(f"**{_cell(r.dataset)}**" if r.dataset and r.dataset != previous else "")
        previous = r.dataset
        cells.append(f"**{_cell(r.name)}**")
        cells.extend(_figure_cells(r, ks, best))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_json(reports: Sequence[RecallReport], *, indent: int | None = 2) -> str:
    """The reports as JSON: ``{"reports": [{"name", "dataset", "questions", "recall": {"1": 61.84, ...}}]}``.

    Figures keep full precision (percentages); JSON object keys are strings, so k is written as "1", "5", ...
    """
    payload = {
        "reports": [
            {
                "name": r.name,
                "dataset": r.dataset,
                "questions": r.questions,
                "recall": {str(k): r.recall[k] for k in sorted(r.recall)},
            }
            for r in reports
        ]
    }
    return json.dumps(payload, indent=indent, ensure_ascii=False)


def reports_from_json(text: str) -> list[RecallReport]:
    """Read back what :func:`to_json` wrote (e.g. to compare a saved run with a new one)."""
    try:
        data = json.loads(text)
        return [
            RecallReport(
                name=str(r["name"]),
                questions=int(r["questions"]),
                recall={int(k): float(v) for k, v in r["recall"].items()},
                dataset=str(r.get("dataset", "")),
            )
            for r in data["reports"]
        ]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
        raise EvaluationDataError(f"not a recall report written by rdr-search: {e}") from e
