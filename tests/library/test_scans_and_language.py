"""A library of scanned and non-English documents: OCR'd hits are marked, a language other than English is
noted, and both documents are still added and searchable."""

from __future__ import annotations

from pathlib import Path

from rdr_search.app.render import render_hits
from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.library import Library
from rdr_search.settings import Settings
from tests.scans import needs_tesseract, text_then_scan

SETTINGS = Settings(precision="fp32", batch_size=4)
FRENCH = (
    "Le Nil est un fleuve d'Afrique. Il coule vers le nord et se jette dans la mer Méditerranée. Pendant des "
    "milliers d'années, les paysans de la vallée ont dépendu de la crue annuelle, qui apporte de l'eau et du "
    "limon fertile pour les champs, et les villes se sont construites sur ses rives."
)
ENGLISH = (
    "The Nile is a river in Africa. It flows north into the Mediterranean Sea. For thousands of years the "
    "farmers of the valley depended on the yearly flood, which brought water and fertile silt to their fields."
)


def _pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), SETTINGS)


def test_a_non_english_document_is_added_with_a_note(tmp_path: Path, tiny_pair: tuple[Path, Path]) -> None:
    (tmp_path / "nil.txt").write_text(FRENCH)
    (tmp_path / "nile.txt").write_text(ENGLISH)
    with Library.open(tmp_path / "lib", _pair(tiny_pair), SETTINGS) as lib:
        result = lib.add_files([tmp_path / "nil.txt", tmp_path / "nile.txt"], progress=False)
        outcomes = {o.source: o for o in result.outcomes}
        assert outcomes["nil.txt"].status == "added"
        assert "not English" in outcomes["nil.txt"].message and "retrieval quality will be poor" in (
            outcomes["nil.txt"].message
        )
        assert outcomes["nile.txt"].status == "added" and "English" not in outcomes["nile.txt"].message
        assert [h.source for h in lib.search("fleuve Méditerranée", 1, mode="keyword")] == ["nil.txt"]


@needs_tesseract
def test_hits_from_scanned_pages_are_marked_ocr(tmp_path: Path, tiny_pair: tuple[Path, Path]) -> None:
    scan = text_then_scan(tmp_path / "harbour.pdf")
    (tmp_path / "nile.txt").write_text(ENGLISH)
    with Library.open(tmp_path / "lib", _pair(tiny_pair), SETTINGS) as lib:
        result = lib.add_files([scan, tmp_path / "nile.txt"], progress=False)
        (outcome,) = [o for o in result.outcomes if o.source == "harbour.pdf"]
        assert outcome.status == "added" and "page 2 read with OCR" in outcome.message
        (scanned,) = lib.search("lighthouse keeper Skerryvore", 1, mode="keyword")
        (typed,) = lib.search("farmers flood", 1, mode="keyword")
        assert lib.check().ok
    assert scanned.source == "harbour.pdf" and scanned.ocr and scanned.to_dict()["ocr"] is True
    assert typed.source == "nile.txt" and not typed.ocr
    assert 'class="rdr-ocr"' in render_hits([scanned], "lighthouse")
    assert 'class="rdr-ocr"' not in render_hits([typed], "farmers")
