"""Text encoders: the only module that imports transformers.

An :class:`EncoderPair` turns passages and questions into vectors whose inner product ranks passages.
The default is the RDR pair, loaded with ``DPRContextEncoder`` / ``DPRQuestionEncoder`` (AutoModel
picks the wrong head for these checkpoints). A single-tower sentence-embedding model from a local
directory is also supported, so the app can run with real semantics where the hub is unreachable.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from rdr_search.errors import ModelLoadError
from rdr_search.settings import Settings

RDR_CTX = "soheeyang/rdr-ctx_encoder-single-nq-base"
RDR_QUESTION = "soheeyang/rdr-question_encoder-single-nq-base"

PRESETS: dict[str, tuple[str, str]] = {
    "rdr-nq": (RDR_CTX, RDR_QUESTION),
    "rdr-trivia": (
        "soheeyang/rdr-ctx_encoder-single-trivia-base",
        "soheeyang/rdr-question_encoder-single-trivia-base",
    ),
    "dpr-nq": ("facebook/dpr-ctx_encoder-single-nq-base", "facebook/dpr-question_encoder-single-nq-base"),
    "dpr-multiset": ("facebook/dpr-ctx_encoder-multiset-base", "facebook/dpr-question_encoder-multiset-base"),
}
DEFAULT_PRESET = "rdr-nq"
PRECISIONS = ("auto", "fp32", "bf16", "int8")
"""Encoder arithmetic: fp32 is exact (the model card recipe); bf16 is autocast; int8 is dynamic quantisation
of every linear layer (int8 weights per output channel, int8 activations per batch; CPU only). Faster paths
return float32 vectors too; their accuracy on real weights is checked in tests/test_precision.py."""

_DPR_ARCH = {"ctx": "DPRContextEncoder", "question": "DPRQuestionEncoder"}
_ROLE_NAME = {"ctx": "context encoder", "question": "question encoder", "single": "sentence encoder"}
_ROLE_FLAG = {"ctx": "--ctx-encoder", "question": "--question-encoder", "single": "--sentence-encoder"}


@dataclass(frozen=True)
class EncoderSpec:
    """Which encoders to load: a DPR-style pair (``kind="dpr"``) or one sentence-embedding model
    used for both sides (``kind="single"``). References are hub ids or local directories."""

    ctx_encoder: str = RDR_CTX
    question_encoder: str = RDR_QUESTION
    kind: str = "dpr"
    name: str = DEFAULT_PRESET

    @classmethod
    def preset(cls, name: str) -> EncoderSpec:
        """A named pair: rdr-nq (default), rdr-trivia, dpr-nq, dpr-multiset."""
        if name not in PRESETS:
            raise ModelLoadError(f"Unknown encoder preset '{name}'. Choose one of: {', '.join(PRESETS)}.")
        ctx, question = PRESETS[name]
        return cls(ctx, question, "dpr", name)

    @classmethod
    def pair(cls, ctx_encoder: str, question_encoder: str) -> EncoderSpec:
        """Any DPR-format pair (hub ids or local directories)."""
        for preset, refs in PRESETS.items():
            if refs == (ctx_encoder, question_encoder):
                return cls.preset(preset)
        return cls(ctx_encoder, question_encoder, "dpr", "custom")

    @classmethod
    def single(cls, model: str) -> EncoderSpec:
        """One sentence-transformers model (local directory) for questions and passages."""
        path = Path(model)
        # Packaged models often sit in a folder called "model": name them by their package instead.
        name = f"{path.parent.name}/{path.name}" if path.name in ("model", "models", "checkpoint") else path.name
        return cls(model, model, "single", name or "single")

    @classmethod
    def from_options(
        cls,
        preset: str | None = None,
        ctx_encoder: str | None = None,
        question_encoder: str | None = None,
        sentence_encoder: str | None = None,
        model_dir: str | Path | None = None,
    ) -> EncoderSpec | None:
        """The spec that command-line or app options ask for; None when they name nothing (use the default,
        or the pair an existing library was built with)."""
        if sentence_encoder:
            if ctx_encoder or question_encoder or preset:
                raise ModelLoadError("Give either --sentence-encoder or a DPR pair (--preset/--ctx-encoder), not both.")
            return cls.single(sentence_encoder)
        if bool(ctx_encoder) != bool(question_encoder):
            raise ModelLoadError(
                "--ctx-encoder and --question-encoder go together: a retriever needs both halves of one pair."
            )
        if ctx_encoder and question_encoder:
            spec = cls.pair(ctx_encoder, question_encoder)
        elif preset:
            spec = cls.preset(preset)
        elif model_dir:
            spec = cls()
        else:
            return None
        return spec.with_model_dir(model_dir)

    def with_model_dir(self, model_dir: str | Path | None) -> EncoderSpec:
        """Resolve hub ids to ``model_dir/<repo name>`` where such a folder exists (offline installs)."""
        if model_dir is None:
            return self
        base = Path(model_dir).expanduser()

        def resolve(ref: str) -> str:
            candidate = base / ref.split("/")[-1]
            return str(candidate) if _is_hub_id(ref) and candidate.is_dir() else ref

        return EncoderSpec(resolve(self.ctx_encoder), resolve(self.question_encoder), self.kind, self.name)


@dataclass(frozen=True)
class EncoderIdentity:
    """What makes two vector sets comparable: checkpoint contents and the encoding recipe."""

    kind: str
    ctx_checkpoint: str
    question_checkpoint: str
    precision: str
    ctx_max_length: int
    question_max_length: int
    passage_format: str
    dim: int

    @property
    def key(self) -> str:
        """A short stable hash of the identity, used to name vector sets."""
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> EncoderIdentity:
        return cls(**json.loads(text))

    def differences(self, other: EncoderIdentity) -> list[str]:
        """Names of the fields that differ, for error messages."""
        mine, theirs = asdict(self), asdict(other)
        return [name for name in mine if mine[name] != theirs[name]]


def _is_hub_id(ref: str) -> bool:
    """'namespace/name' with nothing that marks a filesystem path."""
    if ref.startswith((".", "/", "~")) or "\\" in ref or os.path.isabs(ref):
        return False
    parts = ref.split("/")
    return len(parts) == 2 and all(parts)


def _hub_fix(ref: str, flag: str) -> str:
    folder = f"models/{ref.split('/')[-1]}"
    return (
        "How to fix it (any one):\n"
        f"  - download it once while online:  hf download {ref}\n"
        "    (it is then read from the Hugging Face cache; set HF_HUB_OFFLINE=1 to skip the network check)\n"
        f"  - or download it into a folder:  hf download {ref} --local-dir {folder}\n"
        f"    and start with  --model-dir models  (or  {flag} {folder})\n"
        "  - or copy an existing Hugging Face cache (~/.cache/huggingface/hub) from a machine that has it."
    )


def _checkpoint_hash(model: torch.nn.Module, tokenizer: Any) -> str:
    """Content hash of weights and vocabulary, so a moved or renamed checkpoint keeps its identity."""
    digest = hashlib.blake2b(digest_size=16)
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        data = tensor.detach().to("cpu").contiguous()
        digest.update(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"")
    vocab = sorted(tokenizer.get_vocab().items())
    digest.update(json.dumps(vocab).encode())
    return digest.hexdigest()


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """transformers prints a long load report for mismatched weights; we report problems ourselves."""
    from transformers.utils import logging as hf_logging

    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(previous)


def _check_local_dir(path: Path, role: str) -> None:
    what, flag = _ROLE_NAME[role], _ROLE_FLAG[role]
    if not path.exists():
        raise ModelLoadError(f"The {what} folder '{path}' does not exist. Check the path given to {flag}.")
    if not path.is_dir():
        raise ModelLoadError(f"The {what} '{path}' is a file; {flag} takes a checkpoint folder.")
    if not (path / "config.json").is_file():
        raise ModelLoadError(
            f"'{path}' is not a model checkpoint folder (no config.json). Point {flag} at a folder "
            "saved with save_pretrained or downloaded with `hf download ... --local-dir`."
        )
    weights = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
    if not any((path / name).is_file() for name in weights):
        raise ModelLoadError(f"'{path}' has a config.json but no weights (model.safetensors or pytorch_model.bin).")


def _load(ref: str, role: str) -> tuple[torch.nn.Module, Any]:
    """Load one tower and its tokenizer, turning every failure into a message that names the fix."""
    from transformers import (
        AutoModel,
        AutoTokenizer,
        DPRContextEncoder,
        DPRContextEncoderTokenizerFast,
        DPRQuestionEncoder,
        DPRQuestionEncoderTokenizerFast,
    )

    what, flag = _ROLE_NAME[role], _ROLE_FLAG[role]
    hub = _is_hub_id(ref) and not Path(ref).exists()
    if not hub:
        _check_local_dir(Path(ref).expanduser(), role)
        ref = str(Path(ref).expanduser())
    model_cls, tok_cls = {
        "ctx": (DPRContextEncoder, DPRContextEncoderTokenizerFast),
        "question": (DPRQuestionEncoder, DPRQuestionEncoderTokenizerFast),
        "single": (AutoModel, AutoTokenizer),
    }[role]
    try:
        with _quiet_transformers():
            model, info = model_cls.from_pretrained(ref, output_loading_info=True)
            tokenizer = tok_cls.from_pretrained(ref)
    except OSError as exc:
        if hub:
            offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
            why = (
                "HF_HUB_OFFLINE is set and it is not in the local cache"
                if offline
                else "the Hugging Face hub could not be reached and it is not in the local cache"
            )
            raise ModelLoadError(f"Could not load the {what} '{ref}': {why}.\n{_hub_fix(ref, flag)}") from exc
        raise ModelLoadError(f"Could not load the {what} from '{ref}': {exc}") from exc
    except (ValueError, KeyError, RuntimeError) as exc:
        raise ModelLoadError(f"Could not load the {what} from '{ref}': {exc}") from exc

    architectures = list(getattr(model.config, "architectures", None) or [])
    if role in _DPR_ARCH:
        expected = _DPR_ARCH[role]
        if architectures and expected not in architectures:
            other = "question" if role == "ctx" else "ctx"
            hint = (
                f" It is a DPR {_ROLE_NAME[other]}: swap --ctx-encoder and --question-encoder."
                if _DPR_ARCH[other] in architectures
                else ""
            )
            raise ModelLoadError(
                f"'{ref}' was given as the {what} ({flag}) but is a {', '.join(architectures)} checkpoint.{hint}"
            )
    missing = sorted(info.get("missing_keys") or [])
    if missing:
        raise ModelLoadError(
            f"'{ref}' does not hold the weights of a {what}: {len(missing)} weights are missing "
            f"(e.g. {missing[0]}), so it would encode with random numbers. Check {flag}."
        )
    if len(tokenizer) < 100:
        raise ModelLoadError(f"The tokenizer of '{ref}' has only {len(tokenizer)} tokens; its vocab is broken.")
    model.eval()
    return model, tokenizer


def _resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ModelLoadError(f"Unknown device '{device}'. Use auto, cpu or cuda.") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError(f"Device '{device}' was asked for, but no CUDA GPU is available. Use --device cpu.")
    return resolved


def cpu_has_native_bf16() -> bool:
    """True when the CPU runs bf16 matrix products natively (AVX512-BF16 or AMX)."""
    capability = torch.backends.cpu.get_cpu_capability()
    if capability in ("AVX512_BF16", "AMX"):
        return True
    with contextlib.suppress(OSError):
        flags = Path("/proc/cpuinfo").read_text()
        return "avx512_bf16" in flags or "amx_bf16" in flags
    return False


def cpu_has_vnni() -> bool:
    """True when the CPU has 8-bit dot-product instructions (AVX512-VNNI or AVX-VNNI)."""
    with contextlib.suppress(OSError):
        flags = Path("/proc/cpuinfo").read_text()
        return "avx512_vnni" in flags or "avx_vnni" in flags
    return torch.backends.cpu.get_cpu_capability() in ("AVX512_BF16", "AMX")


def int8_available() -> bool:
    """True when torch can run dynamically quantised int8 linear layers on this CPU (fbgemm/x86 kernels)."""
    quantization = getattr(getattr(torch, "ao", None), "quantization", None)
    if quantization is None or not hasattr(quantization, "quantize_dynamic"):
        return False
    engines = torch.backends.quantized.supported_engines
    return any(engine in engines for engine in ("x86", "fbgemm"))


def resolve_precision(precision: str, device: torch.device) -> str:
    """'auto' picks the fastest path proven accurate on this device; fp32 is the exact one.

    On a CPU with native bf16 that is bf16: on real weights (all-MiniLM-L6-v2 over squad-dev-a) it keeps min
    cosine 1.0000 and recall within 0.02 points of fp32. int8 is ~15% faster but moved recall@5 by 0.52
    points, just outside the 0.5 bound (benchmarks/bench_encode.py), so it is offered, not chosen. Elsewhere
    fp32 (bf16 without hardware support is emulated and slow). CUDA: fp32.
    """
    if precision not in PRECISIONS:
        raise ModelLoadError(f"Unknown precision '{precision}'. Use one of: {', '.join(PRECISIONS)}.")
    if precision == "int8" and device.type != "cpu":
        raise ModelLoadError("Precision 'int8' runs on the CPU only. Use --device cpu, or --precision fp32/bf16.")
    if precision == "int8" and not int8_available():
        raise ModelLoadError("Precision 'int8' needs torch's quantised kernels, which this torch build lacks.")
    if precision != "auto":
        return precision
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
def _int8_linear_class(full_range: bool) -> type[torch.nn.Module]:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    class Int8Linear(DynamicLinear):
        """torch's dynamic int8 linear, with the full 8-bit activation range where VNNI makes it safe.

        (torch always passes reduce_range=True, i.e. 7-bit activations, to stay clear of 16-bit saturation
        on CPUs without VNNI; with VNNI the products accumulate in 32 bits and the 8th bit halves the error.)
        """

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            packed = self._packed_params._packed_params
            return torch.ops.quantized.linear_dynamic(x, packed, reduce_range=not full_range).to(x.dtype)

    return Int8Linear


def quantize_int8(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``model`` whose linear layers run in int8, except the sensitive ones.

    int8: weights per output channel, activations per batch (dynamic), full 8-bit range on VNNI CPUs.
    Kept in bf16 (fp32 without native bf16): down-projections (in_features > out_features, i.e. each
    feed-forward output layer), whose inputs carry the activation outliers that cost most accuracy on
    real BERT weights (all-MiniLM-L6-v2: min cosine 0.990 all-int8, 0.995 with these kept).
    Embeddings, layer norms and attention stay in fp32.
    """
    import copy

    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    engines = torch.backends.quantized.supported_engines
    if torch.backends.quantized.engine not in ("x86", "fbgemm"):
        torch.backends.quantized.engine = "x86" if "x86" in engines else "fbgemm"
    model = copy.deepcopy(model)
    keep_dtype = torch.bfloat16 if cpu_has_native_bf16() else torch.float32
    kept = {
        name
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and module.in_features > module.out_features
    }
    for name in kept:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, _Bf16Linear(getattr(parent, child), keep_dtype))
    with warnings.catch_warnings():
        # torch.ao.quantization warns that it is deprecated in favour of torchao; it still ships and works.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        quantized = quantize_dynamic(
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True
        )
    int8_linear = _int8_linear_class(full_range=cpu_has_vnni())
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    for module in quantized.modules():
        if type(module) is DynamicLinear:
            module.__class__ = int8_linear
    return quantized


