"""Named API endpoints (gradio_client, MCP): JSON in and out; every input bounded and checked by the service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import gradio as gr

from rdr_search.app.export_view import build_export_api
from rdr_search.app.inputs import search_filters
from rdr_search.app.render import other_ranks
from rdr_search.app.service import AppService
from rdr_search.app.web import api_errors, library_key
from rdr_search.library import Hit

SESSIONLESS_NOTE = (
    " In this public demo, calls without a browser session (MCP, or no session_hash) search only the sample documents."
)


def hit_json(hit: Hit, other: Mapping[int, int] | None = None) -> dict[str, Any]:
    """A hit as the API returns it (with its 'pages' label, and its rank in the other list when comparing)."""
    out = hit.to_dict()
    if other is not None:
        out["other_rank"] = other.get(hit.passage_id)
    return out


SEARCH_DESCRIPTION = (
    "Search the library: the k passages that best answer the question, best first, with rank, score, mode, title, "
    "source, pages and text. mode: hybrid (default; words and meaning fused, score 0..1), dense (DPR inner "
    'product) or keyword (BM25); a "quoted phrase" must appear as is. Optional filters: documents and types '
    "(lists of document names and of file types such as pdf), added_after and added_before (dates, YYYY-MM-DD)."
)


def build_search_endpoint(
    service: AppService, question: gr.Textbox, k: gr.Number, out: gr.JSON, trigger: gr.Button, note: str
) -> None:
    """/search: (question, k), then the mode and filters, each with a default: gradio_client fills them in, so
    clients written for (question, k) keep working."""
    config = service.config

    @api_errors
    def search(
        question: str,
        k: float,
        mode: str | None,
        documents: Any,
        types: Any,
        added_after: str | None,
        added_before: str | None,
        request: gr.Request,
    ) -> list[dict[str, Any]]:
        """The k passages that best answer the question (rank, score, mode, title, source, pages, text, ...)."""
        limits = {"max_items": config.max_filter_items, "max_chars": config.max_name_chars}
        filters = search_filters(documents, types, added_after, added_before, **limits)
        hits, _ = service.search(question, k, library_key(config, request), mode=mode, filters=filters)
        return [hit_json(h) for h in hits]

    with gr.Column(visible=False):
        mode = gr.Textbox(value="hybrid")
        documents, types = gr.JSON(value=[]), gr.JSON(value=[])
        added_after, added_before = gr.Textbox(value=""), gr.Textbox(value="")
    inputs = [question, k, mode, documents, types, added_after, added_before]
    trigger.click(search, inputs=inputs, outputs=[out], api_name="search", api_description=SEARCH_DESCRIPTION + note)


def build_api(service: AppService) -> None:
    """Hidden components that give the named endpoints typed inputs and JSON outputs."""
    config = service.config

    @api_errors
    def add_files(files: list[str] | None, request: gr.Request) -> list[dict[str, Any]]:
        """Add files (upload with gradio_client.handle_file); one outcome per file."""
        result = service.add_uploads(list(files or []), library_key(config, request))
        return [asdict(o) for o in result.outcomes]

    @api_errors
    def load_samples(request: gr.Request) -> list[dict[str, Any]]:
        """Add the shipped sample documents; one outcome per file."""
        return [asdict(o) for o in service.add_samples(library_key(config, request)).outcomes]

    @api_errors
    def cancel_add(request: gr.Request) -> dict[str, Any]:
        """Stop the adds running on this library after their current part; {"cancelled": how many there were}."""
        return {"cancelled": service.adds.cancel(library_key(config, request))}

    @api_errors
    def compare(question: str, k: float, request: gr.Request) -> dict[str, Any]:
        """Both pairs' k closest passages over the same library; each hit also carries other_rank."""
        left, right, _ = service.compare(question, k, library_key(config, request))
        main, other = service.pair_names()
        return {
            "left": {"name": main, "hits": [hit_json(h, other_ranks(right)) for h in left]},
            "right": {"name": other, "hits": [hit_json(h, other_ranks(left)) for h in right]},
        }

    @api_errors
    def documents(request: gr.Request) -> list[dict[str, Any]]:
        """Documents in the library with their pages, passages and date added."""
        return [asdict(d) for d in service.documents(library_key(config, request))]

    @api_errors
    def remove(source: str, request: gr.Request) -> dict[str, Any]:
        """Remove a document by its source name; {"source", "removed"}."""
        removed = service.remove(source, library_key(config, request))
        return {"source": source, "removed": removed}

    with gr.Column(visible=False):
        files = gr.File(file_count="multiple", type="filepath")
        question = gr.Textbox()
        k = gr.Number(value=config.default_k, precision=0)
        source = gr.Textbox()
        out = gr.JSON()
        trigger = gr.Button()
    note = SESSIONLESS_NOTE if config.session_scoped else ""
    trigger.click(add_files, inputs=[files], outputs=[out], api_name="add_files")
    build_search_endpoint(service, question, k, out, trigger, note)
    trigger.click(documents, outputs=[out], api_name="documents")
    trigger.click(remove, inputs=[source], outputs=[out], api_name="remove")
    trigger.click(load_samples, outputs=[out], api_name="load_samples")
    trigger.click(cancel_add, outputs=[out], api_name="cancel_add")
    build_export_api(service, note)
    if config.compare_spec is not None:
        trigger.click(
            compare, inputs=[question, k], outputs=[out], api_name="compare",
            api_description="Compare two encoder pairs on the same library: {left, right}, each with the pair's "
            "name and its k closest passages (as search returns them, plus other_rank: the passage's rank in "
            "the other list, or null)." + note,
        )  # fmt: skip
