"""One add call over many files: each file is read, then encoded and committed before the next is read, so
every file is searchable as soon as it is in; a cancel stops between parts and between files."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

from tqdm.auto import tqdm

from rdr_search.errors import RdrSearchError
from rdr_search.library.ingest import Ingest, PreparedDocument
from rdr_search.library.spaces import VectorSpace
from rdr_search.records import AddResult, FileOutcome, FileStatus

NOT_READ = "cancelled before it was read; nothing added"


def within_limit(files: list[tuple[Path, str]], limit: int, result: AddResult) -> list[tuple[Path, str]]:
    """The first ``limit`` files; the others get their own refusal in ``result``."""
    result.outcomes.extend(
        FileOutcome(source, FileStatus.FAILED, f"too many files in one batch (the limit is {limit})")
        for _, source in files[limit:]
    )
    return files[:limit]


def add_batch(
    ingest: Ingest,
    files: list[tuple[Path, str]],
    spaces: Mapping[str, VectorSpace],
    primary: str,
    result: AddResult,
    *,
    progress: bool,
    cancel: threading.Event | None,
) -> bool:
    """Add ``files`` one after the other, each outcome into ``result``; returns whether anything was committed."""
    seen: set[str] = set()
    committed = False
    quiet = not progress or not files
    with (
        tqdm(total=len(files), desc="Reading files", unit="file", disable=quiet) as reading,
        tqdm(total=0, desc="Encoding passages", unit="passage", disable=quiet) as encoding,
    ):
        for n, (path, source) in enumerate(files):
            if cancel is not None and cancel.is_set():
                result.outcomes.extend(FileOutcome(s, FileStatus.CANCELLED, NOT_READ) for _, s in files[n:])
                break
            prepared = _prepare(ingest, path, source, seen)
            reading.update(1)
            if isinstance(prepared, FileOutcome):
                result.outcomes.append(prepared)
                continue
            # The passage count is known only once the document is cut: the bar grows by an estimate, then by
            # the difference.
            estimate = _estimate(prepared, ingest.settings.passage_words) * len(spaces)
            encoding.total += estimate
            encoding.refresh()
            try:
                outcome, encoded = ingest.commit(prepared, spaces, primary, encoding.update, cancel)
            except RdrSearchError as exc:
                outcome, encoded = FileOutcome(source, FileStatus.FAILED, str(exc)), 0
            encoding.total += outcome.passages * len(spaces) - estimate
            encoding.refresh()
            committed = committed or outcome.passages > 0
            result.outcomes.append(outcome)
            result.encoded += encoded
    return committed


def _prepare(ingest: Ingest, path: Path, source: str, seen: set[str]) -> PreparedDocument | FileOutcome:
    if source in seen:
        return FileOutcome(source, FileStatus.FAILED, "the same name appears twice in this batch")
    seen.add(source)
    try:
        return ingest.prepare(path, source)
    except RdrSearchError as exc:
        return FileOutcome(source, FileStatus.FAILED, str(exc))


def _estimate(item: PreparedDocument, passage_words: int) -> int:
    """Passages hold at most ``passage_words`` words, so this is a lower bound (never more than the truth)."""
    words = len(item.normalized.text.split())
    return max(1, -(-words // max(1, passage_words)))
