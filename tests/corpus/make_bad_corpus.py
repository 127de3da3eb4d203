"""Writes the committed bad-input corpus in tests/corpus/bad/ (run once; the files are committed).

python tests/corpus/make_bad_corpus.py
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

HERE = Path(__file__).parent / "bad"


def pdf_bytes(pages: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    good_pdf = pdf_bytes(["A page of real text about harbours and ships.", "A second page about tides."])
    (HERE / "empty.txt").write_bytes(b"")
    (HERE / "zero-byte.pdf").write_bytes(b"")
    (HERE / "truncated.pdf").write_bytes(good_pdf[: len(good_pdf) // 2])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(good_pdf)))
    writer.encrypt(user_password="secret", owner_password="owner")
    with (HERE / "encrypted.pdf").open("wb") as handle:
        writer.write(handle)
    (HERE / "scanned-no-text.pdf").write_bytes(pdf_bytes(["", ""]))
    (HERE / "not-a-zip.docx").write_bytes(b"This is plain text pretending to be a Word file.\n" * 20)
    with zipfile.ZipFile(HERE / "zip-bomb.docx", "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        with bomb.open("word/document.xml", "w", force_zip64=True) as entry:
            block = b"\0" * (1 << 20)
            for _ in range(300):  # 300 MB of zeros, ~300 KB compressed
                entry.write(block)
    (HERE / "binary-data.txt").write_bytes(bytes(range(256)) * 64)
    (HERE / "invalid-utf8.txt").write_bytes(
        "Café menu: crème brûlée and naïve tarts.\n".encode() * 20 + b"\xff\xfe\xfa broken bytes \xc3\x28 here\n"
    )
    (HERE / "only-script.html").write_text(
        "<html><head><style>body{color:red}</style></head><body><script>alert(1)</script></body></html>"
    )
    (HERE / "table.xlsx").write_bytes(b"PK\x03\x04 not supported")
    (HERE / "front-matter-only.md").write_text("---\ntitle: Nothing below\n---\n")


if __name__ == "__main__":
    main()
