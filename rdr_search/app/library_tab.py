"""The Library tab: the documents a library holds, and removing one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from rdr_search.app.keep_view import build_keep_controls
from rdr_search.app.keeping import AppWatch
from rdr_search.app.render import DOCUMENT_HEADERS, EMPTY_LIBRARY, document_rows
from rdr_search.app.service import AppService
from rdr_search.app.web import library_key
from rdr_search.errors import RdrSearchError


@dataclass
class LibraryView:
    """The components a refresh of the document list writes, and the handler that fills them."""

    outputs: list[Any]
    refresh: Any


def build_library_tab(service: AppService, watch: AppWatch | None = None) -> LibraryView:
    """Components and events of the Library tab; returns what other tabs chain a refresh to."""
    config = service.config

    def on_library(request: gr.Request) -> tuple[list[list[Any]], gr.Dropdown, str]:
        try:
            documents = service.documents(library_key(config, request))
        except RdrSearchError as exc:
            return [], gr.Dropdown(choices=[], value=None), str(exc)
        passages = sum(d.passages for d in documents)
        count = len(documents)
        line = f"{count} document{'s' if count != 1 else ''}, {passages} passages" if documents else EMPTY_LIBRARY
        return document_rows(documents), gr.Dropdown(choices=[d.source for d in documents], value=None), line

    def on_remove(source: str | None, request: gr.Request) -> str:
        if not source:
            return "Choose a document to remove."
        try:
            removed = service.remove(source, library_key(config, request))
        except RdrSearchError as exc:
            return str(exc)
        return f"Removed {source}." if removed else f"{source} is not in the library."

    with gr.Tab("Library", id="library", elem_id="tab-library"):
        summary = gr.Markdown(EMPTY_LIBRARY, elem_id="library-summary")
        table = gr.Dataframe(
            headers=DOCUMENT_HEADERS, value=[], interactive=False, wrap=True, label="Documents",
            elem_id="documents-table",
        )  # fmt: skip
        with gr.Row():
            choice = gr.Dropdown(choices=[], label="Document to remove", elem_id="remove-choice", scale=3)
            remove_button = gr.Button("Remove", variant="stop", elem_id="remove-button", scale=1)
            refresh_button = gr.Button("Refresh", elem_id="refresh-button", scale=1)
        message = gr.Markdown("", elem_id="remove-message")
        build_keep_controls(service, watch, on_library, [table, choice, summary])
    outputs: list[Any] = [table, choice, summary]
    private: dict[str, Any] = {"api_visibility": "private"}
    remove_button.click(on_remove, inputs=[choice], outputs=[message], **private).then(
        on_library, outputs=outputs, show_progress="hidden", **private
    )
    refresh_button.click(on_library, outputs=outputs, **private)
    return LibraryView(outputs, on_library)
