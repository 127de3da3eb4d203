"""rdr_search.evaluation.run: answer recall over a DPR collection (same figures as a brute-force ranking,
resumable encoding) or a library; the package itself stays light."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.evaluation import (
    QAPair,
    answer_recall,
    encode_collection,
    evaluate_collection,
    evaluate_library,
    read_collection,
)
from rdr_search.library import Library
from rdr_search.settings import Settings
from tests.data import REPO, write_small_collection

EXACT = Settings(precision="fp32")


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), EXACT)


@pytest.fixture()
def small_collection(tmp_path: Path) -> tuple[Path, list[QAPair]]:
    """The first 60 squad-dev-a paragraphs and 40 questions written from them, in DPR's formats."""
    return write_small_collection(tmp_path)


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


def test_package_stays_light() -> None:
    # Importing the evaluation package must not pull in heavy ML libraries: run.py imports them when it runs
    # (checked in a fresh interpreter, on this checkout).
    code = (
        "import sys, rdr_search.evaluation; "
        "bad = [m for m in ('torch', 'transformers', 'faiss') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
