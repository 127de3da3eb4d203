"""Recall curves: top-k answer recall for every k from 1 to 100 (or further), one line per report, as a PNG.

A curve needs recall at every k, which :func:`~rdr_search.evaluation.recall.answer_recall` computes from each
question's first-hit rank when asked for ``ks = curve_ks(...)``; a table then shows the usual columns of the
same run (:func:`at_ks`). Each :class:`RecallReport` in the list is one line, labelled with its name (an
encoder pair, a search mode, ...). matplotlib is imported only when a curve is drawn, and only its
object-oriented API is used (no pyplot, no global backend), so drawing is safe in a threaded server.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rdr_search.evaluation.recall import RecallReport

CURVE_MAX_K = 100
"""Curves run from k = 1 to at least this k."""
TICKS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
_LINE_STYLES = ("-", "--", "-.", ":")
_MARKED_KS = (1, 5, 20, 50, 100)


def curve_ks(ks: Sequence[int] = (), max_k: int = CURVE_MAX_K) -> list[int]:
    """Every k from 1 to ``max_k`` (or to the largest of ``ks``, if larger), for a curve."""
    return list(range(1, max([max_k, *ks]) + 1))


def at_ks(report: RecallReport, ks: Sequence[int]) -> RecallReport:
    """The report with only the cut-offs ``ks`` (those it has), e.g. a curve's run shown as the usual table."""
    return replace(report, recall={k: report.recall[k] for k in sorted(ks) if k in report.recall})


def _label(report: RecallReport, datasets: set[str]) -> str:
    return f"{report.name} ({report.dataset})" if len(datasets) > 1 and report.dataset else report.name


def _title(reports: Sequence[RecallReport], datasets: set[str]) -> str:
    shared = next(iter(datasets)) if len(datasets) == 1 else ""
    counts = {r.questions for r in reports}
    questions = f" ({counts.pop():,} questions)" if len(counts) == 1 else ""
    return "Top-k answer recall" + (f" on {shared}" if shared else "") + questions


def recall_png(
    reports: Sequence[RecallReport], *, title: str | None = None, size: tuple[float, float] = (7.5, 4.5), dpi: int = 120
) -> bytes:
    """The reports' recall (percent) against k on one chart (log-scaled k), one labelled line each; PNG bytes."""
    if not reports or not any(r.recall for r in reports):
        raise ValueError("no recall figures to plot")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    datasets = {r.dataset for r in reports}
    max_k = max(k for r in reports for k in r.recall)
    figure = Figure(figsize=size, dpi=dpi, layout="constrained")
    axes = figure.add_subplot()
    for number, report in enumerate(reports):
        ks = sorted(report.recall)
        marked = [i for i, k in enumerate(ks) if k in _MARKED_KS]
        axes.plot(
            ks,
            [report.recall[k] for k in ks],
            label=_label(report, datasets),
            linestyle=_LINE_STYLES[number // 10 % len(_LINE_STYLES)],
            marker="o",
            markersize=4,
            markevery=None if len(ks) < len(_MARKED_KS) + 2 else marked,
            linewidth=1.8,
        )
    axes.set_xscale("log")
    ticks = sorted({t for t in TICKS if t <= max_k} | {max_k})
    axes.xaxis.set_major_locator(FixedLocator(ticks))
    axes.xaxis.set_minor_locator(NullLocator())
    axes.xaxis.set_major_formatter(ScalarFormatter())
    axes.set_xlim(1, max(max_k, 2))
    axes.set_ylim(0, 100)
    axes.set_xlabel("k (passages retrieved)")
    axes.set_ylabel("top-k answer recall (%)")
    axes.set_title(title if title is not None else _title(reports, datasets))
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(loc="lower right")
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def plot_recall(reports: Sequence[RecallReport], path: str | Path, *, title: str | None = None) -> Path:
    """Write :func:`recall_png` of the reports to ``path``; returns it."""
    target = Path(path)
    target.write_bytes(recall_png(reports, title=title))
    return target
