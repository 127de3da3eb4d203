"""The encoders of one retriever: a DPR pair, or one sentence-transformers tower used for both sides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from rdr_search.encoders.availability import check_available
from rdr_search.encoders.loading import check_local_dir, load_tower, resolve_device, sentence_transformers_setup
from rdr_search.encoders.precision import resolve_precision
from rdr_search.encoders.runtimes import resolve_runtime
from rdr_search.encoders.spec import EncoderIdentity, EncoderSpec
from rdr_search.encoders.towers import ProgressCallback, TextEncoder, Tokens
from rdr_search.errors import ModelLoadError
from rdr_search.settings import Settings


@dataclass(frozen=True)
class _Run:
    """Where and how both towers run: device, precision and runtime (with its cache folder)."""

    device: torch.device
    precision: str
    runtime: str
    runtime_cache: Path | None

    def kwargs(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "precision": self.precision,
            "runtime": self.runtime,
            "runtime_cache": self.runtime_cache,
        }


def _dpr_towers(spec: EncoderSpec, settings: Settings, run: _Run) -> tuple[TextEncoder, TextEncoder, str]:
    """(passage tower, question tower, passage format) of a DPR pair: raw pooler_output, no normalisation."""
    ctx_model, ctx_tokenizer = load_tower(spec.ctx_encoder, "ctx")
    question_model, question_tokenizer = load_tower(spec.question_encoder, "question")

    def tower(model: torch.nn.Module, tokenizer: object, max_length: int) -> TextEncoder:
        return TextEncoder(
            model,
            tokenizer,
            pooling="dpr",
            normalize=False,
            max_length=max_length,
            **run.kwargs(),
        )

    ctx = tower(ctx_model, ctx_tokenizer, settings.ctx_max_length)
    question = tower(question_model, question_tokenizer, settings.question_max_length)
    return ctx, question, "dpr-title-text-pair"


def _single_tower(spec: EncoderSpec, settings: Settings, run: _Run) -> tuple[TextEncoder, TextEncoder, str]:
    """The one tower of a sentence-transformers folder, for both sides, with the pooling the folder declares."""
    path = Path(spec.ctx_encoder).expanduser()
    check_local_dir(path, "single")
    model, tokenizer = load_tower(str(path), "single")
    pooling, normalize, declared = sentence_transformers_setup(path)
    encoder = TextEncoder(
        model,
        tokenizer,
        pooling=pooling,
        normalize=normalize,
        max_length=min(settings.ctx_max_length, declared or settings.ctx_max_length),
        **run.kwargs(),
    )
    return encoder, encoder, f"single-{pooling}{'-normalized' if normalize else ''}-title-newline-text"


class EncoderPair:
    """The passage and question encoders of one retriever, with the identity of the vectors they make."""

    def __init__(
        self,
        spec: EncoderSpec,
        settings: Settings | None = None,
        *,
        precision: str | None = None,
        runtime: str | None = None,
    ) -> None:
        """Load both towers. ``precision`` and ``runtime`` override ``settings`` (used to match a stored library)."""
        settings = settings or Settings()
        check_available(spec)  # both towers' checkpoints, before any weights are read
        self.spec = spec
        self.settings = settings
        device = resolve_device(settings.device)
        self.runtime = resolve_runtime(runtime or settings.runtime, device)
        self.precision = resolve_precision(precision or settings.precision, device, self.runtime)
        cache = Path(settings.runtime_cache).expanduser() if settings.runtime_cache else None
        run = _Run(device, self.precision, self.runtime, cache)
        if spec.kind == "dpr":
            self.ctx, self.question, passage_format = _dpr_towers(spec, settings, run)
        elif spec.kind == "single":
            self.ctx, self.question, passage_format = _single_tower(spec, settings, run)
        else:
            raise ModelLoadError(f"Unknown encoder kind '{spec.kind}' (use 'dpr' or 'single').")
        if self.ctx.dim != self.question.dim:
            raise ModelLoadError(
                f"The encoders do not fit together: passages get {self.ctx.dim}-d vectors, questions "
                f"{self.question.dim}-d."
            )
        self.identity = EncoderIdentity(
            kind=spec.kind,
            ctx_checkpoint=self.ctx.checkpoint_hash,
            question_checkpoint=self.question.checkpoint_hash,
            precision=self.precision,
            ctx_max_length=self.ctx.max_length,
            question_max_length=self.question.max_length,
            passage_format=passage_format,
            dim=self.ctx.dim,
            runtime=self.runtime,
        )
        # Warm both towers so the first real request pays no one-off initialisation.
        self.encode_questions(["warm up"])

    @property
    def dim(self) -> int:
        """Length of every vector this pair makes."""
        return self.ctx.dim

    def tokenize_passages(self, titles: Sequence[str], texts: Sequence[str]) -> list[Tokens]:
        """Passages as the encoder sees them: DPR's (title, text) pair, or 'title\\ntext' for one tower."""
        if self.spec.kind == "dpr":
            return self.ctx.tokenize(titles, texts)
        joined = [f"{title}\n{text}" if title else text for title, text in zip(titles, texts, strict=True)]
        return self.ctx.tokenize(joined)

    def encode_passages(
        self,
        titles: Sequence[str],
        texts: Sequence[str],
        *,
        progress: ProgressCallback | bool = False,
    ) -> np.ndarray:
        """Vectors (n, dim) float32 for passages; ``progress=True`` shows a tqdm bar, a callable gets counts."""
        tokens = self.tokenize_passages(titles, texts)
        if progress is True:
            with tqdm(total=len(tokens), desc="Encoding passages", unit="passage") as bar:
                return self.ctx.encode_tokens(tokens, self.settings.batch_size, bar.update)
        return self.ctx.encode_tokens(tokens, self.settings.batch_size, progress or None)

    def encode_questions(self, questions: Sequence[str]) -> np.ndarray:
        """Vectors (n, dim) float32 for questions."""
        return self.question.encode_tokens(self.question.tokenize(questions), self.settings.batch_size)

    def describe(self) -> str:
        """One line for people: names, precision (and runtime, unless torch) and device."""
        recipe = self.precision if self.runtime == "torch" else f"{self.precision}, {self.runtime}"
        if self.spec.kind == "single":
            return f"{self.spec.ctx_encoder} (single tower, {recipe}, {self.ctx.device})"
        return f"{self.spec.name}: {self.spec.ctx_encoder} + {self.spec.question_encoder} ({recipe}, {self.ctx.device})"
