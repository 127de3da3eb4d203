"""Encoder arithmetic: what the CPU can do, which precision "auto" means, and the int8 model.

fp32 is the exact recipe; bf16 runs under autocast (see :class:`rdr_search.encoders.towers.TextEncoder`);
int8 is the quantised copy of a model that :func:`quantize_int8` makes.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from rdr_search.encoders.spec import PRECISIONS
from rdr_search.errors import ModelLoadError

if TYPE_CHECKING:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear


def _cpu_flags() -> str | None:
    """The text of /proc/cpuinfo (Linux), which lists the CPU flags; None where it cannot be read."""
    with contextlib.suppress(OSError):
        return Path("/proc/cpuinfo").read_text()
    return None


def cpu_has_native_bf16() -> bool:
    """True when the CPU runs bf16 matrix products natively (AVX512-BF16 or AMX)."""
    if torch.backends.cpu.get_cpu_capability() in ("AVX512_BF16", "AMX"):
        return True
    flags = _cpu_flags()
    return flags is not None and ("avx512_bf16" in flags or "amx_bf16" in flags)


def cpu_has_vnni() -> bool:
    """True when the CPU has 8-bit dot-product instructions (AVX512-VNNI or AVX-VNNI)."""
    flags = _cpu_flags()
    if flags is None:
        return torch.backends.cpu.get_cpu_capability() in ("AVX512_BF16", "AMX")
    return "avx512_vnni" in flags or "avx_vnni" in flags


def int8_available() -> bool:
    """True when torch can run dynamically quantised int8 linear layers on this CPU (fbgemm/x86 kernels)."""
    quantization = getattr(getattr(torch, "ao", None), "quantization", None)
    if quantization is None or not hasattr(quantization, "quantize_dynamic"):
        return False
    engines = torch.backends.quantized.supported_engines
    return any(engine in engines for engine in ("x86", "fbgemm"))


def resolve_precision(precision: str, device: torch.device, runtime: str = "torch") -> str:
    """'auto' picks the fastest path proven accurate on this device and runtime; fp32 is the exact one.

    torch, on a CPU with native bf16: bf16. On real weights (all-MiniLM-L6-v2 over squad-dev-a) it keeps min
    cosine 1.0000 and recall within 0.02 points of fp32; torch's int8 is only ~10% faster and moved recall by
    up to 0.52 points on one machine (benchmarks/bench_encode.py), so it is offered, not chosen.
    OpenVINO, on a CPU with 8-bit dot products (VNNI): int8 (int8 weights, activations quantised in groups of
    32): min cosine 0.998 and recall within 0.3 points of fp32, and the fastest path measured.
    Elsewhere fp32 (bf16 without hardware support is emulated and slow). CUDA: fp32.
    """
    if precision not in PRECISIONS:
        raise ModelLoadError(f"Unknown precision '{precision}'. Use one of: {', '.join(PRECISIONS)}.")
    if precision == "int8" and device.type != "cpu":
        raise ModelLoadError("Precision 'int8' runs on the CPU only. Use --device cpu, or --precision fp32/bf16.")
    if precision == "int8" and runtime == "torch" and not int8_available():
        raise ModelLoadError(
            "Precision 'int8' needs torch's quantised kernels, which this torch build lacks. "
            "Use --runtime openvino, or --precision fp32/bf16."
        )
    if precision != "auto":
        return precision
    if device.type == "cpu" and runtime == "openvino" and cpu_has_vnni():
        return "int8"
    if device.type == "cpu" and cpu_has_native_bf16():
        return "bf16"
    return "fp32"


class _Bf16Linear(torch.nn.Module):
    """A linear layer kept out of int8: bf16 weights and product (fp32 where the CPU lacks bf16), fp32 bias."""

    def __init__(self, linear: torch.nn.Linear, dtype: torch.dtype) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(linear.weight.detach().to(dtype), requires_grad=False)
        bias = linear.bias.detach().float() if linear.bias is not None else None
        self.bias = torch.nn.Parameter(bias, requires_grad=False) if bias is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.nn.functional.linear(x.to(self.weight.dtype), self.weight).float()
        return y + self.bias if self.bias is not None else y


@functools.cache
def _int8_linear_class() -> type[DynamicLinear]:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    class Int8Linear(DynamicLinear):
        """torch's dynamic int8 linear, with the full 8-bit activation range.

        (torch always passes reduce_range=True, i.e. 7-bit activations, to stay clear of 16-bit saturation
        on CPUs without VNNI. With VNNI the products accumulate in 32 bits. Without it (AVX2 only) the 7th bit
        costs more than the rare saturation: on all-MiniLM-L6-v2 over 50 real passages, min cosine against
        fp32 was 0.985 with 7-bit activations and 0.992 with 8-bit ones on an AVX2-only AMD EPYC.)
        """

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            packed = self._packed_params._packed_params
            return torch.ops.quantized.linear_dynamic(x, packed, reduce_range=False).to(x.dtype)

    return Int8Linear


def _keep_down_projections(model: torch.nn.Module, dtype: torch.dtype) -> None:
    """Swap every linear layer with in_features > out_features for a :class:`_Bf16Linear` of ``dtype``."""
    kept = {
        name
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and module.in_features > module.out_features
    }
    for name in kept:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, _Bf16Linear(getattr(parent, child), dtype))


def quantize_int8(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``model`` whose linear layers run in int8, except the sensitive ones.

    int8: weights per output channel, activations per batch (dynamic), full 8-bit range.
    Kept in bf16 (fp32 without native bf16): down-projections (in_features > out_features, i.e. each
    feed-forward output layer), whose inputs carry the activation outliers that cost most accuracy on
    real BERT weights (all-MiniLM-L6-v2: min cosine 0.990 all-int8, 0.995 with these kept).
    Embeddings, layer norms and attention stay in fp32.
    """
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    engines = torch.backends.quantized.supported_engines
    if torch.backends.quantized.engine not in ("x86", "fbgemm"):
        torch.backends.quantized.engine = "x86" if "x86" in engines else "fbgemm"
    model = copy.deepcopy(model)
    _keep_down_projections(model, torch.bfloat16 if cpu_has_native_bf16() else torch.float32)
    with warnings.catch_warnings():
        # torch.ao.quantization warns that it is deprecated in favour of torchao; it still ships and works.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        quantized = quantize_dynamic(
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True
        )
    int8_linear = _int8_linear_class()
    for module in quantized.modules():
        if type(module) is DynamicLinear:
            module.__class__ = int8_linear
    return quantized
