"""Where hits come from: the best sentence and its page, page views of PDFs, text views of other formats, and the
kept originals that page views need (written with the document, gone with it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.errors import QueryError
from rdr_search.library import Library
from rdr_search.retrieval.provenance import best_sentences, word_scores
from rdr_search.settings import Settings
from tests.files import write_pdf

EXACT = Settings(precision="fp32")
PAGE_ONE = (
    "The lighthouse stands on a rock at the mouth of the harbour. Its keepers climbed the stairs every evening. "
    "Fishing boats came home when they saw the light."
)
PAGE_TWO = (
    "Its lens was invented by Augustin Fresnel in 1822 and bends the beam toward the horizon. "
    "The tower was painted white."
)
QUESTION = "Who invented the lens?"


@pytest.fixture(scope="module")
def pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), EXACT)


@pytest.fixture()
def library(tmp_path: Path, pair: EncoderPair) -> Library:
    lib = Library.open(tmp_path / "library", pair, EXACT)
    yield lib
    lib.close()


def originals(library: Library) -> list[str]:
    folder = library.path / "originals"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_best_sentence_page_of_a_passage_that_crosses_pages(library: Library, tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "harbour.pdf", [PAGE_ONE, PAGE_TWO])
    library.add_files([pdf], progress=False)
    (hit,) = library.search(QUESTION, k=1)
    assert (hit.span.page_start, hit.span.page_end) == (1, 2)  # one passage over both pages
    assert hit.sentence is not None
    assert (hit.sentence.page_start, hit.sentence.page_end) == (2, 2)
    assert hit.sentence.pages_label(hit.document_pages) == "p. 2"
    assert hit.sentence_text.startswith("Its lens was invented by Augustin Fresnel")
    assert hit.sentence_text in hit.text  # it can be marked in the card
    assert hit.span.char_start <= hit.sentence.char_start < hit.sentence.char_end <= hit.span.char_end
    assert hit.to_dict()["sentence_text"] == hit.sentence_text


def test_every_hit_gets_a_sentence(library: Library, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Green tea likes water at eighty degrees.\n\nBlack tea wants it boiling.")
    library.add_files([notes, write_pdf(tmp_path / "harbour.pdf", [PAGE_ONE, PAGE_TWO])], progress=False)
    hits = library.search("What water temperature suits green tea?", k=5)
    assert len(hits) == 2 and all(h.sentence is not None and h.sentence_text for h in hits)
    tea = next(h for h in hits if h.source == "notes.txt")
    assert tea.sentence_text == "Green tea likes water at eighty degrees."


def test_word_scores_weigh_rare_words_and_ties_go_first_without_an_encoder() -> None:
    sentences = ["The lens is old.", "The lens was invented in France.", "The tower is white."]
    scores = word_scores("Where was the lens invented?", sentences)
    assert scores[1] > scores[0] > scores[2] == 0
    assert best_sentences("Where was the lens invented?", [("T", sentences)]) == [1]
    assert best_sentences("something unrelated entirely", [("T", sentences)]) == [0]


@pytest.mark.slow
def test_the_encoder_breaks_ties_by_meaning(minilm_dir: Path) -> None:
    minilm = EncoderPair(EncoderSpec.single(str(minilm_dir)), EXACT)
    sentences = ["Stock markets fell sharply after the announcement.", "The cat slept on a warm windowsill all day."]
    # No word in common with either sentence: only meaning can decide.
    assert word_scores("Which feline napped in the sunshine?", sentences) == [0.0, 0.0]
    assert best_sentences("Which feline napped in the sunshine?", [("Notes", sentences)], minilm) == [1]
    assert best_sentences("Which feline napped in the sunshine?", [("Notes", sentences)], lambda: minilm) == [1]


def test_pdf_view_draws_the_sentence_page_with_highlights(library: Library, tmp_path: Path) -> None:
    library.add_files([write_pdf(tmp_path / "harbour.pdf", [PAGE_ONE, PAGE_TWO])], progress=False)
    (hit,) = library.search(QUESTION, k=1)
    assert hit.sentence is not None
    view = library.view(hit.passage_id, sentence=(hit.sentence.char_start, hit.sentence.char_end))
    assert view.page == 2 and view.image is not None and not view.note
    image = view.image
    assert image.png.startswith(b"\x89PNG") and (image.page, image.pages) == (2, 2)
    kinds = {box[4] for box in image.boxes}
    assert kinds == {"passage", "sentence"}
    for left, top, right, bottom, _ in image.boxes:
        assert 0 <= left < right <= image.width and 0 <= top < bottom <= image.height
    # Page one shows the passage's first part, and no sentence (the best one is on page two).
    first = library.view(hit.passage_id, page=1, sentence=(hit.sentence.char_start, hit.sentence.char_end))
    assert first.image is not None and {box[4] for box in first.image.boxes} == {"passage"}


def test_view_checks_what_it_is_asked(library: Library, tmp_path: Path) -> None:
    library.add_files([write_pdf(tmp_path / "harbour.pdf", [PAGE_ONE, PAGE_TWO])], progress=False)
    (hit,) = library.search(QUESTION, k=1)
    with pytest.raises(QueryError, match="Page 3 is not a page"):
        library.view(hit.passage_id, page=3)
    with pytest.raises(QueryError, match="no longer in the library"):
        library.view(hit.passage_id + 1000)
    outside = library.view(hit.passage_id, sentence=(hit.span.char_end, hit.span.char_end + 10))
    assert outside.sentence is None and outside.page == 1  # a range outside the passage is ignored


def test_text_view_shows_the_passage_in_its_document(library: Library, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    words = " ".join(f"filler{i}." for i in range(400))
    notes.write_text(f"{words}\n\nThe kettle whistles at boiling point.\n\n{words}")
    library.add_files([notes], progress=False)
    hit = next(h for h in library.search("kettle whistles", k=20) if "kettle" in h.text)
    assert hit.sentence is not None
    view = library.view(hit.passage_id, sentence=(hit.sentence.char_start, hit.sentence.char_end))
    assert view.image is None and view.note == ""
    excerpt = view.excerpt
    assert excerpt.start < hit.span.char_start and excerpt.end > hit.span.char_end  # text on both sides
    assert excerpt.piece(hit.span.char_start, hit.span.char_end).split() == hit.text.split()


def test_originals_are_kept_for_pdfs_and_go_with_their_document(library: Library, tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "harbour.pdf", [PAGE_ONE, PAGE_TWO])
    notes = tmp_path / "notes.txt"
    notes.write_text("Plain text is never kept: its stored text is all a view needs.")
    library.add_files([pdf, notes], progress=False)
    (kept,) = originals(library)
    assert kept.endswith(".pdf") and (library.path / "originals" / kept).read_bytes() == pdf.read_bytes()

    write_pdf(pdf, [PAGE_ONE, PAGE_TWO + " A new sentence changes the file."])
    library.add_files([pdf], progress=False)  # replaced: the old original goes, the new one comes
    (replaced,) = originals(library)
    assert replaced != kept and (library.path / "originals" / replaced).read_bytes() == pdf.read_bytes()

    assert library.remove("harbour.pdf")
    assert originals(library) == []


def test_orphan_originals_are_swept_and_none_kept_when_disabled(tmp_path: Path, pair: EncoderPair) -> None:
    with Library.open(tmp_path / "lib", pair, EXACT) as library:
        folder = library.path / "originals"
        folder.mkdir()
        (folder / ("0" * 64 + ".pdf")).write_bytes(b"%PDF- left by a crash")
        (folder / ".tmp-half.pdf").write_bytes(b"%PDF- half written")
        library.add_files([write_pdf(tmp_path / "a.pdf", [PAGE_ONE])], progress=False)
        assert len(originals(library)) == 1 and not originals(library)[0].startswith(("0" * 64, ".tmp"))
    off = Settings(precision="fp32", keep_originals=False)
    with Library.open(tmp_path / "lib2", pair, off) as library:
        library.add_files([write_pdf(tmp_path / "b.pdf", [PAGE_TWO])], progress=False)
        (hit,) = library.search(QUESTION, k=1)
        assert originals(library) == []
        view = library.view(hit.passage_id)
        assert view.image is None and "not kept" in view.note
