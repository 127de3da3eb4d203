"""Text and title clean-up shared by every format: what counts as text, and which titles are worth showing."""

from __future__ import annotations

import re

TITLE_MAX_CHARS = 200

# Control characters (C0 except \t \n, DEL, C1) and stray BOMs/zero-width no-break spaces: never text.
CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufeff]")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")

# Titles that tools write when the author set none: worse than the file name.
_JUNK_TITLE = re.compile(
    r"^(?:untitled(?:\s*document)?\d*|document\d*|title|none|null|unknown|slide\s*\d+|\W*"
    r"|(?:microsoft\s+)?(?:word|powerpoint|excel)\s+-\s+.*"
    r"|.*\.(?:docx?|pdf|tex|dvi|ps|rtf|odt|pptx?|xlsx?|txt|html?|indd|qxd|cdr|ai|eps|pages))$",
    re.IGNORECASE,
)


def clean_text(text: str) -> str:
    """Normalise newlines, drop control characters, keep paragraph breaks as one blank line.

    Wrapped lines are NOT joined and hyphens are NOT removed: the chunking module decides that.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Vertical tab, form feed and Unicode line/paragraph separators break lines: dropping them glues words.
    text = text.translate({0x0B: "\n", 0x0C: "\n", 0x2028: "\n", 0x2029: "\n\n", 0x85: "\n"})
    text = CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("\n", text)
    text = _MANY_BLANK_LINES.sub("\n\n", text)
    return text.strip()


def clean_title(title: str) -> str:
    """One line, no control characters, at most ``TITLE_MAX_CHARS`` characters."""
    title = " ".join(CONTROL.sub("", title).split())
    if len(title) > TITLE_MAX_CHARS:
        title = title[: TITLE_MAX_CHARS - 1].rstrip() + "…"
    return title


def metadata_title(raw: object) -> str | None:
    """A title from file metadata, cleaned, or None when it is missing or a placeholder ("Untitled", a file name)."""
    if raw is None:
        return None
    title = clean_title(str(raw))
    if not title or _JUNK_TITLE.match(title):
        return None
    return title
