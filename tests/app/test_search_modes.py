"""Search modes and filters through the API (old two-argument clients too), the service's bounds, the UI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from rdr_search.app.inputs import InputError, search_filters, search_mode
from rdr_search.records import SearchFilters
from tests.app.helpers import RunningApp, running_app, tiny_config

DOCS = {
    "orchard.txt": "Apple trees grow in orchards; the Bramley apple keeps well through the winter.",
    "harbour.md": "# Harbours\n\nShips unload containers at the harbour cranes by night.",
    "desert.html": "<html><body><h1>Deserts</h1><p>Camels cross the dry sand dunes at dawn.</p></body></html>",
}


@pytest.fixture(scope="module")
def app(tiny_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    folder = tmp_path_factory.mktemp("docs")
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    with running_app(tiny_config(tiny_pair, tmp_path_factory.mktemp("library"))) as running:
        client = Client(running.url, verbose=False)
        outcomes = client.predict([handle_file(str(folder / name)) for name in DOCS], api_name="/add_files")
        assert [o["status"] for o in outcomes] == ["added"] * len(DOCS), outcomes
        yield running


def test_api_search_modes_and_filters(app: RunningApp) -> None:
    c = Client(app.url, verbose=False)
    old = c.predict("Which apple keeps through the winter?", 3, api_name="/search")  # a client from before modes
    assert old[0]["source"] == "orchard.txt" and {h["mode"] for h in old} == {"hybrid"}
    keyword = c.predict('"Bramley apple"', 5, "keyword", api_name="/search")
    assert [h["source"] for h in keyword] == ["orchard.txt"] and keyword[0]["mode"] == "keyword"
    dense = c.predict("apples", 5, "dense", ["harbour.md", "desert.html"], None, "", "", api_name="/search")
    assert {h["source"] for h in dense} == {"harbour.md", "desert.html"} and {h["mode"] for h in dense} == {"dense"}
    typed = c.predict("apples", 5, "hybrid", None, ["md"], "", "", api_name="/search")
    assert [h["kind"] for h in typed] == ["markdown"] * len(typed) and typed
    assert c.predict("apples", 5, "hybrid", None, None, "2999-01-01", "", api_name="/search") == []
    with pytest.raises(Exception, match="dense, keyword, hybrid"):
        c.predict("apples", 5, "semantic", api_name="/search")
    with pytest.raises(Exception, match="date like 2025-01-31"):
        c.predict("apples", 5, "hybrid", None, None, "yesterday", "", api_name="/search")
    with pytest.raises(Exception, match="At most 100 documents"):
        c.predict("apples", 5, "hybrid", [f"d{i}" for i in range(101)], None, "", "", api_name="/search")


def test_inputs_are_bounded() -> None:
    assert search_mode(None) == "hybrid" and search_mode(" Keyword ") == "keyword"
    for bad in ("bm25", 3, ["dense"]):
        with pytest.raises(InputError, match="dense, keyword, hybrid"):
            search_mode(bad)
    limits = {"max_items": 2, "max_chars": 10}
    assert search_filters(["a", "a", "b"][:2], "pdf", None, "", **limits) == SearchFilters(("a",), ("pdf",))
    for documents, message in ((["a", "b", "c"], "At most 2"), (["x" * 11], "limit is 10"), ({"a": 1}, "list")):
        with pytest.raises(InputError, match=message):
            search_filters(documents, None, None, None, **limits)
    with pytest.raises(InputError, match="must be text"):
        search_filters(None, [7], None, None, **limits)
    with pytest.raises(InputError, match="limit is 40"):
        search_filters(None, None, "2025-01-01" * 5, None, **limits)


def test_service_search_takes_mode_and_filters(app: RunningApp) -> None:
    service = app.service
    hits, empty = service.search("camels", 5, None, mode="keyword", filters=SearchFilters(kinds=("html",)))
    assert not empty and [h.source for h in hits] == ["desert.html"]
    with pytest.raises(InputError, match="SearchFilters"):
        service.search("camels", 5, None, filters={"kinds": ["html"]})
