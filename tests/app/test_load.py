"""The app under load: 8 sessions uploading and searching at once, on loopback, bounded loops."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from tests.app.helpers import running_app, tiny_config

SESSIONS = 8
SEARCHES_PER_SESSION = 25  # 200 in all


@pytest.mark.slow
def test_eight_sessions_upload_and_search_concurrently(tiny_pair: tuple[Path, Path], tmp_path: Path) -> None:
    config = tiny_config(tiny_pair, tmp_path / "unused", session_scoped=True)
    with running_app(config) as app:

        def session(n: int) -> tuple[int, int, set[str], set[str]]:
            folder = tmp_path / f"user{n}"
            folder.mkdir()
            files = []
            for i in range(3):
                path = folder / f"user{n}-note{i}.md"
                path.write_text(f"# Note {i} of user {n}\n\n" + f"User {n} wrote sentence {i} about topic {n}. " * 30)
                files.append(path)
            client = Client(app.url, verbose=False)
            outcomes = client.predict([handle_file(str(p)) for p in files], api_name="/add_files")
            added = sum(o["status"] == "added" for o in outcomes)
            answered = 0
            sources: set[str] = set()
            for q in range(SEARCHES_PER_SESSION):
                hits = client.predict(f"topic {n} question {q}", 5, api_name="/search")
                answered += 1
                sources.update(h["source"] for h in hits)
            listed = {d["source"] for d in client.predict(api_name="/documents")}
            client.close()
            return added, answered, sources, listed

        started = time.perf_counter()
        with ThreadPoolExecutor(SESSIONS) as pool:
            results = list(pool.map(session, range(SESSIONS)))
        elapsed = time.perf_counter() - started
    served = sum(r[1] for r in results)
    print(f"{SESSIONS} sessions, {served} searches and {SESSIONS} uploads served in {elapsed:.1f} s")
    assert served == SESSIONS * SEARCHES_PER_SESSION
    for n, (added, _, sources, listed) in enumerate(results):
        mine = {f"user{n}-note{i}.md" for i in range(3)}
        assert added == 3 and listed == mine  # nothing lost
        assert sources and sources <= mine  # and nothing from another session
