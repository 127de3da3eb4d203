"""Watching a folder: additions, changes, deletions and renames (zero encodings) reach the library."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.library import Library
from rdr_search.library.watch import FolderWatch
from rdr_search.settings import Settings

SETTINGS = Settings(precision="fp32", passage_words=12)
TEXTS = {
    "whales.md": "# Whales\n\nBlue whales are the largest animals ever known to have lived.\n",
    "bread.md": "# Bread\n\nKnead the dough for ten minutes and let it rise for one hour.\n",
}


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), SETTINGS)


@pytest.fixture()
def library(tmp_path: Path, pair: EncoderPair) -> Library:
    with Library.open(tmp_path / "library", pair, SETTINGS) as lib:
        yield lib


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in TEXTS.items():
        (docs / name).write_text(text)
    return docs


class ForwardCounter:
    """Counts real forward passes of the context encoder (a hook, not a mock)."""

    def __init__(self, pair: EncoderPair) -> None:
        self.calls = 0
        self._handle = pair.ctx.model.register_forward_hook(self._hook)

    def _hook(self, *args: object) -> None:
        self.calls += 1

    def close(self) -> None:
        self._handle.remove()


def sources(library: Library) -> set[str]:
    return {d.source for d in library.documents()}


def test_add_change_delete_and_rename_with_zero_encodings(
    library: Library, folder: Path, pair: EncoderPair, caplog: pytest.LogCaptureFixture
) -> None:
    watch = FolderWatch(library, folder, quiet_s=0)
    with caplog.at_level(logging.INFO, logger="rdr_search.watch"):
        assert {(c.kind, c.source) for c in watch.step()} == {("added", "docs/whales.md"), ("added", "docs/bread.md")}
        assert watch.step() == []  # nothing changed: nothing read

        (folder / "moon.md").write_text("# Moon\n\nThe Moon orbits the Earth every 27.3 days.\n")
        (folder / "bread.md").write_text("# Bread\n\nBake the loaf for forty minutes until it sounds hollow.\n")
        (folder / "whales.md").unlink()
        changes = {(c.kind, c.source) for c in watch.step()}
        assert changes == {("added", "docs/moon.md"), ("changed", "docs/bread.md"), ("removed", "docs/whales.md")}
        assert sources(library) == {"docs/moon.md", "docs/bread.md"}
        assert "forty minutes" in library.search("how long to bake", k=1, mode="keyword")[0].text

        before = library.search("When does the Moon orbit the Earth?", k=5)
        counter = ForwardCounter(pair)
        try:
            (folder / "moon.md").rename(folder / "luna.md")
            changes = watch.step()
        finally:
            counter.close()
        assert [(c.kind, c.source) for c in changes] == [("renamed", "docs/luna.md")]
        assert counter.calls == 0  # a rename encodes nothing
    after = library.search("When does the Moon orbit the Earth?", k=5)
    assert [(h.passage_id, h.score) for h in after] == [(h.passage_id, h.score) for h in before]
    assert {h.source for h in after if "Moon" in h.text} == {"docs/luna.md"}
    assert sources(library) == {"docs/luna.md", "docs/bread.md"}
    lines = [r.getMessage() for r in caplog.records]
    for expected in (
        "added  docs/moon.md",
        "changed  docs/bread.md",
        "removed  docs/whales.md",
        "renamed  docs/luna.md",
    ):
        assert any(expected in line for line in lines), lines
    assert library.check().ok


def test_changes_wait_for_a_quiet_period(library: Library, folder: Path) -> None:
    watch = FolderWatch(library, folder, quiet_s=5)
    assert watch.step(now=100) == []  # first sight of the folder starts the quiet period
    assert watch.step(now=103) == []
    (folder / "moon.md").write_text("# Moon\n\nThe Moon orbits the Earth.\n")  # a copy still going on
    assert watch.step(now=104) == []
    assert watch.step(now=108) == []  # only 4 s since the last change
    assert {c.source for c in watch.step(now=109.5)} == {"docs/whales.md", "docs/bread.md", "docs/moon.md"}


def test_a_vanished_folder_removes_nothing_and_is_followed_when_it_returns(
    library: Library, folder: Path, tmp_path: Path
) -> None:
    watch = FolderWatch(library, folder, quiet_s=0)
    watch.step()
    folder.rename(tmp_path / "elsewhere")
    assert watch.step() == [] and watch.step() == []
    assert sources(library) == {"docs/whales.md", "docs/bread.md"}
    (tmp_path / "elsewhere").rename(folder)
    (folder / "moon.md").write_text("# Moon\n\nThe Moon orbits the Earth.\n")
    assert [(c.kind, c.source) for c in watch.step()] == [("added", "docs/moon.md")]


def test_runs_in_the_background_and_stops_cleanly(library: Library, folder: Path) -> None:
    watch = FolderWatch(library, folder, poll_s=0.05, quiet_s=0.1).start()
    try:
        deadline = time.monotonic() + 30
        while sources(library) != {"docs/whales.md", "docs/bread.md"} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sources(library) == {"docs/whales.md", "docs/bread.md"}
        watch.pause()
        (folder / "whales.md").unlink()
        time.sleep(0.5)
        assert "docs/whales.md" in sources(library)  # paused: nothing applied
        watch.resume()
        while "docs/whales.md" in sources(library) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sources(library) == {"docs/bread.md"}
    finally:
        watch.stop()
    assert watch._thread is not None and not watch._thread.is_alive()
