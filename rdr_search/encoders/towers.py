"""One encoder tower: tokens in, float32 vectors out, batched by length with the original order kept."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rdr_search.encoders.loading import checkpoint_hash
from rdr_search.encoders.precision import quantize_int8
from rdr_search.encoders.runtimes import OpenVinoTower, RuntimeForward, default_cache_dir

Tokens = list[tuple[int, int]]
"""One tokenized input: (token id, segment id) per token."""

ProgressCallback = Callable[[int], object]
"""Called with the number of inputs each finished batch encoded."""


def pooled_vectors(output: Any, attention_mask: torch.Tensor, pooling: str, normalize: bool) -> torch.Tensor:
    """float32 vectors (batch, dim) from a model's ``output``, L2-normalised if asked.

    ``pooling``: "dpr" is DPR's pooler_output (the raw [CLS] state, projected if the checkpoint has a
    projection), "cls" the [CLS] state, "max" and "mean" a max or a mean over real tokens (sentence-transformers'
    modes).
    """
    if pooling == "dpr":
        vectors = output.pooler_output
    elif pooling == "cls":
        vectors = output.last_hidden_state[:, 0]
    elif pooling == "max":
        hidden = output.last_hidden_state.masked_fill(~attention_mask.bool()[..., None], float("-inf"))
        vectors = hidden.max(dim=1).values
    else:  # mean over real tokens, as sentence-transformers does
        mask = attention_mask[..., None].to(output.last_hidden_state.dtype)
        vectors = (output.last_hidden_state * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
    vectors = vectors.float()
    if normalize:
        vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
    return vectors


def padded_batches(
    tokens: Sequence[Tokens], batch_size: int, pad_id: int = 0
) -> Iterator[tuple[list[int], np.ndarray, np.ndarray, np.ndarray]]:
    """(row numbers, ids, attention mask, segment ids) per batch, longest inputs first so each batch pads
    little; the row numbers put results back in the original order."""
    order = sorted(range(len(tokens)), key=lambda i: -len(tokens[i]))
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        width = len(tokens[rows[0]])
        ids = np.full((len(rows), width), pad_id, dtype=np.int64)
        types = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, row in enumerate(rows):
            seq = tokens[row]
            ids[r, : len(seq)] = [t[0] for t in seq]
            types[r, : len(seq)] = [t[1] for t in seq]
            mask[r, : len(seq)] = 1
        yield rows, ids, mask, types


def _vector_dim(model: torch.nn.Module, pooling: str) -> int:
    config: Any = model.config
    if pooling == "dpr":
        # DPR's pooler projects to projection_dim when the checkpoint has one (0 means no projection).
        return int(getattr(config, "projection_dim", 0) or 0) or int(config.hidden_size)
    return int(config.hidden_size)


class TextEncoder:
    """One tower: tokenizes, length-sorts, batches with dynamic padding, returns float32 vectors."""

    def __init__(
        self,
        model: torch.nn.Module,
        tokenizer: Any,
        *,
        pooling: str,
        normalize: bool,
        max_length: int,
        device: torch.device,
        precision: str,
        runtime: str = "torch",
        runtime_cache: Path | None = None,
    ) -> None:
        """``runtime`` "openvino" converts the tower (or reuses its cached conversion under ``runtime_cache``)."""
        self.model = model.to(device)
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.normalize = normalize
        self.max_length = max_length
        self.device = device
        self.precision = precision
        # The hash is of the checkpoint as loaded (before any quantisation): precision is a separate identity field.
        self.checkpoint_hash = checkpoint_hash(model, tokenizer)
        self.dim = _vector_dim(model, pooling)
        if precision == "int8" and runtime == "torch":  # OpenVINO quantises its own converted graph
            self.model = quantize_int8(self.model)
        self.runtime = runtime
        self.compiled: RuntimeForward | None = None
        if runtime == "openvino":
            self.compiled = OpenVinoTower(
                self.model,
                pooling=pooling,
                normalize=normalize,
                checkpoint_hash=self.checkpoint_hash,
                precision=precision,
                cache_dir=runtime_cache or default_cache_dir(),
            )

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """The arithmetic context of this tower's precision (bf16 autocast, or nothing)."""
        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> Any:
        """Pooled float32 vectors of one padded batch (call under :meth:`autocast` and inference mode)."""
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return pooled_vectors(out, attention_mask, self.pooling, self.normalize)

    def tokenize(self, texts: Sequence[str], pairs: Sequence[str] | None = None) -> list[Tokens]:
        """(token id, segment id) per token of each input (``pairs``: second segments), truncated to ``max_length``."""
        kwargs: dict[str, Any] = {"truncation": True, "max_length": self.max_length}
        if pairs is None:
            encoded = self.tokenizer(list(texts), **kwargs)
        else:
            encoded = self.tokenizer(list(texts), list(pairs), **kwargs)
        ids_per_input = encoded["input_ids"]
        types_per_input = encoded.get("token_type_ids") or [[0] * len(ids) for ids in ids_per_input]
        return [list(zip(ids, types, strict=True)) for ids, types in zip(ids_per_input, types_per_input, strict=True)]

    def encode_tokens(
        self,
        tokens: Sequence[Tokens],
        batch_size: int,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Encode tokenized inputs, longest first so each batch pads little; original order is kept."""
        result = np.empty((len(tokens), self.dim), dtype=np.float32)
        for rows, ids, mask, types in padded_batches(tokens, batch_size, self.tokenizer.pad_token_id or 0):
            result[rows] = self._batch_vectors(ids, mask, types)
            if progress is not None:
                progress(len(rows))
        return result

    def _batch_vectors(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        if self.compiled is not None:
            return self.compiled(ids, mask, types)
        with torch.inference_mode(), self.autocast():
            vectors = self.forward(
                torch.from_numpy(ids).to(self.device),
                torch.from_numpy(mask).to(self.device),
                torch.from_numpy(types).to(self.device),
            )
        return vectors.cpu().numpy()
