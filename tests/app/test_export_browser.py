"""In a real headless Chromium: download the results on screen in each format, and draw the recall curve of the
visitor's own questions in the Compare tab."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.app.helpers import RunningApp
from tests.app.test_browser import open_page, search, upload

pytestmark = pytest.mark.browser

FILES = {
    "kites.txt": "Kites fly best in a steady wind on an open beach. A longer tail keeps a kite stable.",
    "gardening.md": "# Gardening\n\nTomatoes need sun, water and a stake to climb as they grow tall.",
    "formula.txt": '=HYPERLINK("http://evil.example") | a pipe and a kite in the wind.',
}


def write_files(folder: Path) -> list[Path]:
    paths = []
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths


def download(page: object, fmt: str) -> bytes:
    """Pick a format, wait for its file to be ready, click the download button; the downloaded bytes."""
    page.locator("#export-format").get_by_label(fmt, exact=True).check()  # type: ignore[attr-defined]
    button = page.locator("#export-button")  # type: ignore[attr-defined]
    expect(button).to_have_text(f"Download {fmt}")  # the file and its label arrive in one update
    expect(button).to_be_enabled()
    suffix = {"CSV": ".csv", "JSON": ".json", "Markdown": ".md"}[fmt]
    with page.expect_download() as info:  # type: ignore[attr-defined]
        button.click()
    downloaded = info.value
    assert downloaded.suggested_filename.endswith(suffix), downloaded.suggested_filename
    return Path(downloaded.path()).read_bytes()


def test_download_button_exports_the_results_on_screen(
    browser: object, compare_app: RunningApp, tmp_path: Path
) -> None:
    page = open_page(browser, compare_app)
    expect(page.locator("#export-button")).to_be_disabled()  # nothing to export yet
    upload(page, *write_files(tmp_path))
    results = search(page, "How do kites stay stable in the wind?")
    expect(results.locator(".rdr-hit")).to_have_count(3)
    shown = [results.locator(".rdr-hit").nth(i).get_attribute("data-source") for i in range(3)]
    expect(page.locator("#export-button")).to_be_enabled()

    rows = list(csv.DictReader(io.StringIO(download(page, "CSV").decode("utf-8-sig"), newline="")))
    assert [r["source"] for r in rows] == shown  # the results on screen, in their order
    assert all(r["citation"] == f"{r['document']} ({r['source']})" for r in rows if r["source"] != "formula.txt")
    formula = next(r for r in rows if r["source"] == "formula.txt")
    assert formula["passage"].startswith("'=HYPERLINK")  # neutralised for spreadsheets

    data = json.loads(download(page, "JSON"))
    assert data["question"] == "How do kites stay stable in the wind?" and data["mode"] == "hybrid"
    assert [h["source"] for h in data["hits"]] == shown

    markdown = download(page, "Markdown").decode("utf-8")
    assert markdown.startswith("# rdr-search results") and "a pipe" in markdown and "\\|" in markdown

    search(page, "tomatoes")  # a new search: the button exports the new results
    expect(results.locator(".rdr-hit").first).to_have_attribute("data-rank", "1")
    data = json.loads(download(page, "JSON"))  # the format changes too (from Markdown): a signal to wait for
    assert data["question"] == "tomatoes"
    page.context.close()


def test_compare_tab_draws_the_recall_curve_of_your_questions(
    browser: object,  # noqa: F811
    compare_app: RunningApp,
    tmp_path: Path,
) -> None:
    page = open_page(browser, compare_app)
    upload(page, *write_files(tmp_path))
    page.get_by_role("tab", name="Compare").click()
    page.locator("#recall-check").get_by_text("Answer recall on your own questions").click()
    box = page.locator("#recall-questions textarea")
    box.fill("How do kites stay stable? | longer tail\nWhat do tomatoes need? | sun; water")
    page.locator("#recall-button").click()
    expect(page.locator("#recall-status")).to_contain_text("2 questions")
    expect(page.locator("#recall-table")).to_contain_text("Main pair")
    expect(page.locator("#recall-table")).to_contain_text("Compare pair")
    image = page.locator("#recall-chart img")
    expect(image).to_be_visible()
    assert (image.evaluate("img => img.naturalWidth") or 0) > 400

    box.fill("no answers here")
    page.locator("#recall-button").click()
    expect(page.locator("#recall-status")).to_contain_text("Line 1: write a question, then |")
    page.context.close()
