"""Question-answering data the tests read: a small committed set, and squad-dev-a when it has been fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

SMALL_QA = Path(__file__).resolve().parent / "data" / "small-qa"
"""Twelve self-written paragraphs and 24 questions in squad-dev-a's layout (see its README.md)."""

SQUAD = Path(__file__).resolve().parents[2] / "shared" / "data" / "squad-dev-a"
"""squad-dev-a, a folder beside the repository's own."""

SQUAD_MISSING = f"squad-dev-a is not at {SQUAD}: run python scripts/get_squad.py to fetch it"

needs_squad = pytest.mark.skipif(not (SQUAD / "passages.tsv").is_file(), reason=SQUAD_MISSING)
"""Marks a test that reads squad-dev-a, so it skips (saying how to get the data) where it is absent."""
