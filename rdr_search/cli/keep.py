"""Keeping a library: export-library, import-library, reindex and watch (a thin layer over the library)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rdr_search.cli.options import DEFAULT_LIBRARY, LOADING_OPTIONS, EncoderOptions, LibraryOption, encoder_options


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
