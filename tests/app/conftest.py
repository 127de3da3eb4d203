"""Fixtures of the browser tests: one Chromium per module, and the app running session-scoped (with and without
a compare pair)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.app.helpers import RunningApp, running_app, tiny_config, tiny_spec

CHROMIUM = os.environ.get("RDR_SEARCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # CI must never skip the browser tests: a missing browser is a failure with the fix in the message.
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium) or set RDR_SEARCH_CHROMIUM"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def app(tiny_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    config = tiny_config(tiny_pair, tmp_path_factory.mktemp("unused"), session_scoped=True)
    with running_app(config) as running:
        yield running


@pytest.fixture(scope="module")
def compare_app(
    tiny_pair: tuple[Path, Path], other_tiny_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    """Session-scoped like a public deployment, with a second tiny pair for the Compare tab."""
    config = tiny_config(
        tiny_pair, tmp_path_factory.mktemp("unused"), session_scoped=True, compare_spec=tiny_spec(other_tiny_pair)
    )
    with running_app(config) as running:
        yield running
