"""Runs the rdr-search command as a user would (a real subprocess) on this checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.data import REPO


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``rdr-search ARGS`` in ``cwd``, with ``env`` added to a clean environment."""
    # Options read RDR_SEARCH_* variables: only those a test sets may reach the command.
    merged = {name: value for name, value in os.environ.items() if not name.startswith("RDR_SEARCH_")}
    # The checkout under test comes first, whatever an editable install elsewhere points at.
    merged.update({"HF_HUB_OFFLINE": "1", "RDR_SEARCH_PRECISION": "fp32", "PYTHONPATH": str(REPO)})
    merged.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "rdr_search.cli", *args],
        cwd=cwd,
        env=merged,
        capture_output=True,
        text=True,
        timeout=300,
    )
