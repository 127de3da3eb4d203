"""rdr_search.documents.pdf: pages, metadata titles, encrypted, scanned and damaged files."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest

from rdr_search.documents import read_document
from tests.documents.helpers import THREE_PAGES, encrypt_pdf, make_pdf, read_error


def test_pdf_pages_and_metadata_title(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "three.pdf", THREE_PAGES, title="Fruit, Bikes and Churches")
    doc = read_document(path)
    assert doc.kind == "pdf"
    assert doc.title == "Fruit, Bikes and Churches"
    assert len(doc.pages) == 3
    for page, word in zip(doc.pages, ["apples", "bicycles", "cathedrals"], strict=True):
        assert word in page
    assert "bicycles" not in doc.pages[0] and "apples" not in doc.pages[2]


def test_pdf_without_title_metadata_uses_file_name(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "annual report 2024.pdf", ["Some text."])
    assert read_document(path).title == "annual report 2024"


@pytest.mark.parametrize("junk", ["untitled", "Microsoft Word - draft.doc", "report_final.docx", "   "])
def test_pdf_junk_title_metadata_is_ignored(tmp_path: Path, junk: str) -> None:
    path = make_pdf(tmp_path / "real name.pdf", ["Some text."], title=junk)
    assert read_document(path).title == "real name"


def test_pdf_encrypted_with_a_password(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", ["Secret plans."])
    locked = encrypt_pdf(plain, tmp_path / "locked.pdf", user_password="hunter2")
    message = read_error(locked)
    assert message == "encrypted PDF (password-protected); remove the password and add it again"


def test_pdf_encrypted_with_empty_user_password_is_readable(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", ["Open to all readers."], title="Restricted Only")
    restricted = encrypt_pdf(plain, tmp_path / "restricted.pdf", user_password="", owner_password="owner")
    assert pypdf.PdfReader(restricted).is_encrypted
    doc = read_document(restricted)
    assert "Open to all readers." in doc.pages[0]
    assert doc.title == "Restricted Only"


def test_pdf_without_text(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "scan.pdf", ["", ""])
    assert read_error(path) == "no extractable text (its pages hold neither a text layer nor a scanned image)"


def test_pdf_keeps_empty_pages_in_place(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "gap.pdf", ["First.", "", "Third."])
    doc = read_document(path)
    assert len(doc.pages) == 3
    assert doc.pages[1] == ""
    assert "Third." in doc.pages[2]


@pytest.mark.parametrize("keep", [0.5, 0.05])
def test_pdf_truncated(tmp_path: Path, keep: float) -> None:
    whole = make_pdf(tmp_path / "whole.pdf", THREE_PAGES).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(whole[: int(len(whole) * keep)])
    assert read_error(path) == "not a readable PDF (damaged or truncated)"


def test_pdf_that_is_not_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "page.pdf"
    path.write_text("<html><body>Saved web page</body></html>", encoding="utf-8")
    assert "not a PDF file" in read_error(path)
