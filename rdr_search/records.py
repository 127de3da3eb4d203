"""The things that flow out of a library: hits for a question, per-file outcomes of an add, listings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class SearchMode(StrEnum):
    """How passages are ranked for a question."""

    DENSE = "dense"
    KEYWORD = "keyword"
    HYBRID = "hybrid"


@dataclass(frozen=True)
class SearchFilters:
    """Which passages a search may return; empty fields do not filter."""

    sources: tuple[str, ...] = ()
    """Documents by source name (any of them)."""
    kinds: tuple[str, ...] = ()
    """Document types, e.g. ("pdf", "markdown")."""
    added_after: str | None = None
    """ISO date or timestamp: documents added at or after it."""
    added_before: str | None = None
    """ISO date or timestamp: documents added before it."""

    @property
    def empty(self) -> bool:
        return not (self.sources or self.kinds or self.added_after or self.added_before)


class FileStatus(StrEnum):
    """What happened to one file of an add."""

    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Span:
    """Where a passage lies in its document: pages (1-based, inclusive) and characters of the document's text
    (as stored, after line joining). Passages, stored passages and hits all hold one."""

    page_start: int
    page_end: int
    char_start: int
    char_end: int

    def pages_label(self, document_pages: int) -> str:
        """'p. 3', 'pp. 3-4', or '' for documents without pages."""
        if document_pages <= 1:
            return ""
        if self.page_start == self.page_end:
            return f"p. {self.page_start}"
        return f"pp. {self.page_start}-{self.page_end}"


@dataclass(frozen=True)
class Hit:
    """One ranked passage for a question."""

    rank: int
    score: float
    text: str
    title: str
    source: str
    span: Span
    document_pages: int
    passage_id: int
    mode: str = "dense"
    """How it was found: "dense", "keyword" or "hybrid" (see :class:`SearchMode`)."""
    kind: str = ""
    """The document's type ("pdf", "markdown", ...)."""
    sentence: Span | None = None
    """The passage's sentence closest to the question (its page is the hit's page), when known."""
    sentence_text: str = ""
    """That sentence's text as it reads in ``text`` (so it can be marked there and quoted)."""
    ocr: bool = False
    """Whether the text was read with OCR from a scanned page (it may hold recognition errors)."""
    indexing: bool = False
    """Its document is still being indexed: more of it may match once its remaining parts are in."""

    @property
    def pages(self) -> str:
        """'p. 3', 'pp. 3-4', or '' for documents without pages."""
        return self.span.pages_label(self.document_pages)

    def to_dict(self) -> dict[str, object]:
        """The hit as flat JSON-ready data (the span's fields inline, plus the 'pages' label, which names the
        page even in a single-page document: data is read by programs, not only people)."""
        out = asdict(self)
        out.update(out.pop("span"))
        out["pages"] = self.pages or f"p. {self.span.page_start}"
        return out


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file of an add: added, replaced, unchanged, duplicate, failed or cancelled."""

    source: str
    status: str
    message: str = ""
    passages: int = 0
    pages: int = 0

    @property
    def ok(self) -> bool:
        return self.status != FileStatus.FAILED


class SkipReason(StrEnum):
    """Why a file found in a folder was not read."""

    UNSUPPORTED = "unsupported type"
    HIDDEN = "hidden"
    TOO_LARGE = "too large"


@dataclass(frozen=True)
class SkippedFile:
    """A file (or hidden folder) inside an added folder that was left out on purpose."""

    source: str
    reason: SkipReason


@dataclass
class AddResult:
    """The outcome of one ``Library.add_files`` call, one entry per file (and what folders held that was
    skipped on purpose, in ``skipped``)."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    encoded: int = 0
    seconds: float = 0.0
    skipped: list[SkippedFile] = field(default_factory=list)

    def skipped_summary(self, examples: int = 3) -> list[str]:
        """One line per reason files in folders were skipped: how many, and the first few names."""
        lines = []
        for reason in SkipReason:
            names = [s.source for s in self.skipped if s.reason == reason]
            if names:
                what = _SKIPPED_WHAT[reason][len(names) > 1]
                more = f" and {len(names) - examples} more" if len(names) > examples else ""
                lines.append(f"skipped {len(names)} {what}: {', '.join(names[:examples])}{more}")
        return lines

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def passages(self) -> int:
        return sum(o.passages for o in self.outcomes if o.status in (FileStatus.ADDED, FileStatus.REPLACED))

    def summary(self) -> str:
        parts = [f"{self.count(s)} {s}" for s in FileStatus if self.count(s)]
        rate = f", {self.encoded / self.seconds:.1f} passages/s" if self.encoded and self.seconds else ""
        return (
            f"{', '.join(parts) or 'nothing to add'}; {self.passages} passages, {self.encoded} encoded "
            f"in {self.seconds:.1f} s{rate}"
        )


@dataclass(frozen=True)
class LibraryDocument:
    """A document in the library, as listed to users."""

    source: str
    title: str
    kind: str
    pages: int
    passages: int
    size_bytes: int
    added_at: str
    state: str = "ready"
    """"indexing" while a long document's parts are being committed (or an interrupted add left it so: adding
    the file again finishes it), else "ready"."""


@dataclass(frozen=True)
class CheckReport:
    """Result of a consistency check."""

    documents: int
    passages: int
    vectors_indexed: int
    problems: list[str]
    indexing: tuple[str, ...] = ()
    """Documents still being indexed (consistent: what is in is searchable; adding them again finishes them)."""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class VectorSetInfo:
    """A vector set of the library, as listed to users."""

    key: str
    name: str
    ctx_encoder: str
    question_encoder: str
    attached: bool
    primary: bool


_SKIPPED_WHAT = {
    SkipReason.UNSUPPORTED: ("file of a type that cannot be read", "files of types that cannot be read"),
    SkipReason.HIDDEN: ("hidden file or folder", "hidden files and folders"),
    SkipReason.TOO_LARGE: ("file over the size limit", "files over the size limit"),
}
