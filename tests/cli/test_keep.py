"""export-library, import-library, reindex and watch, run as a user would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.runner import run
from tests.data import REPO
from tests.files import sample_corpus


@pytest.mark.slow
def test_export_import_reindex(tmp_path: Path, encoders: list[str]) -> None:
    sample_corpus(tmp_path / "docs")
    old, new = ["--library", str(tmp_path / "old")], ["--library", str(tmp_path / "new")]
    assert run("add", str(tmp_path / "docs"), *old, *encoders, cwd=tmp_path).returncode == 0
    exported = run("export-library", "kept.rdrlib", *old, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "Exported 5 documents" in exported.stdout and "1 kept original" in exported.stdout

    imported = run("import-library", "kept.rdrlib", *new, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "5 added" in imported.stdout and "added  docs/history.pdf" in imported.stdout
    found = run("search", "Who sealed the Magna Carta?", "-k", "3", "--json", "--mode", "keyword", *new, cwd=tmp_path)
    assert json.loads(found.stdout)[0]["source"] == "docs/history.pdf"  # the imported library answers
    rechunked = run("reindex", "--passage-words", "40", *new, cwd=tmp_path)
    assert rechunked.returncode == 0, rechunked.stderr
    assert "Reindexed (chunking)" in rechunked.stdout and "Cutting passages" in rechunked.stderr


@pytest.mark.slow
def test_watch_logs_each_change_and_stops_on_ctrl_c(tmp_path: Path, encoders: list[str]) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "whales.md").write_text("# Whales\n\nBlue whales are the largest animals ever known.\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RDR_SEARCH_")}
    env.update({"HF_HUB_OFFLINE": "1", "RDR_SEARCH_PRECISION": "fp32", "PYTHONPATH": str(REPO)})
    command = [sys.executable, "-m", "rdr_search.cli", "watch", str(folder), "--library", str(tmp_path / "lib")]
    process = subprocess.Popen(
        [*command, *encoders, "--poll", "0.1", "--quiet", "0.2"], env=env, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if "added  notes/whales.md" in line:
                (folder / "whales.md").rename(folder / "blue-whales.md")
            if "renamed  notes/blue-whales.md" in line:
                break
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(lines) + rest
    assert "renamed  notes/blue-whales.md  from notes/whales.md (no encoding)" in output, output
    assert process.returncode == 0 and "stopped watching" in output and "Traceback" not in output
    listed = run("list", "--library", str(tmp_path / "lib"), cwd=tmp_path)
    assert listed.stdout.startswith("notes/blue-whales.md")
