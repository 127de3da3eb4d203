"""Text encoders: passages and questions in, vectors whose inner product ranks passages out.

The default is the RDR pair, loaded as DPR context and question encoders; one sentence-transformers model
from a local folder also works, so the app can run with real semantics where the hub is unreachable.

- :mod:`~rdr_search.encoders.spec`: what to load (:class:`EncoderSpec`, presets, precisions) and what makes
  two vector sets comparable (:class:`EncoderIdentity`); imports neither torch nor transformers.
- :mod:`~rdr_search.encoders.loading`: a checkpoint from a hub id or folder, with checks that name the fix.
- :mod:`~rdr_search.encoders.precision`: which arithmetic "auto" means here; the int8 model.
- :mod:`~rdr_search.encoders.runtimes`: what executes a tower: torch, or OpenVINO (converted once, cached).
- :mod:`~rdr_search.encoders.towers`: one tower (:class:`TextEncoder`): pooling and length-sorted batches.
- :mod:`~rdr_search.encoders.pair`: :class:`EncoderPair`, the two towers of one retriever.

This package is the only part of rdr_search that imports transformers. Names are imported lazily, so
importing the package (or its spec) does not load torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rdr_search.encoders.pair import EncoderPair
    from rdr_search.encoders.precision import (
        cpu_has_native_bf16,
        cpu_has_vnni,
        int8_available,
        quantize_int8,
        resolve_precision,
    )
    from rdr_search.encoders.runtimes import openvino_available, resolve_runtime
    from rdr_search.encoders.spec import (
        DEFAULT_PRESET,
        PRECISIONS,
        PRESETS,
        RDR_CTX,
        RDR_QUESTION,
        RUNTIMES,
        EncoderIdentity,
        EncoderSpec,
    )
    from rdr_search.encoders.towers import ProgressCallback, TextEncoder, Tokens, padded_batches

_WHERE = {
    "DEFAULT_PRESET": "spec",
    "PRECISIONS": "spec",
    "PRESETS": "spec",
    "RDR_CTX": "spec",
    "RDR_QUESTION": "spec",
    "RUNTIMES": "spec",
    "EncoderIdentity": "spec",
    "EncoderSpec": "spec",
    "cpu_has_native_bf16": "precision",
    "cpu_has_vnni": "precision",
    "int8_available": "precision",
    "quantize_int8": "precision",
    "resolve_precision": "precision",
    "openvino_available": "runtimes",
    "resolve_runtime": "runtimes",
    "ProgressCallback": "towers",
    "TextEncoder": "towers",
    "Tokens": "towers",
    "padded_batches": "towers",
    "EncoderPair": "pair",
}

__all__ = [
    "DEFAULT_PRESET",
    "PRECISIONS",
    "PRESETS",
    "RDR_CTX",
    "RDR_QUESTION",
    "RUNTIMES",
    "EncoderIdentity",
    "EncoderPair",
    "EncoderSpec",
    "ProgressCallback",
    "TextEncoder",
    "Tokens",
    "cpu_has_native_bf16",
    "cpu_has_vnni",
    "int8_available",
    "openvino_available",
    "padded_batches",
    "quantize_int8",
    "resolve_precision",
    "resolve_runtime",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'rdr_search.encoders' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
