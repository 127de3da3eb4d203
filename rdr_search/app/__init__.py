"""The web app: a service that does the work (no web framework), HTML rendering, one module per tab, the API.

``build_app(config)`` makes the Gradio Blocks; launch it with ``launch_options(config)``. The service,
sessions and uploads modules import no gradio, so they can be used and tested without it; the names below
are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rdr_search.app.build import build_app
    from rdr_search.app.service import AppConfig, AppService
    from rdr_search.app.web import launch_options

_WHERE = {"build_app": "build", "AppConfig": "service", "AppService": "service", "launch_options": "web"}

__all__ = ["AppConfig", "AppService", "build_app", "launch_options"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'rdr_search.app' has no attribute {name!r}")
    return getattr(importlib.import_module(f"rdr_search.app.{_WHERE[name]}"), name)
