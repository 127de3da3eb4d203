"""The Search tab's page view: "Show page" / "Show in context" on a card opens the hit where it comes from.

Each card's button (a real <button>, so Enter and Space work) sends its passage id, page and best-sentence
range; every value is bounded here and checked against the stored passage by the library, so a request can only
show a page or text of a document in the caller's own library. The view opens under the results, takes the
focus, and closes with its Close button or Escape (the focus goes back to the card's button).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr

from rdr_search.app.inputs import InputError, whole_number
from rdr_search.app.render import EMPTY_LIBRARY, notice, render_passage_view
from rdr_search.app.service import AppService
from rdr_search.app.web import library_key, shown_error

MAX_ID = 2**62
MAX_PAGE = 1_000_000
MAX_OFFSET = 2**40

RESULTS_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.rdr-show');
  if (!button) return;
  window.rdrShowFrom = button.id;
  const d = button.dataset;
  trigger('click', {passage: d.passage, page: d.page, start: d.start, end: d.end});
});
"""
VIEW_JS = """
const close = () => { if (element.querySelector('.rdr-view')) trigger('click', {action: 'close'}); };
element.addEventListener('click', (event) => { if (event.target.closest('[data-action=close]')) close(); });
element.addEventListener('keydown', (event) => { if (event.key === 'Escape') close(); });
watch('value', () => {
  const view = element.querySelector('.rdr-view');
  if (view) { view.focus(); view.scrollIntoView({block: 'start'}); return; }
  const back = window.rdrShowFrom && document.getElementById(window.rdrShowFrom);
  if (back) back.focus();
});
"""


def view_request(data: Mapping[str, Any]) -> tuple[int, int | None, tuple[int, int] | None]:
    """(passage id, page, sentence range) from a card's button, each bounded; refuses anything else."""
    passage = whole_number(data.get("passage"), "passage", 1, MAX_ID)
    page = data.get("page")
    shown = None if page in (None, "") else whole_number(page, "page", 1, MAX_PAGE)
    start, end = data.get("start"), data.get("end")
    if start in (None, "") or end in (None, ""):
        return passage, shown, None
    return passage, shown, (whole_number(start, "offset", 0, MAX_OFFSET), whole_number(end, "offset", 0, MAX_OFFSET))


def show_passage(service: AppService, key: str | None, data: Mapping[str, Any]) -> str:
    """The view's HTML for one button press (an error notice for a bad or stale request)."""
    if not isinstance(data, Mapping):
        raise InputError("Nothing to show.")
    passage, page, sentence = view_request(data)
    with service.library(key, create=False) as library:
        if library is None:
            return notice(EMPTY_LIBRARY)
        return render_passage_view(library.view(passage, page=page, sentence=sentence))


def build_page_view(service: AppService, results: gr.HTML) -> None:
    """The view panel under ``results`` and the events that open (a card's button) and close it."""
    config = service.config
    view = gr.HTML("", elem_id="page-view", js_on_load=VIEW_JS)

    def on_show(event: gr.EventData, request: gr.Request) -> str:
        try:
            return show_passage(service, library_key(config, request), getattr(event, "_data", None) or {})
        except Exception as exc:
            return shown_error(exc)

    def on_view_click(event: gr.EventData) -> Any:
        data = getattr(event, "_data", None) or {}
        return "" if isinstance(data, Mapping) and data.get("action") == "close" else gr.skip()

    results.click(on_show, outputs=[view], show_progress="minimal", api_visibility="private")
    view.click(on_view_click, outputs=[view], show_progress="hidden", api_visibility="private")
