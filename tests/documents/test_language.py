"""The English-only check: a cheap look at script and function words, silent when unsure."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdr_search.documents import read_document
from rdr_search.documents.language import language_note

ENGLISH = (
    "The Nile is a long river in Africa. It flows north into the Mediterranean Sea and has been the lifeline of "
    "Egypt for thousands of years. Farmers along its banks depend on the annual flood, which brings water and "
    "fertile silt to the fields of the valley."
)
OTHERS = {
    "French": "Le Nil est un fleuve d'Afrique. Il coule vers le nord et se jette dans la mer Méditerranée. Pendant "
    "des milliers d'années, les paysans de la vallée ont dépendu de la crue annuelle, qui apporte de l'eau et du "
    "limon fertile pour les champs.",
    "German": "Der Nil ist ein Fluss in Afrika. Er fließt nach Norden und mündet in das Mittelmeer. Seit "
    "Jahrtausenden sind die Bauern im Tal von der jährlichen Flut abhängig, die Wasser und fruchtbaren Schlamm "
    "auf die Felder bringt und das Leben sichert.",
    "Cyrillic": "Нил — река в Африке, одна из двух самых длинных рек мира. Она течёт на север и впадает в "
    "Средиземное море. Тысячи лет крестьяне долины зависели от ежегодного разлива реки.",
    "Chinese": "尼罗河是非洲的一条河流，向北流入地中海。几千年来，河谷的农民依靠每年的洪水，它为田地带来水和肥沃的"
    "淤泥。尼罗河是世界上最长的河流之一。",
}


def test_english_prose_gets_no_note() -> None:
    assert language_note([ENGLISH]) is None
    # English with foreign names and a quoted phrase is still English.
    assert language_note([ENGLISH + " The Egyptians called it Iteru, and the French say « le Nil »."]) is None


@pytest.mark.parametrize("language", sorted(OTHERS))
def test_other_languages_are_noted(language: str) -> None:
    note = language_note([OTHERS[language]])
    assert note is not None and "not English" in note and "retrieval quality will be poor" in note
    assert language in note or (language == "Chinese" and "Chinese or Japanese" in note)


def test_a_few_words_are_too_few_to_judge() -> None:
    assert language_note(["Bonjour, ça va ?"]) is None
    assert language_note(["Guten Tag und herzlich willkommen in Berlin"]) is None


def test_the_note_reaches_the_document(tmp_path: Path) -> None:
    path = tmp_path / "nil.txt"
    path.write_text(OTHERS["French"])
    document = read_document(path)
    assert document.pages and any("not English" in note for note in document.notes)
