"""rdr_search.documents.cleaning: the clean-up every format's text and title go through."""

from __future__ import annotations

import pytest

from rdr_search.documents.cleaning import TITLE_MAX_CHARS, clean_text, clean_title, metadata_title


def test_clean_text_keeps_paragraphs_and_drops_control_characters() -> None:
    assert clean_text("  one\u2028two\x00\r\n\r\n\r\n\r\nthree \t\n\ufefffour\u2029five  ") == (
        "one\ntwo\n\nthree\nfour\n\nfive"
    )


def test_clean_title_is_one_bounded_line() -> None:
    assert clean_title(" A\n\tmulti-line\x07  title ") == "A multi-line title"
    long = clean_title("word " * 100)
    assert len(long) == TITLE_MAX_CHARS and long.endswith("…")


@pytest.mark.parametrize("junk", [None, "", "   ", "Untitled", "Document1", "Microsoft Word - x.doc", "a.pdf"])
def test_placeholder_metadata_titles_are_not_titles(junk: str | None) -> None:
    assert metadata_title(junk) is None


def test_a_real_metadata_title_is_cleaned() -> None:
    assert metadata_title("  Annual\nReport ") == "Annual Report"