ProgressCallback = Callable[[int], None]


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
    ) -> None:
        self.model = model.to(device)
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.normalize = normalize
        self.max_length = max_length
        self.device = device
        self.precision = precision
        # The hash is of the checkpoint as loaded (before any quantisation): precision is a separate identity field.
        self.checkpoint_hash = _checkpoint_hash(model, tokenizer)
        self.dim = int(model.config.hidden_size if pooling != "dpr" else _dpr_dim(model))
        if precision == "int8":
            self.model = quantize_int8(self.model)

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> Any:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        if self.pooling == "dpr":
            vectors = out.pooler_output
        elif self.pooling == "cls":
            vectors = out.last_hidden_state[:, 0]
        elif self.pooling == "max":
            hidden = out.last_hidden_state.masked_fill(~attention_mask.bool()[..., None], float("-inf"))
            vectors = hidden.max(dim=1).values
        else:  # mean over real tokens, as sentence-transformers does
            mask = attention_mask[..., None].to(out.last_hidden_state.dtype)
            vectors = (out.last_hidden_state * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        vectors = vectors.float()
        if self.normalize:
            vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
        return vectors

    def tokenize(self, texts: Sequence[str], pairs: Sequence[str] | None = None) -> list[list[int]]:
        """Token ids (and implicitly segment ids) per input, truncated to ``max_length``."""
        kwargs: dict[str, Any] = {"truncation": True, "max_length": self.max_length}
        if pairs is None:
            encoded = self.tokenizer(list(texts), **kwargs)
        else:
            encoded = self.tokenizer(list(texts), list(pairs), **kwargs)
        return [
            list(zip(ids, types, strict=True))
            for ids, types in zip(
                encoded["input_ids"],
                encoded.get("token_type_ids") or [[0] * len(ids) for ids in encoded["input_ids"]],
                strict=True,
            )
        ]

    def encode_tokens(
        self,
        tokens: Sequence[list[tuple[int, int]]],
        batch_size: int,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Encode tokenized inputs, longest first so each batch pads little; original order is kept."""
        result = np.empty((len(tokens), self.dim), dtype=np.float32)
        for rows, ids, mask, types in padded_batches(tokens, batch_size, self.tokenizer.pad_token_id or 0):
            with torch.inference_mode(), self._autocast():
                vectors = self._forward(
                    torch.from_numpy(ids).to(self.device),
                    torch.from_numpy(mask).to(self.device),
                    torch.from_numpy(types).to(self.device),
                )
            result[rows] = vectors.cpu().numpy()
            if progress is not None:
                progress(len(rows))
        return result


def padded_batches(
    tokens: Sequence[list[tuple[int, int]]], batch_size: int, pad_id: int = 0
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


def _dpr_dim(model: torch.nn.Module) -> int:
    projection = int(getattr(model.config, "projection_dim", 0) or 0)
    return projection or int(model.config.hidden_size)


def _sentence_transformers_setup(path: Path) -> tuple[str, bool, int | None]:
    """Pooling mode, whether vectors are normalised, and max length, as the model folder declares."""
    pooling, normalize, max_length = "mean", False, None
    modules_file = path / "modules.json"
    if modules_file.is_file():
        modules = json.loads(modules_file.read_text())
        normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
        for module in modules:
            if module.get("type", "").endswith("Pooling"):
                config_file = path / module.get("path", "1_Pooling") / "config.json"
                if config_file.is_file():
                    config = json.loads(config_file.read_text())
                    if config.get("pooling_mode_cls_token"):
                        pooling = "cls"
                    elif config.get("pooling_mode_max_tokens"):
                        pooling = "max"
    bert_config = path / "sentence_bert_config.json"
    if bert_config.is_file():
        max_length = json.loads(bert_config.read_text()).get("max_seq_length")
    return pooling, normalize, max_length


class EncoderPair:
    """The passage and question encoders of one retriever, with the identity of the vectors they make."""

    def __init__(self, spec: EncoderSpec, settings: Settings | None = None, *, precision: str | None = None) -> None:
        """Load both towers. ``precision`` overrides ``settings.precision`` (used to match a stored library)."""
        settings = settings or Settings()
        self.spec = spec
        self.settings = settings
        device = _resolve_device(settings.device)
        self.precision = resolve_precision(precision or settings.precision, device)
        if spec.kind == "dpr":
            ctx_model, ctx_tok = _load(spec.ctx_encoder, "ctx")
            q_model, q_tok = _load(spec.question_encoder, "question")
            common = {"pooling": "dpr", "normalize": False, "device": device, "precision": self.precision}
            self.ctx = TextEncoder(ctx_model, ctx_tok, max_length=settings.ctx_max_length, **common)
            self.question = TextEncoder(q_model, q_tok, max_length=settings.question_max_length, **common)
            passage_format = "dpr-title-text-pair"
        elif spec.kind == "single":
            path = Path(spec.ctx_encoder).expanduser()
            _check_local_dir(path, "single")
            model, tokenizer = _load(str(path), "single")
            pooling, normalize, declared = _sentence_transformers_setup(path)
            max_length = min(settings.ctx_max_length, declared or settings.ctx_max_length)
            self.ctx = TextEncoder(
                model,
                tokenizer,
                pooling=pooling,
                normalize=normalize,
                max_length=max_length,
                device=device,
                precision=self.precision,
            )
            self.question = self.ctx
            passage_format = f"single-{pooling}{'-normalized' if normalize else ''}-title-newline-text"
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
        )
        # Warm both towers so the first real request pays no one-off initialisation.
        self.encode_questions(["warm up"])

    @property
    def dim(self) -> int:
        return self.ctx.dim

    def tokenize_passages(self, titles: Sequence[str], texts: Sequence[str]) -> list[list[tuple[int, int]]]:
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
        """Vectors (n, dim) float32 for passages; ``progress=True`` shows a tqdm bar."""
        tokens = self.tokenize_passages(titles, texts)
        if progress is True:
            with tqdm(total=len(tokens), desc="Encoding passages", unit="passage") as bar:
                return self.ctx.encode_tokens(tokens, self.settings.batch_size, bar.update)
        return self.ctx.encode_tokens(tokens, self.settings.batch_size, progress or None)

    def encode_questions(self, questions: Sequence[str]) -> np.ndarray:
        """Vectors (n, dim) float32 for questions."""
        return self.question.encode_tokens(self.question.tokenize(questions), self.settings.batch_size)

    def describe(self) -> str:
        """One line for people: names, precision and device."""
        if self.spec.kind == "single":
            return f"{self.spec.ctx_encoder} (single tower, {self.precision}, {self.ctx.device})"
        return (
            f"{self.spec.name}: {self.spec.ctx_encoder} + {self.spec.question_encoder} "
            f"({self.precision}, {self.ctx.device})"
        )
