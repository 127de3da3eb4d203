"""The Search tab's mode selector and filters (documents, file types, date added), and what they mean for a search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from rdr_search.app.inputs import search_filters
from rdr_search.app.service import AppService
from rdr_search.app.web import library_key
from rdr_search.documents.registry import FORMATS
from rdr_search.records import SearchFilters, SearchMode

MODE_CHOICES = [
    ("Hybrid: words and meaning", SearchMode.HYBRID.value),
    ("Meaning (dense)", SearchMode.DENSE.value),
    ("Exact words (keyword)", SearchMode.KEYWORD.value),
]
MODE_INFO = 'Hybrid finds both exact names and paraphrases; put a phrase in "quotes" to require it word for word.'
TYPE_CHOICES = [(fmt.kind.upper() if len(fmt.kind) <= 4 else fmt.kind.capitalize(), fmt.kind) for fmt in FORMATS]


@dataclass
class SearchOptions:
    """The components; pass ``inputs`` after the question and count to the search event."""

    mode: gr.Radio
    documents: gr.Dropdown
    kinds: gr.Dropdown
    added_after: gr.Textbox
    added_before: gr.Textbox

    @property
    def inputs(self) -> list[Any]:
        return [self.mode, self.documents, self.kinds, self.added_after, self.added_before]


def chosen_filters(
    service: AppService, documents: object, kinds: object, added_after: object = None, added_before: object = None
) -> SearchFilters:
    """The filters the components hold, bounded like every request value (the library checks the dates)."""
    config = service.config
    limits = {"max_items": config.max_filter_items, "max_chars": config.max_name_chars}
    return search_filters(documents, kinds, added_after, added_before, **limits)


def build_search_options(service: AppService) -> SearchOptions:
    """A mode selector, and closed filters whose document list is read from the library when opened."""
    mode = gr.Radio(
        MODE_CHOICES, value=SearchMode.HYBRID.value, label="Search by", info=MODE_INFO, elem_id="search-mode"
    )
    with gr.Accordion("Filters", open=False, elem_id="search-filters"), gr.Row():
        documents = gr.Dropdown(
            choices=[], value=[], multiselect=True, label="Only these documents", elem_id="filter-documents"
        )
        kinds = gr.Dropdown(
            choices=TYPE_CHOICES, value=[], multiselect=True, label="Only these file types", elem_id="filter-types"
        )
        added_after = gr.Textbox(label="Added on or after", placeholder="YYYY-MM-DD", elem_id="filter-after")
        added_before = gr.Textbox(label="Added before", placeholder="YYYY-MM-DD", elem_id="filter-before")

    def list_documents(chosen: list[str] | None, request: gr.Request) -> Any:
        try:
            names = [d.source for d in service.documents(library_key(service.config, request))]
        except Exception:  # models still loading, or a session gone: the list stays as it was
            return gr.update()
        return gr.update(choices=names, value=[n for n in chosen or [] if n in names])

    documents.focus(list_documents, inputs=[documents], outputs=[documents], api_visibility="private")
    return SearchOptions(mode, documents, kinds, added_after, added_before)
