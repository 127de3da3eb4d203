"""The Gradio app: header, model banner, the tabs and the API, wired over one :class:`AppService`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from rdr_search.app.add_tab import build_add_tab
from rdr_search.app.api import SESSIONLESS_NOTE, build_api
from rdr_search.app.compare_tab import build_compare_tab, compare_heads
from rdr_search.app.keep_view import build_keep_api
from rdr_search.app.keeping import AppWatch
from rdr_search.app.library_tab import build_library_tab
from rdr_search.app.render import HEADER, STYLE, render_status
from rdr_search.app.search_tab import build_search_tab
from rdr_search.app.service import AppConfig, AppService
from rdr_search.app.uploads import UploadedFiles, install_ledger
from rdr_search.app.web import library_key


def upload_folder() -> Path:
    """Where Gradio writes uploads (its GRADIO_TEMP_DIR, by default a 'gradio' folder in the temp dir)."""
    return Path(get_upload_folder())


def build_app(config: AppConfig, service: AppService | None = None) -> gr.Blocks:
    """The Gradio app over ``service`` (made from ``config`` and started when not given).

    Named API endpoints for gradio_client: ``add_files(files)``, ``search(question, k)``, ``documents()``,
    ``remove(source)``, ``load_samples()``, and with a compare pair ``compare(question, k)``; each returns
    JSON; ``export(question, k, format)`` returns a file (csv, json or md, each hit with a citation). In
    session-scoped mode each client session has its own library; calls without one (MCP, or no session_hash)
    search the sample documents. Launch it with ``launch_options(config)`` (rdr_search.app.web).
    """
    service = service or AppService(config)
    watch = AppWatch(service, config.watch_folder) if config.watch_folder and not config.session_scoped else None
    private: dict[str, Any] = {"api_visibility": "private"}
    age = config.upload_max_age_s
    # delete_cache: uploads that were never submitted go after `age`; all of Gradio's cache goes at shutdown.
    with gr.Blocks(title="rdr-search", analytics_enabled=False, delete_cache=(max(60, age // 4), age)) as demo:
        gr.HTML(STYLE + HEADER, padding=False, js_on_load=None)
        status = gr.HTML(_status_html(service), elem_id="model-status", js_on_load=None)
        timer = gr.Timer(1.0, active=True)
        with gr.Tabs(elem_id="rdr-tabs"):
            build_search_tab(service)
            heads = build_compare_tab(service) if config.compare_spec is not None else None
            add_events = build_add_tab(service)
            library_view = build_library_tab(service, watch)
        for event in add_events:
            event.then(library_view.refresh, outputs=library_view.outputs, show_progress="hidden", **private)
        build_api(service)
        build_keep_api(service, SESSIONLESS_NOTE if config.session_scoped else "")

        status_outputs: list[Any] = [status, timer] + ([heads.left, heads.right] if heads else [])

        def on_status() -> tuple[Any, ...]:
            state, _ = service.status()
            out: tuple[Any, ...] = (_status_html(service), gr.Timer(active=state == "loading"))
            return out + compare_heads(service) if heads else out

        timer.tick(on_status, outputs=status_outputs, show_progress="hidden", **private)
        demo.load(on_status, outputs=status_outputs, show_progress="hidden", **private)
        demo.load(library_view.refresh, outputs=library_view.outputs, show_progress="hidden", **private)
        if config.session_scoped:
            # The state's delete callback frees the library when Gradio drops the session; unload covers tab
            # close; the sweeper covers sessions Gradio evicts without calling either.
            session_state = gr.State(None, delete_callback=service.release)

            def on_session_start(request: gr.Request) -> str | None:
                return library_key(config, request)

            def on_unload(request: gr.Request) -> None:
                service.release(library_key(config, request))

            demo.load(on_session_start, outputs=[session_state], show_progress="hidden", **private)
            demo.unload(on_unload)

    service.uploads = UploadedFiles(upload_folder(), install_ledger(demo))
    demo.queue(default_concurrency_limit=config.concurrency)
    # Only now: defining the add handlers made Gradio patch tqdm, which must not happen while the loader
    # thread is inside a tqdm bar of its own.
    service.start()
    if watch is not None:
        watch.start()
    demo.rdr_service = service  # tests and app.py reach the service here
    demo.rdr_watch = watch
    return demo


def _status_html(service: AppService) -> str:
    return render_status(*service.status(), service.describe_scope(), service.compare_status())
