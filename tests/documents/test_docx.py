"""rdr_search.documents.docx: document order, tables, titles, and files that are not Word documents."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import docx

from rdr_search.documents import read_document
from tests.documents.helpers import read_error


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
    document.save(str(path))
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
    document.save(str(path))
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
    document.save(str(path))
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
