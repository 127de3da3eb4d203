"""HTML: the visible text, with blocks as paragraphs, line breaks kept and table cells separated by tabs.

The title is the <title>, else the first <h1>.
"""

from __future__ import annotations

import re
from typing import Any

from rdr_search.documents.cleaning import CONTROL
from rdr_search.errors import DocumentError

# Elements whose content is never visible text.
_HTML_INVISIBLE = (
    "script", "style", "noscript", "template", "head", "svg", "math", "canvas", "iframe", "object",
)  # fmt: skip
# Elements that start a new paragraph (blank line) or a new line.
_HTML_PARAGRAPH = frozenset((
    "address", "article", "aside", "blockquote", "body", "caption", "details", "dialog", "div", "dl",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "ul",
))  # fmt: skip
_HTML_LINE = frozenset(("br", "dd", "dt", "li", "tr", "legend", "option"))
_HTML_CELL = frozenset(("td", "th"))
# Private-use characters mark breaks while whitespace is collapsed as a browser would; turned into breaks after.
_PARA_MARK, _LINE_MARK, _CELL_MARK = "\ue000", "\ue001", "\ue002"
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_HTML_OPEN_MARK = {
    **dict.fromkeys(_HTML_PARAGRAPH, _PARA_MARK),
    **dict.fromkeys(_HTML_LINE, _LINE_MARK),
}
_HTML_CLOSE_MARK = {**_HTML_OPEN_MARK, **dict.fromkeys(_HTML_CELL, _CELL_MARK)}
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]{0,500}\?>")
# Events of the tree walk in _html_marked_text.
_OPEN, _CLOSE, _TEXT = 0, 1, 2


def parse(data: bytes) -> tuple[str | None, list[str]]:
    """The visible text as one page and the title; a page without visible text raises "no text found"."""
    # BeautifulSoup's UnicodeDammit finds the encoding (BOM, <meta charset>, then a guess); the tree comes from
    # lxml directly, because building a BeautifulSoup tree is ~100x slower (4 MB of HTML: 25 s against 0.2 s
    # here), enough to push ordinary large pages past the time budget.
    import lxml.html
    from bs4 import UnicodeDammit
    from lxml.etree import ParserError

    markup = UnicodeDammit(data, is_html=True).unicode_markup
    if markup is None:
        raise DocumentError("not a readable HTML file (unknown text encoding)")
    # lxml refuses str input that declares an encoding, and control characters are never visible text.
    markup = CONTROL.sub("", _XML_DECLARATION.sub("", markup, count=1))
    if not markup.strip():
        raise DocumentError("empty file")
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(markup, parser=parser)
    except ParserError:  # "Document is empty": nothing but a doctype or comments
        raise DocumentError("no text found") from None

    title = _first_text(root, "title") or _first_text(root, "body//h1")
    text = _HTML_SPACE.sub(" ", _html_marked_text(root))
    paragraphs: list[str] = []
    for block in text.split(_PARA_MARK):
        lines = []
        for line in block.split(_LINE_MARK):
            cells = [c.strip() for c in line.split(_CELL_MARK)]
            line = "\t".join(c for c in cells if c)
            if line:
                lines.append(line)
        if lines:
            paragraphs.append("\n".join(lines))
    if not paragraphs:
        raise DocumentError("no text found")
    return title, ["\n\n".join(paragraphs)]


def _first_text(root: Any, path: str) -> str | None:
    element = root.find(f".//{path}")
    return " ".join(element.text_content().split()) if element is not None else None


def _html_marked_text(root: Any) -> str:
    """Visible text of an lxml HTML tree, with break markers around blocks, lines and table cells.

    One iterative depth-first walk, so deeply nested pages cannot hit the recursion limit.
    """
    out: list[str] = []
    pre_depth = 0
    # Events: (element, _OPEN), (element, _CLOSE) or (tail text, _TEXT). A tail is the text after an element's
    # end tag; it is visible even when the element itself is not (<script>...</script>visible).
    stack: list[tuple[Any, int]] = [(root, _OPEN)]
    while stack:
        item, event = stack.pop()
        if event == _TEXT:
            out.append(item.replace("\n", _LINE_MARK) if pre_depth else item)
            continue
        tag = item.tag if isinstance(item.tag, str) else ""  # comments/entities have a function as tag
        if event == _CLOSE:
            if tag == "pre":
                pre_depth -= 1
            out.append(_HTML_CLOSE_MARK.get(tag, ""))
            continue
        if not tag or tag in _HTML_INVISIBLE or "hidden" in item.attrib:
            continue
        if tag == "pre":
            pre_depth += 1
        out.append(_HTML_OPEN_MARK.get(tag, ""))
        if item.text:
            out.append(item.text.replace("\n", _LINE_MARK) if pre_depth else item.text)
        stack.append((item, _CLOSE))
        for child in reversed(item):
            if child.tail:
                stack.append((child.tail, _TEXT))
            stack.append((child, _OPEN))
    return "".join(out)
