"""Attacks on a public deployment (``python app.py --session-scoped``), made over HTTP as a stranger would.

Each test names what an attacker tries and asserts what they get: a clear refusal, and nothing of anyone else's.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.security.attacker import (
    AppProcess,
    app_process,
    call,
    file_data,
    outcomes,
    stop,
    upload,
    wait_ready,
)

pytestmark = pytest.mark.slow

SEARCH_REST = ["hybrid", [], [], "", ""]
"""/search's inputs after (question, k): mode and filters. gradio_client fills them in from their defaults; a raw
HTTP call sends every input."""
VICTIM_TEXT = "The combination of the victim's safe is 31-47-12, written in the kitchen notebook."


@pytest.fixture(scope="module")
def app(tiny_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    with app_process(tmp_path_factory.mktemp("public"), tiny_pair, RDR_SEARCH_MAX_SESSIONS="6") as running:
        yield running


def victim_uploads(app: AppProcess, tmp_path: Path, session: str) -> str:
    """A visitor adds a private document through the browser's route; returns the server path it had."""
    secret = tmp_path / "secret.txt"
    secret.write_text(VICTIM_TEXT, encoding="utf-8")
    [path] = upload(app, secret)
    assert outcomes(call(app, "add_files", [[file_data(path)]], session))["secret.txt"]["status"] == "added"
    return path


def sources(app: AppProcess, session: str) -> set[str]:
    reply = call(app, "documents", [], session)
    assert reply.ok, reply
    return {d["source"] for d in reply.data[0]}


def test_folder_as_file_adds_nothing_foreign(app: AppProcess, tmp_path: Path) -> None:
    victim_path = victim_uploads(app, tmp_path, "victim-1")
    folder = str(app.upload_folder)
    attempts = [folder, folder + "/", folder + "/./", "/" + folder, str(Path(victim_path).parent), victim_path]
    for attempt in attempts:
        reply = call(app, "add_files", [[file_data(attempt)]], "attacker-1")
        assert reply.ok, (attempt, reply)
        [outcome] = reply.data[0]
        assert outcome["status"] == "failed", (attempt, outcome)
        assert outcome["message"].startswith("refused"), (attempt, outcome)
    assert sources(app, "attacker-1") == set()
    hits = call(app, "search", ["safe combination kitchen notebook", 50, *SEARCH_REST], "attacker-1")
    assert hits.ok and hits.data[0] == []
    assert sources(app, "victim-1") == {"secret.txt"}  # the victim's own library is untouched


def test_a_link_inside_the_upload_folder_is_refused(app: AppProcess, tmp_path: Path) -> None:
    # Suppose an attacker could plant a symbolic link where uploads land: it still is no upload.
    target = tmp_path / "outside.txt"
    target.write_text("A file outside the upload folder.", encoding="utf-8")
    [path] = upload(app, tmp_path / "outside.txt")
    link = Path(path).with_name("link.txt")
    link.symlink_to(target)
    reply = call(app, "add_files", [[file_data(str(link))]], "attacker-2")
    if reply.ok:  # past Gradio's own check, the app refuses it
        assert outcomes(reply)["link.txt"]["status"] == "failed"
    else:
        assert reply.data and "not uploaded" in str(reply.data), reply
    assert sources(app, "attacker-2") == set()


def test_paths_outside_uploads_get_a_clear_error(app: AppProcess) -> None:
    reply = call(app, "add_files", [[file_data("/etc/passwd")]], "attacker-3")
    assert reply.event == "error"
    assert reply.data and "not uploaded" in str(reply.data), reply  # a message, not {"error": null}


def test_uploads_are_deleted_once_read_and_cannot_be_downloaded(app: AppProcess, tmp_path: Path) -> None:
    path = victim_uploads(app, tmp_path, "victim-2")
    assert not Path(path).exists(), "the original upload was left in the upload folder"
    download = httpx.get(app.url + f"gradio_api/file={path}", timeout=10)
    assert download.status_code in (403, 404) and VICTIM_TEXT not in download.text
    # Naming the same upload again (a replay) is refused: each upload is read once.
    again = outcomes(call(app, "add_files", [[file_data(path)]], "attacker-4"))
    assert again["secret.txt"]["status"] == "failed"


def test_two_visitors_uploading_the_same_file_each_get_it_and_no_replay_does(app: AppProcess, tmp_path: Path) -> None:
    leaflet = tmp_path / "leaflet.txt"
    leaflet.write_text("The town's public leaflet about the summer fair.", encoding="utf-8")
    first, second = upload(app, leaflet)[0], upload(app, leaflet)[0]  # both uploads land before either add
    assert first == second  # Gradio keys an upload by its bytes and name: one path for both
    for visitor in ("twin-a", "twin-b"):
        added = outcomes(call(app, "add_files", [[file_data(first)]], visitor))
        assert added["leaflet.txt"]["status"] == "added", added
    assert not Path(first).exists(), "the upload stayed after both adds had read it"
    replay = outcomes(call(app, "add_files", [[file_data(first)]], "twin-c"))
    assert replay["leaflet.txt"]["status"] == "failed"


