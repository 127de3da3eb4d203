"""rdr_search.documents.reading: the Document a file becomes, and the reasons every format shares."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from rdr_search.documents import Document, check_file, file_sha256, read_document
from rdr_search.errors import DocumentError, RdrSearchError
from tests.documents.helpers import read_error


def test_document_fields_hash_and_size(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    raw = b"Hello there.\r\n\r\nSecond paragraph.\r\n"
    path.write_bytes(raw)
    doc = read_document(path)
    assert isinstance(doc, Document)
    assert doc.source == "notes.txt"
    assert doc.title == "notes"
    assert doc.kind == "text"
    assert doc.pages == ("Hello there.\n\nSecond paragraph.",)
    assert doc.content_hash == hashlib.sha256(raw).hexdigest() == file_sha256(path)
    assert doc.size_bytes == len(raw)


def test_source_given_by_caller_names_the_document_and_the_fallback_title(tmp_path: Path) -> None:
    path = tmp_path / "upload_1234.txt"
    path.write_text("Some words.", encoding="utf-8")
    doc = read_document(str(path), source="projects/Quarterly report.txt")
    assert doc.source == "projects/Quarterly report.txt"
    assert doc.title == "Quarterly report"


def test_unicode_file_name_with_spaces(tmp_path: Path) -> None:
    path = tmp_path / "Café résumé 東京 notes.md"
    path.write_text("Plain words without a heading.", encoding="utf-8")
    doc = read_document(path)
    assert doc.source == "Café résumé 東京 notes.md"
    assert doc.title == "Café résumé 東京 notes"
    assert doc.pages == ("Plain words without a heading.",)


def test_missing_file(tmp_path: Path) -> None:
    assert read_error(tmp_path / "gone.pdf") == "file not found"


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.md"
    folder.mkdir()
    assert "not a file" in read_error(folder)


def test_too_large_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 400)  # 2,000 bytes
    assert read_error(path, max_bytes=1000) == "too large (2 KB; the limit is 1000 bytes)"
    big = tmp_path / "bigger.pdf"
    with open(big, "wb") as f:
        f.truncate(int(61.2 * 1024 * 1024))  # sparse: no 61 MB written
    assert read_error(big) == "too large (61.2 MB; the limit is 50 MB)"


@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.pdf", "empty.docx", "empty.html"])
def test_zero_byte_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert read_error(path) == "empty file"


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text(" \n\n\t  \r\n", encoding="utf-8")
    assert read_error(path) == "empty file"


def test_errors_are_rdr_search_errors_without_traceback_text(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    with pytest.raises(RdrSearchError) as caught:
        read_document(path)
    assert "Traceback" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_document_is_picklable_for_the_pipe(tmp_path: Path) -> None:
    import pickle

    path = tmp_path / "p.txt"
    path.write_text("pickle me", encoding="utf-8")
    doc = read_document(path)
    assert pickle.loads(pickle.dumps(doc)) == doc


def test_check_file_accepts_a_readable_file_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "fine.pdf"
    path.write_bytes(b"not even a PDF: check_file does not look inside")
    check_file(path)
    upload = tmp_path / "upload_0001"  # an upload's temp file: the name users see decides the type
    upload.write_bytes(b"words")
    check_file(upload, source="report.pdf")
    with pytest.raises(DocumentError, match="^unsupported file type"):
        check_file(upload, source="report.xyz")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("sheet.xlsx", "unsupported file type '.xlsx'"),
        ("gone.txt", "file not found"),
        ("folder.md", "not a file (it is a folder)"),
        ("big.txt", "too large (2 KB; the limit is 1000 bytes)"),
    ],
)
def test_check_file_gives_the_reasons_read_document_gives(tmp_path: Path, name: str, reason: str) -> None:
    (tmp_path / "sheet.xlsx").write_bytes(b"PK")
    (tmp_path / "folder.md").mkdir()
    (tmp_path / "big.txt").write_bytes(b"word " * 400)
    with pytest.raises(DocumentError) as checked:
        check_file(tmp_path / name, max_bytes=1000)
    assert str(checked.value).startswith(reason)
    assert read_error(tmp_path / name, max_bytes=1000) == str(checked.value)
