"""A process that adds and removes documents forever, for kill tests (runs in a forkserver child)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rdr_search.encoders import EncoderSpec
from rdr_search.library import Library
from rdr_search.settings import Settings

CHURN_SETTINGS = Settings(precision="fp32", passage_words=20, batch_size=4)


def churn(library_path: str, ctx_dir: str, question_dir: str, files: list[str], working: Any) -> None:
    """Add the files one by one, then remove every other one, and again, until killed.
    ``working`` (an Event) is set once the first file is in, so kills land in the churn, not the start-up."""
    lib = Library.open(Path(library_path), EncoderSpec.pair(ctx_dir, question_dir), CHURN_SETTINGS)
    while True:
        for file in files:
            lib.add_files([file], progress=False)
            working.set()
        for document in lib.documents()[::2]:
            lib.remove(document.source)
