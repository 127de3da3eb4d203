"""The ``rdr-search`` command: a thin layer over :class:`rdr_search.Library`."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from rdr_search.errors import RdrSearchError
from rdr_search.settings import Settings

DEFAULT_LIBRARY = "data/library"

app = typer.Typer(
    name="rdr-search",
    help="Semantic search over your own documents with the RDR retriever.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

LibraryOption = Annotated[Path, typer.Option("--library", "-l", envvar="RDR_SEARCH_LIBRARY", help="Library folder.")]
PresetOption = Annotated[
    str | None,
    typer.Option("--preset", help="Encoder pair: rdr-nq (default), rdr-trivia, dpr-nq, dpr-multiset."),
]
CtxOption = Annotated[
    str | None,
    typer.Option("--ctx-encoder", envvar="RDR_SEARCH_CTX_ENCODER", help="Context encoder: hub id or folder."),
]
QuestionOption = Annotated[
    str | None,
    typer.Option(
        "--question-encoder", envvar="RDR_SEARCH_QUESTION_ENCODER", help="Question encoder: hub id or folder."
    ),
]
SentenceOption = Annotated[
    str | None,
    typer.Option(
        "--sentence-encoder",
        envvar="RDR_SEARCH_SENTENCE_ENCODER",
        help="One sentence-transformers model folder for questions and passages (instead of a DPR pair).",
    ),
]
ModelDirOption = Annotated[
    Path | None,
    typer.Option(
        "--model-dir",
        envvar="RDR_SEARCH_MODEL_DIR",
        help="Folder holding downloaded checkpoints named like the hub repos (offline use).",
    ),
]
DeviceOption = Annotated[str, typer.Option("--device", envvar="RDR_SEARCH_DEVICE", help="auto, cpu or cuda.")]
PrecisionOption = Annotated[
    str, typer.Option("--precision", envvar="RDR_SEARCH_PRECISION", help="auto, fp32 (exact) or bf16.")
]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _open(
    library: Path,
    preset: str | None = None,
    ctx_encoder: str | None = None,
    question_encoder: str | None = None,
    sentence_encoder: str | None = None,
    model_dir: Path | None = None,
    device: str = "auto",
    precision: str = "auto",
):  # noqa: ANN202 - returns Library; imported lazily so --help stays fast
    from rdr_search.encoders import EncoderSpec
    from rdr_search.library import Library

    spec = EncoderSpec.from_options(preset, ctx_encoder, question_encoder, sentence_encoder, model_dir)
    return Library.open(library, spec, Settings(device=device, precision=precision))


@app.command()
def add(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (folders are read recursively).")],
    library: LibraryOption = Path(DEFAULT_LIBRARY),
    preset: PresetOption = None,
    ctx_encoder: CtxOption = None,
    question_encoder: QuestionOption = None,
    sentence_encoder: SentenceOption = None,
    model_dir: ModelDirOption = None,
    device: DeviceOption = "auto",
    precision: PrecisionOption = "auto",
) -> None:
    """Add documents (.txt .md .pdf .docx .html); unchanged files are skipped, changed ones replaced."""
    with _open(library, preset, ctx_encoder, question_encoder, sentence_encoder, model_dir, device, precision) as lib:
        result = lib.add_files(paths)
    colors = {"failed": typer.colors.RED, "added": typer.colors.GREEN, "replaced": typer.colors.GREEN}
    for outcome in result.outcomes:
        typer.secho(f"{outcome.status:>9}  {outcome.source}  {outcome.message}", fg=colors.get(outcome.status))
    typer.echo(result.summary())
    if result.count("failed"):
        raise typer.Exit(1)


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="A question in plain words.")],
    k: Annotated[int, typer.Option("-k", "--top-k", min=1, max=1000, help="How many passages.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as JSON.")] = False,
    library: LibraryOption = Path(DEFAULT_LIBRARY),
    preset: PresetOption = None,
    ctx_encoder: CtxOption = None,
    question_encoder: QuestionOption = None,
    sentence_encoder: SentenceOption = None,
    model_dir: ModelDirOption = None,
    device: DeviceOption = "auto",
    precision: PrecisionOption = "auto",
) -> None:
    """Show the passages that best answer QUESTION, best first, with source, page and score."""
    with _open(library, preset, ctx_encoder, question_encoder, sentence_encoder, model_dir, device, precision) as lib:
        hits = lib.search(question, k)
        empty = not lib.stats()["passages"]
    if as_json:
        typer.echo(json.dumps([{**asdict(h), "pages": h.pages} for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        typer.echo("The library is empty: add documents first." if empty else "No results.")
        return
    for hit in hits:
        where = ", ".join(part for part in (hit.source, hit.pages) if part)
        typer.secho(f"{hit.rank}. {hit.title}  ({where})  score {hit.score:.3f}", bold=True)
        typer.echo(f"   {hit.text}\n")


@app.command(name="list")
def list_documents(
    library: LibraryOption = Path(DEFAULT_LIBRARY),
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    model_dir: ModelDirOption = None,
    device: DeviceOption = "auto",
) -> None:
    """List the documents in the library."""
    with _open(library, model_dir=model_dir, device=device) as lib:
        documents = lib.documents()
    if as_json:
        typer.echo(json.dumps([asdict(d) for d in documents], ensure_ascii=False, indent=2))
        return
    if not documents:
        typer.echo("The library is empty.")
    for d in documents:
        typer.echo(f'{d.source}  "{d.title}"  {d.kind}, {d.pages} pages, {d.passages} passages, added {d.added_at}')


@app.command()
def remove(
    sources: Annotated[list[str], typer.Argument(help="Document names as `list` shows them.")],
    library: LibraryOption = Path(DEFAULT_LIBRARY),
    model_dir: ModelDirOption = None,
    device: DeviceOption = "auto",
) -> None:
    """Remove documents (their passages and vectors) from the library."""
    missing = []
    with _open(library, model_dir=model_dir, device=device) as lib:
        for source in sources:
            if lib.remove(source):
                typer.echo(f"removed  {source}")
            else:
                missing.append(source)
    if missing:
        raise _fail(f"not in the library: {', '.join(missing)}", 1)


@app.command()
def check(
    library: LibraryOption = Path(DEFAULT_LIBRARY),
    model_dir: ModelDirOption = None,
    device: DeviceOption = "auto",
) -> None:
    """Check that every vector has its passage and every passage its vector."""
    with _open(library, model_dir=model_dir, device=device) as lib:
        report = lib.check()
    typer.echo(f"{report.documents} documents, {report.passages} passages, {report.vectors_indexed} vectors indexed")
    if report.ok:
        typer.secho("ok: the library is consistent", fg=typer.colors.GREEN)
        return
    for problem in report.problems:
        typer.secho(f"problem: {problem}", fg=typer.colors.RED)
    raise typer.Exit(1)


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


if __name__ == "__main__":
    main()
