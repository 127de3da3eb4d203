"""rdr_search.documents: real files of every format, built in tmp_path, and the messages users see."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docx
import pypdf
import pytest
from fpdf import FPDF

from rdr_search.documents import (
    SUPPORTED_EXTENSIONS,
    Document,
    DocumentReader,
    file_sha256,
    read_document,
)
from rdr_search.errors import DocumentError, RdrSearchError

# ----------------------------------------------------------------------------------------------------------
# builders
# ----------------------------------------------------------------------------------------------------------


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


def read_error(path: Path, **kwargs: object) -> str:
    with pytest.raises(DocumentError) as caught:
        read_document(path, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


THREE_PAGES = [
    "Alpha page talks about apples.\n\nA second paragraph on page one.",
    "Bravo page talks about bicycles.",
    "Charlie page talks about cathedrals.",
]

# ----------------------------------------------------------------------------------------------------------
# general behaviour
# ----------------------------------------------------------------------------------------------------------


def test_supported_extensions() -> None:
    assert {".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm"} == SUPPORTED_EXTENSIONS


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


# ----------------------------------------------------------------------------------------------------------
# plain text
# ----------------------------------------------------------------------------------------------------------

LEGACY = "café naïve – “quotes”"


@pytest.mark.parametrize(
    "raw",
    [
        LEGACY.encode("utf-8"),
        b"\xef\xbb\xbf" + LEGACY.encode("utf-8"),
        b"\xff\xfe" + LEGACY.encode("utf-16-le"),
        b"\xfe\xff" + LEGACY.encode("utf-16-be"),
        b"\xff\xfe\x00\x00" + LEGACY.encode("utf-32-le"),
        b"\x00\x00\xfe\xff" + LEGACY.encode("utf-32-be"),
        LEGACY.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "utf-32-le-bom", "utf-32-be-bom", "cp1252"],
)
def test_text_encodings(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "enc.txt"
    path.write_bytes(raw)
    assert read_document(path).pages == (LEGACY,)


def test_legacy_latin1_paragraphs(tmp_path: Path) -> None:
    text = "Größe und Übung für die Straße.\n\nÀ bientôt, garçon!"
    path = tmp_path / "legacy.txt"
    path.write_bytes(text.encode("latin-1"))
    assert read_document(path).pages == (text,)


def test_utf16_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "nobom.txt"
    path.write_bytes("Plain words in UTF-16 without a byte order mark.".encode("utf-16-le"))
    assert read_document(path).pages == ("Plain words in UTF-16 without a byte order mark.",)


def test_binary_data_named_txt(tmp_path: Path) -> None:
    path = tmp_path / "random.txt"
    path.write_bytes(os.urandom(4096))
    assert read_error(path) == "not a text file (binary data)"
    elf = tmp_path / "program.txt"
    elf.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(32)) * 40)
    assert read_error(elf) == "not a text file (binary data)"


def test_invalid_utf8_in_mostly_text_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "damaged.txt"
    damaged = b"Mostly readable text here. " * 40 + b"\xff\xfe\xc3(" + b" and more text after it." * 20
    path.write_bytes(damaged)
    (page,) = read_document(path).pages
    assert page.startswith("Mostly readable text here.")
    assert page.endswith("and more text after it.")


def test_utf8_with_a_few_damaged_bytes_stays_utf8(tmp_path: Path) -> None:
    path = tmp_path / "mostly_utf8.txt"
    path.write_bytes("naïve café déjà vu, ".encode() * 20 + b"\xff" + "über".encode())
    (page,) = read_document(path).pages
    assert "naïve café déjà vu" in page
    assert page.endswith("über")


def test_control_characters_dropped_and_newlines_normalised(tmp_path: Path) -> None:
    path = tmp_path / "ctl.txt"
    filler = b"A long enough line of ordinary words to make a realistic text file. " * 3
    path.write_bytes(b"one\x00 two\x07\r\nthree\rfour\t five   \n\n\n\n\nsix\x0cseven " + filler)
    (page,) = read_document(path).pages
    assert page == "one two\nthree\nfour\t five\n\nsix\nseven " + filler.decode().strip()


def test_wrapped_lines_and_hyphens_are_left_for_the_chunker(tmp_path: Path) -> None:
    text = "A line that wraps\nonto the next, with a hyphen-\nated word.\n\nNew paragraph."
    path = tmp_path / "wrap.txt"
    path.write_text(text, encoding="utf-8")
    assert read_document(path).pages == (text,)


# ----------------------------------------------------------------------------------------------------------
# Markdown
# ----------------------------------------------------------------------------------------------------------


def test_markdown_front_matter_title_and_link_noise(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text(
        "---\n"
        'title: "Front Matter Title"\n'
        "tags: [a, b]\n"
        "---\n"
        "# Heading Title\n\n"
        "See [the docs](https://example.com/docs?a=1) and ![a diagram](img/diagram.png).\n\n"
        "## Details\n\n"
        "Body text.\n\n"
        "[ref]: https://example.com/ref\n",
        encoding="utf-8",
    )
    doc = read_document(path)
    assert doc.kind == "markdown"
    assert doc.title == "Front Matter Title"
    (page,) = doc.pages
    assert page == "Heading Title\n\nSee the docs and a diagram.\n\nDetails\n\nBody text."
    assert "tags" not in page and "https" not in page


def test_markdown_first_heading_is_the_title(tmp_path: Path) -> None:
    path = tmp_path / "readme.markdown"
    path.write_text("Intro line.\n\n```sh\n# not a heading\n```\n\n# Real Title\n\nText.", encoding="utf-8")
    assert read_document(path).title == "Real Title"
    path.write_text("## Sub first\n\n# The [Real](http://x) Title #\n\nText.", encoding="utf-8")
    assert read_document(path).title == "The Real Title"
    path.write_text("Setext Title\n============\n\nText.", encoding="utf-8")
    assert read_document(path).title == "Setext Title"
    path.write_text("No heading at all.", encoding="utf-8")
    assert read_document(path).title == "readme"


def test_markdown_heading_inside_code_fence_is_not_a_title(tmp_path: Path) -> None:
    path = tmp_path / "script.md"
    path.write_text("Run this:\n\n```sh\n# install it\npip install x\n```\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "script"
    assert "# install it" in doc.pages[0]


def test_markdown_front_matter_only_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "fm.md"
    path.write_text("---\ntitle: Only metadata\n---\n", encoding="utf-8")
    assert read_error(path) == "empty file"


# ----------------------------------------------------------------------------------------------------------
# PDF
# ----------------------------------------------------------------------------------------------------------


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
    assert read_error(path) == "no extractable text (scanned? run OCR first)"


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


# ----------------------------------------------------------------------------------------------------------
# DOCX
# ----------------------------------------------------------------------------------------------------------


def make_docx(path: Path, core_title: str | None = None) -> Path:
    document = docx.Document()
    document.add_paragraph("Front matter before the heading.")
    document.add_heading("The Heading Title", level=1)
    document.add_paragraph("First body paragraph.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Name"
    table.cell(0, 1).text = "Role"
    table.cell(1, 0).text = "Ada"
    table.cell(1, 1).text = "Engineer"
    document.add_paragraph("After the table.")
    if core_title is not None:
        document.core_properties.title = core_title
    document.save(path)
    return path


def test_docx_text_in_document_order_and_heading_title(tmp_path: Path) -> None:
    doc = read_document(make_docx(tmp_path / "memo.docx"))
    assert doc.kind == "docx"
    assert doc.title == "The Heading Title"
    assert doc.pages == (
        "Front matter before the heading.\n\nThe Heading Title\n\nFirst body paragraph.\n\n"
        "Name\tRole\nAda\tEngineer\n\nAfter the table.",
    )


def test_docx_core_title_wins(tmp_path: Path) -> None:
    doc = read_document(make_docx(tmp_path / "memo.docx", core_title="Core Metadata Title"))
    assert doc.title == "Core Metadata Title"


def test_docx_merged_cells_counted_once(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "Wide header"
    for i, word in enumerate(["a", "b", "c"]):
        table.cell(1, i).text = word
    path = tmp_path / "merged.docx"
    document.save(path)
    doc = read_document(path)
    assert doc.pages == ("Wide header\na\tb\tc",)
    assert doc.title == "merged"


def test_docx_content_control_text_is_read(tmp_path: Path) -> None:
    from docx.oxml import OxmlElement

    document = docx.Document()
    document.add_paragraph("Before.")
    inside = document.add_paragraph("Inside a content control.")
    sdt, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    inside._p.addprevious(sdt)
    sdt.append(content)
    content.append(inside._p)
    document.add_paragraph("After.")
    path = tmp_path / "sdt.docx"
    document.save(path)
    assert read_document(path).pages == ("Before.\n\nInside a content control.\n\nAfter.",)


def test_docx_that_is_another_office_file(tmp_path: Path) -> None:
    path = tmp_path / "sheet.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert "without a Word document" in read_error(path)


def test_docx_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_text("just some text pretending to be a Word file", encoding="utf-8")
    assert read_error(path) == "not a valid .docx (not a zip archive)"
    old = tmp_path / "old.docx"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert "old Word .doc" in read_error(old)


def test_docx_zip_without_a_document(tmp_path: Path) -> None:
    path = tmp_path / "other.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "without a Word document" in read_error(path)


def test_docx_zip_bomb_is_refused_without_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    start = time.perf_counter()
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as entry,
    ):
        block = b"\0" * (1 << 20)
        for _ in range(256):  # 256 MiB of zeros deflate to ~250 KB
            entry.write(block)
    assert path.stat().st_size < 2 * 1024 * 1024
    assert read_error(path) == "refused: .docx expands to 256 MB (zip bomb?)"
    assert time.perf_counter() - start < 5


# ----------------------------------------------------------------------------------------------------------
# HTML
# ----------------------------------------------------------------------------------------------------------

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
    path.write_text("<html><body><h1>Heading <i>One</i></h1><p>Text.</p></body></html>", encoding="utf-8")
    assert read_document(path).title == "Heading One"
    path.write_text("<p>Only a paragraph.</p>", encoding="utf-8")
    assert read_document(path).title == "index"


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


# ----------------------------------------------------------------------------------------------------------
# the worker process
# ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader() -> Iterator[DocumentReader]:
    with DocumentReader(timeout_s=30) as shared:
        yield shared


def test_reader_reads_in_a_worker(reader: DocumentReader, tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "w.pdf", THREE_PAGES, title="Worker Title")
    doc = reader.read(path, source="folder/w.pdf")
    assert doc == read_document(path, source="folder/w.pdf")
    assert reader._process is not None and reader._process.pid != os.getpid()


def test_reader_reports_document_errors(reader: DocumentReader, tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="^file not found$"):
        reader.read(tmp_path / "missing.txt")
    path = tmp_path / "random.txt"
    path.write_bytes(os.urandom(2048))
    with pytest.raises(DocumentError, match="binary data"):
        reader.read(path)


def test_reader_relative_path(reader: DocumentReader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rel.txt").write_text("relative", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert reader.read("rel.txt").pages == ("relative",)


def test_reader_is_thread_safe(reader: DocumentReader, tmp_path: Path) -> None:
    paths = []
    for i in range(12):
        path = tmp_path / f"t{i}.txt"
        path.write_text(f"file number {i}", encoding="utf-8")
        paths.append(path)
    with ThreadPoolExecutor(max_workers=6) as pool:
        docs = list(pool.map(reader.read, paths))
    assert [d.pages[0] for d in docs] == [f"file number {i}" for i in range(12)]


@pytest.mark.slow  # kills or spawns processes (still under a second)
def test_reader_restarts_a_dead_worker(reader: DocumentReader, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("before", encoding="utf-8")
    reader.read(path)
    old = reader._process
    assert old is not None
    old.kill()
    old.join(5)
    path.write_text("after", encoding="utf-8")
    assert reader.read(path).pages == ("after",)
    assert reader._process is not None and reader._process.pid != old.pid


@pytest.mark.slow  # kills or spawns processes (still under a second)
def test_reader_timeout_kills_the_worker_and_recovers(tmp_path: Path) -> None:
    # A real slow input: ~4 MB of HTML takes about a second to parse and walk, ten times the 0.1 s budget.
    slow = tmp_path / "huge.html"
    slow.write_text("<html><body>" + "<p>word <b>bold</b> word</p>\n" * 150_000 + "</body></html>")
    quick = tmp_path / "quick.txt"
    quick.write_text("still works", encoding="utf-8")
    with DocumentReader(timeout_s=0.1) as reader:
        assert reader.read(quick).pages == ("still works",)  # worker started; startup is not charged
        worker = reader._process
        start = time.perf_counter()
        with pytest.raises(DocumentError, match=r"^took longer than 0\.1 s to read; skipped$"):
            reader.read(slow)
        assert time.perf_counter() - start < 3
        assert worker is not None and not worker.is_alive()
        assert reader.read(quick).pages == ("still works",)
    with pytest.raises(RuntimeError, match="closed"):
        reader.read(quick)


def test_reader_close_stops_the_worker(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("closing", encoding="utf-8")
    reader = DocumentReader()
    reader.read(path)
    worker = reader._process
    reader.close()
    assert worker is not None and not worker.is_alive()
    reader.close()  # idempotent


@pytest.mark.slow  # kills or spawns processes (still under a second)
def test_import_is_light_and_worker_skips_main(tmp_path: Path) -> None:
    # Importing the module must not pull in parsers or heavy libraries, and the spawned worker must not
    # re-run the parent's __main__ script (which, for app.py, imports gradio and torch).
    main = tmp_path / "fake_app.py"
    note = tmp_path / "note.txt"
    note.write_text("read in the worker", encoding="utf-8")
    main.write_text(
        "import sys\n"
        "import rdr_search.documents as d\n"
        "heavy = {'torch', 'transformers', 'faiss', 'pypdf', 'docx', 'bs4', 'rdr_search.library'}\n"
        "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n"
        "print('MAIN RAN')\n"
        "if __name__ == '__main__':\n"
        "    with d.DocumentReader() as r:\n"
        f"        print(r.read({str(note)!r}).pages)\n"
    )
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    result = subprocess.run(
        [sys.executable, str(main)], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    # Had the worker re-imported __main__, "MAIN RAN" would be printed twice.
    assert result.stdout.count("MAIN RAN") == 1, result.stdout
    assert "('read in the worker',)" in result.stdout


def test_document_is_picklable_for_the_pipe(tmp_path: Path) -> None:
    import pickle

    path = tmp_path / "p.txt"
    path.write_text("pickle me", encoding="utf-8")
    doc = read_document(path)
    assert pickle.loads(pickle.dumps(doc)) == doc
