"""Start the web app in-process for API and browser tests, through the same code path as app.py."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from rdr_search.app.build import build_app
from rdr_search.app.service import AppConfig, AppService
from rdr_search.app.web import launch_options
from rdr_search.encoders import EncoderSpec


@dataclass
class RunningApp:
    url: str
    demo: gr.Blocks
    service: AppService


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tiny_spec(pair: tuple[Path, Path]) -> EncoderSpec:
    """The spec of a tiny test pair (context dir, question dir)."""
    return EncoderSpec.pair(str(pair[0]), str(pair[1]))


def tiny_config(tiny_pair: tuple[Path, Path], library: Path, **overrides: object) -> AppConfig:
    """An AppConfig for the tiny test pair; ``overrides`` set any other field (e.g. ``compare_spec``)."""
    return AppConfig(library_path=library, encoder_spec=tiny_spec(tiny_pair), **overrides)


@contextlib.contextmanager
def running_app(config: AppConfig) -> Iterator[RunningApp]:
    """Launch the app on a free localhost port with its models loaded; close everything after."""
    demo = build_app(config)
    service: AppService = demo.rdr_service  # type: ignore[attr-defined]
    assert service.wait_until_ready(120), "the models did not load within 120 s"
    assert service.status()[0] == "ready", service.status()[1]
    compare = service.compare_status()
    assert compare is None or compare[0] == "ready", compare
    _, url, _ = demo.launch(
        prevent_thread_lock=True, server_port=free_port(), server_name="127.0.0.1", quiet=True, **launch_options(config)
    )
    try:
        yield RunningApp(url, demo, service)
    finally:
        demo.close()
        service.close()
