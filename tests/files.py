"""Real document files written by tests (PDF via fpdf2, DOCX via python-docx, plain text formats)."""

from __future__ import annotations

from pathlib import Path

import docx
from fpdf import FPDF


def write_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    """A PDF with a real text layer, one string per page."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


def write_docx(path: Path, heading: str, paragraphs: list[str]) -> Path:
    document = docx.Document()
    document.add_heading(heading, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def write_html(path: Path, title: str, body: str) -> Path:
    path.write_text(
        f"<html><head><title>{title}</title><style>p {{color: red}}</style>"
        f"<script>var hidden = 'script text';</script></head><body>{body}</body></html>",
        encoding="utf-8",
    )
    return path


def sample_corpus(folder: Path) -> dict[str, Path]:
    """Five small documents of five formats on distinct topics; PDF pages each carry their own words."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = write_pdf(
        folder / "history.pdf",
        [
            "Page one is about the Treaty of Versailles. It was signed in 1919 and ended the First World War. "
            "Germany accepted heavy reparations under its terms.",
            "Page two is about the Congress of Vienna. Diplomats redrew the map of Europe in 1815 after the "
            "defeat of Napoleon.",
            "Page three is about the Magna Carta. King John sealed it at Runnymede in 1215.",
        ],
        title="A Short History of Treaties",
    )
    docx_file = write_docx(
        folder / "garden.docx",
        "Gardening Basics",
        [
            "Tomatoes need at least six hours of direct sunlight every day.",
            "Water the roots in the morning so the leaves dry before evening.",
        ],
    )
    html = write_html(
        folder / "astronomy.html",
        "Notes on the Moon",
        "<h1>The Moon</h1><p>The Moon orbits the Earth every 27.3 days.</p><p>Its surface is covered in craters.</p>",
    )
    md = folder / "cooking.md"
    md.write_text("# Bread\n\nKnead the dough for ten minutes.\nLet it rise for one hour before baking.\n")
    txt = folder / "whales.txt"
    txt.write_text("Blue whales are the largest animals ever known to have lived.\n", encoding="utf-16")
    return {"pdf": pdf, "docx": docx_file, "html": html, "md": md, "txt": txt}
