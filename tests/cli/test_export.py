"""``rdr-search search --format csv|json|md [--output FILE]``: exports with citations, run as a user would."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli.runner import run
from tests.files import sample_corpus

QUESTION = "Who sealed the Magna Carta?"


@pytest.fixture()
def library(tmp_path: Path, encoders: list[str]) -> list[str]:
    """A library holding the five-format sample corpus (a three-page PDF among them)."""
    sample_corpus(tmp_path / "docs")
    options = ["--library", str(tmp_path / "lib")]
    added = run("add", str(tmp_path / "docs"), *options, *encoders, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    return options


def test_search_exports_each_format(tmp_path: Path, library: list[str]) -> None:
    printed = run("search", QUESTION, "-k", "5", "--format", "csv", *library, cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    rows = list(csv.DictReader(io.StringIO(printed.stdout, newline="")))
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4", "5"]
    by_source = {r["source"]: r for r in rows}
    pdf = by_source["docs/history.pdf"]
    assert pdf["citation"] == f"A Short History of Treaties, {pdf['page']} (docs/history.pdf)" and pdf["page"]
    assert by_source["docs/cooking.md"]["citation"] == "Bread (docs/cooking.md)"  # no pages, no page
    assert all(r["mode"] == "hybrid" for r in rows)

    as_json = tmp_path / "hits.json"
    written = run("search", QUESTION, "-k", "3", "--format", "json", "--output", str(as_json), *library, cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert f"wrote 3 hits (json) to {as_json}" in written.stdout
    data = json.loads(as_json.read_text(encoding="utf-8"))
    assert data["question"] == QUESTION and data["mode"] == "hybrid" and data["exported_at"]
    assert [h["rank"] for h in data["hits"]] == [1, 2, 3] and all(h["citation"] for h in data["hits"])

    as_markdown = tmp_path / "hits.md"  # the suffix picks the format
    written = run("search", QUESTION, "-k", "2", "-o", str(as_markdown), *library, cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    markdown = as_markdown.read_text(encoding="utf-8")
    assert markdown.startswith("# rdr-search results") and "| Rank | Score |" in markdown
    assert len([line for line in markdown.splitlines() if line.startswith("| ") and "Rank" not in line]) == 2

    as_csv = tmp_path / "hits.csv"
    assert run("search", QUESTION, "--format", "csv", "-o", str(as_csv), *library, cwd=tmp_path).returncode == 0
    raw = as_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a file for spreadsheets: UTF-8 with its byte-order mark
    assert [r["rank"] for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))] == [
        str(i) for i in range(1, 6)
    ]

    listing = run("search", QUESTION, "--json", *library, cwd=tmp_path)  # --json keeps its plain hit list
    assert isinstance(json.loads(listing.stdout), list)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--format", "xlsx"], "--format is one of csv, json, md"),
        (["--output", "hits.xlsx"], "Name the format of hits.xlsx"),
        (["--json", "--format", "json"], "--json prints the plain hit list"),
    ],
)
def test_export_option_mistakes_are_one_message(
    options: list[str], message: str, tmp_path: Path, encoders: list[str]
) -> None:
    result = run("search", QUESTION, *options, "--library", str(tmp_path / "lib"), *encoders, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "lib").exists()  # refused before the library is opened