def test_sessionless_calls_search_only_samples_and_stay_bounded(app: AppProcess, tmp_path: Path) -> None:
    doc = tmp_path / "note.txt"
    doc.write_text("Sessionless callers should not get libraries.", encoding="utf-8")
    sessions_before = len(app.session_folders())
    for _ in range(30):
        [path] = upload(app, doc)
        reply = call(app, "add_files", [[file_data(path)]])  # no session_hash at all
        assert reply.event == "error" and "only search the sample documents" in str(reply.data), reply
    assert len(app.session_folders()) == sessions_before
    assert len(app.children()) <= 4, app.children()  # two parser workers + multiprocessing's helpers
    listed = call(app, "documents", [])
    assert listed.ok and {d["source"] for d in listed.data[0]} >= {"tea-guide.pdf", "honeybees.md"}
    hits = call(app, "search", ["green tea water temperature", 3, *SEARCH_REST])
    assert hits.ok and len(hits.data[0]) == 3


def test_session_libraries_are_capped_and_the_evicted_visitor_is_told(app: AppProcess, tmp_path: Path) -> None:
    doc = tmp_path / "mine.txt"
    doc.write_text("Each visitor adds one small note.", encoding="utf-8")
    visitors = [f"crowd-{i}" for i in range(9)]
    for visitor in visitors:
        [path] = upload(app, doc)
        assert outcomes(call(app, "add_files", [[file_data(path)]], visitor))["mine.txt"]["status"] == "added"
    assert len(app.session_folders()) <= 6  # --max-sessions 6
    evicted = call(app, "documents", [], visitors[0])
    assert evicted.event == "error" and "closed to make room" in str(evicted.data), evicted
    assert sources(app, visitors[-1]) == {"mine.txt"}


def test_huge_question_is_refused_quickly_with_bounded_memory(app: AppProcess) -> None:
    question = "why " * (10 * 1024 * 1024 // 4)  # 10 MB
    rss_before = app.rss_mb()
    started = time.monotonic()
    replies: list[object] = []

    def ask() -> None:
        replies.append(call(app, "search", [question, 5, *SEARCH_REST], "curious"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    elapsed = time.monotonic() - started
    assert len(replies) == 8 and all(r.status == 413 and "too large" in str(r.data) for r in replies), replies[:1]
    assert elapsed < 10, elapsed
    peak = app.peak_rss_mb()
    print(
        f"8 concurrent 10 MB questions: refused in {elapsed:.2f} s; RSS before {rss_before:.0f} MB, peak {peak:.0f} MB"
    )
    assert app.rss_mb() - rss_before < 100
    # Just under the request cap, still far over the question cap: refused by the question check, not echoed.
    medium = "x" * 500_000
    reply = call(app, "search", [medium, 5, *SEARCH_REST], "curious")
    assert reply.event == "error" and "the limit is 2,000" in str(reply.data) and medium not in str(reply.data)
    reply = call(app, "remove", ["y" * 500_000], "curious")
    assert reply.event == "error" and "limit" in str(reply.data) and "y" * 2000 not in str(reply.data)


def test_invalid_inputs_get_clear_errors(app: AppProcess) -> None:
    reply = call(app, "search", ["tea", "lots", *SEARCH_REST], "typo")
    assert reply.event == "error" and reply.data and reply.data.get("error"), reply
    assert "lots" in reply.data["error"] or "number" in reply.data["error"], reply
    for junk in (["just a string"], [{"path": 5}], "not a list"):
        reply = call(app, "add_files", [junk], "typo")
        if reply.ok:
            assert all(o["status"] == "failed" for o in reply.data[0]), (junk, reply)
        else:
            assert reply.data and reply.data.get("error"), (junk, reply)  # a message, never {"error": null}


def test_security_headers(app: AppProcess) -> None:
    for response in (httpx.get(app.url, timeout=10), httpx.get(app.url + "config", timeout=10)):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors" in response.headers["content-security-policy"]
        assert "huggingface.co" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"]


def test_page_shows_model_names_not_server_paths(app: AppProcess, tiny_pair: tuple[Path, Path]) -> None:
    page = httpx.get(app.url, timeout=10).text + httpx.get(app.url + "config", timeout=10).text
    status = httpx.get(app.url + "config", timeout=10)
    assert status.status_code == 200
    for folder in tiny_pair:
        assert str(folder) not in page and str(folder.parent) not in page
    # The live banner (what the page polls) names the models without their folders either.
    from tests.app.helpers import tiny_spec

    assert tiny_spec(tiny_pair).ctx_encoder not in page


def test_restart_sweeps_leftover_session_folders(tiny_pair: tuple[Path, Path], tmp_path: Path) -> None:
    doc = tmp_path / "left.txt"
    doc.write_text("A note left behind by a crash.", encoding="utf-8")
    with app_process(tmp_path / "run", tiny_pair) as first:
        for visitor in ("a", "b", "c"):
            [path] = upload(first, doc)
            assert outcomes(call(first, "add_files", [[file_data(path)]], visitor))["left.txt"]["status"] == "added"
        assert len(first.session_folders()) == 3
        stop(first, signal.SIGKILL)  # no chance to clean up
        assert len(first.session_folders()) == 3
        with app_process(tmp_path / "run", tiny_pair) as second:
            assert second.session_folders() == []  # the dead run's folders are gone
            [path] = upload(second, doc)
            assert outcomes(call(second, "add_files", [[file_data(path)]], "d"))["left.txt"]["status"] == "added"
            assert len(second.session_folders()) == 1
        # SIGTERM (how a container stops) deletes the run's folders on the way out.
        assert not any(second.sessions_root.glob("run-*"))


def test_model_load_waits_do_not_make_the_app_unready(app: AppProcess) -> None:
    wait_ready(app, timeout=10)  # still answering after every attack above
