"""The Add documents tab: drop files (each gets its own outcome), or load the sample documents; files
dropped while the models load are queued; Cancel stops a running add after its current part."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rdr_search.app.pending import WAITING, queued_note
from rdr_search.app.render import OUTCOME_HEADERS, add_summary, notice, outcome_rows
from rdr_search.app.service import AppService
from rdr_search.app.web import library_key, shown_error
from rdr_search.documents import SUPPORTED_EXTENSIONS


def build_add_tab(service: AppService) -> list[Any]:
    """Components and events of the Add documents tab; returns the two add events (the Library tab's
    refresh is chained to them)."""
    config = service.config
    allowed = ", ".join(sorted(SUPPORTED_EXTENSIONS))

    # gr.Progress as a default argument is how Gradio injects the tracker (hence noqa B008); track_tqdm
    # surfaces the library's "Reading files" / "Encoding passages" bars. Each handler first says when its
    # files are queued behind the models, then gives the outcomes.
    def on_add(
        files: list[str] | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008
    ) -> Iterator[tuple[list[list[Any]], str, None]]:
        if not files:
            yield [], "", None
            return
        if service.status()[0] == "loading":
            yield _queued_rows([Path(f).name for f in files]), notice(queued_note(len(files))), None
        try:
            result = service.add_uploads(list(files), library_key(config, request))
        except Exception as exc:
            yield [], shown_error(exc), None
            return
        yield outcome_rows(result), add_summary(result), None

    def on_samples(
        request: gr.Request,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008
    ) -> Iterator[tuple[list[list[Any]], str]]:
        if service.status()[0] == "loading":
            names = [p.name for p in service.sample_files()]
            yield _queued_rows(names), notice(queued_note(len(names)))
        try:
            result = service.add_samples(library_key(config, request))
        except Exception as exc:
            yield [], shown_error(exc)
            return
        yield outcome_rows(result), add_summary(result, samples=True)

    def on_cancel(request: gr.Request) -> str:
        if service.adds.cancel(library_key(config, request)):
            return "Cancelling: the add stops after the part it is encoding; what is in stays searchable."
        return "Nothing is being added right now."

    with gr.Tab("Add documents", id="add", elem_id="tab-add"):
        gr.Markdown(
            f"Drop files here or click to choose several. Supported: **{allowed}** (other files are "
            "reported, not added). Indexing starts as soon as the upload finishes (files dropped while the "
            "models load wait for them); each file, and each part of a long one, is searchable once it is in."
        )
        upload = gr.File(
            label=f"Documents ({allowed})", file_count="multiple", type="filepath", elem_id="upload-files", height=160
        )
        with gr.Row():
            samples = gr.Button("Load sample documents", elem_id="load-samples", variant="secondary", scale=0)
            gr.Markdown("Four short documents (honeybees, lighthouses, volcanoes, tea) to try searching at once.")
            cancel = gr.Button("Cancel", elem_id="cancel-add", variant="stop", scale=0)
        cancel_note = gr.Markdown("", elem_id="cancel-note")
        summary = gr.HTML("", elem_id="add-summary", js_on_load=None)
        outcomes = gr.Dataframe(
            headers=OUTCOME_HEADERS, datatype=["str", "str", "number", "number", "str"], value=[],
            interactive=False, wrap=True, label="What happened to each file", elem_id="outcome-table",
        )  # fmt: skip
    private: dict[str, Any] = {"api_visibility": "private"}
    cancel.click(on_cancel, outputs=[cancel_note], show_progress="hidden", **private)
    return [
        upload.upload(on_add, inputs=[upload], outputs=[outcomes, summary, upload], **private),
        samples.click(on_samples, outputs=[outcomes, summary], **private),
    ]


def _queued_rows(names: list[str]) -> list[list[Any]]:
    return [[name, WAITING, "", "", "queued: added as soon as the models are ready"] for name in names]
