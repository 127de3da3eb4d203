"""Builders shared by the document tests: real files made in tmp_path, and the error a read gives."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest
from fpdf import FPDF

from rdr_search.documents import read_document
from rdr_search.errors import DocumentError


def make_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    pdf = FPDF()
    if title is not None:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.set_font("Helvetica", size=12)
            pdf.multi_cell(0, 10, text)
    path.write_bytes(bytes(pdf.output()))
    return path


def encrypt_pdf(source: Path, target: Path, user_password: str, owner_password: str | None = None) -> Path:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(source))
    writer.encrypt(user_password=user_password, owner_password=owner_password)
    with open(target, "wb") as f:
        writer.write(f)
    return target


def title_of(path: Path, text: str) -> str:
    """Write ``text`` to ``path`` and return the title read from it."""
    path.write_text(text, encoding="utf-8")
    return read_document(path).title


def read_error(path: Path, **kwargs: object) -> str:
    with pytest.raises(DocumentError) as caught:
        read_document(path, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


THREE_PAGES = [
    "Alpha page talks about apples.\n\nA second paragraph on page one.",
    "Bravo page talks about bicycles.",
    "Charlie page talks about cathedrals.",
]


def write_slow_html(path: Path, paragraphs: int = 150_000) -> Path:
    """A real slow input: 150,000 paragraphs (~4 MB) of HTML take about a second to parse and walk."""
    path.write_text("<html><body>" + "<p>word <b>bold</b> word</p>\n" * paragraphs + "</body></html>")
    return path


def reader_children() -> set[int]:
    """Live document-reader processes of this test process (active_children() also reaps finished ones)."""
    return {p.pid for p in multiprocessing.active_children() if p.name == "rdr-search-document-reader" and p.pid}


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout_s`` passes (False)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
