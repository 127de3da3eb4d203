"""Library commands: add, search, list, remove, add-encoders, check (a thin layer over :class:`Library`)."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from rdr_search.cli.exporting import FormatOption, OutputOption, export_format, write_export
from rdr_search.cli.filters import AfterOption, BeforeOption, DocumentOption, ModeOption, TypeOption, search_filters
from rdr_search.cli.guards import add_hint, library_empty, library_ready, not_found, plural
from rdr_search.cli.options import (
    DEFAULT_LIBRARY,
    LOADING_OPTIONS,
    EncoderOptions,
    LibraryOption,
    encoder_options,
    fail,
)

_STATUS_COLORS = {
    "failed": typer.colors.RED,
    "cancelled": typer.colors.YELLOW,
    "added": typer.colors.GREEN,
    "replaced": typer.colors.GREEN,
}
INTERRUPTED = 130
"""The exit status of a command stopped by Ctrl-C (128 + SIGINT), as shells report it."""


@contextlib.contextmanager
def first_interrupt_cancels(cancel: threading.Event) -> Iterator[None]:
    """The first Ctrl-C sets ``cancel`` (the add stops after the current part); a second one stops at once."""
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        cancel.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        typer.secho("Stopping after the current part (Ctrl-C again to stop at once)...", err=True)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@encoder_options()
def add(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (folders are read recursively).")],
    library: LibraryOption = DEFAULT_LIBRARY,
    *,
    encoders: EncoderOptions,
) -> None:
    """Add documents (.txt .md .pdf .docx .html); unchanged files are skipped, changed ones replaced. Each file
    is searchable once committed, a long one part by part. Ctrl-C stops after the current part (what is in
    stays; adding the same files again resumes); a second Ctrl-C stops at once."""
    cancel = threading.Event()
    with encoders.open_library(library) as lib, first_interrupt_cancels(cancel):
        result = lib.add_files(paths, cancel=cancel)
    for outcome in result.outcomes:
        typer.secho(f"{outcome.status:>9}  {outcome.source}  {outcome.message}", fg=_STATUS_COLORS.get(outcome.status))
    for line in result.skipped_summary():
        typer.secho(line, fg=typer.colors.YELLOW)
    typer.echo(result.summary())
    if cancel.is_set():
        raise typer.Exit(INTERRUPTED)
    if result.count("failed"):
        raise typer.Exit(1)


@encoder_options()
def search(
    question: Annotated[str, typer.Argument(help="A question in plain words.")],
    k: Annotated[int, typer.Option("-k", "--top-k", min=1, max=1000, help="How many passages.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as JSON.")] = False,
    fmt: FormatOption = None,
    output: OutputOption = None,
    mode: ModeOption = "hybrid",
    document: DocumentOption = None,
    file_type: TypeOption = None,
    added_after: AfterOption = None,
    added_before: BeforeOption = None,
    library: LibraryOption = DEFAULT_LIBRARY,
    *,
    encoders: EncoderOptions,
) -> None:
    """Show the passages that best answer QUESTION, best first, with source, page and score. A "quoted
    phrase" in QUESTION must appear as is (keyword and hybrid modes)."""
    fmt = export_format(fmt, output, as_json)
    filters = search_filters(document, file_type, added_after, added_before)
    if library_empty(library):
        hits, empty = [], True  # nothing to rank: no model is loaded
    else:
        with encoders.open_library(library) as lib:
            hits = lib.search(question, k, mode=mode, filters=filters)
            empty = not lib.stats()["passages"]
    if fmt is not None:
        write_export(hits, question, fmt, output)
        return
    if as_json:
        typer.echo(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        typer.echo("The library is empty: add documents first." if empty else "No results.")
        return
    for hit in hits:
        where = ", ".join(part for part in (hit.source, hit.pages) if part)
        marks = ("  [OCR]" if hit.ocr else "") + ("  [still being indexed]" if hit.indexing else "")
        typer.secho(f"{hit.rank}. {hit.title}  ({where})  {hit.mode} score {hit.score:.3f}{marks}", bold=True)
        typer.echo(f"   {hit.text}\n")


@encoder_options(*LOADING_OPTIONS)
def list_documents(
    library: LibraryOption = DEFAULT_LIBRARY,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    *,
    encoders: EncoderOptions,
) -> None:
    """List the documents in the library."""
    documents = []
    if library_ready(library):  # a missing or empty library is listed without opening
        with encoders.open_library(library) as lib:
            documents = lib.documents()
    if as_json:
        typer.echo(json.dumps([asdict(d) for d in documents], ensure_ascii=False, indent=2))
        return
    if not documents:
        typer.echo(f"The library at '{library}' is empty; {add_hint(library)}")
    for d in documents:
        counts = f"{plural(d.pages, 'page')}, {plural(d.passages, 'passage')}"
        state = "" if d.state == "ready" else "  [still being indexed: an add is running, or add it again to finish]"
        typer.echo(f'{d.source}  "{d.title}"  {d.kind}, {counts}, added {d.added_at}{state}')


@encoder_options(*LOADING_OPTIONS)
def remove(
    sources: Annotated[list[str], typer.Argument(help="Document names as `list` shows them.")],
    library: LibraryOption = DEFAULT_LIBRARY,
    *,
    encoders: EncoderOptions,
) -> None:
    """Remove documents (their passages and vectors) from the library."""
    missing: list[str] = []
    if library_empty(library):
        raise fail(f"The library at '{library}' is empty; nothing to remove.", 1)
    with encoders.open_library(library) as lib:
        for source in sources:
            if lib.remove(source):
                typer.echo(f"removed  {source}")
            else:
                missing.append(source)
        known = [d.source for d in lib.documents()] if missing else []
    if missing:
        raise fail("\n".join(not_found(name, known) for name in missing), 1)


@encoder_options("preset", "ctx_encoder", "question_encoder", "sentence_encoder", *LOADING_OPTIONS)
def add_encoders(library: LibraryOption = DEFAULT_LIBRARY, *, encoders: EncoderOptions) -> None:
    """Add vectors of another encoder pair to the library (encodes every passage once); afterwards the
    library can be opened and searched with that pair too, e.g. to compare it with the first."""
    spec = encoders.spec()
    if spec is None:
        raise fail("Name the pair to add: --preset, --ctx-encoder/--question-encoder or --sentence-encoder.")
    library_empty(library)  # a missing library stops here; adding encoders creates none
    # The library opens with its own pair; only where models live and where they run carry over.
    loading = EncoderOptions(model_dir=encoders.model_dir, device=encoders.device)
    with loading.open_library(library) as lib:
        key = lib.attach(spec.with_model_dir(encoders.model_dir))
        sets = lib.vector_sets()
    for info in sets:
        marker = "*" if info.key == key else " "
        typer.echo(f"{marker} {info.key}  {info.name}: {info.ctx_encoder} + {info.question_encoder}")


@encoder_options(*LOADING_OPTIONS)
def check(library: LibraryOption = DEFAULT_LIBRARY, *, encoders: EncoderOptions) -> None:
    """Check that every vector and keyword index row has its passage, and every passage its vector and row."""
    if library_empty(library):
        typer.echo("0 documents, 0 passages, 0 vectors indexed")
        typer.secho("ok: the library is empty", fg=typer.colors.GREEN)
        return
    with encoders.open_library(library) as lib:
        report = lib.check()
    typer.echo(f"{report.documents} documents, {report.passages} passages, {report.vectors_indexed} vectors indexed")
    for source in report.indexing:
        typer.echo(f"still being indexed: {source} (its committed parts are searchable; add it again to finish)")
    if report.ok:
        typer.secho("ok: the library is consistent", fg=typer.colors.GREEN)
        return
    for problem in report.problems:
        typer.secho(f"problem: {problem}", fg=typer.colors.RED)
    raise typer.Exit(1)
