"""What to load and what the vectors are: encoder specs, named presets, precisions and vector identity.

Light on purpose: this module imports neither torch nor transformers, so options can be checked and
libraries described without loading a model.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from rdr_search.errors import ModelLoadError

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
of the linear layers (int8 weights per output channel, int8 activations quantised on the fly; CPU only). Faster paths
return float32 vectors too; their accuracy on real weights is checked in tests/encoders/test_precision.py."""
RUNTIMES = ("auto", "torch", "openvino")
"""What executes the towers: torch (the reference; "auto" means it), or OpenVINO (fp32, bf16 or int8; the
towers converted once per checkpoint and cached). Parity with torch on real weights: tests/encoders/test_runtimes.py."""


def is_hub_id(ref: str) -> bool:
    """'namespace/name' with nothing that marks a filesystem path."""
    if ref.startswith((".", "/", "~")) or "\\" in ref or os.path.isabs(ref):
        return False
    parts = ref.split("/")
    return len(parts) == 2 and all(parts)


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
            return str(candidate) if is_hub_id(ref) and candidate.is_dir() else ref

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
    runtime: str = "torch"

    @property
    def key(self) -> str:
        """A short stable hash of the identity, used to name vector sets."""
        fields = asdict(self)
        if fields["runtime"] == "torch":
            del fields["runtime"]  # torch is the reference: its vector sets keep the keys made before runtimes
        blob = json.dumps(fields, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def to_json(self) -> str:
        """The identity as stored beside a vector set."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> EncoderIdentity:
        """The identity that :meth:`to_json` wrote."""
        return cls(**json.loads(text))

    def differences(self, other: EncoderIdentity) -> list[str]:
        """Names of the fields that differ, for error messages."""
        mine, theirs = asdict(self), asdict(other)
        return [name for name in mine if mine[name] != theirs[name]]
