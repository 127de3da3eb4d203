"""The web app's configuration: one frozen dataclass, every tunable with its default."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdr_search.app.sessions import SessionLimits
from rdr_search.encoders.spec import EncoderSpec
from rdr_search.errors import LibraryError
from rdr_search.settings import Settings

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "samples"


@dataclass(frozen=True)
class AppConfig:
    """Everything the app needs to know at startup."""

    library_path: Path = Path("data/library")
    """The persistent library (local mode)."""
    encoder_spec: EncoderSpec | None = None
    """None: the pair an existing local library was built with, else the default RDR pair."""
    compare_spec: EncoderSpec | None = None
    """A second pair to rank the same passages with (the Compare tab); None: no Compare tab."""
    settings: Settings = field(default_factory=Settings)
    session_scoped: bool = False
    """Each browser session gets its own temporary library (public deployments)."""
    sessions_root: Path | None = None
    """Where session libraries live (default: a stable folder under the system temp dir, swept at start)."""
    limits: SessionLimits = field(default_factory=SessionLimits)
    sweep_interval_s: float = 60.0
    samples_dir: Path = SAMPLES_DIR
    concurrency: int = 8
    """Events of one kind that may run at once (Gradio's default is 1: a search would wait for an ingest)."""
    max_upload_mb: int = 200
    """Server-wide cap on one uploaded file; it only guards the server (per-file limits come back as outcomes)."""
    max_files_per_request: int = 100
    max_name_chars: int = 1024
    """Longest document name a request may pass (e.g. to remove)."""
    max_filter_items: int = 100
    """Most documents (or file types) one search may filter by."""
    max_body_kb: int = 1024
    """Largest non-upload request body (API calls carry small JSON)."""
    upload_max_age_s: int = 1800
    """Uploads nobody submitted are deleted after this long (the ones submitted are deleted once read)."""
    default_k: int = 5
    max_k: int = 50
    reader_workers: int = 2
    watch_folder: Path | None = None
    """Local mode: a folder the library is kept in step with (a toggle on the Library tab pauses it)."""
    """Parser processes shared by every library of the app."""

    def __post_init__(self) -> None:
        # Session libraries are temporary: on a Milvus server each would leave a collection behind.
        if self.session_scoped and self.settings.index_backend != "faiss":
            raise LibraryError(
                f"--index {self.settings.index_backend} is for a local library; session-scoped mode uses faiss."
            )
