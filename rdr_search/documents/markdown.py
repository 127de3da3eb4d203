"""Markdown: decoded like plain text; the title comes from front matter or the first level-1 heading."""

from __future__ import annotations

import re

from rdr_search.documents.text import decode_text
from rdr_search.errors import DocumentError

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_TITLE = re.compile(r"^title[ \t]*:[ \t]*(.+?)[ \t]*$", re.MULTILINE | re.IGNORECASE)
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_SETEXT_H1 = re.compile(r"^(?! {4})(\S[^\n]*)\n {0,3}=+[ \t]*$", re.MULTILINE)
_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.MULTILINE)
# Bounded repetitions keep these linear on hostile input.
_IMAGE_OR_LINK = re.compile(r"!?\[([^\[\]\n]{0,1000})\]\([^()\n]{0,2000}\)")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]{1,1000}\]:[ \t]*\S+.*$\n?", re.MULTILINE)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def parse(data: bytes) -> tuple[str | None, list[str]]:
    """Markdown stays mostly as written; only noise that hurts retrieval (front matter, URLs) is removed."""
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    title: str | None = None
    front = _FRONT_MATTER.match(text)
    if front:
        found = _FRONT_MATTER_TITLE.search(front.group(1) or "")
        if found:
            title = found.group(1).strip().strip("\"'")
        text = text[front.end() :]
    if not title:
        title = _first_markdown_heading(text)
    text = _HTML_COMMENT.sub("", text)
    text = _REFERENCE_DEFINITION.sub("", text)
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _strip_heading_markers(text)
    if not text.strip():
        raise DocumentError("empty file")
    return title, [text]


def _in_code_fence(lines: list[str]) -> list[bool]:
    """For each line, whether it belongs to a fenced code block (fence lines included). Linear."""
    inside: list[bool] = []
    fence: str | None = None
    for line in lines:
        if fence is None:
            opener = _FENCE.match(line)
            if opener:
                fence = opener.group(1)
            inside.append(fence is not None)
        else:
            inside.append(True)
            if line.lstrip().startswith(fence):
                fence = None
    return inside


def _strip_heading_markers(text: str) -> str:
    # "## Methods" -> "Methods": heading markers are not words. "# comment" lines in code blocks stay.
    lines = text.split("\n")
    for i, in_code in enumerate(_in_code_fence(lines)):
        if not in_code:
            lines[i] = _ATX_HEADING.sub(lambda m: m.group(2), lines[i])
    return "\n".join(lines)


def _first_markdown_heading(text: str) -> str | None:
    # Headings inside fenced code blocks ("# a comment" in a shell snippet) do not count: blank those lines.
    lines = text.split("\n")
    prose = "\n".join("" if in_code else line for line, in_code in zip(lines, _in_code_fence(lines), strict=True))
    candidates = []
    atx = next((m for m in _ATX_HEADING.finditer(prose) if len(m.group(1)) == 1 and m.group(2).strip()), None)
    if atx:
        candidates.append((atx.start(), atx.group(2)))
    setext = _SETEXT_H1.search(prose)
    if setext:
        candidates.append((setext.start(), setext.group(1)))
    if not candidates:
        return None
    heading = min(candidates)[1]
    return _IMAGE_OR_LINK.sub(r"\1", heading).strip()
