"""Keeping a library from the app: a visitor exports their session library and imports it into another
session (same hits); hostile uploads are refused; locally, a watched folder reaches the library."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from rdr_search.app.build import upload_folder
from rdr_search.settings import Settings
from tests.app.helpers import RunningApp, running_app, tiny_config
from tests.files import sample_corpus


@pytest.fixture(scope="module")
def session_app(tiny_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    config = tiny_config(tiny_pair, tmp_path_factory.mktemp("unused"), session_scoped=True)
    with running_app(config) as app:
        yield app


def test_a_visitor_exports_and_imports_their_library(session_app: RunningApp, tmp_path: Path) -> None:
    corpus = sample_corpus(tmp_path / "docs")
    first = Client(session_app.url, verbose=False)
    first.predict([handle_file(str(p)) for p in corpus.values()], api_name="/add_files")
    before = first.predict("Who sealed the Magna Carta?", 10, api_name="/search")
    archive = Path(first.predict(api_name="/export_library"))
    assert archive.suffix == ".rdrlib" and archive.stat().st_size > 0

    second = Client(session_app.url, verbose=False)  # another session: an empty library of its own
    assert second.predict(api_name="/documents") == []
    result = second.predict(handle_file(str(archive)), api_name="/import_library")
    assert sorted(result["added"]) == sorted(p.name for p in corpus.values())
    assert second.predict("Who sealed the Magna Carta?", 10, api_name="/search") == before

    hostile = tmp_path / "hostile.rdrlib"
    hostile.write_bytes(b"PK\x03\x04 a broken zip")
    with pytest.raises(Exception, match="not a zip file"):
        second.predict(handle_file(str(hostile)), api_name="/import_library")
    assert not any(upload_folder().rglob("hostile.rdrlib"))  # the upload was deleted once read


def test_the_local_app_keeps_a_watched_folder_in_step(tiny_pair: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    settings = dataclasses.replace(Settings(), watch_poll_s=0.1, watch_quiet_s=0.2)
    config = tiny_config(tiny_pair, tmp_path / "library", watch_folder=folder, settings=settings)
    with running_app(config) as app:
        try:
            (folder / "whales.md").write_text("# Whales\n\nBlue whales are the largest animals ever known.\n")
            c = Client(app.url, verbose=False)
            deadline = time.monotonic() + 60
            while not c.predict(api_name="/documents") and time.monotonic() < deadline:
                time.sleep(0.2)
            assert [d["source"] for d in c.predict(api_name="/documents")] == ["notes/whales.md"]
        finally:
            app.demo.rdr_watch.stop()  # type: ignore[attr-defined]
