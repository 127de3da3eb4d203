"""The Library tab's keep controls (export to a file, import an archive; locally, the folder watch toggle)
and the ``export_library`` / ``import_library`` API endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from rdr_search.app.keeping import AppWatch, export_for, import_upload
from rdr_search.app.service import AppService
from rdr_search.app.web import api_errors, library_key, shown_error
from rdr_search.library.archive import SUFFIX

EXPORTS_FOLDER = "rdr-library-exports"
KEEP_NOTE = "Export writes the whole library to one file; import it here again (or with `rdr-search import-library`)."
SESSION_NOTE = " This library is deleted when you close the tab: export it to keep your work."


def build_keep_controls(service: AppService, watch: AppWatch | None, refresh: Any, outputs: list[Any]) -> None:
    """Inside the Library tab: an export download, an archive upload, and (local, with a folder) the watch box."""
    config = service.config
    private: dict[str, Any] = {"api_visibility": "private"}
    gr.Markdown(KEEP_NOTE + (SESSION_NOTE if config.session_scoped else ""), elem_id="keep-note")
    with gr.Row(equal_height=True):
        export_button = gr.Button("Export library", elem_id="export-library-button", scale=1)
        # Hidden until there is a file: Gradio's empty file box carries an ARIA attribute its role forbids.
        download = gr.File(
            label="Library archive", interactive=False, elem_id="export-library-file", scale=2, visible=False
        )
        archive = gr.File(
            label=f"Import an archive ({SUFFIX})", file_types=[SUFFIX], type="filepath", elem_id="import-library-file",
            scale=2,
        )  # fmt: skip
    message = gr.Markdown("", elem_id="keep-message")

    def on_export(request: gr.Request) -> tuple[Any, str]:
        try:
            result = export_for(service, library_key(config, request), Path(download.GRADIO_CACHE) / EXPORTS_FOLDER)
        except Exception as exc:  # shown_error logs anything that is not a message for people
            return gr.File(value=None, visible=False), shown_error(exc)
        summary = result.summary().replace(str(result.path), result.path.name)
        return gr.File(value=str(result.path), visible=True), summary

    def on_import(
        path: str | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008
    ) -> tuple[Any, str]:
        if not path:
            return None, ""
        try:
            result = import_upload(service, path, library_key(config, request))
        except Exception as exc:
            return None, shown_error(exc)
        return None, result.summary()

    export_button.click(on_export, outputs=[download, message], **private)
    archive.upload(on_import, inputs=[archive], outputs=[archive, message], **private).then(
        refresh, outputs=outputs, show_progress="hidden", **private
    )
    if watch is not None and not config.session_scoped:
        box = gr.Checkbox(value=True, label=f"Keep in step with {watch.folder}", elem_id="watch-toggle")
        status = gr.Markdown("", elem_id="watch-status")
        box.change(watch.set_running, inputs=[box], outputs=[status], **private)


def build_keep_api(service: AppService, note: str = "") -> None:
    """``export_library()`` returns the library as a file; ``import_library(file)`` imports one (JSON summary)."""
    config = service.config
    with gr.Column(visible=False):
        upload = gr.File(type="filepath")
        out_file = gr.File()
        out = gr.JSON()
        trigger = gr.Button()

    @api_errors
    def export_library(request: gr.Request) -> str:
        """The whole library as one archive file (documents, passages, vectors, keyword index, originals)."""
        folder = Path(out_file.GRADIO_CACHE) / EXPORTS_FOLDER
        return str(export_for(service, library_key(config, request), folder).path)

    @api_errors
    def import_library(file: str, request: gr.Request) -> dict[str, Any]:
        """Import an archive made by export_library: {added, replaced, unchanged, duplicates, summary}."""
        result = import_upload(service, file, library_key(config, request))
        return {"added": result.added, "replaced": result.replaced, "unchanged": result.unchanged,
                "duplicates": result.duplicates, "summary": result.summary()}  # fmt: skip

    trigger.click(export_library, outputs=[out_file], api_name="export_library",
                  api_description="The whole library as one archive file." + note)  # fmt: skip
    trigger.click(import_library, inputs=[upload], outputs=[out], api_name="import_library",
                  api_description="Import a library archive (upload with handle_file)." + note)  # fmt: skip
