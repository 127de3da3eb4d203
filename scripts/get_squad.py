"""Download the SQuAD v1.1 development set and write it in DPR's evaluation formats.

    python scripts/get_squad.py [--out data/squad-dev] [--articles a|b|all] [--source dev-v1.1.json]

Writes into the output folder:

- ``passages.tsv``: DPR's passage collection (like ``psgs_w100.tsv``): header ``id<TAB>text<TAB>title``, one row
  per paragraph, ids 1, 2, ... in file order, written with the csv module (texts holding ``"`` are quoted with
  doubled inner quotes); titles with spaces for the underscores of SQuAD's.
- ``questions.csv``: DPR's question format (like ``nq-test.csv``): ``question<TAB>["answer", ...]``, the answers
  a JSON list (distinct texts in SQuAD's order), the question without surrounding whitespace.
- ``questions.jsonl``: ``{"question", "answers", "id" (SQuAD id), "passage_id"}`` per line, the question as
  SQuAD wrote it; ``passage_id`` is the paragraph the question was written from.

``--articles a`` (the default) keeps the 24 articles at even positions of the official file (0, 2, ...): 1,023
paragraphs and 5,397 questions, the set the test suite and benchmarks pin their figures to. ``b`` keeps the odd
ones, ``all`` all 48 articles. SQuAD is CC BY-SA 4.0 (Rajpurkar et al., 2016).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SQUAD_DEV_URL = "https://rajpurkar.github.io/SQuAD-explorer/dataset/dev-v1.1.json"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "squad-dev"
ARTICLE_SETS = ("a", "b", "all")


@dataclass(frozen=True)
class Passage:
    """One SQuAD paragraph as a DPR collection row."""

    id: int
    text: str
    title: str


@dataclass(frozen=True)
class Question:
    """One SQuAD question with its distinct answer texts and the paragraph it was written from."""

    question: str
    answers: list[str]
    id: str
    passage_id: int


def _keep(position: int, articles: str) -> bool:
    if articles == "all":
        return True
    return position % 2 == (0 if articles == "a" else 1)


def _answers(qa: dict[str, Any]) -> list[str]:
    # SQuAD lists one answer per annotator, often the same span again; DPR needs each text once.
    texts = (str(answer["text"]).strip() for answer in qa.get("answers", []))
    return list(dict.fromkeys(t for t in texts if t))


def convert(squad: dict[str, Any], articles: str = "a") -> tuple[list[Passage], list[Question]]:
    """The passages and questions of a SQuAD v1.1 file (its parsed JSON), numbered as DPR's files are."""
    if articles not in ARTICLE_SETS:
        raise ValueError(f"articles must be one of {ARTICLE_SETS}, not {articles!r}")
    passages: list[Passage] = []
    questions: list[Question] = []
    for position, article in enumerate(squad["data"]):
        if not _keep(position, articles):
            continue
        title = str(article["title"]).replace("_", " ")
        for paragraph in article["paragraphs"]:
            passage = Passage(len(passages) + 1, paragraph["context"], title)
            passages.append(passage)
            questions.extend(
                Question(qa["question"], _answers(qa), qa["id"], passage.id) for qa in paragraph.get("qas", [])
            )
    return passages, questions


def _csv_question(question: str) -> str:
    # One line per question, the tab kept for the column break.
    return question.strip().replace("\t", " ").replace("\r", " ").replace("\n", " ")


def write_dpr(folder: Path, passages: Sequence[Passage], questions: Sequence[Question]) -> None:
    """Write ``passages.tsv``, ``questions.csv`` and ``questions.jsonl`` into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "passages.tsv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["id", "text", "title"])
        writer.writerows([p.id, p.text, p.title] for p in passages)
    with (folder / "questions.csv").open("w", encoding="utf-8", newline="") as handle:
        for q in questions:
            handle.write(f"{_csv_question(q.question)}\t{json.dumps(q.answers, ensure_ascii=False)}\n")
    with (folder / "questions.jsonl").open("w", encoding="utf-8", newline="") as handle:
        for q in questions:
            row = {"question": q.question, "answers": q.answers, "id": q.id, "passage_id": q.passage_id}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def download(url: str = SQUAD_DEV_URL, timeout_s: float = 60.0) -> dict[str, Any]:
    """The parsed SQuAD JSON at ``url``."""
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        data: dict[str, Any] = json.load(response)
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: download (or read ``--source``), convert, write; prints what it wrote."""
    parser = argparse.ArgumentParser(description="Write SQuAD v1.1 dev in DPR's formats (passages and questions).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"Output folder (default {DEFAULT_OUT}).")
    parser.add_argument(
        "--articles",
        choices=ARTICLE_SETS,
        default="a",
        help="a: articles at even positions (default, what the tests pin); b: odd positions; all: every article.",
    )
    parser.add_argument("--source", type=Path, help="A dev-v1.1.json already on disk, instead of downloading it.")
    parser.add_argument("--url", default=SQUAD_DEV_URL, help="Where to download from.")
    args = parser.parse_args(argv)
    try:
        squad = json.loads(args.source.read_text(encoding="utf-8")) if args.source else download(args.url)
    except (OSError, ValueError) as exc:  # network, file or JSON trouble
        print(f"get_squad: cannot read SQuAD from {args.source or args.url}: {exc}", file=sys.stderr)
        return 1
    passages, questions = convert(squad, args.articles)
    write_dpr(args.out, passages, questions)
    print(f"{len(passages)} passages and {len(questions)} questions written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
