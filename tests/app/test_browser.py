"""The web app in a real headless Chromium (Playwright): upload, search, compare, session privacy, no script
injection."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.app.helpers import RunningApp

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)


def open_page(browser: object, app: RunningApp) -> object:
    """A fresh browser context (a new session) on the app, models shown as ready."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(app.url, wait_until="domcontentloaded")
    page.locator("#model-status [data-state=ready]").wait_for()
    return page


def upload(page: object, *files: Path) -> None:
    page.get_by_role("tab", name="Add documents").click()  # type: ignore[attr-defined]
    page.locator("#upload-files input[type=file]").set_input_files([str(f) for f in files])  # type: ignore[attr-defined]
    table = page.locator("#outcome-table")  # type: ignore[attr-defined]
    for f in files:
        expect(table).to_contain_text(f.name)


def search(page: object, question: str) -> object:
    page.get_by_role("tab", name="Search").click()  # type: ignore[attr-defined]
    box = page.locator("#question textarea, #question input").first  # type: ignore[attr-defined]
    box.fill(question)
    box.press("Enter")
    return page.locator("#results")  # type: ignore[attr-defined]


def test_upload_then_search_shows_cards(browser: object, app: RunningApp, tmp_path: Path) -> None:
    notes = tmp_path / "kites.txt"
    notes.write_text("Kites fly best in a steady wind on an open beach. A longer tail keeps a kite stable.")
    guide = tmp_path / "gardening.md"
    guide.write_text("# Gardening\n\nTomatoes need sun, water and a stake to climb as they grow tall.")
    page = open_page(browser, app)
    upload(page, notes, guide)
    assert page.locator("#outcome-table").inner_text().count("added") >= 2

    results = search(page, "How do kites stay stable in the wind?")
    first = results.locator(".rdr-hit").first
    first.wait_for()
    assert first.get_attribute("data-rank") == "1"
    assert first.locator(".rdr-source").inner_text() in {"kites.txt", "gardening.md"}
    assert first.locator(".rdr-score").inner_text().startswith("score ")
    assert results.locator(".rdr-hit").count() == 2
    kite_card = results.locator(".rdr-hit[data-source='kites.txt']")
    assert kite_card.locator("mark").count() >= 1  # the question's words are highlighted

    screenshot = tmp_path / "search.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot: {screenshot}")

    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#documents-table")).to_contain_text("gardening.md")
    page.context.close()


def test_second_session_sees_nothing(browser: object, app: RunningApp, tmp_path: Path) -> None:
    first = open_page(browser, app)
    secret = tmp_path / "secret.txt"
    secret.write_text("The first session's private note about lighthouse keepers.")
    upload(first, secret)

    second = open_page(browser, app)
    results = search(second, "lighthouse keepers")
    results.get_by_text("The library is empty — add documents").wait_for()
    second.get_by_role("tab", name="Library").click()
    expect(second.locator("#library-summary")).to_contain_text("The library is empty")
    assert "secret.txt" not in second.locator("#documents-table").inner_text()

    # Closing the first tab ends its session: its private library is deleted (Gradio's unload event).
    alive = app.service.session_count()
    first.context.close()
    deadline = time.monotonic() + 15
    while app.service.session_count() >= alive and time.monotonic() < deadline:
        time.sleep(0.2)
    assert app.service.session_count() < alive, "the closed session's library was not deleted"
    second.context.close()


def test_document_markup_is_shown_as_text(browser: object, app: RunningApp, tmp_path: Path) -> None:
    evil = tmp_path / "evil.txt"
    evil.write_text('Volcano notes <script>window.__xss=1</script> and <img src=x onerror="window.__xss=1"> ash.')
    page = open_page(browser, app)
    upload(page, evil)
    results = search(page, "volcano script")
    card = results.locator(".rdr-hit").first
    card.wait_for()
    text = card.locator(".rdr-text").inner_text()
    assert "<script>window.__xss=1</script>" in text
    assert '<img src=x onerror="window.__xss=1">' in text
    assert card.locator("img, script").count() == 0
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    page.context.close()


def test_compare_tab_shows_two_rankings(browser: object, compare_app: RunningApp, tmp_path: Path) -> None:
    files = {
        "kites.txt": "Kites fly best in a steady wind on an open beach. A longer tail keeps a kite stable.",
        "gardening.md": "# Gardening\n\nTomatoes need sun, water and a stake to climb as they grow tall.",
        "harbour.txt": "Ships unload containers at the harbour cranes by night, when the wind drops.",
    }
    paths = []
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text)
        paths.append(path)
    page = open_page(browser, compare_app)
    expect(page.locator("#model-status [data-compare-state=ready]")).to_contain_text("Compare pair")
    upload(page, *paths)

    page.get_by_role("tab", name="Compare").click()
    box = page.locator("#compare-question textarea, #compare-question input").first
    box.fill("How do kites stay stable in the wind?")
    box.press("Enter")
    left, right = page.locator("#compare-left"), page.locator("#compare-right")
    for column in (left, right):
        expect(column.locator(".rdr-hit")).to_have_count(3)
        assert column.locator(".rdr-hit").first.get_attribute("data-rank") == "1"
        assert {column.locator(".rdr-source").nth(i).inner_text() for i in range(3)} == set(files)
        # k (5) >= passages (3): every card finds its passage in the other column.
        assert column.locator(".rdr-other").count() == 3
        expect(column.locator(".rdr-other").first).to_contain_text("in the other ranking")
        assert column.locator("mark").count() >= 1
    expect(page.locator("#compare-left-head")).to_contain_text("Main pair")
    expect(page.locator("#compare-right-head")).to_contain_text("Compare pair")
    main, other = compare_app.service.pair_names()
    assert page.locator("#compare-left-head").inner_text() != page.locator("#compare-right-head").inner_text()
    assert main != other
    # Side by side: the right column starts to the right of the left one, level with it.
    lbox, rbox = left.bounding_box(), right.bounding_box()
    assert lbox and rbox and rbox["x"] >= lbox["x"] + lbox["width"] - 1 and abs(rbox["y"] - lbox["y"]) < 5

    screenshot = tmp_path / "compare.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot: {screenshot}")
    page.context.close()


def test_no_compare_tab_without_a_compare_pair(browser: object, app: RunningApp) -> None:
    page = open_page(browser, app)
    expect(page.get_by_role("tab", name="Search")).to_be_visible()
    assert page.get_by_role("tab", name="Compare").count() == 0
    page.context.close()
