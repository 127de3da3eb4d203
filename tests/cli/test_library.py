"""The library commands of rdr-search (add, search, list, remove, add-encoders, check), run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.runner import run
from tests.files import sample_corpus


def test_add_search_list_remove_check(tmp_path: Path, encoders: list[str]) -> None:
    corpus = sample_corpus(tmp_path / "docs")
    bad = tmp_path / "docs" / "broken.docx"
    bad.write_bytes(b"not a zip at all")
    library = ["--library", str(tmp_path / "lib")]

    added = run("add", str(tmp_path / "docs"), *library, *encoders, cwd=tmp_path)
    assert added.returncode == 1, added.stderr  # one file failed; the others are in
    assert "failed  docs/broken.docx" in added.stdout and "not a valid .docx" in added.stdout
    for path in corpus.values():
        assert f"added  docs/{path.name}" in added.stdout
    assert "5 added, 1 failed" in added.stdout and "passages/s" in added.stdout
    assert "Encoding passages" in added.stderr  # the tqdm bar

    again = run("add", str(tmp_path / "docs"), *library, cwd=tmp_path)  # no encoder options: the stored pair
    assert "5 unchanged, 1 failed" in again.stdout and "0 encoded" in again.stdout
    alone = run("add", str(tmp_path / "docs" / "cooking.md"), *library, cwd=tmp_path)
    assert "duplicate of docs/cooking.md" in alone.stdout and alone.returncode == 0

    found = run("search", "Who sealed the Magna Carta?", "-k", "3", "--json", *library, cwd=tmp_path)
    hits = json.loads(found.stdout)
    assert len(hits) == 3 and {"rank", "score", "source", "pages", "text", "title"} <= set(hits[0])
    readable = run("search", "Who sealed the Magna Carta?", "-k", "2", *library, cwd=tmp_path)
    assert readable.stdout.startswith("1. ") and "score" in readable.stdout

    listed = run("list", *library, cwd=tmp_path)
    assert "docs/history.pdf" in listed.stdout and "3 pages" in listed.stdout

    removed = run("remove", "docs/history.pdf", *library, cwd=tmp_path)
    assert removed.returncode == 0
    everything = json.loads(run("search", "treaty", "-k", "100", "--json", *library, cwd=tmp_path).stdout)
    assert everything and all(h["source"] != "docs/history.pdf" for h in everything)

    checked = run("check", *library, cwd=tmp_path)
    assert checked.returncode == 0 and "ok: the library is consistent" in checked.stdout


def test_a_bad_model_path_is_one_clear_message(tmp_path: Path, tiny_pair: tuple[Path, Path]) -> None:
    result = run(
        "add",
        str(tmp_path),
        "--library",
        str(tmp_path / "lib"),
        "--ctx-encoder",
        str(tmp_path / "missing"),
        "--question-encoder",
        str(tiny_pair[1]),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "--ctx-encoder" in result.stderr
    assert "Traceback" not in result.stderr


def test_searching_an_empty_library_says_so(tmp_path: Path, encoders: list[str]) -> None:
    run("add", str(tmp_path / "nothing-here"), "--library", str(tmp_path / "lib"), *encoders, cwd=tmp_path)
    result = run("search", "anything", "--library", str(tmp_path / "lib"), *encoders, cwd=tmp_path)
    assert result.returncode == 0 and "The library is empty" in result.stdout


def test_add_encoders_lets_a_second_pair_search_the_same_library(
    tmp_path: Path, encoders: list[str], other_tiny_pair: tuple[Path, Path]
) -> None:
    corpus = sample_corpus(tmp_path / "docs")
    library = ["--library", str(tmp_path / "lib")]
    other = ["--ctx-encoder", str(other_tiny_pair[0]), "--question-encoder", str(other_tiny_pair[1])]
    assert run("add", str(corpus["md"]), *library, *encoders, cwd=tmp_path).returncode == 0
    refused = run("search", "bread", *library, *other, cwd=tmp_path)
    assert refused.returncode == 2 and "rdr-search add-encoders" in refused.stderr
    added = run("add-encoders", *library, *other, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert len([line for line in added.stdout.splitlines() if "custom" in line]) == 2
    found = run("search", "bread", "--json", *library, *other, cwd=tmp_path)
    assert json.loads(found.stdout)[0]["source"] == "cooking.md"
