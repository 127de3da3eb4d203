"""Where hits come from, in a real headless Chromium: a PDF hit opened on its page by keyboard with the passage
highlighted on the image, a text hit shown in context, and results grouped by document.

Set ``RDR_SEARCH_SCREENSHOTS`` to a folder (e.g. ``docs``) to keep the page-view screenshot the README shows.
"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.app.helpers import RunningApp
from tests.app.test_browser import open_page, search, upload
from tests.files import write_pdf

pytestmark = pytest.mark.browser

PAGE_ONE = (
    "The lighthouse stands on a rock at the mouth of the harbour. Its keepers climbed the stairs every evening "
    "to trim the wick and wind the clockwork that turned the light. Fishing boats came home when they saw it "
    "sweep across the water, and the pilots counted its flashes to know which headland they had reached."
)
PAGE_TWO = (
    "Its lens was invented by Augustin Fresnel in 1822 and bends the beam toward the horizon. "
    "The tower was painted white."
)


def png_of(img: object) -> Image.Image:
    src = img.get_attribute("src")  # type: ignore[attr-defined]
    assert src and src.startswith("data:image/png;base64,")
    data = base64.b64decode(src.split(",", 1)[1])
    assert data.startswith(b"\x89PNG") and len(data) > 1000
    return Image.open(io.BytesIO(data)).convert("RGB")


def tinted(image: Image.Image, box: list) -> float:
    """The share of a box's pixels that carry the highlight (blue well below red: white paper is 255, 255, 255)."""
    pixels = np.asarray(image.crop(tuple(box[:4])), dtype=np.int32)
    return float(((pixels[..., 0] > 200) & (pixels[..., 2] < 200)).mean())


def save_screenshot(page: object, card: object, img: object, boxes: list, height: int, path: Path) -> None:
    """The card and the top of its opened page (down past the highlights), kept in RDR_SEARCH_SCREENSHOTS."""
    top, shown = card.bounding_box(), img.bounding_box()  # type: ignore[attr-defined]
    assert top and shown
    lowest = max(box[3] for box in boxes) * shown["height"] / height
    bottom = shown["y"] + lowest + 60
    scrolled = page.evaluate("() => window.scrollY")  # type: ignore[attr-defined]
    clip = {"x": 0, "y": scrolled + top["y"] - 12, "width": 1280, "height": bottom - top["y"] + 12}
    page.screenshot(path=str(path), full_page=True, clip=clip)  # type: ignore[attr-defined]
    keep = os.environ.get("RDR_SEARCH_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / path.name).write_bytes(path.read_bytes())


def test_a_pdf_hit_opens_on_its_page_by_keyboard(browser: object, app: RunningApp, tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "harbour.pdf", [PAGE_ONE, PAGE_TWO], title="The Harbour Light")
    page = open_page(browser, app)
    upload(page, pdf)
    results = search(page, "Who invented the lens?")
    card = results.locator(".rdr-hit").first
    card.wait_for()
    expect(card.locator(".rdr-page")).to_have_text("p. 2")  # the best sentence's page, not pp. 1-2
    expect(card.locator(".rdr-page-range")).to_contain_text("pp. 1-2")
    expect(card.locator(".rdr-best")).to_contain_text("Its lens was invented by Augustin Fresnel")

    button = card.get_by_role("button", name="Show page")
    button.focus()
    page.keyboard.press("Enter")
    view = page.locator("#page-view .rdr-view")
    expect(view).to_have_attribute("data-kind", "page")
    expect(view).to_contain_text("p. 2 of 2")
    img = view.locator("img.rdr-page-image")
    img.wait_for()
    image = png_of(img)
    boxes = json.loads(img.get_attribute("data-boxes") or "[]")
    assert {box[4] for box in boxes} == {"passage", "sentence"}
    for box in boxes:  # every box lies on the image and is drawn on it
        assert 0 <= box[0] < box[2] <= image.width and 0 <= box[1] < box[3] <= image.height
        assert tinted(image, box) > 0.5, box
    assert tinted(image, [0, image.height - 200, image.width, image.height]) == 0  # blank paper stays white
    assert page.evaluate("() => !!document.activeElement.closest('#page-view')")  # the view took the focus

    save_screenshot(page, card, img, boxes, image.height, tmp_path / "page-view.png")
    page.keyboard.press("Escape")
    expect(page.locator("#page-view .rdr-view")).to_have_count(0)
    expect(button).to_be_focused()  # back where the reader was
    page.context.close()


def test_a_text_hit_is_shown_in_context(browser: object, app: RunningApp, tmp_path: Path) -> None:
    notes = tmp_path / "tea.txt"
    notes.write_text(
        "Brewing notes <b>from</b> the shop.\n\nGreen tea likes water at eighty degrees. Black tea wants it "
        "boiling.\n\nKeep the leaves dry."
    )
    page = open_page(browser, app)
    upload(page, notes)
    results = search(page, "What temperature suits green tea?")
    button = results.get_by_role("button", name="Show in context").first
    button.focus()
    page.keyboard.press("Enter")
    view = page.locator("#page-view .rdr-view[data-kind=context]")
    expect(view.locator("mark.rdr-sentence")).to_have_text("Green tea likes water at eighty degrees.")
    expect(view.locator("mark.rdr-passage")).to_contain_text("Keep the leaves dry.")
    expect(view.locator(".rdr-context")).to_contain_text("<b>from</b>")  # markup in a document stays text
    assert view.locator(".rdr-context b").count() == 0
    view.get_by_role("button", name="Close").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#page-view .rdr-view")).to_have_count(0)
    page.context.close()


def test_results_are_grouped_by_document_and_expand_by_keyboard(
    browser: object, app: RunningApp, tmp_path: Path
) -> None:
    long_notes = tmp_path / "otters.txt"
    long_notes.write_text("\n\n".join(f"Otter fact {i}: otters hold hands while they sleep. " * 12 for i in range(4)))
    other = tmp_path / "seals.txt"
    other.write_text("Seals sleep in the water with their noses up.")
    page = open_page(browser, app)
    upload(page, long_notes, other)
    results = search(page, "How do otters sleep?")
    results.locator(".rdr-hit").first.wait_for()
    more = results.locator("details.rdr-more")
    expect(more).to_have_count(1)
    summary = more.locator("summary")
    expect(summary).to_contain_text("more in this document")
    hidden = more.locator(".rdr-hit")
    assert hidden.count() >= 1
    expect(hidden.first).to_be_hidden()
    summary.focus()
    page.keyboard.press("Enter")
    expect(hidden.first).to_be_visible()
    total = results.locator(".rdr-hit").count()

    page.locator("#group-by-document input[type=checkbox]").uncheck()
    expect(results.locator("details.rdr-more")).to_have_count(0)
    expect(results.locator(".rdr-hit")).to_have_count(total)
    page.context.close()
