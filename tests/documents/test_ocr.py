"""Scanned PDF pages (no text layer) read with Tesseract OCR, only those pages, within the file's budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdr_search.documents import DocumentReader, read_document
from rdr_search.errors import DocumentError
from tests.documents.helpers import make_pdf
from tests.scans import needs_tesseract, scanned_page_pdf, text_then_scan


@needs_tesseract
def test_only_the_scanned_page_is_read_with_ocr_in_the_worker(tmp_path: Path) -> None:
    path = text_then_scan(tmp_path / "mixed.pdf")
    with DocumentReader(timeout_s=60) as reader:
        document = reader.read(path)
    assert "Harbour dues" in document.pages[0]
    assert "lighthouse keeper" in document.pages[1].lower() and "skerryvore" in document.pages[1].lower()
    assert document.ocr_pages == (2,)
    assert document.notes == ("page 2 read with OCR (no text layer)",)


@needs_tesseract
def test_ocr_stops_when_the_files_time_budget_runs_out(tmp_path: Path) -> None:
    document = read_document(text_then_scan(tmp_path / "mixed.pdf"), budget_s=0.5)
    assert document.ocr_pages == () and not document.pages[1]
    assert document.notes == ("page 2 not read with OCR: the file's time budget ran out",)


def test_without_tesseract_the_message_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scanned_page_pdf())
    with pytest.raises(DocumentError) as raised:
        read_document(scan)
    assert "no text layer on page 1" in str(raised.value) and "apt install tesseract-ocr" in str(raised.value)
    # With some text elsewhere the file is still read, and the note says what was left out and why.
    document = read_document(text_then_scan(tmp_path / "mixed.pdf"))
    assert document.ocr_pages == () and "apt install tesseract-ocr" in document.notes[0]


def test_blank_pages_are_not_sent_to_ocr(tmp_path: Path) -> None:
    document = read_document(make_pdf(tmp_path / "gap.pdf", ["First.", "", "Third."]))
    assert document.ocr_pages == () and document.notes == ()
