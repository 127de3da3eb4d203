"""Export and recall check in the app: the ``export`` endpoint's files, where they live, and the Compare tab's
recall curve on the visitor's own questions (service layer)."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client

from rdr_search.app.build import upload_folder
from rdr_search.app.export_view import EXPORTS_FOLDER, ShownResults, export_format, write_export
from rdr_search.app.inputs import InputError
from rdr_search.app.recall_check import DATASET, parse_expected, table_ks
from rdr_search.records import Hit, Span
from tests.app.helpers import RunningApp, running_app, tiny_config, tiny_spec
from tests.files import write_pdf

MAX_K = 4
DOCUMENTS = {
    "orchard.txt": "Apple trees grow in orchards and give the red apples of autumn.",
    "harbour.md": "# Harbours\n\nShips unload the containers at the harbour cranes by night.",
    "desert.txt": "Camels cross the dry sand dunes of the desert between two oases.",
    "bakery.txt": "Sourdough bread rises slowly overnight in the cool bakery kitchen.",
    "glacier.md": "# Glaciers\n\nA glacier carves the deep valley as it slides down the mountain.",
}


@pytest.fixture(scope="module")
def app(
    tiny_pair: tuple[Path, Path], other_tiny_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    """A local library of six documents (one a two-page PDF), a compare pair, and at most MAX_K results."""
    folder = tmp_path_factory.mktemp("docs")
    config = tiny_config(
        tiny_pair, tmp_path_factory.mktemp("library"), compare_spec=tiny_spec(other_tiny_pair), max_k=MAX_K
    )
    with running_app(config) as running:
        paths = []
        for name, text in DOCUMENTS.items():
            (folder / name).write_text(text, encoding="utf-8")
            paths.append(folder / name)
        pages = ["The lighthouse keeper trimmed the wicks.", "The Fresnel lens bends the lamp's light into the beam."]
        paths.append(write_pdf(folder / "lights.pdf", pages, title="Lighthouses"))
        result = running.service.add(paths, [p.name for p in paths], None)
        assert all(o.status == "added" for o in result.outcomes), result.outcomes
        yield running


def test_export_endpoint_returns_a_file_that_parses(app: RunningApp) -> None:
    c = Client(app.url, verbose=False)
    assert "/export" in c.view_api(print_info=False, return_format="dict")["named_endpoints"]
    question = "Who made the lighthouse lens?"

    path = Path(c.predict(question, 100, "csv", api_name="/export"))  # k is clamped to the app's MAX_K
    assert path.name == "rdr-search-who-made-the-lighthouse-lens.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    assert [r["rank"] for r in rows] == [str(i) for i in range(1, MAX_K + 1)]
    sources = {r["source"] for r in rows}
    assert sources <= {*DOCUMENTS, "lights.pdf"} and all(r["citation"].endswith(f"({r['source']})") for r in rows)

    data = json.loads(Path(c.predict(question, 7, "json", api_name="/export")).read_text(encoding="utf-8"))
    assert data["question"] == question and data["mode"] == "hybrid" and len(data["hits"]) == MAX_K
    searched = c.predict(question, 7, api_name="/search")
    assert [h["citation"] for h in data["hits"]][0].startswith(searched[0]["title"])
    assert [(h["source"], h["passage"]) for h in data["hits"]] == [(h["source"], h["text"]) for h in searched]

    every = json.loads(Path(c.predict("lens", 1, "json", api_name="/export")).read_text(encoding="utf-8"))
    assert len(every["hits"]) == 1
    markdown = Path(c.predict(question, 2, "Markdown", api_name="/export")).read_text(encoding="utf-8")
    assert markdown.startswith("# rdr-search results") and f"- Question: {question}" in markdown

    with pytest.raises(Exception, match="csv, json, md"):
        c.predict(question, 3, "xlsx", api_name="/export")
    c.close()


def test_export_files_live_in_the_gradio_cache_and_are_deleted_with_it(app: RunningApp) -> None:
    c = Client(app.url, verbose=False)
    c.predict("apples", 2, "csv", api_name="/export")
    root = upload_folder() / EXPORTS_FOLDER
    served = max(root.glob("*/rdr-search-apples.csv"), key=lambda p: p.stat().st_mtime)
    # Tracked with the files Gradio deletes on its delete_cache schedule (and at shutdown).
    tracked = set().union(*app.demo.temp_file_sets)
    assert str(served) in tracked
    assert served.parent.stat().st_mode & 0o077 == 0  # a private folder with an unguessable name
    c.close()


def shown_hit() -> Hit:
    return Hit(1, 2.0, "text", "Title", "a.txt", Span(1, 1, 0, 4), 1, 7)


def test_write_export_and_its_leftover_folders(tmp_path: Path) -> None:
    stale = tmp_path / EXPORTS_FOLDER / "stale"
    stale.mkdir(parents=True)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = tmp_path / EXPORTS_FOLDER / "fresh"  # maybe about to be written: kept
    fresh.mkdir()
    path = write_export(ShownResults("q?", (shown_hit(),)), "json", tmp_path)
    assert json.loads(path.read_text())["hits"][0]["citation"] == "Title (a.txt)"
    assert not stale.exists() and fresh.exists() and path.parent.parent == tmp_path / EXPORTS_FOLDER
    assert export_format(None) == "csv" and export_format(" md ") == "md"
    for bad in ("xlsx", 5, "x" * 21):
        with pytest.raises(InputError):
            export_format(bad)


def test_recall_check_gives_recall_at_every_k_for_both_pairs(app: RunningApp) -> None:
    # "the" is in every passage and "zeppelin" in none: half the questions are answered at every k, whatever
    # the ranking.
    lines = "Where do apples grow? | the\n\nWhat flies over the desert? | zeppelin; airship\n"
    reports, empty = app.service.recall_check(lines, 100, None)
    assert not empty and len(reports) == 2
    assert reports[0].name.startswith("Main pair") and reports[1].name.startswith("Compare pair")
    for report in reports:
        assert report.questions == 2 and report.dataset == DATASET
        assert report.recall == {k: 50.0 for k in range(1, MAX_K + 1)}  # k = 1..max_k, clamped
    reports, _ = app.service.recall_check("Which lens bends light? | Fresnel lens", 2, None)
    assert sorted(reports[0].recall) == [1, 2]
    assert all(0.0 <= v <= 100.0 for r in reports for v in r.recall.values())
    assert table_ks(4) == [1, 4] and table_ks(50) == [1, 5, 10, 20, 50] and table_ks(30) == [1, 5, 10, 20, 30]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("", "one question per line"),
        ("Where do apples grow?", "Line 1: write a question, then |"),
        ("ok | yes\n | answer", "Line 2"),
        ("question | ;  ; ", "Line 1"),
        ("\n".join(f"q{i} | a" for i in range(51)), "51 questions; the limit is 50"),
        ("q | a\n" + "x" * 498 + " | a", "Line 2 is 502 characters long; the limit is 500"),
        ("q | a\n" * 5000, "characters long"),
        (["not", "text"], "must be text"),
    ],
)
def test_recall_check_input_is_bounded(lines: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_expected(lines)


def test_recall_check_lines_parse() -> None:
    pairs = parse_expected("  Who said a | b? | Alice ;Bob  \n\nWhen? | 1815")
    assert [(p.question, p.answers) for p in pairs] == [("Who said a | b?", ("Alice", "Bob")), ("When?", ("1815",))]
