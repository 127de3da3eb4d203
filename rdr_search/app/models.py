"""How the app names its models to people: on a public deployment, never by their server folders."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdr_search.encoders import EncoderPair, EncoderSpec


def public_model_name(ref: str) -> str:
    """A model as visitors may see it: a hub id as is; a local folder by its last two names (e.g.
    ``models/rdr-ctx``), never the server path above them."""
    parts = [p for p in ref.replace("\\", "/").split("/") if p not in ("", ".", "~")]
    return "/".join(parts[-2:])


def describe_pair(pair: EncoderPair, public: bool) -> str:
    """One line naming a loaded pair, its precision and device (folders shortened when ``public``)."""
    if not public:
        return pair.describe()
    spec = pair.spec
    device = getattr(getattr(pair, "ctx", None), "device", "cpu")
    if spec.kind == "single":
        return f"{public_model_name(spec.ctx_encoder)} (single tower, {pair.precision}, {device})"
    return (
        f"{spec.name}: {public_model_name(spec.ctx_encoder)} + {public_model_name(spec.question_encoder)} "
        f"({pair.precision}, {device})"
    )


def pair_name(pair: EncoderPair | None, spec: EncoderSpec | None, public: bool, unknown: str) -> str:
    """A loaded pair's description; before loading, its spec's name; ``unknown`` without either."""
    if pair is not None:
        return describe_pair(pair, public)
    return spec.name if spec is not None else unknown
