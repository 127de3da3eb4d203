"""A cheap guess whether a document is in English, because RDR and DPR were trained on English only.

Two looks at the first few thousand characters, no language model: the script of the letters (Cyrillic,
Greek, Arabic, CJK, ... are not English) and, for Latin letters, the share of words that are common English
function words (about 40% in English prose, a few % in French, German or Spanish). A short or mixed text gets
the benefit of the doubt: the check only speaks when it is fairly sure.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

SAMPLE_CHARS = 20_000
MIN_WORDS = 30
"""Fewer words than this say too little about a language."""
MIN_LETTERS = 50
"""Fewer letters than this say too little about a script (a CJK letter is about a word)."""
MIN_ENGLISH_SHARE = 0.12
"""Below this share of English function words, Latin-script text is taken for another language."""
MIN_LATIN_SHARE = 0.5


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_ENGLISH = _words(
    "the of and to in is a that for it as was with be by on not he this are or his from at which but have an "
    "they you were her she there been one all we their has would can will its also more than into who when "
    "what how if no so these other some them may only after about our such any most do"
)
# A few words that mark other common Latin-script languages, only to name the likely one in the note.
_OTHERS = {
    "French": _words("le la les des est une et du que dans pour pas qui sur au avec sont"),
    "German": _words("der die das und ist nicht ein eine zu den mit von sich auf des dem für"),
    "Spanish": _words("el la los las de que y en es por una para con no del se al"),
    "Italian": _words("il di che è la per un non una sono del della gli le con"),
    "Portuguese": _words("o de que e do da em um para é com não uma os no se"),
    "Dutch": _words("de het een en van is dat niet op te zijn voor met ook"),
}
_SCRIPT_NAMES = {"CJK": "Chinese or Japanese", "HANGUL": "Korean (Hangul)"}
NOTE = "looks like {what}, not English: RDR and DPR were trained on English, so retrieval quality will be poor"


def language_note(pages: Sequence[str]) -> str | None:
    """A note for the outcome when the text looks non-English, else None."""
    sample = " ".join(pages)[:SAMPLE_CHARS]
    letters = [ch for ch in sample if ch.isalpha()]
    if len(letters) < MIN_LETTERS:
        return None
    scripts = Counter(_script(ch) for ch in letters)
    latin = scripts.get("LATIN", 0) / len(letters)
    if latin < MIN_LATIN_SHARE:
        main = max((s for s in scripts if s != "LATIN"), key=lambda s: scripts[s])
        return NOTE.format(what=f"{_SCRIPT_NAMES.get(main, main.title())} script")
    words = [w.lower() for w in _WORD.findall(sample)]
    if len(words) < MIN_WORDS:
        return None
    english = sum(w in _ENGLISH for w in words) / len(words)
    if english >= MIN_ENGLISH_SHARE:
        return None
    guess = max(_OTHERS, key=lambda name: sum(w in _OTHERS[name] for w in words))
    return NOTE.format(what=f"another language (perhaps {guess})")


def _script(ch: str) -> str:
    """The script of a letter by its Unicode name's first word (LATIN, CYRILLIC, CJK, HANGUL, ...)."""
    if ch.isascii():
        return "LATIN"
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0] if name else "OTHER"
    return "CJK" if first in ("CJK", "HIRAGANA", "KATAKANA") else first
