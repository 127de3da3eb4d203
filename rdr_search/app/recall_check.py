"""Answer recall on a visitor's own questions: their questions with expected answers, bounded and parsed, then
top-k answer recall of each encoder pair over their library for every k up to a depth (a recall curve).

Answers are matched exactly as ``rdr-search eval`` does (DPR's has_answer, string match). No web framework here:
the service calls these and the Compare tab draws the result.
"""

from __future__ import annotations

from collections.abc import Sequence

from rdr_search.app.inputs import InputError, text_input
from rdr_search.evaluation import AnswerMatcher, QAPair, RecallReport, answer_recall, dpr_normalize_question
from rdr_search.evaluation.plot import curve_ks
from rdr_search.library import Library

MAX_LINES = 50
MAX_LINE_CHARS = 500
LINE_FORMAT = "question | answer1; answer2"
DATASET = "your questions"
TABLE_KS = (1, 5, 10, 20, 50)
"""The columns of the recall table (those up to the depth asked, plus the depth itself)."""


def parse_expected(text: object, max_lines: int = MAX_LINES, max_chars: int = MAX_LINE_CHARS) -> list[QAPair]:
    """Questions with expected answers, one per line as ``question | answer1; answer2`` (blank lines skipped).

    At most ``max_lines`` lines of at most ``max_chars`` characters; the last ``|`` of a line separates the
    question from its answers. Raises InputError naming the line at fault.
    """
    raw = text_input(text, "list of questions", max_lines * (max_chars + 2))
    lines = [(number, line.strip()) for number, line in enumerate(raw.splitlines(), 1) if line.strip()]
    if not lines:
        raise InputError(f"Write one question per line as: {LINE_FORMAT}")
    if len(lines) > max_lines:
        raise InputError(f"{len(lines)} questions; the limit is {max_lines}.")
    pairs = []
    for number, line in lines:
        if len(line) > max_chars:
            raise InputError(f"Line {number} is {len(line):,} characters long; the limit is {max_chars:,}.")
        question, bar, rest = line.rpartition("|")
        answers = tuple(a.strip() for a in rest.split(";") if a.strip())
        if not bar or not question.strip() or not answers:
            raise InputError(f"Line {number}: write a question, then | and the expected answers ({LINE_FORMAT}).")
        pairs.append(QAPair(question.strip(), answers))
    return pairs


def library_curves(
    library: Library, questions: Sequence[QAPair], pairs: Sequence[tuple[str, str | None]], depth: int
) -> list[RecallReport]:
    """Answer recall at k = 1..depth of each (name, vector set key or None for the primary pair) over the
    library's passages; one report per pair, in order."""
    ks = curve_ks(max_k=depth)
    matcher = AnswerMatcher("string")  # shared: each passage is tokenized once for both pairs
    answers = [q.answers for q in questions]
    reports = []
    for name, vector_set in pairs:
        retrieved = [
            [
                hit.text
                for hit in library.search(
                    dpr_normalize_question(q.question), depth, mode="dense", vector_set=vector_set
                )
            ]
            for q in questions
        ]
        recall = answer_recall(answers, retrieved, ks, matcher=matcher)
        reports.append(RecallReport(name, len(questions), recall, DATASET))
    return reports


def table_ks(depth: int) -> list[int]:
    """The recall table's columns for curves up to ``depth``."""
    return sorted({k for k in TABLE_KS if k <= depth} | {depth})
