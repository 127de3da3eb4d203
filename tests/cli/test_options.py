"""Options every encoder command shares: environment variables, help text, and a --help free of torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdr_search.cli import app
from rdr_search.encoders import PRECISIONS, PRESETS, RUNTIMES
from rdr_search.errors import ModelLoadError
from tests.cli.runner import run
from tests.data import REPO

ENCODER_COMMANDS = ["add", "search", "add-encoders", "eval"]


@pytest.fixture(scope="module")
def built_library(tiny_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library with one document, so that commands which refuse a missing library reach the encoders."""
    folder = tmp_path_factory.mktemp("cli-options")
    (folder / "notes.txt").write_text("Rivers carry water to the sea.", encoding="utf-8")
    env = {"RDR_SEARCH_CTX_ENCODER": str(tiny_pair[0]), "RDR_SEARCH_QUESTION_ENCODER": str(tiny_pair[1])}
    result = run("add", "notes.txt", "--library", "lib", cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    return folder / "lib"


@pytest.mark.parametrize("command", ENCODER_COMMANDS)
def test_preset_reads_its_environment_variable(command: str, built_library: Path, tmp_path: Path) -> None:
    (tmp_path / "qs.csv").write_text('q?\t["a"]\n', encoding="utf-8")
    arguments = {"add": [str(tmp_path / "qs.csv")], "search": ["q"], "eval": [str(tmp_path / "qs.csv")]}
    # search and add-encoders refuse a missing library before any encoder option matters: give them one.
    folder = built_library if command in ("search", "add-encoders") else tmp_path / "lib"
    # In process: the options are parsed the same way, without a fresh interpreter per command.
    result = CliRunner().invoke(
        app, [command, *arguments.get(command, []), "--library", str(folder)], env={"RDR_SEARCH_PRESET": "no-such-pair"}
    )
    assert isinstance(result.exception, ModelLoadError), result.output
    assert "Unknown encoder preset 'no-such-pair'" in str(result.exception)


def test_encoders_and_library_read_their_environment_variables(tiny_pair: tuple[Path, Path], tmp_path: Path) -> None:
    env = {
        "RDR_SEARCH_CTX_ENCODER": str(tiny_pair[0]),
        "RDR_SEARCH_QUESTION_ENCODER": str(tiny_pair[1]),
        "RDR_SEARCH_LIBRARY": str(tmp_path / "lib"),
        "RDR_SEARCH_DEVICE": "cpu",
    }
    (tmp_path / "notes.txt").write_text("Rivers carry water to the sea.", encoding="utf-8")
    added = run("add", "notes.txt", cwd=tmp_path, env=env)
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "lib").is_dir()  # the library named by RDR_SEARCH_LIBRARY
    result = run("search", "rivers", "--mode", "dense", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "notes.txt" in result.stdout  # searched with the pair the variables name


@pytest.mark.parametrize("command", ENCODER_COMMANDS)
def test_help_names_every_preset_precision_and_variable(command: str, tmp_path: Path) -> None:
    result = run(command, "--help", cwd=tmp_path, env={"COLUMNS": "300"})
    assert result.returncode == 0, result.stderr
    assert all(name in result.stdout for name in PRESETS)
    for variable in ("PRESET", "CTX_ENCODER", "QUESTION_ENCODER", "SENTENCE_ENCODER", "MODEL_DIR", "DEVICE"):
        assert f"RDR_SEARCH_{variable}" in result.stdout
    if command != "add-encoders":  # it encodes with the library's settings
        assert "RDR_SEARCH_PRECISION" in result.stdout
        precision_help = result.stdout[result.stdout.index("--precision") :]
        assert all(name in precision_help for name in PRECISIONS)
        runtime_help = result.stdout[result.stdout.index("--runtime") :]
        assert "RDR_SEARCH_RUNTIME" in runtime_help and all(name in runtime_help for name in RUNTIMES)


def test_help_loads_no_model_code() -> None:
    # --help of the command and of every subcommand, in a fresh interpreter on this checkout.
    commands = [[]] + [[c.name or c.callback.__name__] for c in app.registered_commands if c.callback]
    code = (
        "import sys\n"
        "from rdr_search.cli import main\n"
        f"for args in {commands!r}:\n"
        "    sys.argv = ['rdr-search', *args, '--help']\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'faiss') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Usage:") == len(commands)
