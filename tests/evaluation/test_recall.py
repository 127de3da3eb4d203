"""rdr_search.evaluation.recall: top-k recall as DPR computes it, and the reports.

Expectations marked "DPR:" were derived by reading facebookresearch/DPR (dpr/data/qa_validation.py::calculate_matches).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rdr_search.evaluation.answers import AnswerMatcher
from rdr_search.evaluation.formats import EvaluationDataError, lookup_passages
from rdr_search.evaluation.recall import (
    RecallReport,
    answer_recall,
    format_markdown,
    recall_from_hits,
    reports_from_json,
    to_json,
)

# ----------------------------------------------------------------------------------------------------
# Recall
# ----------------------------------------------------------------------------------------------------

HAND_ANSWERS = [["Paris"], ["42"], ["Nile"], ["New York"]]
HAND_RETRIEVED = [
    ["Berlin is big.", "Paris is nice.", "Paris again."],  # first hit at rank 2
    ["The answer is 42.", "nothing", "x"],  # rank 1
    ["The Amazon.", "The Danube.", "Denial is a river."],  # never ("Denial" is not "Nile")
    ["york new", "a New Yorker", "in New York."],  # rank 3 ("Yorker" is not "York")
]


def test_answer_recall_hand_computed():
    # Hits by k: k=1 -> q2; k=2 -> q1, q2; k=3 -> q1, q2, q4. Out of 4 questions.
    assert answer_recall(HAND_ANSWERS, HAND_RETRIEVED, ks=(1, 2, 3)) == {1: 25.0, 2: 50.0, 3: 75.0}
    # ks above the number retrieved use all retrieved; ks come back sorted and deduplicated.
    assert answer_recall(HAND_ANSWERS, HAND_RETRIEVED, ks=(100, 3, 1, 1)) == {1: 25.0, 3: 75.0, 100: 75.0}
    # Default ks are DPR's / the model card's.
    assert list(answer_recall(HAND_ANSWERS, HAND_RETRIEVED)) == [1, 5, 20, 50, 100]


def test_answer_recall_regex_and_shared_matcher():
    answers = [["19[0-9]{2}"], ["^paris$"]]
    retrieved = [["in 2001", "in 1999"], ["Paris, France", "Lyon"]]
    matcher = AnswerMatcher("regex")
    assert answer_recall(answers, retrieved, ks=(1, 2), match_type="regex", matcher=matcher) == {
        1: 0.0,
        2: 50.0,
    }
    with pytest.raises(ValueError, match="matcher"):
        answer_recall(answers, retrieved, ks=(1,), match_type="string", matcher=matcher)


def test_recall_from_hits_matches_dpr_accumulation():
    # DPR calculate_matches: a question counts at every k past its first hit.
    hits = [[False, True, True], [True, False, False], [False, False, False], [False, False, True]]
    assert recall_from_hits(hits, ks=(1, 2, 3)) == {1: 25.0, 2: 50.0, 3: 75.0}
    matcher = AnswerMatcher()
    assert [matcher.hits(a, t) for a, t in zip(HAND_ANSWERS, HAND_RETRIEVED, strict=True)] == hits


@pytest.mark.parametrize("ks", [(), (0,), (1, -5), (1.5,), (True,)])
def test_answer_recall_rejects_bad_ks(ks):
    with pytest.raises(ValueError):
        answer_recall(HAND_ANSWERS, HAND_RETRIEVED, ks=ks)


def test_answer_recall_rejects_mismatched_or_empty():
    with pytest.raises(ValueError, match="pair up"):
        answer_recall(HAND_ANSWERS, HAND_RETRIEVED[:2])
    with pytest.raises(ValueError, match="at least one"):
        answer_recall([], [])


def test_gold_passage_recall_on_squad_is_complete(squad: Path):
    # SQuAD answers are spans of the paragraph the question was written from, so DPR matching must find every
    # one of them in its own paragraph: a broken tokenizer or normaliser would show up here.
    qs = [json.loads(line) for line in (squad / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    passages = lookup_passages(squad / "passages.tsv", {str(q["passage_id"]) for q in qs})
    assert len(passages) == 1023
    retrieved = [[passages[str(q["passage_id"])].text] for q in qs]
    assert answer_recall([q["answers"] for q in qs], retrieved, ks=(1, 5)) == {1: 100.0, 5: 100.0}
    # And the passage after it rarely holds the answer: recall with a wrong passage is far lower.
    wrong = [[passages[str(q["passage_id"] % 1023 + 1)].text] for q in qs]
    assert answer_recall([q["answers"] for q in qs], wrong, ks=(1,))[1] < 50.0


# ----------------------------------------------------------------------------------------------------
# Reports
# ----------------------------------------------------------------------------------------------------


def test_format_markdown_single_report():
    report = RecallReport("RDR", 4, {1: 25.0, 5: 50.0, 20: 75.0, 50: 75.0, 100: 100.0})
    assert format_markdown([report]) == (
        "| Top-K Passages | 1 | 5 | 20 | 50 | 100 |\n"
        "|---|---|---|---|---|---|\n"
        "| **RDR** | 25.00 | 50.00 | 75.00 | 75.00 | 100.00 |\n"
    )


def test_format_markdown_side_by_side_like_model_card():
    reports = [
        RecallReport("DPR", 8757, {1: 54.27, 5: 71.11, 20: 79.53, 50: 82.72, 100: 85.07}, dataset="TriviaQA Dev"),
        RecallReport("RDR", 8757, {1: 61.84, 5: 75.93, 20: 82.56, 50: 85.35, 100: 87.0}, dataset="TriviaQA Dev"),
        RecallReport("DPR|adv", 3610, {1: 52.474, 20: 81.33}, dataset="NQ Test"),
    ]
    assert format_markdown(reports) == (
        "|  | Top-K Passages | 1 | 5 | 20 | 50 | 100 |\n"
        "|---|---|---|---|---|---|---|\n"
        "| **TriviaQA Dev** | **DPR** | 54.27 | 71.11 | 79.53 | 82.72 | 85.07 |\n"
        "|  | **RDR** | **61.84** | **75.93** | **82.56** | **85.35** | **87.00** |\n"
        "| **NQ Test** | **DPR\\|adv** | 52.47 | - | 81.33 | - | - |\n"
    )
    with pytest.raises(ValueError):
        format_markdown([])


def test_json_round_trip():
    reports = [
        RecallReport("DPR", 4, {5: 50.0, 1: 25.0}),
        RecallReport("RDR", 4, {1: 100 / 3, 5: 75.0}, dataset="squad-dev-a"),
    ]
    text = to_json(reports)
    data = json.loads(text)
    assert data["reports"][0] == {
        "name": "DPR",
        "dataset": "",
        "questions": 4,
        "recall": {"1": 25.0, "5": 50.0},
    }
    assert data["reports"][1]["recall"]["1"] == pytest.approx(33.333333333)
    assert reports_from_json(text) == reports
    with pytest.raises(EvaluationDataError):
        reports_from_json('{"nope": 1}')
