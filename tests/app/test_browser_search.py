"""The Search tab's mode selector and filters in a real headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.app.helpers import RunningApp
from tests.app.test_browser import open_page, search, upload

pytestmark = pytest.mark.browser


def test_mode_selector_and_document_filter(browser: object, app: RunningApp, tmp_path: Path) -> None:  # noqa: F811
    files = {
        "kites.txt": "Kites fly best in a steady wind. The Quenford kite club meets on the open beach.",
        "harbour.txt": "Ships unload containers at the harbour cranes by night, when the wind drops.",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    page = open_page(browser, app)
    upload(page, *(tmp_path / name for name in files))
    page.get_by_role("tab", name="Search").click()
    mode = page.locator("#search-mode")
    expect(mode.get_by_label("Hybrid: words and meaning")).to_be_checked()  # the default

    mode.get_by_label("Exact words (keyword)").check()
    results = search(page, "Where does the Quenford club meet?")
    expect(results.locator(".rdr-summary")).to_contain_text("BM25")
    expect(results.locator(".rdr-hit")).to_have_count(1)
    assert results.locator(".rdr-source").inner_text() == "kites.txt"

    mode.get_by_label("Hybrid: words and meaning").check()
    page.locator("#search-filters").get_by_text("Filters").click()
    page.locator("#filter-documents input").click()
    page.get_by_role("option", name="harbour.txt").click()
    results = search(page, "wind")
    expect(results.locator(".rdr-summary")).to_contain_text("fused")
    expect(results.locator(".rdr-hit")).to_have_count(1)
    assert results.locator(".rdr-source").inner_text() == "harbour.txt"
    page.context.close()
