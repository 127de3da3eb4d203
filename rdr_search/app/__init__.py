"""The web app: a service that does the work (no web framework), HTML rendering, one module per tab, the API.

``build_app(config)`` makes the Gradio Blocks; launch it with ``launch_options(config)``.
"""

from rdr_search.app.build import build_app
from rdr_search.app.service import AppConfig, AppService
from rdr_search.app.web import launch_options

__all__ = ["AppConfig", "AppService", "build_app", "launch_options"]
