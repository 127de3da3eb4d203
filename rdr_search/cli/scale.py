"""The ``encode-collection`` command: a passage collection encoded into resumable shards by a Ray Data job
(the ``scale`` extra); ``rdr-search eval --collection FILE --work-dir DIR`` then reuses the shards, and
``import-shards`` bulk-loads them into a library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rdr_search.cli.options import DEFAULT_LIBRARY, EncoderOptions, LibraryOption, encoder_options, fail

CollectionArgument = Annotated[
    Path, typer.Argument(help="DPR passage file (id<TAB>text<TAB>title), e.g. psgs_w100.tsv.")
]
OutOption = Annotated[Path, typer.Option("--out", help="Shard folder (the --work-dir of a later eval).")]
ShardsOption = Annotated[
    int | None, typer.Option("--shards", min=1, help="Cut the collection into N shards (default: 10,000 rows each).")
]
WorkersOption = Annotated[int, typer.Option("--workers", min=1, help="Encoder actors (one model each).")]
CpusOption = Annotated[float, typer.Option("--cpus-per-worker", min=0.01, help="CPUs each actor takes from Ray.")]
GpusOption = Annotated[float, typer.Option("--gpus-per-worker", min=0.0, help="GPUs each actor takes (0: CPU).")]


@encoder_options("preset", "ctx_encoder", "question_encoder", "sentence_encoder", "model_dir", "device", "precision")
def encode_collection(
    collection: CollectionArgument,
    out: OutOption = Path("data/eval"),
    shards: ShardsOption = None,
    workers: WorkersOption = 1,
    cpus_per_worker: CpusOption = 1.0,
    gpus_per_worker: GpusOption = 0.0,
    *,
    encoders: EncoderOptions,
) -> None:
    """Encode a passage collection as a Ray Data job into resumable shards (local Ray, or RAY_ADDRESS's cluster)."""
    if not collection.is_file():
        raise fail(f"No collection file at {collection}.")
    try:
        from rdr_search.evaluation.sharded import Workers, encode_collection_sharded
    except ImportError as exc:
        raise fail(f"encode-collection needs Ray: pip install 'rdr-search[scale]' ({exc})") from None
    from rdr_search.encoders import EncoderSpec

    run = encode_collection_sharded(
        encoders.spec() or EncoderSpec(), collection, out, settings=encoders.settings(), shards=shards,
        workers=Workers(workers, cpus_per_worker, gpus_per_worker),
    )  # fmt: skip
    typer.echo(
        f"{run.passages:,} passages in {run.encoded_shards + run.reused_shards} shards under {run.folder}: "
        f"{run.encoded_shards} encoded now ({run.encoded_passages:,} passages, {run.passages_per_second:.1f} "
        f"passages/s), {run.reused_shards} reused."
    )


@encoder_options("preset", "ctx_encoder", "question_encoder", "model_dir", "device", "index", "index_uri")
def import_shards(
    shard_dir: Annotated[Path, typer.Argument(help="A shard folder (encode-collection's --out, or one pair's in it).")],
    library: LibraryOption = DEFAULT_LIBRARY,
    collection: Annotated[
        Path | None, typer.Option("--collection", help="The passage file, if not where the shards' manifest says.")
    ] = None,
    *,
    encoders: EncoderOptions,
) -> None:
    """Bulk-load an encoded collection into a library (one document per title, the shards' vectors: nothing is
    encoded), FAISS or --index milvus; a rerun adds nothing new. The encoder options are needed only for shards
    that do not name their pair."""
    from rdr_search.library.shards_import import import_shards as load

    result = load(library, shard_dir, collection, encoders=encoders.spec(), settings=encoders.settings())
    typer.echo(result.summary())
