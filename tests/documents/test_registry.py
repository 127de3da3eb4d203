"""rdr_search.documents.registry: which extensions are read, and as which kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdr_search.documents import SUPPORTED_EXTENSIONS, read_document
from rdr_search.documents.registry import FORMATS, format_of
from rdr_search.errors import DocumentError
from tests.documents.helpers import read_error


def test_supported_extensions() -> None:
    assert {".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm"} == SUPPORTED_EXTENSIONS


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xyz"
    path.write_text("a,b", encoding="utf-8")
    assert read_error(path) == (
        "unsupported file type '.xyz' (supported: .docx, .htm, .html, .markdown, .md, .pdf, .txt)"
    )
    assert "no extension" in read_error(tmp_path / "Makefile")


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "LOUD.TXT"
    path.write_text("shouting", encoding="utf-8")
    assert read_document(path).pages == ("shouting",)


def test_every_extension_has_one_format_and_every_kind_one_converter() -> None:
    extensions = [ext for fmt in FORMATS for ext in fmt.extensions]
    assert len(extensions) == len(set(extensions)) and set(extensions) == SUPPORTED_EXTENSIONS
    assert all(ext == ext.lower() and ext.startswith(".") for ext in extensions)
    assert len({fmt.kind for fmt in FORMATS}) == len(FORMATS)
    assert all(callable(fmt.parse) for fmt in FORMATS)


def test_the_user_facing_name_decides_when_the_file_has_no_extension(tmp_path: Path) -> None:
    assert format_of(tmp_path / "upload_1234", "Notes.MD").kind == "markdown"
    assert format_of(tmp_path / "page.htm", "ignored.txt").kind == "html"  # the file's own extension first
    with pytest.raises(DocumentError, match="no extension"):
        format_of(tmp_path / "upload_1234", "README")
