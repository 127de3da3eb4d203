"""rdr_search.documents.markdown: titles from front matter and headings, link noise removed."""

from __future__ import annotations

from pathlib import Path

from rdr_search.documents import read_document
from tests.documents.helpers import read_error, title_of


def test_markdown_front_matter_title_and_link_noise(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text(
        "---\n"
        'title: "Front Matter Title"\n'
        "tags: [a, b]\n"
        "---\n"
        "# Heading Title\n\n"
        "See [the docs](https://example.com/docs?a=1) and ![a diagram](img/diagram.png).\n\n"
        "## Details\n\n"
        "Body text.\n\n"
        "[ref]: https://example.com/ref\n",
        encoding="utf-8",
    )
    doc = read_document(path)
    assert doc.kind == "markdown"
    assert doc.title == "Front Matter Title"
    (page,) = doc.pages
    assert page == "Heading Title\n\nSee the docs and a diagram.\n\nDetails\n\nBody text."
    assert "tags" not in page and "https" not in page


def test_markdown_first_heading_is_the_title(tmp_path: Path) -> None:
    path = tmp_path / "readme.markdown"
    assert title_of(path, "Intro line.\n\n```sh\n# not a heading\n```\n\n# Real Title\n\nText.") == "Real Title"
    assert title_of(path, "## Sub first\n\n# The [Real](http://x) Title #\n\nText.") == "The Real Title"
    assert title_of(path, "Setext Title\n============\n\nText.") == "Setext Title"
    assert title_of(path, "No heading at all.") == "readme"


def test_markdown_heading_inside_code_fence_is_not_a_title(tmp_path: Path) -> None:
    path = tmp_path / "script.md"
    path.write_text("Run this:\n\n```sh\n# install it\npip install x\n```\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "script"
    assert "# install it" in doc.pages[0]


def test_markdown_front_matter_only_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "fm.md"
    path.write_text("---\ntitle: Only metadata\n---\n", encoding="utf-8")
    assert read_error(path) == "empty file"
