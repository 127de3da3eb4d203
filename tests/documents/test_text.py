"""rdr_search.documents.text: encodings, binary data and text clean-up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rdr_search.documents import read_document
from tests.documents.helpers import read_error

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
