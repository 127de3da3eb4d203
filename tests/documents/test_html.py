"""rdr_search.documents.html: visible text only, blocks and cells, titles and legacy charsets."""

from __future__ import annotations

from pathlib import Path

from rdr_search.documents import read_document
from tests.documents.helpers import read_error, title_of

PAGE = """<!DOCTYPE html>
<html><head><title> The  Page Title </title>
<meta charset="utf-8"><style>body { color: red; }</style>
<script>var secret = "SCRIPT_TEXT";</script></head>
<body>
<noscript>NOSCRIPT_TEXT enable javascript</noscript>
<template><p>TEMPLATE_TEXT</p></template>
<h1>Main heading</h1>
<p>First   paragraph with <b>bold</b> and <a href="https://x.example">a link</a>.</p>
<div>Block two<br>second line</div>
<ul><li>one</li><li>two</li></ul>
<table><tr><th>Name</th><th>Role</th></tr><tr><td>Ada</td><td>Engineer</td></tr></table>
<pre>code line 1
    code line 2</pre>
<p hidden>HIDDEN_TEXT</p>
<!-- COMMENT_TEXT -->
<script>console.log("SCRIPT_TWO")</script>
</body></html>"""


def test_html_visible_text_blocks_and_title(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    doc = read_document(path)
    assert doc.kind == "html"
    assert doc.title == "The Page Title"
    (page,) = doc.pages
    invisible = ["SCRIPT_TEXT", "SCRIPT_TWO", "color: red", "NOSCRIPT_TEXT", "TEMPLATE_TEXT", "HIDDEN_TEXT"]
    for hidden in [*invisible, "COMMENT_TEXT"]:
        assert hidden not in page
    assert page == (
        "Main heading\n\n"
        "First paragraph with bold and a link.\n\n"
        "Block two\nsecond line\n\n"
        "one\ntwo\n\n"
        "Name\tRole\nAda\tEngineer\n\n"
        "code line 1\ncode line 2"
    )


def test_html_title_falls_back_to_h1_then_file_name(tmp_path: Path) -> None:
    path = tmp_path / "index.htm"
    assert title_of(path, "<html><body><h1>Heading <i>One</i></h1><p>Text.</p></body></html>") == "Heading One"
    assert title_of(path, "<p>Only a paragraph.</p>") == "index"


def test_html_legacy_charset_from_meta(tmp_path: Path) -> None:
    path = tmp_path / "old.html"
    html = '<html><head><meta charset="windows-1252"></head><body><p>café – “quoted”</p></body></html>'
    path.write_bytes(html.encode("cp1252"))
    assert read_document(path).pages == ("café – “quoted”",)


def test_html_with_only_script_and_style(tmp_path: Path) -> None:
    path = tmp_path / "app.html"
    path.write_text(
        "<html><head><title>App</title><style>p{}</style></head>"
        "<body><script>render()</script><noscript>x</noscript></body></html>",
        encoding="utf-8",
    )
    assert read_error(path) == "no text found"
