"""The store's queries over many ids or keys run in chunks and still see every row."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rdr_search.chunking import Passage
from rdr_search.records import Span
from rdr_search.store import Store, content_key


def passages(texts: list[str]) -> list[Passage]:
    return [Passage(i, "Doc", text, Span(1, 1, 0, len(text))) for i, text in enumerate(texts)]


def commit(store: Store, source: str, texts: list[str], set_id: int, replaces: int | None = None) -> list[int]:
    keys = {content_key("Doc", t): np.full(4, i, np.float32) for i, t in enumerate(texts)}
    _, ids = store.commit_document(
        source=source, title="Doc", kind="txt", content_hash=source + str(len(texts)), size_bytes=1, pages=1,
        text="\n".join(texts), page_starts=[0], passages=passages(texts), new_vectors={set_id: keys},
        replaces=replaces,
    )  # fmt: skip
    return ids


def test_lookups_and_deletes_over_more_ids_than_one_query_takes(tmp_path: Path) -> None:
    store = Store(tmp_path / "library.sqlite3")
    set_id = store.add_vector_set("k", "{}", "pair", "dpr", "ctx", "q").id
    texts = [f"passage {i}" for i in range(1_234)]
    ids = commit(store, "a.txt", texts, set_id)
    shared = commit(store, "b.txt", texts[:600], set_id)  # b reuses the vectors of a's first 600 passages

    found = store.passages_by_ids([*ids, *shared, 10**9])
    assert len(found) == 1_834 and found[ids[1_000]].text == "passage 1000"
    known = store.known_vectors(set_id, [content_key("Doc", t) for t in texts] + ["absent"])
    assert len(known) == 1_234 and known[content_key("Doc", "passage 700")][0] == 700

    store.remove_document(store.document_by_source("a.txt").id)  # a's unshared vectors go, b's stay
    left = store.known_vectors(set_id, [content_key("Doc", t) for t in texts])
    assert sorted(int(v[0]) for v in left.values()) == list(range(600))
    assert store.integrity_problems([set_id]) == []
    store.close()
