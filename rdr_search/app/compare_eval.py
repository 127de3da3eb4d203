"""The Compare tab's recall check: the visitor's questions with expected answers, both pairs' top-k answer recall
over their library as a curve (k = 1..k) and a table, as ``rdr-search eval --plot`` draws it."""

from __future__ import annotations

import io

import gradio as gr
from PIL import Image

from rdr_search.app.recall_check import LINE_FORMAT, MAX_LINE_CHARS, MAX_LINES, table_ks
from rdr_search.app.render import EMPTY_LIBRARY, notice
from rdr_search.app.service import AppService
from rdr_search.app.web import library_key, shown_error
from rdr_search.evaluation import format_markdown
from rdr_search.evaluation.plot import at_ks, recall_png

EXAMPLE = (
    "Who invented the lens used in lighthouses? | Fresnel; Augustin Fresnel\n"
    "What water temperature is best for green tea? | 70; 80"
)
ADVICE = (
    f"One question per line as `{LINE_FORMAT}` (at most {MAX_LINES} lines of {MAX_LINE_CHARS} characters). "
    "A question counts as answered at k when one of its first k passages contains an expected answer "
    "(DPR's has_answer, as `rdr-search eval` computes it)."
)

Outputs = tuple[str, str, Image.Image | None]


def build_compare_eval(service: AppService) -> None:
    """The form, the recall table and the curve (inside the Compare tab)."""
    config = service.config

    def on_measure(lines: str, k: float, request: gr.Request) -> Outputs:
        try:
            reports, empty = service.recall_check(lines, k, library_key(config, request))
        except Exception as exc:
            return shown_error(exc), "", None
        if empty:
            return notice(EMPTY_LIBRARY), "", None
        depth = max(max(r.recall) for r in reports)
        table = format_markdown([at_ks(r, table_ks(depth)) for r in reports])
        title = f"Top-k answer recall on your questions (k = 1..{depth})"
        chart = Image.open(io.BytesIO(recall_png(reports, title=title)))
        summary = f"{reports[0].questions} question{'s' if reports[0].questions != 1 else ''}, k = 1..{depth}"
        return notice(summary), table, chart

    with gr.Accordion("Answer recall on your own questions", open=False, elem_id="recall-check"):
        gr.Markdown(ADVICE)
        lines = gr.Textbox(
            label="Questions | expected answers",
            placeholder=EXAMPLE,
            lines=4,
            max_lines=12,
            max_length=MAX_LINES * (MAX_LINE_CHARS + 2),
            elem_id="recall-questions",
        )
        with gr.Row(equal_height=True):
            depth = gr.Slider(1, config.max_k, value=config.max_k, step=1, label="Up to k", scale=3, elem_id="recall-k")
            button = gr.Button("Measure recall", variant="primary", scale=1, elem_id="recall-button")
        status = gr.HTML("", elem_id="recall-status", js_on_load=None)
        table = gr.Markdown(elem_id="recall-table")
        chart = gr.Image(
            type="pil", format="png", interactive=False, label="Top-k answer recall", elem_id="recall-chart"
        )
    button.click(
        on_measure,
        inputs=[lines, depth],
        outputs=[status, table, chart],
        show_progress="minimal",
        api_visibility="private",
    )
