"""The app's named API endpoints through gradio_client, plus the service and HTML helpers they rely on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from rdr_search.app.render import EMPTY_LIBRARY, NO_RESULTS, TYPE_A_QUESTION, highlight, render_hits
from rdr_search.app.service import STILL_LOADING, AppConfig, AppService, ModelsNotReady
from rdr_search.app.sessions import SessionLimits
from rdr_search.encoders import EncoderSpec
from tests.app.helpers import RunningApp, running_app, tiny_config


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def local_app(tiny_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with running_app(tiny_config(tiny_pair, tmp_path_factory.mktemp("library"))) as app:
        yield app


@pytest.fixture(scope="module")
def session_app(tiny_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    config = tiny_config(tiny_pair, tmp_path_factory.mktemp("unused"), session_scoped=True)
    with running_app(config) as app:
        yield app


def client(app: RunningApp) -> Client:
    return Client(app.url, verbose=False)


def add(c: Client, *paths: Path) -> dict[str, dict]:
    outcomes = c.predict([handle_file(str(p)) for p in paths], api_name="/add_files")
    return {o["source"]: o for o in outcomes}


def test_endpoints_are_named(local_app: RunningApp) -> None:
    endpoints = client(local_app).view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/add_files", "/search", "/documents", "/remove", "/load_samples"} <= set(endpoints)
    assert "/compare" not in endpoints  # only with a compare pair (tests/test_compare.py)
    # Gradio runs one event of a kind at a time unless raised: searches must not wait behind an ingest.
    assert local_app.demo._queue.default_concurrency_limit == local_app.service.config.concurrency > 1


def test_add_search_list_remove(local_app: RunningApp, tmp_path: Path) -> None:
    c = client(local_app)
    files = [
        write(tmp_path, "orchard.txt", "Apple trees grow in orchards and give red and green apples in autumn."),
        write(tmp_path, "harbour.md", "# Harbours\n\nShips unload containers at the harbour cranes by night."),
        write(
            tmp_path, "desert.html", "<html><body><h1>Deserts</h1><p>Camels cross the dry sand dunes.</p></body></html>"
        ),
    ]
    outcomes = add(c, *files)
    assert {o["status"] for o in outcomes.values()} == {"added"}
    assert all(o["passages"] >= 1 for o in outcomes.values())

    hits = c.predict("where do apples grow?", 10, api_name="/search")
    names = {f.name for f in files}
    assert {h["source"] for h in hits} >= names  # random weights: every document is somewhere in the top 10
    first = hits[0]
    assert first["rank"] == 1 and isinstance(first["score"], float)
    assert {"title", "text", "pages", "page_start", "passage_id"} <= set(first)
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert len(c.predict("apples", 2, api_name="/search")) == 2

    listed = {d["source"]: d for d in c.predict(api_name="/documents")}
    assert names <= set(listed)
    assert listed["orchard.txt"]["passages"] >= 1 and listed["orchard.txt"]["added_at"]

    assert c.predict("orchard.txt", api_name="/remove") == {"source": "orchard.txt", "removed": True}
    assert c.predict("orchard.txt", api_name="/remove")["removed"] is False
    assert "orchard.txt" not in {h["source"] for h in c.predict("apples", 50, api_name="/search")}
    assert "orchard.txt" not in {d["source"] for d in c.predict(api_name="/documents")}


def test_unsupported_file_fails_alone(local_app: RunningApp, tmp_path: Path) -> None:
    c = client(local_app)
    good = write(tmp_path, "notes-a.txt", "Lanterns were lit along the canal every evening.")
    bad = write(tmp_path, "strange.xyz", "not a supported format")
    also_good = write(tmp_path, "notes-b.md", "# Bread\n\nSourdough rises slowly in a cool kitchen.")
    outcomes = add(c, good, bad, also_good)
    assert outcomes["strange.xyz"]["status"] == "failed"
    assert "unsupported" in outcomes["strange.xyz"]["message"]
    assert outcomes["notes-a.txt"]["status"] == "added"
    assert outcomes["notes-b.md"]["status"] == "added"
    # Adding the same file again costs nothing and says so.
    assert add(c, good)["notes-a.txt"]["status"] == "unchanged"


def test_empty_question_gives_empty_list(local_app: RunningApp) -> None:
    c = client(local_app)
    assert c.predict("", 5, api_name="/search") == []
    assert c.predict("   ", 5, api_name="/search") == []


def test_sample_documents_are_searchable_at_once(session_app: RunningApp) -> None:
    c = client(session_app)
    outcomes = c.predict(api_name="/load_samples")
    assert {o["status"] for o in outcomes} == {"added"}
    assert len(outcomes) >= 3
    samples = {o["source"] for o in outcomes}
    hits = c.predict("What water temperature is best for green tea?", 5, api_name="/search")
    assert hits and {h["source"] for h in hits} <= samples
    pdf = [d for d in c.predict(api_name="/documents") if d["source"].endswith(".pdf")]
    assert pdf and pdf[0]["pages"] > 1


def test_sessions_are_private(session_app: RunningApp, tmp_path: Path) -> None:
    alice, bob = client(session_app), client(session_app)
    assert (
        add(alice, write(tmp_path, "alice.txt", "Alice keeps her garden diary here."))["alice.txt"]["status"] == "added"
    )
    assert [d["source"] for d in alice.predict(api_name="/documents")] == ["alice.txt"]
    assert bob.predict(api_name="/documents") == []
    assert bob.predict("garden diary", 5, api_name="/search") == []
    assert bob.predict("alice.txt", api_name="/remove")["removed"] is False
    assert [h["source"] for h in alice.predict("garden", 5, api_name="/search")] == ["alice.txt"]


def test_session_libraries_are_deleted(tiny_pair: tuple[Path, Path], tmp_path: Path) -> None:
    config = tiny_config(tiny_pair, tmp_path / "unused", session_scoped=True, limits=SessionLimits(ttl_s=60.0))
    service = AppService(config)
    service.start()
    try:
        assert service.wait_until_ready(60)
        doc = write(tmp_path, "doc.txt", "A short note about kites and wind.")
        for key in ("one", "two"):
            assert service.add([doc], ["doc.txt"], key).outcomes[0].status == "added"
        with service.library("one", create=False) as library:
            assert library is not None
            folder = library.path
        assert service.session_count() == 2
        service.release("one")  # tab closed / state deleted
        assert not folder.exists() and service.session_count() == 1
        assert service.sweep(now=time.monotonic() + 61) == 1  # idle past the TTL
        assert service.session_count() == 0
        assert service.search("kites", 5, "two") == ([], True)
    finally:
        service.close()


def test_actions_while_loading_or_failed_say_so(tmp_path: Path) -> None:
    loading = AppService(AppConfig(library_path=tmp_path / "lib"))  # never started: still "loading"
    assert loading.status()[0] == "loading"
    with pytest.raises(ModelsNotReady, match="still loading"):
        loading.search("anything", 5, None)
    assert "still loading" in STILL_LOADING

    missing = tmp_path / "no-such-model"
    broken = AppService(
        AppConfig(library_path=tmp_path / "lib2", encoder_spec=EncoderSpec.pair(str(missing), str(missing)))
    )
    broken.start()
    try:
        assert broken.wait_until_ready(60)
        state, message = broken.status()
        assert state == "failed" and message
        with pytest.raises(ModelsNotReady) as info:
            broken.documents(None)
        assert str(info.value) == message
    finally:
        broken.close()


def test_html_is_escaped_and_highlighted() -> None:
    text = 'Fire & <script>alert("x")</script> dragons breathe fire; the amp is loud.'
    out = highlight(text, "Do dragons breathe FIRE near an amp?")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<mark>dragons</mark>" in out and "<mark>Fire</mark>" in out and "<mark>fire</mark>" in out
    assert "&amp;" in out  # "amp" is highlighted as a word without breaking the entity
    assert "<mark>amp</mark>" in out
    assert "<mark>the</mark>" not in out and "<mark>Do</mark>" not in out  # stopwords and short words stay plain
    assert TYPE_A_QUESTION in render_hits([], " ")
    assert NO_RESULTS in render_hits([], "question")
    assert EMPTY_LIBRARY.startswith("The library is empty")


def test_app_options_and_environment(monkeypatch: pytest.MonkeyPatch, tiny_pair: tuple[Path, Path]) -> None:
    import app

    monkeypatch.delenv("SPACE_ID", raising=False)
    config = app.config_from_args(app.parse_args(["--library", "/tmp/lib", "--device", "cpu"]))
    assert config.library_path == Path("/tmp/lib") and not config.session_scoped and config.encoder_spec is None
    assert config.settings.device == "cpu"

    monkeypatch.setenv("SPACE_ID", "someone/rdr-search")  # on a Space each session gets its own library
    monkeypatch.setenv("RDR_SEARCH_CTX_ENCODER", str(tiny_pair[0]))
    monkeypatch.setenv("RDR_SEARCH_QUESTION_ENCODER", str(tiny_pair[1]))
    config = app.config_from_args(app.parse_args([]))
    assert config.session_scoped
    assert config.encoder_spec == EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1]))
