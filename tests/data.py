"""Where tests find the SQuAD dev subset in DPR's formats (squad-dev-a), and small collections cut from it.

Looked for, in order: a shared copy beside the repository (``shared/data/squad-dev-a`` next to the checkout),
one inside it, then ``data/squad-dev`` as ``python scripts/get_squad.py`` writes it. Tests that need it skip
when none is there.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from rdr_search.evaluation import QAPair, read_collection

REPO = Path(__file__).resolve().parents[1]
SQUAD_MISSING = "SQuAD dev data (squad-dev-a) not found: run python scripts/get_squad.py"
_CANDIDATES = (
    REPO.parent / "shared" / "data" / "squad-dev-a",
    REPO / "shared" / "data" / "squad-dev-a",
    REPO / "data" / "squad-dev",
)


SMALL_QA = REPO / "tests" / "corpus" / "small-qa"
"""Twelve self-written paragraphs and 24 questions in squad-dev-a's layout (see its README.md): always present."""


def squad_dir() -> Path | None:
    """The folder holding passages.tsv, questions.csv and questions.jsonl, or None."""
    return next((folder for folder in _CANDIDATES if (folder / "passages.tsv").is_file()), None)


def squad_or_missing() -> Path:
    """:func:`squad_dir`, or the first place it is looked for (for parametrised tests marked ``needs_squad``)."""
    return squad_dir() or _CANDIDATES[0]


needs_squad = pytest.mark.skipif(squad_dir() is None, reason=SQUAD_MISSING)
"""Marks a test that reads squad-dev-a, so it skips (saying how to get the data) where it is absent."""


def require_squad() -> Path:
    """:func:`squad_dir`, skipping the calling test when there is none."""
    folder = squad_dir()
    if folder is None:
        pytest.skip(SQUAD_MISSING)
    return folder


def write_small_collection(folder: Path, passages: int = 60, questions: int = 40) -> tuple[Path, list[QAPair]]:
    """The first ``passages`` squad-dev-a paragraphs as a DPR collection in ``folder``, and up to ``questions``
    questions written from them."""
    squad = require_squad()
    kept = next(read_collection(squad / "passages.tsv", batch_size=passages))
    path = folder / "psgs.tsv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["id", "text", "title"])
        writer.writerows([p.id, p.text, p.title] for p in kept)
    ids = {p.id for p in kept}
    rows = [json.loads(line) for line in (squad / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    written = [QAPair(r["question"], tuple(r["answers"])) for r in rows if str(r["passage_id"]) in ids]
    return path, written[:questions]
