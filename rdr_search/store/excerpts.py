"""Reading pieces of stored document text: a passage's own characters (or a window around them) with the
document's page starts, so callers can split it into sentences and say on which page each one lies."""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass

from rdr_search.store.sqlite import Store, _in_chunks


@dataclass(frozen=True)
class Excerpt:
    """A window of one document's stored text around a passage."""

    passage_id: int
    source: str
    kind: str
    content_hash: str
    start: int
    """Document offset of ``text[0]``."""
    text: str
    page_starts: tuple[int, ...]
    """Offset where each page starts in the document text (1-based pages: page n starts at ``page_starts[n-1]``)."""

    @property
    def end(self) -> int:
        """Document offset just past ``text``."""
        return self.start + len(self.text)

    def page_at(self, offset: int) -> int:
        """The page (1-based) holding the document character at ``offset``."""
        return max(1, bisect.bisect_right(self.page_starts, offset))

    def page_range(self, page: int) -> tuple[int, int]:
        """Document offsets (start, end) of ``page``'s text; pages past the last one are empty."""
        if page < 1 or page > len(self.page_starts):
            return 0, 0
        end = self.page_starts[page] if page < len(self.page_starts) else max(self.end, self.page_starts[-1])
        return self.page_starts[page - 1], end

    def piece(self, start: int, end: int) -> str:
        """The document text from ``start`` to ``end`` (document offsets), as far as this window holds it."""
        return self.text[max(0, start - self.start) : max(0, end - self.start)]


def passage_excerpts(store: Store, ids: Sequence[int], margin: int = 0) -> dict[int, Excerpt]:
    """Per passage id: its document text from ``margin`` characters before the passage to ``margin`` after
    (clipped to the document), with the page starts. Only the window is read from the database."""
    margin = max(0, int(margin))
    rows = _in_chunks(
        store.db,
        "SELECT p.id, d.source, d.kind, d.content_hash, max(p.char_start - ?, 0),"
        " substr(d.text, max(p.char_start - ?, 0) + 1, p.char_end + ? - max(p.char_start - ?, 0)), d.page_starts"
        " FROM passages p JOIN documents d ON d.id = p.document_id WHERE p.id IN ({marks})",
        [int(i) for i in ids],
        before=(margin, margin, margin, margin),
    )
    return {int(r[0]): Excerpt(int(r[0]), r[1], r[2], r[3], int(r[4]), r[5], tuple(json.loads(r[6]))) for r in rows}
