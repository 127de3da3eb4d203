"""Take results away: a format choice and a download button under the Search tab's results (they export the
results on screen), and the ``export(question, k, format)`` API endpoint. The formats are rdr_search.export's.

Export files are written into a fresh, randomly named folder inside Gradio's cache, so Gradio serves them in
place (no second copy) and its ``delete_cache`` schedule deletes them like any file the app served (all of them
at shutdown); the folders left empty are removed by later exports.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from rdr_search.app.inputs import InputError, text_input
from rdr_search.app.service import AppService
from rdr_search.app.web import api_errors, library_key
from rdr_search.export import EXPORT_FORMATS, check_format, export_bytes, export_filename
from rdr_search.records import Hit

EXPORTS_FOLDER = "rdr-exports"
FORMAT_CHOICES = [("CSV", "csv"), ("JSON", "json"), ("Markdown", "md")]
_EMPTY_FOLDER_AGE_S = 120.0
"""An empty export folder older than this is left over (its file was deleted); younger ones may be in use."""


@dataclass(frozen=True)
class ShownResults:
    """The results on screen in one browser session: what the download button exports."""

    question: str
    hits: tuple[Hit, ...]


def shown(question: str, hits: Sequence[Hit]) -> ShownResults | None:
    """What the search handler keeps for the download button (None: nothing to export)."""
    return ShownResults(question, tuple(hits)) if hits else None


def export_format(value: object) -> str:
    """A requested format, checked: one of csv, json, md (InputError otherwise)."""
    text = text_input(value, "export format", 20) or "csv"
    try:
        return check_format(text)
    except ValueError:
        raise InputError(f"The export format is one of {', '.join(EXPORT_FORMATS)}.") from None


def write_export(results: ShownResults, fmt: str, cache: str | Path) -> Path:
    """The results as an export file in a new private folder under Gradio's cache folder ``cache``."""
    root = Path(cache) / EXPORTS_FOLDER
    root.mkdir(parents=True, exist_ok=True)
    _remove_empty_folders(root)
    folder = Path(tempfile.mkdtemp(dir=root))
    path = folder / export_filename(results.question, fmt)
    path.write_bytes(export_bytes(results.hits, results.question, fmt))
    return path


def _remove_empty_folders(root: Path) -> None:
    cutoff = time.time() - _EMPTY_FOLDER_AGE_S
    with os.scandir(root) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):  # not empty, or gone already: keep going
                if entry.is_dir(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.rmdir(entry.path)


def _button_label(fmt: str) -> str:
    return "Download " + dict((value, name) for name, value in FORMAT_CHOICES)[fmt]


def build_export_view(service: AppService) -> gr.State:
    """The format choice and download button (place it under the results); returns the state the search
    handler sets to :func:`shown` of its results."""
    results = gr.State(None)
    with gr.Row(elem_id="export-row", equal_height=True):
        fmt = gr.Radio(
            FORMAT_CHOICES, value="csv", label="Export format", elem_id="export-format", scale=3, min_width=240
        )
        button = gr.DownloadButton(
            _button_label("csv"), interactive=False, elem_id="export-button", scale=1, size="md", min_width=160
        )

    def on_results(current: ShownResults | None, chosen: str) -> gr.DownloadButton:
        fmt = export_format(chosen)
        if current is None or not current.hits:
            return gr.DownloadButton(_button_label(fmt), value=None, interactive=False)
        path = write_export(current, fmt, button.GRADIO_CACHE)
        return gr.DownloadButton(_button_label(fmt), value=str(path), interactive=True)

    # always_last: a format picked while a file is being written is written next, so the button always ends
    # up holding the latest results in the format shown.
    events = [results.change, fmt.change]
    gr.on(
        events, on_results, [results, fmt], [button], show_progress="hidden", api_visibility="private",
        trigger_mode="always_last",
    )  # fmt: skip
    return results


def build_export_api(service: AppService, note: str = "") -> None:
    """The ``export`` endpoint: search, then return the hits as a file (CSV, JSON or Markdown)."""
    config = service.config
    with gr.Column(visible=False):
        question = gr.Textbox()
        k = gr.Number(value=config.default_k, precision=0)
        fmt = gr.Textbox(value="csv")
        out = gr.File()
        trigger = gr.Button()

    @api_errors
    def export(question: str, k: float, format: str, request: gr.Request) -> str:
        """The k passages closest to the question as a file: csv, json or md, each hit with a citation."""
        chosen = export_format(format)
        hits, _ = service.search(question, k, library_key(config, request))
        return str(write_export(ShownResults(str(question or "").strip(), tuple(hits)), chosen, out.GRADIO_CACHE))

    trigger.click(
        export, inputs=[question, k, fmt], outputs=[out], api_name="export",
        api_description="Export a search: the k passages closest to the question as a file in the format "
        "csv, json or md; each hit has rank, score, mode, document, source, page, passage and a citation line "
        "'Title, p. 7 (file.pdf)'. JSON also carries the question, mode and time." + note,
    )  # fmt: skip
