"""The Search tab: a question, how many results, the search mode and filters, and the result cards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from rdr_search.app.export_view import ShownResults, build_export_view, shown
from rdr_search.app.page_view import RESULTS_JS, build_page_view
from rdr_search.app.render import EMPTY_LIBRARY, TYPE_A_QUESTION, notice, render_hits
from rdr_search.app.search_options import build_search_options, chosen_filters
from rdr_search.app.service import AppService
from rdr_search.app.web import library_key, shown_error

EXAMPLE_QUESTIONS = [
    "How do honeybees tell each other where flowers are?",
    "Who invented the lens used in lighthouses?",
    "What water temperature is best for green tea?",
    "Why was 1816 called the year without a summer?",
]


def question_row(
    service: AppService, ids: str, placeholder: str, button: str, *, autofocus: bool = False
) -> tuple[gr.Textbox, gr.Slider, gr.Button]:
    """A question box, a result-count slider and a button in one row (the Search and Compare tabs share it).

    ``ids`` names the row, question, slider and button elements, space-separated (browser tests find them).
    """
    config = service.config
    row_id, question_id, k_id, button_id = ids.split()
    with gr.Row(equal_height=True, elem_id=row_id):
        question = gr.Textbox(
            label="Question",
            placeholder=placeholder,
            lines=1,
            max_lines=1,
            max_length=config.settings.max_question_chars,
            scale=5,
            elem_id=question_id,
            autofocus=autofocus,
        )
        top_k = gr.Slider(1, config.max_k, value=config.default_k, step=1, label="Results", scale=2, elem_id=k_id)
        run = gr.Button(button, variant="primary", elem_id=button_id, scale=1)
    return question, top_k, run


def on_ask(
    question: gr.Textbox, button: gr.Button, fn: Callable[..., Any], inputs: list[Any], outputs: list[Any]
) -> None:
    """Run ``fn`` on Enter in the question box or a click on the button (the Search and Compare tabs)."""
    triggers = [question.submit, button.click]
    gr.on(triggers, fn, inputs=inputs, outputs=outputs, show_progress="minimal", api_visibility="private")


def build_search_tab(service: AppService) -> None:
    """Components and events of the Search tab."""
    config = service.config

    def on_search(
        question: str,
        k: float,
        mode: str,
        documents: list[str],
        kinds: list[str],
        added_after: str,
        added_before: str,
        group: bool,
        request: gr.Request,
    ) -> tuple[str, ShownResults | None]:
        text = (question or "").strip()
        if not text:
            return notice(TYPE_A_QUESTION), None
        try:
            filters = chosen_filters(service, documents, kinds, added_after, added_before)
            hits, empty = service.search(text, k, library_key(config, request), mode=mode, filters=filters)
        except Exception as exc:
            return shown_error(exc), None
        page = notice(EMPTY_LIBRARY) if empty else render_hits(hits, text, group=bool(group))
        return page, shown(text, hits)

    with gr.Tab("Search", id="search", elem_id="tab-search"):
        question, top_k, button = question_row(
            service,
            "search-row question top-k search-button",
            "Ask in plain words, e.g. who invented the lighthouse lens? (Enter to search)",
            "Search",
            autofocus=True,
        )
        # The results come right after the question in the page (and so in the Tab order); the options sit
        # beside them, after them in the Tab order.
        with gr.Row(elem_id="search-body"):
            with gr.Column(scale=3, min_width=420):
                results = gr.HTML(notice(TYPE_A_QUESTION), elem_id="results", js_on_load=RESULTS_JS)
                build_page_view(service, results)
                last_results = build_export_view(service)
            with gr.Column(scale=1, min_width=260, elem_id="search-options"):
                options = build_search_options(service)
                group = gr.Checkbox(True, label="Group by document", elem_id="group-by-document")
                gr.Examples(
                    EXAMPLE_QUESTIONS, inputs=[question], label="Example questions (after Load sample documents)"
                )
    inputs = [question, top_k, *options.inputs, group]
    on_ask(question, button, on_search, inputs, [results, last_results])
    group.change(
        on_search, inputs=inputs, outputs=[results, last_results], show_progress="hidden", api_visibility="private"
    )
