"""Runtimes that execute an encoder tower: torch (the reference) or OpenVINO.

An OpenVINO tower is the torch tower converted once per checkpoint, its graph ending in the very vectors the
torch tower pools (DPR: the raw [CLS] ``pooler_output``), and cached on disk under a key made of the
checkpoint's content hash, the pooling, the weight format and the OpenVINO version: a second load converts
nothing. The fp32 and bf16 paths share one IR with fp32 weights (bf16 is applied when it is compiled); int8 has
its own IR, whose matrix weights are int8 with one scale per output channel, and is compiled with the CPU
plugin's dynamic quantisation, so its products run on 8-bit activations.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rdr_search.encoders.spec import RUNTIMES
from rdr_search.errors import ModelLoadError

_FORMAT = "1"
"""Bumped when the converted graph changes, so caches of an older layout are not reused."""

INSTALL_HINT = "pip install openvino  (or: pip install 'rdr-search[openvino]')"


def openvino_available() -> bool:
    """True when the ``openvino`` package can be imported."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_runtime(runtime: str, device: torch.device) -> str:
    """The runtime to use: 'auto' is torch; 'openvino' is refused, saying why, where it cannot run."""
    if runtime not in RUNTIMES:
        raise ModelLoadError(f"Unknown runtime '{runtime}'. Use one of: {', '.join(RUNTIMES)}.")
    if runtime != "openvino":
        return "torch"
    if device.type != "cpu":
        raise ModelLoadError("Runtime 'openvino' runs on the CPU here. Use --device cpu, or --runtime torch.")
    if not openvino_available():
        raise ModelLoadError(f"Runtime 'openvino' needs the openvino package, which is not installed: {INSTALL_HINT}")
    return "openvino"


def default_cache_dir() -> Path:
    """Where converted models are kept: ``$XDG_CACHE_HOME/rdr-search/runtimes`` (``~/.cache`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rdr-search" / "runtimes"


class _Pooled(torch.nn.Module):
    """A tower whose graph ends in its pooled float32 vectors, so the converted model returns exactly those."""

    def __init__(self, model: torch.nn.Module, pooling: str, normalize: bool) -> None:
        super().__init__()
        self.model, self.pooling, self.normalize = model, pooling, normalize

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> Any:
        from rdr_search.encoders.towers import pooled_vectors  # towers imports this module

        out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return pooled_vectors(out, attention_mask, self.pooling, self.normalize)


@dataclass(frozen=True)
class ConvertedModel:
    """Where one converted tower lives, and whether this load made it (False: it came from the cache)."""

    folder: Path
    converted_now: bool

    @property
    def xml(self) -> Path:
        return self.folder / "model.xml"


def cache_key(checkpoint_hash: str, pooling: str, normalize: bool, weights: str = "fp32") -> str:
    """The cache folder name of one tower: its contents, its pooling, its weight format and the converter's version."""
    import openvino

    parts = ("openvino", openvino.__version__, _FORMAT, checkpoint_hash, pooling, str(normalize))
    if weights != "fp32":
        parts += (weights,)  # fp32 keeps the key it had before int8 existed, so its caches stay valid
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def compress_weights_int8(model: Any) -> int:
    """Store the constant weights of every matrix product of ``model`` (an ``openvino.Model``) as int8.

    Symmetric, one fp16 scale per output channel, in the form OpenVINO's CPU plugin recognises as compressed
    weights (int8 constant -> f16 -> x scale -> f32), which it then multiplies against activations quantised
    on the fly. The same layout NNCF's ``compress_weights(INT8_SYM)`` writes, without NNCF and its
    dependencies. Returns how many products were compressed.
    """
    import openvino.opset13 as ops

    compressed = 0
    for node in model.get_ordered_ops():
        if node.get_type_name() != "MatMul":
            continue
        source = node.input_value(1).get_node()
        if source.get_type_name() != "Constant" or len(source.get_output_partial_shape(0)) != 2:
            continue  # attention's products multiply two activations: nothing constant to compress
        weights = source.get_data().astype(np.float32)
        # The output channels are the rows when the product transposes its weights (torch's Linear), else columns.
        reduce_axis = 1 if node.get_attributes()["transpose_b"] else 0
        scale = np.abs(weights).max(axis=reduce_axis, keepdims=True) / 127.0
        scale = np.where(scale == 0, 1.0, scale).astype(np.float16)
        quantised = np.clip(np.rint(weights / scale.astype(np.float32)), -127, 127).astype(np.int8)
        decompressed = ops.multiply(ops.convert(ops.constant(quantised), "f16"), ops.constant(scale))
        node.input(1).replace_source_output(ops.convert(decompressed, "f32").output(0))
        compressed += 1
    model.validate_nodes_and_infer_types()
    return compressed


