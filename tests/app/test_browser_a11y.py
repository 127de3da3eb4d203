"""Accessibility in a real headless Chromium: an axe-core audit of every tab with content on screen, in light and
dark mode, and the whole flow (upload, search, open a hit, export) by keyboard alone with a visible focus ring."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.app.helpers import RunningApp
from tests.app.test_browser import TIMEOUT_MS, search, upload

pytestmark = pytest.mark.browser

AXE = Axe()
BLOCKING = ("serious", "critical")
FILES = {
    "kites.txt": "Kites fly best in a steady wind on an open beach. A longer tail keeps a kite stable.",
    "gardening.md": "# Gardening\n\nTomatoes need sun, water and a stake to climb as they grow tall.",
    "harbour.txt": "Ships unload containers at the harbour cranes by night, when the wind drops.",
}
# What the focused element is, for failure messages: tag, id or label, and the nearest element id around it.
DESCRIBE_FOCUS = """() => { const e = document.activeElement, around = e.closest('[id]');
  return `${e.tagName.toLowerCase()} ${e.id || e.getAttribute('aria-label') || e.innerText.slice(0, 30)}`
    + ` in #${around ? around.id : ''}`; }"""
FOCUS_RING = "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"


def write_files(folder: Path) -> list[Path]:
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    broken = folder / "broken.pdf"  # one failed row in the outcome table
    broken.write_bytes(b"%PDF-1.4 this is not really a PDF")
    return [folder / name for name in FILES] + [broken]


def open_themed(browser: Any, app: RunningApp, theme: str) -> Any:
    """A new session on the app in light or dark mode (Gradio's ``?__theme=``), models shown as ready."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{app.url}?__theme={theme}", wait_until="domcontentloaded")
    page.locator("#model-status [data-state=ready]").wait_for()
    return page


# Gradio fades a component to 20 % opacity while an event that writes it is pending, with a 0.15 s transition
# back: contrast measured then is the fade's, not the page's. Audit only once every event and fade is over.
SETTLED = """() => !document.querySelector('.pending, .generating')
  && !document.getAnimations().some(a => a instanceof CSSTransition && a.playState === 'running')"""


def blocking_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the settled page: 'rule (impact): node, node'."""
    page.wait_for_function(SETTLED)
    found = []
    for violation in AXE.run(page).response["violations"]:
        if violation["impact"] in BLOCKING:
            nodes = ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
            found.append(f"{violation['id']} ({violation['impact']}): {nodes}")
    return found


@pytest.mark.slow  # five axe-core runs over a full page each
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_or_critical_violation_on_any_tab(
    browser: Any, compare_app: RunningApp, tmp_path: Path, theme: str
) -> None:
    page = open_themed(browser, compare_app, theme)
    assert page.evaluate("() => !!document.querySelector('.dark')") == (theme == "dark")
    expect(page.locator("#search-button")).to_be_visible()
    expect(page.locator("footer")).to_be_visible()
    found = {"Search tab, before a search": blocking_violations(page)}

    festival = tmp_path / "festival.txt"  # several passages: grouped under "n more in this document"
    festival.write_text(" ".join(["At the kite festival every team flies a kite in the wind on the beach."] * 14))
    upload(page, *write_files(tmp_path), festival)
    expect(page.locator("#outcome-table")).to_contain_text("failed")
    found["Add documents tab, outcome table"] = blocking_violations(page)

    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#documents-table")).to_contain_text("harbour.txt")
    found["Library tab, documents"] = blocking_violations(page)

    results = search(page, "How do kites stay stable in the wind?")
    expect(results.locator(".rdr-hit")).to_have_count(5)
    results.locator(".rdr-more > summary").click()
    expect(results.locator(".rdr-more .rdr-hit").first).to_be_visible()
    page.locator("#search-filters").get_by_text("Filters").click()
    expect(page.locator("#filter-after input, #filter-after textarea").first).to_be_visible()
    results.locator(".rdr-show").first.click()
    expect(page.locator("#page-view .rdr-view")).to_be_visible()
    found["Search tab, results grouped and expanded, filters open, a hit opened"] = blocking_violations(page)

    page.get_by_role("tab", name="Compare").click()
    box = page.locator("#compare-question textarea, #compare-question input").first
    box.fill("Where are containers unloaded?")
    box.press("Enter")
    expect(page.locator("#compare-right .rdr-hit")).to_have_count(5)
    found["Compare tab, two rankings"] = blocking_violations(page)
    page.context.close()

    report = "\n".join(f"{state}:\n  " + "\n  ".join(lines) for state, lines in found.items() if lines)
    assert not report, f"axe-core, {theme} mode:\n{report}"


def press_until(page: Any, selector: str, key: str = "Tab", limit: int = 25) -> list[str]:
    """Press ``key`` until the focus is on (or inside) ``selector``; the elements passed on the way."""
    passed = []
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("(s) => !!document.activeElement.closest(s)", selector):
            return passed
        passed.append(page.evaluate(DESCRIBE_FOCUS))
    raise AssertionError(f"{key} x{limit} never reached {selector}; passed: {passed}")


def assert_focus_ring(page: Any) -> None:
    style, width = page.evaluate(FOCUS_RING)
    assert style != "none" and float(width.removesuffix("px")) >= 2, (page.evaluate(DESCRIBE_FOCUS), style, width)


def upload_by_keyboard(page: Any, files: list[Path], choosers: list[Any]) -> None:
    """From the question box: Shift+Tab to the Add documents tab, Enter, Tab to the drop zone, Enter, choose."""
    press_until(page, "#tab-add-button", "Shift+Tab")
    page.keyboard.press("Enter")
    press_until(page, "#upload-files button")
    assert_focus_ring(page)
    page.keyboard.press("Enter")
    for _ in range(100):  # events are delivered while the page waits
        if choosers:
            break
        page.wait_for_timeout(100)
    assert choosers, "Enter on the drop zone opened no file dialog"
    choosers[0].set_files([str(f) for f in files])
    table = page.locator("#outcome-table")
    for f in files:
        expect(table).to_contain_text(f.name)


def test_upload_search_open_a_hit_and_export_by_keyboard_alone(
    browser: Any, compare_app: RunningApp, tmp_path: Path
) -> None:
    page = open_themed(browser, compare_app, "light")
    # Listening from the start: Playwright intercepts file dialogs only once a listener exists, and a listener
    # registered just before the key press can miss the dialog.
    choosers: list[Any] = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    upload_by_keyboard(page, write_files(tmp_path)[:3], choosers)

    press_until(page, "#tab-search-button", "Shift+Tab")
    page.keyboard.press("Enter")
    press_until(page, "#question")
    page.keyboard.type("How do kites stay stable in the wind?")
    # Tab order: question, the result count (its number box, reset and slider), then the Search button.
    passed = press_until(page, "#search-button", limit=5)
    assert passed and all(stop.endswith("in #top-k") or "range" in stop for stop in passed), passed
    assert_focus_ring(page)
    page.keyboard.press("Enter")
    results = page.locator("#results")
    expect(results.locator(".rdr-hit")).to_have_count(3)
    # Cards are a list a screen reader announces, each with a heading to jump by.
    expect(results.get_by_role("list", name="Results")).to_have_count(1)
    expect(results.get_by_role("list", name="Results").get_by_role("listitem")).to_have_count(3)
    expect(results.get_by_role("heading", level=2)).to_have_count(3)

    page.keyboard.press("Tab")  # straight from the Search button into the results
    first_button = results.locator(".rdr-show").first
    expect(first_button).to_be_focused()
    assert_focus_ring(page)
    page.keyboard.press("Enter")
    view = page.locator("#page-view .rdr-view")
    expect(view).to_be_visible()
    expect(view.get_by_role("heading", level=2)).to_have_count(1)
    assert page.evaluate("() => !!document.activeElement.closest('#page-view')")
    page.keyboard.press("Escape")
    expect(view).to_have_count(0)
    expect(first_button).to_be_focused()

    shown = [results.locator(".rdr-hit").nth(i).get_attribute("data-source") for i in range(3)]
    expect(page.locator("#export-button")).to_be_enabled()
    press_until(page, "#export-button")
    assert_focus_ring(page)
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"), newline="")))
    assert [r["source"] for r in rows] == shown
    page.context.close()
