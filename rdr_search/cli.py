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
    str,
    typer.Option(
        "--precision",
        envvar="RDR_SEARCH_PRECISION",
        help="auto (bf16 where the CPU has it, else fp32), fp32 (exact), bf16 or int8.",
    ),
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


@app.command(name="add-encoders")
def add_encoders(
    library: LibraryOption = Path(DEFAULT_LIBRARY),
    preset: PresetOption = None,
    ctx_encoder: CtxOption = None,
    question_encoder: QuestionOption = None,
    sentence_encoder: SentenceOption = None,
    model_dir: ModelDirOption = None,
    device: DeviceOption = "auto",
) -> None:
    """Add vectors of another encoder pair to the library (encodes every passage once); afterwards the
    library can be opened and searched with that pair too, e.g. to compare it with the first."""
    from rdr_search.encoders import EncoderSpec

    spec = EncoderSpec.from_options(preset, ctx_encoder, question_encoder, sentence_encoder, model_dir)
    if spec is None:
        raise _fail("Name the pair to add: --preset, --ctx-encoder/--question-encoder or --sentence-encoder.")
    with _open(library, model_dir=model_dir, device=device) as lib:
        key = lib.attach(spec.with_model_dir(model_dir) if model_dir else spec)
        sets = lib.vector_sets()
    for info in sets:
        marker = "*" if info.key == key else " "
        typer.echo(f"{marker} {info.key}  {info.name}: {info.ctx_encoder} + {info.question_encoder}")


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


@app.command(name="eval")
def evaluate(
    questions: Annotated[
        Path, typer.Argument(help="Questions: DPR .csv/.tsv (question<TAB>[answers]) or .json/.jsonl.")
    ],
    collection: Annotated[
        Path | None, typer.Option("--collection", help="DPR passage file (id<TAB>text<TAB>title); else the library.")
    ] = None,
    ks: Annotated[str, typer.Option("-k", "--ks", help="Comma-separated cut-offs.")] = "1,5,20,50,100",
    match: Annotated[str, typer.Option("--match", help="string (default) or regex (CuratedTREC).")] = "string",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N questions.")] = None,
    work_dir: Annotated[Path, typer.Option("--work-dir", help="Where collection vectors are sharded.")] = Path(
        "data/eval"
    ),
    compare_preset: Annotated[str | None, typer.Option("--compare-preset", help="Second pair to compare.")] = None,
    compare_ctx: Annotated[str | None, typer.Option("--compare-ctx-encoder")] = None,
    compare_question: Annotated[str | None, typer.Option("--compare-question-encoder")] = None,
    compare_sentence: Annotated[str | None, typer.Option("--compare-sentence-encoder")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON here.")] = None,
    library: LibraryOption = Path(DEFAULT_LIBRARY),
    preset: PresetOption = None,
    ctx_encoder: CtxOption = None,
    question_encoder: QuestionOption = None,
    sentence_encoder: SentenceOption = None,
    model_dir: ModelDirOption = None,
    device: DeviceOption = "auto",
    precision: PrecisionOption = "auto",
) -> None:
    """Top-k answer recall exactly as facebookresearch/DPR computes it, as a model-card table."""
    from itertools import islice

    from rdr_search.encoders import EncoderPair, EncoderSpec
    from rdr_search.eval_run import evaluate_collection, evaluate_library
    from rdr_search.evaluation import AnswerMatcher, format_markdown, read_questions, to_json

    try:
        cutoffs = sorted({int(k) for k in ks.split(",") if k.strip()})
    except ValueError as exc:
        raise _fail(f"-k takes whole numbers separated by commas, e.g. 1,5,20 (got {ks!r})") from exc
    qa = list(islice(read_questions(questions), limit))
    settings = Settings(device=device, precision=precision)
    dataset = f"{questions.resolve().parent.name}/{questions.stem}"
    specs = [EncoderSpec.from_options(preset, ctx_encoder, question_encoder, sentence_encoder, model_dir)]
    if compare_preset or compare_ctx or compare_sentence:
        specs.append(
            EncoderSpec.from_options(compare_preset, compare_ctx, compare_question, compare_sentence, model_dir)
        )
    reports = []
    if collection is None:
        if len(specs) > 1:
            raise _fail("--compare-* needs --collection: a library holds the vectors of one pair.")
        with _open(
            library, preset, ctx_encoder, question_encoder, sentence_encoder, model_dir, device, precision
        ) as lib:
            reports.append(evaluate_library(lib, qa, ks=cutoffs, match_type=match, dataset=dataset))
    else:
        matcher = AnswerMatcher(match)  # shared: both pairs' passages are tokenized once
        for spec in specs:
            pair = EncoderPair(spec or EncoderSpec(), settings)
            reports.append(
                evaluate_collection(
                    pair, qa, collection, work_dir, ks=cutoffs, match_type=match, dataset=dataset, matcher=matcher
                )
            )
    typer.echo(format_markdown(reports))
    if json_out is not None:
        json_out.write_text(to_json(reports))


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
