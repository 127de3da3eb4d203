"""The Add documents tab: drop files (each gets its own outcome), or load the sample documents."""

from __future__ import annotations

from typing import Any

import gradio as gr

from rdr_search.app.render import OUTCOME_HEADERS, add_summary, outcome_rows
from rdr_search.app.service import AppService
from rdr_search.app.web import library_key, shown_error
from rdr_search.documents import SUPPORTED_EXTENSIONS


def build_add_tab(service: AppService) -> list[Any]:
    """Components and events of the Add documents tab; returns the two add events (the Library tab's
    refresh is chained to them)."""
    config = service.config
    allowed = ", ".join(sorted(SUPPORTED_EXTENSIONS))

    # gr.Progress as a default argument is how Gradio injects the tracker (hence noqa B008); track_tqdm
    # surfaces the library's "Reading files" / "Encoding passages" bars.
    def on_add(
        files: list[str] | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008
    ) -> tuple[list[list[Any]], str, None]:
        if not files:
            return [], "", None
        try:
            result = service.add_uploads(list(files), library_key(config, request))
        except Exception as exc:
            return [], shown_error(exc), None
        return outcome_rows(result), add_summary(result), None

    def on_samples(
        request: gr.Request,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008
    ) -> tuple[list[list[Any]], str]:
        try:
            result = service.add_samples(library_key(config, request))
        except Exception as exc:
            return [], shown_error(exc)
        return outcome_rows(result), add_summary(result, samples=True)

    with gr.Tab("Add documents", id="add", elem_id="tab-add"):
        gr.Markdown(
            f"Drop files here or click to choose several. Supported: **{allowed}** (other files are "
            "reported, not added). Indexing starts as soon as the upload finishes."
        )
        upload = gr.File(
            label=f"Documents ({allowed})", file_count="multiple", type="filepath", elem_id="upload-files", height=160
        )
        with gr.Row():
            samples = gr.Button("Load sample documents", elem_id="load-samples", variant="secondary", scale=0)
            gr.Markdown("Four short documents (honeybees, lighthouses, volcanoes, tea) to try searching at once.")
        summary = gr.HTML("", elem_id="add-summary", js_on_load=None)
        outcomes = gr.Dataframe(
            headers=OUTCOME_HEADERS, datatype=["str", "str", "number", "number", "str"], value=[],
            interactive=False, wrap=True, label="What happened to each file", elem_id="outcome-table",
        )  # fmt: skip
    private: dict[str, Any] = {"api_visibility": "private"}
    return [
        upload.upload(on_add, inputs=[upload], outputs=[outcomes, summary, upload], **private),
        samples.click(on_samples, outputs=[outcomes, summary], **private),
    ]
