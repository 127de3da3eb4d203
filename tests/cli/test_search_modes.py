"""Search modes and filters on the command line, and eval per mode over a collection and a library."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.runner import run
from tests.data import write_small_collection
from tests.files import sample_corpus


def test_search_modes_and_filters(tmp_path: Path, encoders: list[str]) -> None:
    sample_corpus(tmp_path / "docs")
    library = ["--library", str(tmp_path / "lib")]
    assert run("add", str(tmp_path / "docs"), *library, *encoders, cwd=tmp_path).returncode == 0

    def search(*options: str) -> list[dict]:
        result = run("search", *options, "--json", *library, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    keyword = search('Who sealed the "Magna Carta"?', "--mode", "keyword", "-k", "10")
    assert keyword and {h["mode"] for h in keyword} == {"keyword"} and all("Magna Carta" in h["text"] for h in keyword)
    filtered = search(
        "moon", "--mode", "dense", "--document", "docs/cooking.md", "--document", "docs/whales.txt",
        "--type", "md", "--added-after", "2000-01-01",
    )  # fmt: skip
    assert {(h["source"], h["kind"], h["mode"]) for h in filtered} == {("docs/cooking.md", "markdown", "dense")}
    readable = run("search", "moon craters", "--added-before", "2000-01-01", *library, cwd=tmp_path)
    assert readable.returncode == 0 and "No results." in readable.stdout
    hybrid = run("search", "moon craters", "-k", "1", *library, cwd=tmp_path)  # hybrid by default
    assert hybrid.stdout.startswith("1. Notes on the Moon") and "hybrid score" in hybrid.stdout

    bad = run("search", "moon", "--mode", "fuzzy", *library, cwd=tmp_path)
    assert bad.returncode == 2 and "dense, keyword, hybrid" in bad.stderr and "Traceback" not in bad.stderr


def test_eval_modes_over_a_collection_and_a_library(tmp_path: Path, encoders: list[str]) -> None:
    path, questions = write_small_collection(tmp_path)
    qfile = tmp_path / "qs.csv"
    qfile.write_text("".join(f"{q.question}\t{json.dumps(list(q.answers))}\n" for q in questions[:20]))
    work = ["--work-dir", str(tmp_path / "work")]
    everything = run(
        "eval", str(qfile), "--collection", str(path), "-k", "1,5", "--mode", "all", *encoders, *work,
        "--json", str(tmp_path / "all.json"), cwd=tmp_path,
    )  # fmt: skip
    assert everything.returncode == 0, everything.stderr
    reports = json.loads((tmp_path / "all.json").read_text())["reports"]
    assert [r["name"] for r in reports] == ["custom dense", "keyword (BM25)", "custom hybrid"]
    assert len(everything.stdout.strip().splitlines()) == 5  # head, rule, three modes
    assert len(list((tmp_path / "work").glob("keywords-*.sqlite3"))) == 1  # built once, kept for the next run
    # Keyword search alone needs no encoders at all (none are named here, and none could load offline).
    alone = run("eval", str(qfile), "--collection", str(path), "-k", "1,5", "--mode", "keyword", *work, cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr
    assert "keyword (BM25)" in alone.stdout and "Indexing words" not in alone.stderr  # reused
    keyword_row = next(r for r in reports if r["name"] == "keyword (BM25)")
    assert f"{keyword_row['recall']['1']:.2f}" in alone.stdout

    docs = tmp_path / "docs"
    sample_corpus(docs)
    library = ["--library", str(tmp_path / "lib")]
    assert run("add", str(docs), *library, *encoders, cwd=tmp_path).returncode == 0
    (tmp_path / "lib-qs.csv").write_text('Who sealed the Magna Carta?\t["King John"]\n')
    over_library = run("eval", str(tmp_path / "lib-qs.csv"), "--mode", "all", "-k", "1", *library, cwd=tmp_path)
    assert over_library.returncode == 0, over_library.stderr
    assert "keyword (BM25)" in over_library.stdout and "hybrid" in over_library.stdout
    bad = run("eval", str(qfile), "--collection", str(path), "--mode", "bm25", *work, cwd=tmp_path)
    assert bad.returncode == 2 and "--mode is one of dense, keyword, hybrid, all" in bad.stderr
