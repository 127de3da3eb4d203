"""What every tab and endpoint shares: who is asking (the library key), errors for people, launch options."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import gradio as gr
from gradio.context import LocalContext
from starlette.middleware import Middleware

from rdr_search.app.http import SecurityMiddleware
from rdr_search.app.render import notice
from rdr_search.app.service import SAMPLES_KEY, AppConfig
from rdr_search.app.theme import app_theme
from rdr_search.errors import RdrSearchError

log = logging.getLogger("rdr_search.app")

P = ParamSpec("P")
R = TypeVar("R")

UNEXPECTED = "Something went wrong on the server; it has been logged. Try again, or reload the page."


def is_sessionless(request: gr.Request | None) -> bool:
    """True for calls that carry no browser session: MCP tools, and API calls that send no ``session_hash``
    (Gradio then names the session after the event itself, so each such call would look like a new visitor)."""
    if request is None or not request.session_hash:
        return True
    with contextlib.suppress(Exception):
        if (request.headers or {}).get("x-gradio-user") == "mcp":
            return True
    return request.session_hash == LocalContext.event_id.get(None)


def library_key(config: AppConfig, request: gr.Request | None) -> str | None:
    """The library a request works on: None locally; its session, or the shared samples when sessionless."""
    if not config.session_scoped:
        return None
    return SAMPLES_KEY if is_sessionless(request) else request.session_hash  # type: ignore[union-attr]


def api_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """API handlers: a message for people becomes gr.Error (shown to the client); anything else is logged and
    answered with a generic message, so no traceback or server detail reaches the network."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except RdrSearchError as exc:
            # An expected condition (still loading, a bad input) is an answer, not a fault: no traceback.
            raise gr.Error(str(exc), print_exception=False) from None
        except Exception:
            log.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(UNEXPECTED) from None

    return wrapper


def shown_error(exc: BaseException) -> str:
    """A UI handler's error as a notice: the message of ours, a generic line (and a log entry) otherwise."""
    if isinstance(exc, RdrSearchError):
        return notice(str(exc), "error")
    log.error("unexpected error", exc_info=exc)
    return notice(UNEXPECTED, "error")


def launch_options(config: AppConfig) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: upload cap, security headers and body cap, clear errors, theme."""
    return {
        "theme": app_theme(),
        "max_file_size": f"{config.max_upload_mb}mb",
        "app_kwargs": {"middleware": [Middleware(SecurityMiddleware, max_body_bytes=config.max_body_kb * 1024)]},
        # Gradio's own input checks (e.g. a path that was never uploaded) then say what is wrong instead of
        # {"error": null}; our handlers never let an unexpected exception's text through (see api_errors).
        "show_error": True,
    }
