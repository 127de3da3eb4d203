"""Encoded passage collections on disk: one folder per encoder identity, holding shard files.

``WORK_DIR/<identity key>/manifest.json`` names the collection, the shard size and the encoder identity
(``encoders.json`` beside it, which encoders made them, so ``import-shards`` needs no model to name the pair);
``shard-00000.npz`` ... each hold a run of consecutive collection rows: their passage ids, their vectors and
the identity key. A shard is written to a temp file and renamed, so it exists whole or not at all: a run that
stops keeps every finished shard and the next one (single process or a Ray job) encodes only the rest.
Nothing here imports torch or Ray.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np

from rdr_search.evaluation.formats import CollectionPassage, iter_collection_rows

DEFAULT_SHARD_SIZE = 10_000
MANIFEST = "manifest.json"
ENCODERS = "encoders.json"


@dataclass(frozen=True)
class ShardPlan:
    """Where shard ``number`` starts in the collection file (a byte offset) and how many rows it holds."""

    number: int
    offset: int
    rows: int


@dataclass(frozen=True)
class Shard:
    """One shard read back: passage ids in collection order and their vectors (n, dim)."""

    ids: list[str]
    vectors: np.ndarray


def manifest_for(collection: str | Path, shard_size: int, identity: str) -> dict[str, object]:
    """What a shard folder records about how its shards were made."""
    return {"collection": str(Path(collection).resolve()), "shard_size": shard_size, "identity": identity}


def prepare_folder(work_dir: str | Path, key: str, manifest: dict[str, object]) -> Path:
    """The shard folder of encoder ``key``; shards made for another collection, size or identity are deleted."""
    from rdr_search.index import write_atomically

    folder = Path(work_dir) / key
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST
    if path.is_file() and _read_json(path) != manifest:
        for old in folder.glob("shard-*.npz"):
            old.unlink()
    write_atomically(path, json.dumps(manifest).encode())
    return folder


def recorded_shard_size(work_dir: str | Path, key: str, collection: str | Path) -> int | None:
    """The shard size of shards already made for ``collection`` by encoder ``key`` (so a run reuses them)."""
    manifest = _read_json(Path(work_dir) / key / MANIFEST)
    if isinstance(manifest, dict) and manifest.get("collection") == str(Path(collection).resolve()):
        size = manifest.get("shard_size")
        return size if isinstance(size, int) and size > 0 else None
    return None


def write_encoders(folder: Path, ctx_encoder: str, question_encoder: str, kind: str, name: str) -> None:
    """Record which encoders made the shards (beside the manifest, so older folders stay valid): a library
    created from the shards can then load the pair later without being told."""
    from rdr_search.index import write_atomically

    refs = {"ctx_encoder": ctx_encoder, "question_encoder": question_encoder, "kind": kind, "name": name}
    write_atomically(folder / ENCODERS, json.dumps(refs).encode())


def read_manifest(folder: Path) -> dict[str, object] | None:
    """The manifest of a shard folder, or None when there is none."""
    manifest = _read_json(folder / MANIFEST)
    return manifest if isinstance(manifest, dict) else None


def read_encoders(folder: Path) -> dict[str, str] | None:
    """The encoder references :func:`write_encoders` recorded, or None (a folder made before they were)."""
    refs = _read_json(folder / ENCODERS)
    if isinstance(refs, dict) and all(isinstance(refs.get(k), str) for k in ("ctx_encoder", "question_encoder")):
        return {str(k): str(v) for k, v in refs.items()}
    return None


def shard_path(folder: Path, number: int) -> Path:
    return folder / f"shard-{number:05d}.npz"


def write_shard(path: Path, ids: list[str], vectors: np.ndarray, key: str) -> None:
    """Write one shard whole (temp file, then rename)."""
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, ids=np.array(ids, dtype=str), vectors=vectors, identity=np.array(key))
    tmp.replace(path)


def read_shard(path: Path, key: str) -> Shard | None:
    """The shard at ``path`` if it is there, readable and made by encoder ``key``; else None (encode it again)."""
    try:
        with np.load(path) as saved:
            if str(saved["identity"]) != key:
                return None
            return Shard([str(i) for i in saved["ids"]], saved["vectors"])
    except (OSError, ValueError, KeyError):
        return None


def plan_shards(
    collection: str | Path, shard_size: int = DEFAULT_SHARD_SIZE, shards: int | None = None
) -> list[ShardPlan]:
    """Cut the collection into shards of ``shard_size`` rows (or into ``shards`` about equal ones), in one pass
    (two with ``shards``: the rows are counted first)."""
    if shards is not None:
        if shards < 1:
            raise ValueError("the number of shards must be at least 1")
        total = sum(1 for _ in iter_collection_rows(collection))
        shard_size = max(1, math.ceil(total / shards))
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    plans: list[ShardPlan] = []
    start, rows = 0, 0
    for _, end in iter_collection_rows(collection):
        rows += 1
        if rows == shard_size:
            plans.append(ShardPlan(len(plans), start, rows))
            start, rows = end, 0
    if rows:
        plans.append(ShardPlan(len(plans), start, rows))
    return plans


def read_planned(collection: str | Path, plan: ShardPlan) -> list[CollectionPassage]:
    """The rows of one planned shard, read from its offset."""
    return [p for p, _ in islice(iter_collection_rows(collection, offset=plan.offset), plan.rows)]


def iter_shards(folder: Path, key: str) -> Iterator[Shard]:
    """Every shard of a complete folder, in collection order; a gap or a foreign shard is an error."""
    paths = sorted(folder.glob("shard-*[0-9].npz"))
    for number, path in enumerate(paths):
        shard = read_shard(path, key) if path == shard_path(folder, number) else None
        if shard is None:
            raise ValueError(f"{shard_path(folder, number)} is missing or unreadable; run the encoding again to finish")
        yield shard


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
