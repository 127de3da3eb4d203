"""Loading one encoder checkpoint (hub id or local folder) with checks whose messages name the fix.

A tower's role is "ctx" or "question" (the two sides of a DPR pair) or "single" (one sentence encoder for
both). This is the only module of rdr_search that imports transformers, and only inside the functions that load.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from rdr_search.encoders.availability import fix_message, hub_offline
from rdr_search.encoders.spec import is_hub_id
from rdr_search.errors import ModelLoadError

_DPR_ARCH = {"ctx": "DPRContextEncoder", "question": "DPRQuestionEncoder"}
_ROLE_NAME = {"ctx": "context encoder", "question": "question encoder", "single": "sentence encoder"}
_ROLE_FLAG = {"ctx": "--ctx-encoder", "question": "--question-encoder", "single": "--sentence-encoder"}
_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


def checkpoint_hash(model: torch.nn.Module, tokenizer: Any) -> str:
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


def check_local_dir(path: Path, role: str) -> None:
    """Refuse a folder that cannot hold a checkpoint, saying what is wrong with it."""
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
    if not any((path / name).is_file() for name in _WEIGHT_FILES):
        raise ModelLoadError(f"'{path}' has a config.json but no weights (model.safetensors or pytorch_model.bin).")


def _tower_classes(role: str) -> tuple[Any, Any]:
    """(model class, tokenizer class): DPR checkpoints need their own classes, AutoModel picks the wrong head."""
    from transformers import (
        AutoModel,
        AutoTokenizer,
        DPRContextEncoder,
        DPRContextEncoderTokenizerFast,
        DPRQuestionEncoder,
        DPRQuestionEncoderTokenizerFast,
    )

    return {
        "ctx": (DPRContextEncoder, DPRContextEncoderTokenizerFast),
        "question": (DPRQuestionEncoder, DPRQuestionEncoderTokenizerFast),
        "single": (AutoModel, AutoTokenizer),
    }[role]


def _from_pretrained(ref: str, role: str, hub: bool) -> tuple[Any, dict[str, Any], Any]:
    """(model, loading info, tokenizer); a failure becomes a ModelLoadError that says how to fix it."""
    what = _ROLE_NAME[role]
    model_cls, tokenizer_cls = _tower_classes(role)
    try:
        with _quiet_transformers():
            model, info = model_cls.from_pretrained(ref, output_loading_info=True)
            tokenizer = tokenizer_cls.from_pretrained(ref)
    except OSError as exc:
        if not hub:
            raise ModelLoadError(f"Could not load the {what} from '{ref}': {exc}") from exc
        why = (
            "HF_HUB_OFFLINE is set and it is not in the local cache"
            if hub_offline()
            else "the Hugging Face hub could not be reached and it is not in the local cache"
        )
        raise ModelLoadError(f"Could not load the {what} '{ref}': {why}.\n{fix_message([(role, ref)])}") from exc
    except (ValueError, KeyError, RuntimeError) as exc:
        raise ModelLoadError(f"Could not load the {what} from '{ref}': {exc}") from exc
    return model, info, tokenizer


def _check_architecture(model: Any, ref: str, role: str) -> None:
    """A DPR tower must be the side it was given as; a swapped pair gets a hint."""
    architectures = list(getattr(model.config, "architectures", None) or [])
    expected = _DPR_ARCH.get(role)
    if expected is None or not architectures or expected in architectures:
        return
    other = "question" if role == "ctx" else "ctx"
    hint = (
        f" It is a DPR {_ROLE_NAME[other]}: swap --ctx-encoder and --question-encoder."
        if _DPR_ARCH[other] in architectures
        else ""
    )
    raise ModelLoadError(
        f"'{ref}' was given as the {_ROLE_NAME[role]} ({_ROLE_FLAG[role]}) but is a "
        f"{', '.join(architectures)} checkpoint.{hint}"
    )


def _check_complete(ref: str, role: str, info: dict[str, Any], tokenizer: Any) -> None:
    """Missing weights would silently encode with random numbers; a tiny vocab means a broken tokenizer."""
    missing = sorted(info.get("missing_keys") or [])
    if missing:
        raise ModelLoadError(
            f"'{ref}' does not hold the weights of a {_ROLE_NAME[role]}: {len(missing)} weights are missing "
            f"(e.g. {missing[0]}), so it would encode with random numbers. Check {_ROLE_FLAG[role]}."
        )
    if len(tokenizer) < 100:
        raise ModelLoadError(f"The tokenizer of '{ref}' has only {len(tokenizer)} tokens; its vocab is broken.")


def load_tower(ref: str, role: str) -> tuple[torch.nn.Module, Any]:
    """Load one tower (in eval mode) and its tokenizer; every failure is a message that names the fix."""
    hub = is_hub_id(ref) and not Path(ref).exists()
    if not hub:
        check_local_dir(Path(ref).expanduser(), role)
        ref = str(Path(ref).expanduser())
    model, info, tokenizer = _from_pretrained(ref, role, hub)
    _check_architecture(model, ref, role)
    _check_complete(ref, role, info, tokenizer)
    model.eval()
    return model, tokenizer


def sentence_transformers_setup(path: Path) -> tuple[str, bool, int | None]:
    """Pooling mode, whether vectors are normalised, and max length, as a sentence-transformers folder declares."""
    pooling, normalize, max_length = "mean", False, None
    modules_file = path / "modules.json"
    if modules_file.is_file():
        modules = json.loads(modules_file.read_text())
        normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
        for module in modules:
            if module.get("type", "").endswith("Pooling"):
                pooling = _declared_pooling(path / module.get("path", "1_Pooling") / "config.json", pooling)
    bert_config = path / "sentence_bert_config.json"
    if bert_config.is_file():
        max_length = json.loads(bert_config.read_text()).get("max_seq_length")
    return pooling, normalize, max_length


def _declared_pooling(config_file: Path, default: str) -> str:
    if not config_file.is_file():
        return default
    config = json.loads(config_file.read_text())
    if config.get("pooling_mode_cls_token"):
        return "cls"
    if config.get("pooling_mode_max_tokens"):
        return "max"
    return default


def resolve_device(device: str) -> torch.device:
    """'auto' is CUDA when present, else the CPU; an unusable device is refused with the fix."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ModelLoadError(f"Unknown device '{device}'. Use auto, cpu or cuda.") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError(f"Device '{device}' was asked for, but no CUDA GPU is available. Use --device cpu.")
    return resolved
