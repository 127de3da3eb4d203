"""The ``rdr-search`` command: library commands (:mod:`.library`) and ``eval`` (:mod:`.evaluate`).

Options shared by the commands live in :mod:`.options`. Importing this package loads no model code, so
``rdr-search --help`` answers at once; each command imports what it needs when it runs.
"""

from __future__ import annotations

import os
import sys

import typer

from rdr_search.cli import keep, library
from rdr_search.cli.evaluate import evaluate
from rdr_search.cli.scale import encode_collection, import_shards
from rdr_search.errors import RdrSearchError

__all__ = ["app", "main"]

app = typer.Typer(
    name="rdr-search",
    help="Semantic search over your own documents with the RDR retriever.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(library.add)
app.command()(library.search)
app.command(name="list")(library.list_documents)
app.command()(library.remove)
app.command(name="add-encoders")(library.add_encoders)
app.command()(library.check)
app.command(name="eval")(evaluate)
app.command(name="export-library")(keep.export_library)
app.command(name="import-library")(keep.import_library)
app.command()(keep.reindex)
app.command()(keep.watch)
app.command(name="encode-collection")(encode_collection)
app.command(name="import-shards")(import_shards)


def main() -> None:
    """Console entry point: user errors print one clear message, never a traceback."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        app()
    except RdrSearchError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.secho("Interrupted; every document committed before this point is kept.", err=True)
        sys.exit(130)
