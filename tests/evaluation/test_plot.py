"""Recall curves: recall at every k from first-hit ranks, and the chart as a PNG."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from rdr_search.evaluation.plot import CURVE_MAX_K, at_ks, curve_ks, plot_recall, recall_png
from rdr_search.evaluation.recall import RecallReport, answer_recall, recall_from_hits
from tests.data import REPO

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_curve_holds_recall_at_every_k() -> None:
    assert curve_ks() == list(range(1, CURVE_MAX_K + 1))
    assert curve_ks([1, 5, 200]) == list(range(1, 201))
    # First hits at ranks 1, 3 and 60 (0-based 0, 2, 59), and one question never answered.
    hits = [[True], [False, False, True], [False] * 59 + [True], [False] * 100]
    curve = recall_from_hits(hits, curve_ks())
    assert len(curve) == 100
    assert curve[1] == curve[2] == 25.0 and curve[3] == curve[59] == 50.0 and curve[60] == curve[100] == 75.0
    assert all(curve[k] <= curve[k + 1] for k in range(1, 100))  # never falls as k grows
    texts = [["Paris."], ["x", "y", "Paris!"]]
    assert answer_recall([["Paris"], ["Paris"]], texts, curve_ks(max_k=3)) == {1: 50.0, 2: 50.0, 3: 100.0}
    report = RecallReport("pair", 4, curve, "squad")
    assert at_ks(report, [1, 5, 20, 500]).recall == {1: 25.0, 5: 50.0, 20: 50.0}


def test_the_chart_is_a_png_with_one_line_per_report(tmp_path: Path) -> None:
    ks = curve_ks()
    reports = [
        RecallReport("dense", 10, {k: min(100.0, 30 + k) for k in ks}, "squad"),
        RecallReport("keyword", 10, {k: min(100.0, 40 + k / 2) for k in ks}, "squad"),
        RecallReport("a table only", 10, {1: 20.0, 5: 45.0, 20: 70.0}, "squad"),  # a few ks still draw a line
    ]
    data = recall_png(reports)
    width, height = png_size(data)
    assert width > 400 and height > 200
    path = plot_recall(reports, tmp_path / "recall.png", title="Three modes")
    assert path.read_bytes().startswith(PNG_SIGNATURE) and path.stat().st_size > 1000
    with pytest.raises(ValueError, match="no recall figures"):
        recall_png([])


def test_drawing_needs_no_pyplot() -> None:
    # In a fresh interpreter (other tests' imports, e.g. gradio's, may load pyplot in this one).
    code = (
        "import sys\n"
        "import rdr_search.evaluation.plot as plot\n"
        "assert 'matplotlib' not in sys.modules  # imported only when drawing\n"
        "data = plot.recall_png([plot.RecallReport('only k=1', 1, {1: 100.0})])\n"
        "print(data.startswith(b'\\x89PNG'), 'matplotlib.pyplot' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.split() == ["True", "False"]  # no global backend state in a threaded server
