"""Plain text: find the encoding (BOM, strict UTF-8, UTF-16 without a BOM, legacy guesses), refuse binary data.

The Markdown converter decodes its bytes here too.
"""

from __future__ import annotations

import re

from rdr_search.errors import DocumentError

# Longest BOMs first: the UTF-32 LE BOM starts with the UTF-16 LE BOM.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
_NOT_TEXT = "not a text file (binary data)"
# Share of control characters (other than whitespace) above which decoded "text" is really binary data.
_MAX_CONTROL_RATIO = 0.02
_MAX_NUL_RATIO = 0.01
# Control characters that do not occur in text files (\x1a: the DOS end-of-file marker does).
_BINARY_CONTROL = re.compile("[\x01-\x08\x0e-\x19\x1b-\x1f]")


def decode_text(data: bytes) -> str:
    """Decode a text file: BOM, then strict UTF-8, then (mostly-UTF-8 | legacy single-byte) guesses."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _check_textual(data[len(bom) :].decode(encoding.removesuffix("-sig")))
            except UnicodeDecodeError:
                name = encoding.upper().removesuffix("-SIG")
                raise DocumentError(f"not a valid {name} text file") from None
    nuls = data.count(0)
    if nuls > _MAX_NUL_RATIO * len(data):
        # No BOM but many NUL bytes: UTF-16 without a BOM (every other byte NUL for Latin text) or binary.
        # A few stray NULs (a log cut by a crash) do not make a text file binary; they are dropped later.
        return _check_textual(_decode_utf16_without_bom(data))
    try:
        return _check_textual(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    valid_non_ascii = len(text) - len(text.encode("ascii", "ignore")) - bad
    if valid_non_ascii >= 2 * bad:
        # Clearly UTF-8 (many valid multi-byte sequences) with a few damaged bytes: keep it UTF-8.
        return _check_textual(text)
    return _check_textual(_decode_legacy(data))


def _decode_utf16_without_bom(data: bytes) -> str:
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    half = max(1, len(data) // 2)
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        encoding = "utf-16-le"
    elif even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        encoding = "utf-16-be"
    else:
        raise DocumentError(_NOT_TEXT)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise DocumentError(_NOT_TEXT) from None


def _decode_legacy(data: bytes) -> str:
    """Guess a legacy (single-byte) encoding with charset-normalizer."""
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise DocumentError(_NOT_TEXT)
    # charset-normalizer often ranks cp1250 first for Western European text that cp1252 decodes equally well
    # ("naïve" -> "naďve"). When cp1252 fits as well as the winner, prefer it: it is by far the most common.
    for match in matches:
        fits_as_well = match.chaos <= best.chaos + 1e-6 and match.coherence >= best.coherence - 1e-6
        if fits_as_well and "cp1252" in match.could_be_from_charset:
            try:
                return data.decode("cp1252")
            except UnicodeDecodeError:
                break
    return str(best)


def _check_textual(text: str) -> str:
    if not text.strip():
        raise DocumentError("empty file")
    # Binary data shows control characters everywhere; two samples of 256k characters tell as well as the whole
    # text, at a bounded cost. NULs were judged already (by byte count, before decoding).
    sample = text if len(text) <= 1 << 19 else text[: 1 << 18] + text[len(text) // 2 : len(text) // 2 + (1 << 18)]
    controls = len(_BINARY_CONTROL.findall(sample))
    if controls > _MAX_CONTROL_RATIO * len(sample):
        raise DocumentError(_NOT_TEXT)
    return text


def parse(data: bytes) -> tuple[str | None, list[str]]:
    """A text file has no title of its own and one page."""
    return None, [decode_text(data)]
