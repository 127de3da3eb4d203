"""The first minutes with the command line: missing and empty libraries, names that almost match, counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.runner import run


def _no_models(tmp_path: Path) -> dict[str, str]:
    """An empty Hugging Face cache: any attempt to load the default pair would fail loudly."""
    return {"HF_HOME": str(tmp_path / "empty-hf-home")}


def test_commands_on_a_missing_library_create_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-library"
    library = ["--library", str(missing)]
    for command in (("search", "where is the nile?"), ("remove", "rivers.txt"), ("check",)):
        result = run(*command, *library, cwd=tmp_path, env=_no_models(tmp_path))
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "No library at" in result.stderr and "rdr-search add" in result.stderr
        assert "Traceback" not in result.stderr and "Cannot load" not in result.stderr
    listed = run("list", *library, cwd=tmp_path, env=_no_models(tmp_path))
    assert listed.returncode == 0 and "is empty" in listed.stdout
    assert json.loads(run("list", "--json", *library, cwd=tmp_path, env=_no_models(tmp_path)).stdout) == []
    assert not missing.exists()


def test_an_empty_library_answers_without_loading_a_model(tmp_path: Path) -> None:
    library = ["--library", str(tmp_path / "lib")]
    note = tmp_path / "note.txt"
    note.write_text("The Nile flows north.")
    # An add whose models cannot load leaves a library database behind with nothing in it.
    nowhere = str(tmp_path / "not-a-model")
    failed = run("add", str(note), *library, "--ctx-encoder", nowhere, "--question-encoder", nowhere, cwd=tmp_path)
    assert failed.returncode == 2 and (tmp_path / "lib" / "library.sqlite3").is_file()
    for command in (("list",), ("check",), ("search", "where does the nile flow?")):
        result = run(*command, *library, cwd=tmp_path, env=_no_models(tmp_path))
        assert result.returncode == 0, (command, result.stderr)
        assert "empty" in result.stdout and "Cannot load" not in result.stderr
    removed = run("remove", "note.txt", *library, cwd=tmp_path, env=_no_models(tmp_path))
    assert removed.returncode == 1 and "empty" in removed.stderr


@pytest.mark.slow
def test_adding_a_folder_reports_what_it_skipped_and_why(tmp_path: Path, encoders: list[str]) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / ".git").mkdir()
    (docs / ".git" / "notes.md").write_text("# not mine")
    (docs / ".hidden.txt").write_text("secret")
    (docs / "photo.png").write_bytes(b"\x89PNG")
    (docs / "data.zip").write_bytes(b"PK")
    (docs / "rivers.txt").write_text("The Nile is a long river in Africa. It flows north into the sea.")
    (docs / "sub" / "rivers.txt").write_text("The Amazon carries more water than any other river.")
    library = ["--library", str(tmp_path / "lib")]

    added = run("add", str(docs), *library, *encoders, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "skipped 2 files of types that cannot be read: docs/data.zip, docs/photo.png" in added.stdout
    assert "skipped 2 hidden files and folders: docs/.git, docs/.hidden.txt" in added.stdout
    assert "2 added" in added.stdout

    # A file name that is not a source but ends one gets the sources it could mean.
    removed = run("remove", "rivers.txt", *library, cwd=tmp_path)
    assert removed.returncode == 1
    assert "did you mean docs/rivers.txt or docs/sub/rivers.txt?" in removed.stderr
    unknown = run("remove", "lakes.txt", *library, cwd=tmp_path)
    assert unknown.returncode == 1 and "did you mean" not in unknown.stderr and "rdr-search list" in unknown.stderr

    listed = run("list", *library, cwd=tmp_path)
    assert "1 page, 1 passage," in listed.stdout and "1 pages" not in listed.stdout
    hits = json.loads(run("search", "Nile", "--mode", "keyword", "--json", *library, cwd=tmp_path).stdout)
    assert hits and hits[0]["source"] == "docs/rivers.txt" and hits[0]["pages"] == "p. 1"
