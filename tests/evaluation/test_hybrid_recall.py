"""On real questions, hybrid search beats both of its halves (the claim the README's table makes in full)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.evaluation import evaluate_collection_modes
from rdr_search.records import SearchMode
from rdr_search.settings import Settings
from tests.data import write_small_collection


@pytest.mark.slow
def test_hybrid_answer_recall_is_at_least_the_better_half(minilm_dir: Path, tmp_path: Path) -> None:
    collection, questions = write_small_collection(tmp_path, passages=100, questions=1000)
    sample = questions[::4]  # evenly spread over the paragraphs (questions come paragraph by paragraph)
    pair = EncoderPair(EncoderSpec.single(str(minilm_dir)), Settings(device="cpu", precision="fp32"))
    dense, keyword, hybrid = (
        report.recall
        for report in evaluate_collection_modes(
            pair, sample, collection, tmp_path / "work", modes=list(SearchMode), ks=(1, 5, 20)
        )
    )
    assert len(sample) > 200
    for k in (1, 5, 20):
        assert hybrid[k] >= max(dense[k], keyword[k]), (k, dense, keyword, hybrid)
    assert hybrid[1] > max(dense[1], keyword[1])  # strictly better where it matters most
