"""Encoders: parity with the model card recipe, clear load errors, a real sentence encoder."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import (
    BertConfig,
    BertModel,
    DPRContextEncoder,
    DPRContextEncoderTokenizerFast,
    DPRQuestionEncoder,
    DPRQuestionEncoderTokenizerFast,
)

from rdr_search.encoders import EncoderIdentity, EncoderPair, EncoderSpec
from rdr_search.errors import ModelLoadError
from rdr_search.settings import Settings

EXACT = Settings(precision="fp32", batch_size=4)
SQUAD = Path(__file__).resolve().parents[2] / "shared" / "data" / "squad-dev-a"

TITLES = ["Treaty of Versailles", "Photosynthesis", "", "A very long one"]
TEXTS = [
    "The treaty was signed in 1919 at the Palace of Versailles.",
    "Plants turn light into chemical energy.",
    "An untitled passage with some words.",
    "word " * 400,  # truncated to 256 tokens
]


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), EXACT)


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
    pair: EncoderPair, tiny_pair: tuple[Path, Path]
) -> None:
    expected_passages, expected_questions = model_card_vectors(*tiny_pair)
    batched = pair.encode_passages(TITLES, TEXTS)
    one_by_one = np.concatenate([pair.encode_passages([t], [x]) for t, x in zip(TITLES, TEXTS, strict=True)])
    np.testing.assert_allclose(batched, expected_passages, atol=1e-5)
    np.testing.assert_allclose(one_by_one, expected_passages, atol=1e-5)
    np.testing.assert_allclose(pair.encode_questions(TEXTS), expected_questions, atol=1e-5)
    assert batched.dtype == np.float32 and batched.shape == (4, pair.dim)


def test_identity_is_the_checkpoint_content_not_its_path(
    pair: EncoderPair, tiny_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    moved_ctx, moved_question = tmp_path / "c", tmp_path / "q"
    shutil.copytree(tiny_pair[0], moved_ctx)
    shutil.copytree(tiny_pair[1], moved_question)
    moved = EncoderPair(EncoderSpec.pair(str(moved_ctx), str(moved_question)), EXACT)
    assert moved.identity == pair.identity
    assert EncoderIdentity.from_json(pair.identity.to_json()) == pair.identity
    swapped_lengths = EncoderPair(
        EncoderSpec.pair(str(moved_ctx), str(moved_question)), Settings(precision="fp32", ctx_max_length=128)
    )
    assert swapped_lengths.identity.key != pair.identity.key


def test_a_missing_folder_names_the_option_not_a_repo_id(tmp_path: Path, tiny_pair: tuple[Path, Path]) -> None:
    for bad in (str(tmp_path / "nope"), "./models/rdr-ctx", "models/a/b"):
        with pytest.raises(ModelLoadError) as err:
            EncoderPair(EncoderSpec.pair(bad, str(tiny_pair[1])), EXACT)
        message = str(err.value)
        assert "does not exist" in message and "--ctx-encoder" in message and "Repo id" not in message


def test_a_folder_without_a_checkpoint_is_explained(tmp_path: Path, tiny_pair: tuple[Path, Path]) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="no config.json"):
        EncoderPair(EncoderSpec.pair(str(tmp_path / "empty"), str(tiny_pair[1])), EXACT)


def test_question_encoder_given_as_context_encoder_is_refused(tiny_pair: tuple[Path, Path]) -> None:
    ctx, question = tiny_pair
    with pytest.raises(ModelLoadError, match="swap --ctx-encoder and --question-encoder"):
        EncoderPair(EncoderSpec.pair(str(question), str(ctx)), EXACT)


def test_a_checkpoint_of_another_architecture_is_refused(tmp_path: Path, tiny_pair: tuple[Path, Path]) -> None:
    bert_dir = tmp_path / "bert"
    BertModel(
        BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    ).save_pretrained(bert_dir)
    shutil.copy(tiny_pair[0] / "tokenizer.json", bert_dir / "tokenizer.json")
    with pytest.raises(ModelLoadError, match="BertModel"):
        EncoderPair(EncoderSpec.pair(str(bert_dir), str(tiny_pair[1])), EXACT)


def test_weights_missing_from_the_checkpoint_are_refused(tmp_path: Path, tiny_pair: tuple[Path, Path]) -> None:
    """A config that claims DPRContextEncoder over weights that are not its own would load as random numbers."""
    fake = tmp_path / "fake-ctx"
    shutil.copytree(tiny_pair[1], fake)
    config = json.loads((fake / "config.json").read_text())
    config["architectures"] = ["DPRContextEncoder"]
    (fake / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="weights are missing"):
        EncoderPair(EncoderSpec.pair(str(fake), str(tiny_pair[1])), EXACT)


def test_unreachable_hub_model_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(ModelLoadError) as err:
        EncoderPair(EncoderSpec(), EXACT)
    message = str(err.value)
    assert "soheeyang/rdr-ctx_encoder-single-nq-base" in message
    for fix in ("hf download", "--model-dir", "HF_HUB_OFFLINE", "--ctx-encoder"):
        assert fix in message


def test_model_dir_resolves_hub_ids_to_local_folders(tmp_path: Path, tiny_pair: tuple[Path, Path]) -> None:
    shutil.copytree(tiny_pair[0], tmp_path / "rdr-ctx_encoder-single-nq-base")
    shutil.copytree(tiny_pair[1], tmp_path / "rdr-question_encoder-single-nq-base")
    spec = EncoderSpec.from_options(model_dir=tmp_path)
    assert spec is not None and spec.ctx_encoder == str(tmp_path / "rdr-ctx_encoder-single-nq-base")
    assert EncoderPair(spec, EXACT).dim == 32
    with pytest.raises(ModelLoadError, match="go together"):
        EncoderSpec.from_options(ctx_encoder="x")
    with pytest.raises(ModelLoadError, match="Unknown encoder preset"):
        EncoderSpec.preset("rdr-imaginary")


@pytest.mark.slow
def test_single_tower_matches_sentence_transformers(minilm_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    pair = EncoderPair(EncoderSpec.single(str(minilm_dir)), EXACT)
    reference = SentenceTransformer(str(minilm_dir), device="cpu")
    sentences = ["A short one.", "A much longer sentence about the treaty that ended the war in 1919. " * 5]
    np.testing.assert_allclose(pair.encode_questions(sentences), reference.encode(sentences), atol=1e-5)


@pytest.mark.slow
def test_real_sentence_encoder_ranks_the_right_paragraph_first(minilm_dir: Path) -> None:
    """Real semantics offline: questions about squad-dev-a paragraphs find their own paragraph."""
    with (SQUAD / "passages.tsv").open(newline="", encoding="utf-8") as handle:
        all_rows = list(csv.DictReader(handle, delimiter="\t"))
    rows = list({row["title"]: row for row in reversed(all_rows)}.values())  # first paragraph of each article
    questions = [json.loads(line) for line in (SQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    wanted = {row["id"] for row in rows}
    sample = [q for q in questions if str(q["passage_id"]) in wanted][::2][:25]
    pair = EncoderPair(EncoderSpec.single(str(minilm_dir)), EXACT)
    vectors = pair.encode_passages([r["title"] for r in rows], [r["text"] for r in rows])
    scores = pair.encode_questions([q["question"] for q in sample]) @ vectors.T
    top = [rows[i]["id"] for i in scores.argmax(axis=1)]
    correct = sum(top_id == str(q["passage_id"]) for top_id, q in zip(top, sample, strict=True))
    assert len(sample) == 25 and correct >= 20, f"{correct}/25 questions found their paragraph first"
