"""Session libraries and uploads, tested through the service layer alone (no Gradio, no HTTP)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rdr_search.app.service import SAMPLES_KEY, AppConfig, AppService
from rdr_search.app.sessions import SessionEvicted, SessionLimitError, SessionLimits, sweep_dead_runs
from rdr_search.app.uploads import NOT_AN_UPLOAD, UploadedFiles, UploadLedger
from rdr_search.errors import RdrSearchError
from tests.app.helpers import tiny_spec


def note(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def service_factory(tiny_pair: tuple[Path, Path], tmp_path: Path) -> Iterator[object]:
    made: list[AppService] = []

    def make(**limits: float) -> AppService:
        config = AppConfig(
            encoder_spec=tiny_spec(tiny_pair),
            session_scoped=True,
            sessions_root=tmp_path / "sessions",
            limits=SessionLimits(**limits),  # type: ignore[arg-type]
        )
        service = AppService(config)
        service.start()
        assert service.wait_until_ready(120) and service.status()[0] == "ready", service.status()
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


def test_the_least_recently_used_idle_library_is_evicted_and_its_visitor_told(service_factory, tmp_path: Path) -> None:
    service = service_factory(max_sessions=2)
    doc = note(tmp_path, "a.txt", "Otters hold hands while they sleep.")
    for visitor in ("first", "second", "third"):
        assert service.add([doc], ["a.txt"], visitor).outcomes[0].status == "added"
    assert service.session_count() == 2
    with pytest.raises(SessionEvicted, match="closed to make room"):
        service.documents("first")
    assert service.documents("first") == []  # told once; then it is a fresh visitor
    assert [d.source for d in service.documents("third")] == ["a.txt"]


def test_a_full_library_refuses_more_documents(service_factory, tmp_path: Path) -> None:
    service = service_factory(max_session_bytes=1)
    doc = note(tmp_path, "a.txt", "Herons stand still for a long time.")
    assert service.add([doc], ["a.txt"], "v").outcomes[0].status == "added"  # an empty library may take one add
    with pytest.raises(SessionLimitError, match="most this public demo allows per visitor"):
        service.add([note(tmp_path, "b.txt", "Another note.")], ["b.txt"], "v")


def test_total_disk_cap_closes_idle_libraries_first(service_factory, tmp_path: Path) -> None:
    service = service_factory(max_total_bytes=1)
    doc = note(tmp_path, "a.txt", "Moss grows on the north side, mostly.")
    service.add([doc], ["a.txt"], "old")
    service.add([doc], ["a.txt"], "new")
    assert service.session_count() == 1
    with pytest.raises(SessionEvicted, match="free disk space"):
        service.search("moss", 3, "old")


def test_sessionless_calls_cannot_add(service_factory, tmp_path: Path) -> None:
    service = service_factory()
    with pytest.raises(RdrSearchError, match="only search the sample documents"):
        service.add([note(tmp_path, "a.txt", "x")], ["a.txt"], SAMPLES_KEY)
    assert service.session_count() == 0
    hits, empty = service.search("tea", 2, SAMPLES_KEY)
    assert not empty and len(hits) == 2


def test_questions_and_names_are_bounded_before_any_work(service_factory) -> None:
    service = service_factory()
    with pytest.raises(RdrSearchError, match="limit is 2,000"):
        service.search("q" * 2001, 5, "someone")
    with pytest.raises(RdrSearchError, match="number of results"):
        service.search("tea", "many", "someone")
    with pytest.raises(RdrSearchError, match="limit is 1,024"):
        service.remove("n" * 5000, "someone")
    assert service.session_count() == 0  # nothing was made for any of them


def test_uploads_are_claimed_once_and_only_regular_files(tmp_path: Path) -> None:
    folder = tmp_path / "gradio"
    upload = note(folder / "abc123", "report.txt", "Quarterly numbers.")
    other = note(tmp_path / "elsewhere", "secret.txt", "Not an upload.")
    link = folder / "abc123" / "link.txt"
    link.symlink_to(other)
    uploads = UploadedFiles(folder, {str(upload), str(link), str(folder)})
    accepted, refused = uploads.claim([str(upload), str(folder), str(link), str(other), 42], max_files=10)
    assert accepted == [(upload, "report.txt")]
    reasons = {o.source: o.message for o in refused}
    assert reasons["gradio"].startswith("refused: not a regular file")
    assert reasons["link.txt"].startswith("refused: not a regular file")
    assert reasons["secret.txt"] == NOT_AN_UPLOAD
    assert reasons["int"] == NOT_AN_UPLOAD
    again, refused_again = uploads.claim([str(upload)], max_files=10)
    assert again == [] and refused_again[0].message == NOT_AN_UPLOAD  # a replay
    uploads.discard([upload])
    assert not upload.exists() and link.is_symlink()  # the folder stays while it holds anything else
    lone = note(folder / "def456", "lone.txt", "y")
    uploads.discard([lone])
    assert not lone.parent.exists()  # an emptied upload folder goes too


def test_one_file_uploaded_twice_is_claimed_twice_and_deleted_after_the_last_read(tmp_path: Path) -> None:
    folder = tmp_path / "gradio"
    leaflet = note(folder / "samehash", "leaflet.txt", "One leaflet.")  # Gradio's path for these bytes
    ledger = UploadLedger()
    ledger.update([str(leaflet)])
    ledger.update([str(leaflet)])  # a second visitor uploads the same file: the same path
    uploads = UploadedFiles(folder, ledger)
    assert uploads.claim([str(leaflet)], 10)[0] == uploads.claim([str(leaflet)], 10)[0] == [(leaflet, "leaflet.txt")]
    assert uploads.claim([str(leaflet)], 10)[1][0].message == NOT_AN_UPLOAD  # a third claim is a replay
    assert str(leaflet) not in ledger
    uploads.discard([leaflet])
    assert leaflet.exists()  # the other add is still reading it
    uploads.discard([leaflet])
    assert not leaflet.exists()
    # An upload of the same bytes that arrives while an add reads them keeps the file for its own add.
    leaflet = note(folder / "samehash", "leaflet.txt", "One leaflet.")
    ledger.update([str(leaflet)])
    assert uploads.claim([str(leaflet)], 10)[0]
    ledger.update([str(leaflet)])
    uploads.discard([leaflet])
    assert leaflet.exists() and uploads.claim([str(leaflet)], 10)[0]
    uploads.discard([leaflet])
    assert not leaflet.exists()


def test_too_many_files_in_one_request(tmp_path: Path) -> None:
    folder = tmp_path / "gradio"
    files = [note(folder / f"d{i}", f"f{i}.txt", "x") for i in range(3)]
    uploads = UploadedFiles(folder, {str(f) for f in files})
    accepted, refused = uploads.claim([str(f) for f in files], max_files=2)
    assert len(accepted) == 2 and "too many files" in refused[0].message


@pytest.mark.skipif(sys.platform != "linux", reason="uses a child process and flock semantics")
def test_a_dead_runs_folder_is_swept_but_a_live_ones_is_not(tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    dead = root / "run-dead"
    note(dead / "session-x", "library.sqlite3", "")
    live = root / "run-live"
    live.mkdir(parents=True)
    from filelock import FileLock

    held = FileLock(str(live / ".run.lock"))
    held.acquire()
    try:
        assert sweep_dead_runs(root) == 1
        assert not dead.exists() and live.exists()
    finally:
        held.release()
    assert os.path.isdir(root)


def test_the_service_layer_needs_no_gradio() -> None:
    import subprocess

    code = "import sys, rdr_search.app.service, rdr_search.app.sessions; print('gradio' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]
    )
    assert out.stdout.strip() == "False"


def test_public_banner_names_models_not_server_folders(service_factory, tiny_pair: tuple[Path, Path]) -> None:
    service = service_factory()
    state, line = service.status()
    assert state == "ready"
    for folder in tiny_pair:
        assert folder.name in line and str(folder.parent) not in line
    assert str(service.config.sessions_root) not in service.describe_scope()


def test_the_search_tabs_date_filters(service_factory, tmp_path: Path) -> None:
    from rdr_search.app.search_options import chosen_filters

    service = service_factory()
    service.add([note(tmp_path, "a.txt", "Otters hold hands while they sleep.")], ["a.txt"], "v")
    later = chosen_filters(service, [], [], "2999-01-01", "")
    assert service.search("otters", 5, "v", filters=later)[0] == []
    earlier = chosen_filters(service, [], [], "2000-01-01", "")
    assert [h.source for h in service.search("otters", 5, "v", filters=earlier)[0]] == ["a.txt"]
    with pytest.raises(RdrSearchError):
        service.search("otters", 5, "v", filters=chosen_filters(service, [], [], "not a date", ""))
