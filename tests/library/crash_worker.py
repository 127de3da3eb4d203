"""A process that adds and removes documents forever, for kill tests (runs in a forkserver child)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from rdr_search.encoders import EncoderSpec
from rdr_search.library import Library
from rdr_search.settings import Settings

# Small parts: most documents commit in several, so kills land between parts too.
CHURN_SETTINGS = Settings(precision="fp32", passage_words=20, batch_size=4, first_part_passages=4, part_passages=8)


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


class StallAt(threading.Event):
    """A cancel flag that never cancels: at its ``n``-th check (the library checks before each part) it sets
    ``reached`` and waits there to be killed, so a kill lands exactly between two committed parts."""

    def __init__(self, n: int, reached: Any) -> None:
        super().__init__()
        self.n, self.checks, self.reached = n, 0, reached

    def is_set(self) -> bool:
        self.checks += 1
        if self.checks == self.n:
            self.reached.set()
            time.sleep(600)
        return False


def add_and_stall(library_path: str, ctx_dir: str, question_dir: str, file: str, checks: int, reached: Any) -> None:
    """Add one long file and stall before its ``checks``-th check (the first is before the file)."""
    lib = Library.open(Path(library_path), EncoderSpec.pair(ctx_dir, question_dir), CHURN_SETTINGS)
    lib.add_files([file], progress=False, cancel=StallAt(checks, reached))
