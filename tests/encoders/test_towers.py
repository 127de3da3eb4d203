"""Towers: parity with the model card and sentence-transformers, batching, and real semantics offline."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import (
    DPRContextEncoder,
    DPRContextEncoderTokenizerFast,
    DPRQuestionEncoder,
    DPRQuestionEncoderTokenizerFast,
)

from rdr_search.encoders import EncoderPair, EncoderSpec, padded_batches
from rdr_search.settings import Settings
from tests.data import SMALL_QA, needs_squad, squad_or_missing

EXACT = Settings(precision="fp32", batch_size=4)

TITLES = ["Treaty of Versailles", "Photosynthesis", "", "A very long one"]
TEXTS = [
    "The treaty was signed in 1919 at the Palace of Versailles.",
    "Plants turn light into chemical energy.",
    "An untitled passage with some words.",
    "word " * 400,  # truncated to 256 tokens
]


def model_card_vectors(ctx_dir: Path, question_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The recipe from the RDR model card, one input at a time."""
    ctx = DPRContextEncoder.from_pretrained(ctx_dir).eval()
    ctx_tok = DPRContextEncoderTokenizerFast.from_pretrained(ctx_dir)
    question = DPRQuestionEncoder.from_pretrained(question_dir).eval()
    question_tok = DPRQuestionEncoderTokenizerFast.from_pretrained(question_dir)
    with torch.no_grad():
        passages = [
            ctx(**ctx_tok(t, x, truncation=True, max_length=256, return_tensors="pt")).pooler_output[0].numpy()
            for t, x in zip(TITLES, TEXTS, strict=True)
        ]
        questions = [
            question(**question_tok(q, truncation=True, max_length=64, return_tensors="pt")).pooler_output[0].numpy()
            for q in TEXTS
        ]
    return np.stack(passages), np.stack(questions)


def test_fp32_vectors_equal_the_model_card_recipe_batched_and_unbatched(
    exact_pair: EncoderPair, tiny_pair: tuple[Path, Path]
) -> None:
    expected_passages, expected_questions = model_card_vectors(*tiny_pair)
    batched = exact_pair.encode_passages(TITLES, TEXTS)
    one_by_one = np.concatenate([exact_pair.encode_passages([t], [x]) for t, x in zip(TITLES, TEXTS, strict=True)])
    np.testing.assert_allclose(batched, expected_passages, atol=1e-5)
    np.testing.assert_allclose(one_by_one, expected_passages, atol=1e-5)
    np.testing.assert_allclose(exact_pair.encode_questions(TEXTS), expected_questions, atol=1e-5)
    assert batched.dtype == np.float32 and batched.shape == (4, exact_pair.dim)


def test_batches_put_long_inputs_first_and_keep_their_row_numbers() -> None:
    tokens = [[(5, 0)], [(1, 0), (2, 1), (3, 1)], [(7, 0), (8, 0)]]
    batches = list(padded_batches(tokens, batch_size=2, pad_id=9))
    assert [rows for rows, *_ in batches] == [[1, 2], [0]]
    _, ids, mask, types = batches[0]
    assert ids.tolist() == [[1, 2, 3], [7, 8, 9]]
    assert mask.tolist() == [[1, 1, 1], [1, 1, 0]]
    assert types.tolist() == [[0, 1, 1], [0, 0, 0]]


def test_progress_hears_of_every_passage(exact_pair: EncoderPair) -> None:
    counts: list[int] = []
    exact_pair.encode_passages(TITLES * 2, TEXTS * 2, progress=counts.append)
    assert counts == [4, 4]


@pytest.mark.slow
def test_single_tower_matches_sentence_transformers(minilm_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    pair = EncoderPair(EncoderSpec.single(str(minilm_dir)), EXACT)
    reference = SentenceTransformer(str(minilm_dir), device="cpu")
    sentences = ["A short one.", "A much longer sentence about the treaty that ended the war in 1919. " * 5]
    np.testing.assert_allclose(pair.encode_questions(sentences), reference.encode(sentences), atol=1e-5)


def _first_paragraphs(passages_tsv: Path) -> list[dict[str, str]]:
    """The first paragraph of each article (title) of a DPR passages file."""
    with passages_tsv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return list({row["title"]: row for row in reversed(rows)}.values())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("folder", "stride", "asked"),
    [
        pytest.param(SMALL_QA, 1, 24, id="small-qa"),
        pytest.param(squad_or_missing(), 2, 25, id="squad-dev-a", marks=needs_squad),
    ],
)
def test_real_sentence_encoder_ranks_the_right_paragraph_first(
    minilm_dir: Path, folder: Path, stride: int, asked: int
) -> None:
    """Real semantics offline: questions about a paragraph find their own paragraph among the others."""
    rows = _first_paragraphs(folder / "passages.tsv")
    questions = [json.loads(line) for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    wanted = {row["id"] for row in rows}
    sample = [q for q in questions if str(q["passage_id"]) in wanted][::stride][:asked]
    pair = EncoderPair(EncoderSpec.single(str(minilm_dir)), EXACT)
    vectors = pair.encode_passages([r["title"] for r in rows], [r["text"] for r in rows])
    scores = pair.encode_questions([q["question"] for q in sample]) @ vectors.T
    top = [rows[i]["id"] for i in scores.argmax(axis=1)]
    correct = sum(top_id == str(q["passage_id"]) for top_id, q in zip(top, sample, strict=True))
    assert len(sample) == asked and correct >= 0.8 * asked, f"{correct}/{asked} questions found their paragraph first"
