"""Ctrl-C during `rdr-search add`: the add stops after the current part, prints its summary and exits 130; the
library stays consistent, and adding the file again finishes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.runner import run
from tests.data import REPO


def indexing(db: Path) -> bool:
    """Whether the library (read-only, as another program would) holds a document still being indexed."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
            return bool(connection.execute("SELECT COUNT(*) FROM documents WHERE state = 'indexing'").fetchone()[0])
    except sqlite3.Error:  # not created yet, or still the old layout
        return False


@pytest.mark.slow
def test_ctrl_c_stops_after_the_current_part(tmp_path: Path, encoders: list[str]) -> None:
    long = tmp_path / "long.md"
    body = " ".join(f"Sentence {i} tells of harbour number {i} and its cranes by night." for i in range(6000))
    long.write_text(f"# Harbours\n\n{body}\n", encoding="utf-8")  # ~700 passages: many parts of 50
    library = tmp_path / "library"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RDR_SEARCH_")}
    env.update({"HF_HUB_OFFLINE": "1", "RDR_SEARCH_PRECISION": "fp32", "PYTHONPATH": str(REPO)})
    command = [sys.executable, "-m", "rdr_search.cli", "add", str(long), "--library", str(library), *encoders]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while not indexing(library / "library.sqlite3"):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the first part never came"
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, (out, err)
    assert "Stopping after the current part" in err
    assert "cancelled  long.md" in out and "1 cancelled" in out  # the outcome and the summary were printed

    checked = run("check", "--library", str(library), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "still being indexed: long.md" in checked.stdout and "ok: the library is consistent" in checked.stdout
    listed = run("list", "--library", str(library), cwd=tmp_path)
    assert "still being indexed" in listed.stdout

    again = run("add", str(long), "--library", str(library), *encoders, cwd=tmp_path)
    assert again.returncode == 0 and "resumed" in again.stdout, again.stdout + again.stderr
