"""The ``eval`` command: top-k answer recall of one encoder pair, or two side by side, in one search mode or
all three (dense, keyword, hybrid)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rdr_search.cli.options import DEFAULT_LIBRARY, EncoderOptions, LibraryOption, encoder_options, fail

if TYPE_CHECKING:
    from rdr_search.encoders import EncoderSpec
    from rdr_search.evaluation import QAPair, RecallReport
    from rdr_search.records import SearchMode

QuestionsArgument = Annotated[
    Path, typer.Argument(help='Questions: DPR .csv/.tsv (question<TAB>["answer", ...]) or .json/.jsonl.')
]
CollectionOption = Annotated[
    Path | None, typer.Option("--collection", help="DPR passage file (id<TAB>text<TAB>title); else the library.")
]
KsOption = Annotated[str, typer.Option("-k", "--ks", help="Comma-separated cut-offs.")]
MatchOption = Annotated[str, typer.Option("--match", help="string (default) or regex (CuratedTREC).")]
LimitOption = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N questions.")]
WorkDirOption = Annotated[Path, typer.Option("--work-dir", help="Where collection vectors are sharded.")]
ComparePresetOption = Annotated[str | None, typer.Option("--compare-preset", help="Second pair to compare.")]
CompareCtxOption = Annotated[
    str | None, typer.Option("--compare-ctx-encoder", help="Second pair's context encoder (with its question one).")
]
CompareQuestionOption = Annotated[
    str | None,
    typer.Option("--compare-question-encoder", help="Second pair's question encoder (with its context one)."),
]
CompareSentenceOption = Annotated[
    str | None, typer.Option("--compare-sentence-encoder", help="One sentence-transformers folder as second pair.")
]
JsonOption = Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON here.")]
PlotOption = Annotated[
    Path | None,
    typer.Option(
        "--plot", help="Also draw recall for k = 1..100 (one line per pair or mode) as a PNG here (matplotlib)."
    ),
]
EVAL_MODES = ("dense", "keyword", "hybrid", "all")
ModeOption = Annotated[
    str,
    typer.Option(
        "--mode", help="dense (default: the encoders alone), keyword, hybrid, or all (the three side by side)."
    ),
]


@dataclass(frozen=True)
class _Task:
    """What every pair is scored on."""

    questions: list[QAPair]
    ks: list[int]
    match: str
    dataset: str
    modes: list[SearchMode]


def _parse_ks(ks: str) -> list[int]:
    try:
        cutoffs = sorted({int(k) for k in ks.split(",") if k.strip()})
    except ValueError as exc:
        raise fail(f"-k takes whole numbers separated by commas, e.g. 1,5,20 (got {ks!r})") from exc
    if not cutoffs or cutoffs[0] < 1:
        raise fail(f"-k takes positive whole numbers separated by commas, e.g. 1,5,20 (got {ks!r})")
    return cutoffs


def _compare_spec(
    options: tuple[str | None, str | None, str | None, str | None], model_dir: Path | None
) -> EncoderSpec | None:
    """The second pair the --compare-* options name, or None; any of them given counts (a lone
    --compare-question-encoder is refused, not ignored)."""
    if not any(options):
        return None  # --model-dir alone must not conjure a compare pair
    from rdr_search.encoders import EncoderSpec
    from rdr_search.errors import ModelLoadError

    try:
        spec = EncoderSpec.from_options(*options, model_dir)
    except ModelLoadError as exc:
        message = str(exc).replace("--", "--compare-")  # name the options the user gave
        raise ModelLoadError(f"Compare pair: {message}") from exc
    return spec


def _collection_reports(
    specs: list[EncoderSpec | None], encoders: EncoderOptions, task: _Task, collection: Path, work_dir: Path
) -> list[RecallReport]:
    from rdr_search.encoders import EncoderPair, EncoderSpec
    from rdr_search.evaluation import AnswerMatcher, evaluate_collection_modes
    from rdr_search.records import SearchMode

    matcher = AnswerMatcher(task.match)  # shared: both pairs' passages are tokenized once
    reports: list[RecallReport] = []
    modes = task.modes
    for spec in specs:
        # keyword search needs no encoders, and its row is the same for every pair: it is shown once
        pair = None if modes == [SearchMode.KEYWORD] else EncoderPair(spec or EncoderSpec(), encoders.settings())
        reports += evaluate_collection_modes(
            pair, task.questions, collection, work_dir, modes=modes, ks=task.ks, match_type=task.match,
            dataset=task.dataset, matcher=matcher,
        )  # fmt: skip
        modes = [m for m in modes if m != SearchMode.KEYWORD]
        if not modes:
            break
    return reports


@encoder_options()
def evaluate(
    questions: QuestionsArgument,
    collection: CollectionOption = None,
    ks: KsOption = "1,5,20,50,100",
    match: MatchOption = "string",
    limit: LimitOption = None,
    work_dir: WorkDirOption = Path("data/eval"),
    compare_preset: ComparePresetOption = None,
    compare_ctx: CompareCtxOption = None,
    compare_question: CompareQuestionOption = None,
    compare_sentence: CompareSentenceOption = None,
    json_out: JsonOption = None,
    plot: PlotOption = None,
    mode: ModeOption = "dense",
    library: LibraryOption = DEFAULT_LIBRARY,
    *,
    encoders: EncoderOptions,
) -> None:
    """Top-k answer recall exactly as facebookresearch/DPR computes it, as a model-card table."""
    from itertools import islice

    from rdr_search.evaluation import (
        MATCH_TYPES,
        evaluate_library_modes,
        format_markdown,
        parse_modes,
        read_questions,
        to_json,
    )
    from rdr_search.evaluation.plot import at_ks, curve_ks

    if match not in MATCH_TYPES:
        raise fail(f"--match is one of {', '.join(MATCH_TYPES)} (got {match!r})")
    if mode not in EVAL_MODES:
        raise fail(f"--mode is one of {', '.join(EVAL_MODES)} (got {mode!r})")
    cutoffs = _parse_ks(ks)
    if plot is not None:
        _check_plot(plot)
    spec = encoders.spec()
    compare = _compare_spec((compare_preset, compare_ctx, compare_question, compare_sentence), encoders.model_dir)
    if compare is not None and collection is None:
        raise fail("--compare-* needs --collection: a library holds the vectors of one pair.")
    task = _Task(
        questions=list(islice(read_questions(questions), limit)),
        ks=curve_ks(cutoffs) if plot is not None else cutoffs,  # a curve needs every k
        match=match,
        dataset=f"{questions.resolve().parent.name}/{questions.stem}",
        modes=parse_modes(mode),
    )
    if collection is None:
        with encoders.open_library(library) as lib:
            reports = evaluate_library_modes(
                lib, task.questions, modes=task.modes, ks=task.ks, match_type=match, dataset=task.dataset
            )
    else:
        specs = [spec] if compare is None else [spec, compare]
        reports = _collection_reports(specs, encoders, task, collection, work_dir)
    table = [at_ks(r, cutoffs) for r in reports]
    typer.echo(format_markdown(table))
    if json_out is not None:
        json_out.write_text(to_json(table))
    if plot is not None:
        _write_plot(reports, plot)


def _check_plot(path: Path) -> None:
    """Before the run: --plot needs matplotlib and a folder to write into."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise fail("--plot needs matplotlib: pip install matplotlib") from None
    if not path.parent.is_dir():
        raise fail(f"--plot: the folder {path.parent} does not exist")


def _write_plot(reports: list[RecallReport], path: Path) -> None:
    from rdr_search.evaluation.plot import plot_recall

    try:
        plot_recall(reports, path)
    except OSError as exc:
        raise fail(f"Cannot write {path}: {exc.strerror or exc}") from exc
    typer.echo(f"wrote the recall curve (k = 1..{max(max(r.recall) for r in reports)}) to {path}")
