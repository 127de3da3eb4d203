"""Keeping a library: export-library, import-library, reindex and watch (a thin layer over the library)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rdr_search.cli.options import (
    DEFAULT_LIBRARY,
    LOADING_OPTIONS,
    EncoderOptions,
    LibraryOption,
    encoder_options,
    fail,
)


@encoder_options(*LOADING_OPTIONS)
def export_library(
    out: Annotated[Path, typer.Argument(help="The archive file to write, e.g. my-library.rdrlib.")],
    library: LibraryOption = DEFAULT_LIBRARY,
    *,
    encoders: EncoderOptions,
) -> None:
    """Write the whole library to one file: documents, passages, keyword index, every vector set's vectors,
    the encoder identities and kept PDF originals. No model is loaded."""
    from rdr_search.library.archive import export_library as export

    with encoders.open_library(library) as lib:
        result = export(lib, out)
    typer.echo(result.summary())


@encoder_options(*LOADING_OPTIONS)
def import_library(
    archive: Annotated[Path, typer.Argument(help="An archive written by export-library.")],
    library: LibraryOption = DEFAULT_LIBRARY,
    *,
    encoders: EncoderOptions,
) -> None:
    """Import an archive: into a new or empty library whole (the same hits as where it came from), into a
    library with the same encoder pair merged by content. An archive of another pair is refused."""
    from rdr_search.library import DB_NAME
    from rdr_search.library.archive_import import import_library as merge

    if (library / DB_NAME).is_file():
        with encoders.open_library(library) as lib:
            result = merge(lib, archive)
    else:  # a new library takes the archive's own pair: nothing to load
        result = merge(library, archive, encoders.settings())
    for label, names in (("added", result.added), ("replaced", result.replaced), ("duplicate", result.duplicates)):
        for name in names:
            typer.echo(f"{label:>9}  {name}")
    typer.echo(result.summary())


@encoder_options()
def reindex(
    library: LibraryOption = DEFAULT_LIBRARY,
    passage_words: Annotated[int | None, typer.Option(min=1, help="Cut passages to about this many words.")] = None,
    overlap_sentences: Annotated[int | None, typer.Option(min=0, help="Sentences repeated between passages.")] = None,
    language: Annotated[str | None, typer.Option(help="Sentence-splitting language code.")] = None,
    keep_old: Annotated[bool, typer.Option(help="Keep the old pair's vectors (it can still be opened).")] = False,
    *,
    encoders: EncoderOptions,
) -> None:
    """Rebuild the library for another encoder pair (--preset, --ctx-encoder/--question-encoder,
    --sentence-encoder, --precision) or other chunking (--passage-words, --overlap-sentences, --language).
    Searches keep using the old vectors until the new ones are complete; an interrupted run changes nothing
    and resumes where it stopped."""
    import dataclasses

    from rdr_search.library.reindex import open_for_reindex, rechunk, reindex_encoders

    given: dict[str, object] = {"passage_words": passage_words, "overlap_sentences": overlap_sentences}
    given["language"] = language
    chunking: dict[str, Any] = {name: value for name, value in given.items() if value is not None}
    spec = encoders.spec()
    if spec is None and encoders.precision == "auto" and not chunking:
        raise fail("Say what changes: encoder options (--preset, --ctx-encoder, ..., --precision) or chunking options.")
    # Opened at "auto" precision: the stored pair is found whatever precision the new one asks for.
    opening = dataclasses.replace(encoders.settings(), precision="auto")
    with open_for_reindex(library, opening) as lib:
        if spec is not None or encoders.precision != "auto":
            from rdr_search.encoders.pair import EncoderPair
            from rdr_search.encoders.spec import EncoderSpec

            record = lib._store.vector_set(lib._primary)
            assert record is not None
            base = spec or EncoderSpec(record.ctx_encoder, record.question_encoder, record.kind, record.name)
            pair = EncoderPair(base.with_model_dir(encoders.model_dir), encoders.settings())
            typer.echo(reindex_encoders(lib, pair, keep_old=keep_old).summary())
        if chunking:
            typer.echo(rechunk(lib, dataclasses.replace(lib.settings, **chunking)).summary())


@encoder_options()
def watch(
    folder: Annotated[Path, typer.Argument(help="The folder to keep the library in step with.")],
    library: LibraryOption = DEFAULT_LIBRARY,
    poll: Annotated[float, typer.Option(min=0.05, help="Seconds between scans of the folder.")] = 2.0,
    quiet: Annotated[float, typer.Option(min=0, help="Seconds a change must settle before it is read.")] = 3.0,
    *,
    encoders: EncoderOptions,
) -> None:
    """Keep the library in step with FOLDER: files added, changed, deleted or renamed there are reflected
    (a rename encodes nothing), one log line per change. Ctrl-C stops."""
    import logging
    import signal

    from rdr_search.library.watch import FolderWatch

    logging.basicConfig(format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("rdr_search.watch").setLevel(logging.INFO)
    with encoders.open_library(library) as lib:
        watcher = FolderWatch(lib, folder, poll_s=poll, quiet_s=quiet)
        signal.signal(signal.SIGTERM, lambda *_: watcher.stop(timeout=0))
        try:
            watcher.run()
        except KeyboardInterrupt:  # between two files: every document committed so far is kept
            logging.getLogger("rdr_search.watch").info("stopped watching %s", watcher.folder)
