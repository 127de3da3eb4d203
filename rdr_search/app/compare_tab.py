"""The Compare tab: one question ranked by two encoder pairs over the same passages, side by side."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from rdr_search.app.compare_eval import build_compare_eval
from rdr_search.app.render import EMPTY_LIBRARY, TYPE_A_QUESTION, notice, other_ranks, render_compare_head, render_hits
from rdr_search.app.search_tab import EXAMPLE_QUESTIONS, on_ask, question_row
from rdr_search.app.service import AppService
from rdr_search.app.web import library_key, shown_error


@dataclass
class CompareHeads:
    """The two column headings, refreshed while the pairs load (they name the pairs)."""

    left: gr.HTML
    right: gr.HTML


def compare_heads(service: AppService) -> tuple[str, str]:
    """The two column headings' HTML."""
    main, other = service.pair_names()
    return render_compare_head("Main pair", main), render_compare_head("Compare pair", other)


def build_compare_tab(service: AppService) -> CompareHeads:
    """Components and events of the Compare tab; returns the headings for the status refresh."""
    config = service.config

    def on_compare(question: str, k: float, request: gr.Request) -> tuple[str, str]:
        text = (question or "").strip()
        if not text:
            return notice(TYPE_A_QUESTION), notice(TYPE_A_QUESTION)
        try:
            left, right, empty = service.compare(text, k, library_key(config, request))
        except Exception as exc:
            return shown_error(exc), shown_error(exc)
        if empty:
            return notice(EMPTY_LIBRARY), notice(EMPTY_LIBRARY)
        return render_hits(left, text, other_ranks(right)), render_hits(right, text, other_ranks(left))

    with gr.Tab("Compare", id="compare", elem_id="tab-compare"):
        gr.Markdown(
            "The same question, the same passages, two encoder pairs: each column is one pair's "
            "ranking, and each card says where the other pair ranks that passage."
        )
        question, top_k, button = question_row(
            service, "compare-row compare-question compare-k compare-button",
            "Ask in plain words (Enter to compare)", "Compare",
        )  # fmt: skip
        gr.Examples(EXAMPLE_QUESTIONS, inputs=[question], label="Example questions")
        left_head, right_head = compare_heads(service)
        with gr.Row(equal_height=False, elem_id="compare-columns"):
            with gr.Column(elem_id="compare-left-column", min_width=320):
                heads_left = gr.HTML(left_head, elem_id="compare-left-head", js_on_load=None)
                left = gr.HTML(notice(TYPE_A_QUESTION), elem_id="compare-left", js_on_load=None)
            with gr.Column(elem_id="compare-right-column", min_width=320):
                heads_right = gr.HTML(right_head, elem_id="compare-right-head", js_on_load=None)
                right = gr.HTML(notice(TYPE_A_QUESTION), elem_id="compare-right", js_on_load=None)
        build_compare_eval(service)
    on_ask(question, button, on_compare, [question, top_k], [left, right])
    return CompareHeads(heads_left, heads_right)