def convert_openvino(
    model: torch.nn.Module,
    pooling: str,
    normalize: bool,
    checkpoint_hash: str,
    cache_dir: Path,
    weights: str = "fp32",
) -> ConvertedModel:
    """The cached OpenVINO IR of ``model`` with ``weights`` "fp32" or "int8", converting (and caching) it only
    when absent."""
    import openvino

    folder = cache_dir / cache_key(checkpoint_hash, pooling, normalize, weights)
    if (folder / "model.xml").is_file() and (folder / "model.bin").is_file():
        return ConvertedModel(folder, converted_now=False)
    cache_dir.mkdir(parents=True, exist_ok=True)
    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in range(3))
    pooled = _Pooled(model, pooling, normalize).eval()
    staging = Path(tempfile.mkdtemp(prefix=".converting-", dir=cache_dir))
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")  # tracing warnings about data-dependent branches of transformers
            # Tracing here without the re-run check that convert_model's own trace does takes a third of the
            # time; the shapes are made dynamic below and parity with torch is tested.
            traced = torch.jit.trace(pooled, example, check_trace=False, strict=False)
            converted = openvino.convert_model(traced, example_input=example)
        for port, name in zip(converted.inputs, ("input_ids", "attention_mask", "token_type_ids"), strict=True):
            port.get_tensor().set_names({name})
            port.get_node().set_partial_shape(openvino.PartialShape([-1, -1]))
        converted.validate_nodes_and_infer_types()
        if weights == "int8":
            compress_weights_int8(converted)
        # fp16 compression of the saved weights would cost accuracy; precision is chosen at compile time.
        openvino.save_model(converted, str(staging / "model.xml"), compress_to_fp16=False)
        try:
            staging.rename(folder)  # atomic: a concurrent load sees a whole model or none
        except OSError:
            if not (folder / "model.xml").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ConvertedModel(folder, converted_now=True)


class OpenVinoTower:
    """A compiled OpenVINO model of one tower: padded id, mask and segment arrays in, float32 vectors out."""

    def __init__(
        self,
        model: torch.nn.Module,
        *,
        pooling: str,
        normalize: bool,
        checkpoint_hash: str,
        precision: str,
        cache_dir: Path,
    ) -> None:
        """Convert (or reuse the cached conversion of) ``model`` and compile it for the CPU at ``precision``."""
        import openvino

        from rdr_search.encoders.precision import cpu_has_native_bf16

        weights = "int8" if precision == "int8" else "fp32"
        self.converted = convert_openvino(model, pooling, normalize, checkpoint_hash, cache_dir, weights)
        core = openvino.Core()
        # int8: what is not an int8 product (attention, layer norms) runs in bf16 where the CPU has it natively.
        bf16 = precision == "bf16" or (precision == "int8" and cpu_has_native_bf16())
        config: dict[str, Any] = {
            "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32",
            "INFERENCE_NUM_THREADS": torch.get_num_threads(),
            "PERFORMANCE_HINT": "LATENCY",
        }
        if precision == "int8":
            # Activations quantised per group of 32 values: 0 would turn it off and decompress the weights instead.
            config["DYNAMIC_QUANTIZATION_GROUP_SIZE"] = 32
        try:
            self.compiled = core.compile_model(core.read_model(str(self.converted.xml)), "CPU", config)
        except RuntimeError as exc:
            raise ModelLoadError(
                f"OpenVINO could not load the converted model in {self.converted.folder}: {exc}\n"
                "Delete that folder to convert the checkpoint again."
            ) from exc

    def __call__(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        """Vectors (batch, dim) float32 of one padded batch."""
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        # A request per call: requests are not thread-safe, and searches may run while an ingest encodes.
        result = self.compiled.create_infer_request().infer(feeds)
        return np.asarray(result[self.compiled.output(0)], dtype=np.float32)


RuntimeForward = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""What a non-torch runtime offers a tower: one padded batch in, its vectors out."""
