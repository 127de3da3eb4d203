"""Answer-recall runs over a DPR collection: same figures as a brute-force ranking, resumable encoding."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.eval_run import encode_collection, evaluate_collection, evaluate_library
from rdr_search.evaluation import QAPair, answer_recall, read_collection, read_questions
from rdr_search.library import Library
from rdr_search.settings import Settings

EXACT = Settings(precision="fp32")
REPO = Path(__file__).resolve().parents[1]
SQUAD = REPO.parent / "shared" / "data" / "squad-dev-a"


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), EXACT)


@pytest.fixture()
def small_collection(tmp_path: Path) -> tuple[Path, list[QAPair]]:
    """The first 60 squad-dev-a paragraphs and questions written from them, in DPR's formats."""
    passages = next(read_collection(SQUAD / "passages.tsv", batch_size=60))
    path = tmp_path / "psgs.tsv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["id", "text", "title"])
        writer.writerows([p.id, p.text, p.title] for p in passages)
    ids = {p.id for p in passages}
    rows = [json.loads(line) for line in (SQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    questions = [QAPair(r["question"], tuple(r["answers"])) for r in rows if str(r["passage_id"]) in ids][:40]
    return path, questions


def test_collection_recall_equals_a_brute_force_ranking(
    pair: EncoderPair, small_collection: tuple[Path, list[QAPair]], tmp_path: Path
) -> None:
    path, questions = small_collection
    report = evaluate_collection(pair, questions, path, tmp_path / "work", ks=(1, 5, 20))
    passages = next(read_collection(path, batch_size=1000))
    vectors = pair.encode_passages([p.title for p in passages], [p.text for p in passages])
    scores = pair.encode_questions([q.question.rstrip("?") for q in questions]) @ vectors.T
    ranked = [[passages[i].text for i in np.argsort(-row, kind="stable")[:20]] for row in scores]
    assert report.recall == answer_recall([q.answers for q in questions], ranked, (1, 5, 20))
    assert report.questions == 40 and set(report.recall) == {1, 5, 20}


def test_encoding_resumes_from_saved_shards(
    pair: EncoderPair, small_collection: tuple[Path, list[QAPair]], tmp_path: Path
) -> None:
    path, _ = small_collection
    calls = []
    handle = pair.ctx.model.register_forward_hook(lambda *args: calls.append(1))
    try:
        ids, index = encode_collection(pair, path, tmp_path / "work", shard_size=25)
        first = len(calls)
        shards = sorted((tmp_path / "work" / pair.identity.key).glob("shard-*.npz"))
        shards[-1].unlink()  # as if the run had been killed before the last shard
        ids_again, index_again = encode_collection(pair, path, tmp_path / "work", shard_size=25)
    finally:
        handle.remove()
    assert len(shards) == 3 and len(ids) == 60 and ids == ids_again and len(index_again) == 60
    assert 0 < len(calls) - first < first  # only the missing shard was encoded again


def test_library_recall_uses_its_passages(pair: EncoderPair, tmp_path: Path) -> None:
    doc = tmp_path / "facts.md"
    doc.write_text("# Facts\n\nThe capital of France is Paris.\n")
    with Library.open(tmp_path / "lib", pair, EXACT) as lib:
        lib.add_files([doc])
        report = evaluate_library(lib, [QAPair("capital of France?", ("Paris",)), QAPair("x?", ("Rome",))], ks=(1,))
    assert report.recall == {1: 50.0}


def test_eval_command_compares_two_pairs(
    tiny_pair: tuple[Path, Path], other_tiny_pair: tuple[Path, Path], small_collection: tuple, tmp_path: Path
) -> None:
    path, questions = small_collection
    qfile = tmp_path / "qs.csv"
    qfile.write_text("".join(f"{q.question}\t{json.dumps(list(q.answers))}\n" for q in questions[:10]))
    result = subprocess.run(
        [
            sys.executable, "-m", "rdr_search.cli", "eval", str(qfile), "--collection", str(path), "-k", "1,5",
            "--ctx-encoder", str(tiny_pair[0]), "--question-encoder", str(tiny_pair[1]),
            "--compare-ctx-encoder", str(other_tiny_pair[0]), "--compare-question-encoder", str(other_tiny_pair[1]),
            "--work-dir", str(tmp_path / "work"), "--json", str(tmp_path / "out.json"), "--precision", "fp32",
        ],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = result.stdout.strip().splitlines()
    assert table[0].replace(" ", "") == "||Top-KPassages|1|5|" and len(table) == 4
    figures = json.loads((tmp_path / "out.json").read_text())["reports"]
    assert len(figures) == 2 and all(r["questions"] == 10 for r in figures)
    assert len(list(read_questions(qfile))) == 10
