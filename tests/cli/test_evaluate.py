"""The eval command: DPR recall tables on a collection, and the option mistakes it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rdr_search.evaluation import read_questions
from tests.cli.runner import run
from tests.data import write_small_collection


@pytest.fixture()
def tiny_task(tmp_path: Path) -> list[str]:
    """A two-passage collection and one question: enough for the eval command to parse its options."""
    questions = tmp_path / "qs.csv"
    questions.write_text('Where is the Eiffel Tower?\t["Paris"]\n', encoding="utf-8")
    passages = tmp_path / "psgs.tsv"
    passages.write_text("id\ttext\ttitle\n1\tThe tower is in Paris.\tEiffel\n2\tRome.\tItaly\n", encoding="utf-8")
    return [str(questions), "--collection", str(passages), "--work-dir", str(tmp_path / "work")]


def test_eval_command_compares_two_pairs(
    encoders: list[str], other_tiny_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    path, questions = write_small_collection(tmp_path)
    qfile = tmp_path / "qs.csv"
    qfile.write_text("".join(f"{q.question}\t{json.dumps(list(q.answers))}\n" for q in questions[:10]))
    other = ["--compare-ctx-encoder", str(other_tiny_pair[0]), "--compare-question-encoder", str(other_tiny_pair[1])]
    result = run(
        "eval", str(qfile), "--collection", str(path), "-k", "1,5", *encoders, *other,
        "--work-dir", str(tmp_path / "work"), "--json", str(tmp_path / "out.json"), "--precision", "fp32",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = result.stdout.strip().splitlines()
    assert table[0].replace(" ", "") == "||Top-KPassages|1|5|" and len(table) == 4
    figures = json.loads((tmp_path / "out.json").read_text())["reports"]
    assert len(figures) == 2 and all(r["questions"] == 10 for r in figures)
    assert len(list(read_questions(qfile))) == 10


@pytest.mark.parametrize(
    ("compare", "message"),
    [
        # Once silently ignored: the run then compared nothing and said nothing.
        (["--compare-question-encoder", "x"], "--compare-ctx-encoder and --compare-question-encoder go together"),
        (["--compare-ctx-encoder", "x"], "--compare-ctx-encoder and --compare-question-encoder go together"),
        (["--compare-sentence-encoder", "x", "--compare-preset", "dpr-nq"], "--compare-sentence-encoder"),
        (["--compare-preset", "no-such-pair"], "Unknown encoder preset 'no-such-pair'"),
    ],
)
def test_an_incomplete_compare_pair_is_refused(
    compare: list[str], message: str, encoders: list[str], tiny_task: list[str], tmp_path: Path
) -> None:
    result = run("eval", *tiny_task, *encoders, *compare, cwd=tmp_path)
    assert result.returncode == 2
    assert "Compare pair" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "work").exists()


def test_a_compare_pair_needs_a_collection(encoders: list[str], tiny_task: list[str], tmp_path: Path) -> None:
    questions = tiny_task[0]
    result = run("eval", questions, *encoders, "--compare-preset", "dpr-nq", cwd=tmp_path)
    assert result.returncode == 2 and "--compare-* needs --collection" in result.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["-k", "1,five"], "whole numbers"),
        (["-k", "0,5"], "positive whole numbers"),
        (["--match", "fuzzy"], "--match is one of string, regex"),
    ],
)
def test_bad_cutoffs_or_match_type_are_one_message(
    options: list[str], message: str, encoders: list[str], tiny_task: list[str], tmp_path: Path
) -> None:
    result = run("eval", *tiny_task, *encoders, *options, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_eval_plot_writes_a_png_of_both_pairs(
    encoders: list[str], other_tiny_pair: tuple[Path, Path], tiny_task: list[str], tmp_path: Path
) -> None:
    other = ["--compare-ctx-encoder", str(other_tiny_pair[0]), "--compare-question-encoder", str(other_tiny_pair[1])]
    plot, figures = tmp_path / "recall.png", tmp_path / "out.json"
    result = run(
        "eval", *tiny_task, *encoders, *other, "-k", "1,2", "--plot", str(plot), "--json", str(figures), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].replace(" ", "") == "||Top-KPassages|1|2|"  # the table keeps its ks
    assert f"wrote the recall curve (k = 1..100) to {plot}" in result.stdout
    data = plot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    assert [sorted(r["recall"]) for r in json.loads(figures.read_text())["reports"]] == [["1", "2"], ["1", "2"]]

    missing = run("eval", *tiny_task, *encoders, "--plot", str(tmp_path / "no" / "r.png"), cwd=tmp_path)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
