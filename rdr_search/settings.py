"""All tunables of rdr-search in one dataclass."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Knobs for reading, chunking, encoding and limits. Defaults follow DPR where DPR has one."""

    passage_words: int = 100
    """Target passage length in whitespace words (DPR's corpus uses 100-word blocks)."""
    overlap_sentences: int = 0
    """Sentences repeated from the end of one passage at the start of the next."""
    language: str = "en"
    """sentence-splitter language code."""
    segment_chars: int = 10_000
    """Longest string handed to the sentence splitter at once (it slows super-linearly)."""
    ctx_max_length: int = 256
    """Passage (title, text) pairs are truncated to this many tokens, as in DPR."""
    question_max_length: int = 64
    """Questions are truncated to this many tokens."""
    batch_size: int = 8
    """Passages per encoder forward pass."""
    max_file_bytes: int = 50 * 1024 * 1024
    """Files larger than this are refused with a per-file message."""
    max_files_per_batch: int = 1000
    """Most files one add call accepts."""
    max_question_chars: int = 2000
    """Longest question accepted (refused before any work; the encoder reads at most 64 tokens anyway)."""
    parse_timeout_s: float = 60.0
    """Time budget for reading one file; a parser that runs longer is killed."""
    keep_originals: bool = True
    """Keep each PDF's original bytes in the library folder (``originals/``), so hits can be shown on their page."""
    page_max_side: int = 1400
    """Longer side, in pixels, of a page drawn for a page view."""
    page_timeout_s: float = 15.0
    """Time budget for drawing one page; a page that takes longer is not shown (its text is, instead)."""
    device: str = "auto"
    """"auto" (CUDA when present, else CPU), "cpu", "cuda", "cuda:1", ..."""
    precision: str = "auto"
    """Encoder arithmetic: "fp32" (exact), "bf16", "int8", or "auto" (the fastest proven path for the device)."""
    runtime: str = "auto"
    """What runs the encoders: "torch" (the reference; what "auto" means) or "openvino" (CPU; fp32, bf16 or int8)."""
    runtime_cache: str = ""
    """Folder for models converted for a runtime ("": ``$XDG_CACHE_HOME/rdr-search/runtimes``)."""
    lock_timeout_s: float = 600.0
    """How long a writer waits for another writer holding the library's lock."""
    max_archive_bytes: int = 2 * 1024**3
    """Largest library archive file an import reads."""
    max_archive_unpacked_bytes: int = 4 * 1024**3
    """Most bytes an archive may unpack to (its database and kept originals together)."""
    watch_poll_s: float = 2.0
    """How often a watched folder is scanned for changes."""
    watch_quiet_s: float = 3.0
    """How long a watched file must stay unchanged before it is read (a copy in progress is not)."""
    index_backend: str = "faiss"
    """Where the vectors are searched: "faiss" (embedded, a file in the library) or "milvus"."""
    index_uri: str = ""
    """Milvus only: a server or cluster (``http://host:19530``) or a Milvus Lite ``.db`` file; empty means
    ``milvus.db`` in the library folder (Milvus Lite, one process at a time)."""
    part_passages: int = 50
    """A long document is committed in parts of this many passages, each searchable as soon as it is in (the
    document is marked "indexing" until its last part is)."""
    first_part_passages: int = 8
    """The first part is smaller, so a long document's first pages answer questions within seconds."""
