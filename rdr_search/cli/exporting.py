"""``search --format csv|json|md [--output FILE]``: the hits as an export with citations (see rdr_search.export)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from rdr_search.cli.options import fail
from rdr_search.export import EXPORT_FORMATS, check_format, export_bytes, export_hits
from rdr_search.records import Hit

_SUFFIXES = {".csv": "csv", ".json": "json", ".md": "md", ".markdown": "md"}

FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="Export the hits with citations: csv, json (with the question, mode and time) or md.",
        show_default=False,
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "-o", "--output", help="Write the export to this file (its suffix picks the format when --format is not given)."
    ),
]


def export_format(fmt: str | None, output: Path | None, as_json: bool) -> str | None:
    """The export format the options ask for (None: the readable listing or --json's hit list)."""
    if as_json and (fmt is not None or output is not None):
        raise fail("--json prints the plain hit list; for an export with citations use --format json (and --output).")
    if fmt is not None:
        try:
            return check_format(fmt)
        except ValueError:
            raise fail(f"--format is one of {', '.join(EXPORT_FORMATS)} (got {fmt!r})") from None
    if output is None:
        return None
    if output.suffix.lower() not in _SUFFIXES:
        raise fail(f"Name the format of {output.name}: --format {'|'.join(EXPORT_FORMATS)}.")
    return _SUFFIXES[output.suffix.lower()]


def write_export(hits: Sequence[Hit], question: str, fmt: str, output: Path | None) -> None:
    """The export on stdout, or in ``output`` (CSV files start with a UTF-8 byte-order mark for spreadsheets)."""
    if output is None:
        typer.echo(export_hits(hits, question, fmt), nl=False)
        return
    try:
        output.write_bytes(export_bytes(hits, question, fmt))
    except OSError as exc:
        raise fail(f"Cannot write {output}: {exc.strerror or exc}") from exc
    typer.echo(f"wrote {len(hits)} hits ({fmt}) to {output}")
