"""The Search tab: a question, how many results, and the result cards."""

from __future__ import annotations

import gradio as gr

from rdr_search.app.page_view import RESULTS_JS, build_page_view
from rdr_search.app.render import EMPTY_LIBRARY, TYPE_A_QUESTION, notice, render_hits
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


def build_search_tab(service: AppService) -> None:
    """Components and events of the Search tab."""
    config = service.config

    def on_search(question: str, k: float, group: bool, request: gr.Request) -> str:
        text = (question or "").strip()
        if not text:
            return notice(TYPE_A_QUESTION)
        try:
            hits, empty = service.search(text, k, library_key(config, request))
        except Exception as exc:
            return shown_error(exc)
        return notice(EMPTY_LIBRARY) if empty else render_hits(hits, text, group=bool(group))

    with gr.Tab("Search", id="search", elem_id="tab-search"):
        question, top_k, button = question_row(
            service,
            "search-row question top-k search-button",
            "Ask in plain words, e.g. who invented the lighthouse lens? (Enter to search)",
            "Search",
            autofocus=True,
        )
        gr.Examples(EXAMPLE_QUESTIONS, inputs=[question], label="Example questions (after Load sample documents)")
        group = gr.Checkbox(True, label="Group by document", elem_id="group-by-document")
        results = gr.HTML(notice(TYPE_A_QUESTION), elem_id="results", js_on_load=RESULTS_JS)
        build_page_view(service, results)
    gr.on(
        [question.submit, button.click, group.change],
        on_search,
        inputs=[question, top_k, group],
        outputs=[results],
        show_progress="minimal",
        api_visibility="private",
    )
