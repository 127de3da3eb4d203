"""Loading checkpoints: identity from content, and load errors that name the fix."""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path

import pytest
from transformers import BertConfig, BertModel

from rdr_search.encoders import EncoderIdentity, EncoderPair, EncoderSpec
from rdr_search.encoders.availability import HUB_TIMEOUT_S, check_available
from rdr_search.errors import ModelLoadError
from rdr_search.settings import Settings

EXACT = Settings(precision="fp32", batch_size=4)


def test_identity_is_the_checkpoint_content_not_its_path(
    exact_pair: EncoderPair, tiny_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    moved_ctx, moved_question = tmp_path / "c", tmp_path / "q"
    shutil.copytree(tiny_pair[0], moved_ctx)
    shutil.copytree(tiny_pair[1], moved_question)
    moved = EncoderPair(EncoderSpec.pair(str(moved_ctx), str(moved_question)), EXACT)
    assert moved.identity == exact_pair.identity
    assert EncoderIdentity.from_json(exact_pair.identity.to_json()) == exact_pair.identity
    swapped_lengths = EncoderPair(
        EncoderSpec.pair(str(moved_ctx), str(moved_question)), Settings(precision="fp32", ctx_max_length=128)
    )
    assert swapped_lengths.identity.key != exact_pair.identity.key


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
    # Both towers are named, so fetching one does not lead straight into the same wall for the other.
    assert "hf download soheeyang/rdr-question_encoder-single-nq-base" in message
    for fix in ("hf download", "--model-dir", "HF_HUB_OFFLINE", "--ctx-encoder", "--question-encoder"):
        assert fix in message
    assert "--sentence-encoder" in message


def test_unreachable_hub_fails_fast_with_one_request(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on: the connection is refused at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(ModelLoadError, match="could not be reached") as err:
        check_available(EncoderSpec.preset("dpr-nq"))
    assert time.monotonic() - started < HUB_TIMEOUT_S
    assert "question encoder 'facebook/dpr-question_encoder-single-nq-base'" in str(err.value)
