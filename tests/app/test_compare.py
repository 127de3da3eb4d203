"""The compare view's service and API: two encoder pairs, one set of passages, two rankings side by side."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from rdr_search.app.build import build_app
from rdr_search.app.render import EMPTY_LIBRARY, other_ranks, render_hits, render_status
from rdr_search.app.service import NO_COMPARE_PAIR, SAMPLES_KEY, AppService, ModelsNotReady
from rdr_search.encoders import EncoderSpec
from rdr_search.errors import ModelLoadError, RdrSearchError
from rdr_search.library import Hit, Library
from rdr_search.records import Span
from tests.app.helpers import RunningApp, running_app, tiny_config, tiny_spec

TOPICS = {
    "orchard.txt": "Apple trees grow in orchards and give red and green apples in autumn.",
    "harbour.md": "# Harbours\n\nShips unload containers at the harbour cranes by night.",
    "desert.txt": "Camels cross the dry sand dunes of the desert between two oases.",
    "bakery.txt": "Sourdough bread rises slowly overnight in a cool bakery kitchen.",
    "glacier.md": "# Glaciers\n\nA glacier carves a deep valley as it slides down the mountain.",
    "violin.txt": "A violin has four strings tuned in fifths and is played with a bow.",
}


def write_topics(folder: Path) -> list[Path]:
    paths = []
    for name, text in TOPICS.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def compare_app(
    tiny_pair: tuple[Path, Path], other_tiny_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    config = tiny_config(tiny_pair, tmp_path_factory.mktemp("library"), compare_spec=tiny_spec(other_tiny_pair))
    with running_app(config) as app:
        yield app


def test_compare_endpoint_ranks_the_same_passages_two_ways(compare_app: RunningApp, tmp_path: Path) -> None:
    c = Client(compare_app.url, verbose=False)
    endpoints = c.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert "/compare" in endpoints
    outcomes = c.predict([handle_file(str(p)) for p in write_topics(tmp_path)], api_name="/add_files")
    assert {o["status"] for o in outcomes} == {"added"}
    passages = sum(d["passages"] for d in c.predict(api_name="/documents"))
    assert passages >= len(TOPICS)

    out = c.predict("where do apples grow?", 50, api_name="/compare")  # k >= passages: every passage, both sides
    left, right = out["left"], out["right"]
    assert left["name"] != right["name"]
    assert str(compare_app.service.config.compare_spec.ctx_encoder) in right["name"]
    assert len(left["hits"]) == len(right["hits"]) == passages
    left_ids = [h["passage_id"] for h in left["hits"]]
    right_ids = [h["passage_id"] for h in right["hits"]]
    assert set(left_ids) == set(right_ids)  # the passages are shared
    assert left_ids != right_ids  # two different pairs, two different rankings
    assert [h["score"] for h in left["hits"]] != [h["score"] for h in right["hits"]]
    for side in (left, right):
        assert {h["source"] for h in side["hits"]} == set(TOPICS)  # hits carry the uploaded sources
        assert [h["rank"] for h in side["hits"]] == list(range(1, passages + 1))
        assert {"title", "text", "pages", "score", "other_rank"} <= set(side["hits"][0])
    right_rank = {h["passage_id"]: h["rank"] for h in right["hits"]}
    assert all(h["other_rank"] == right_rank[h["passage_id"]] for h in left["hits"])

    # The main pair's side is exactly what /search returns in dense mode (pairs are compared on vectors alone).
    searched = c.predict("where do apples grow?", 50, "dense", api_name="/search")
    assert [h["passage_id"] for h in searched] == left_ids

    short = c.predict("apples", 2, api_name="/compare")
    assert len(short["left"]["hits"]) == len(short["right"]["hits"]) == 2
    others = {h["passage_id"] for h in short["right"]["hits"]}
    for hit in short["left"]["hits"]:
        assert (hit["other_rank"] is None) == (hit["passage_id"] not in others)
    assert c.predict("  ", 5, api_name="/compare") == {
        "left": {"name": left["name"], "hits": []},
        "right": {"name": right["name"], "hits": []},
    }
    c.close()


def test_compare_marks_each_card_with_its_other_rank(compare_app: RunningApp, tmp_path: Path) -> None:
    hits, others, _ = compare_app.service.compare("apples", 3, None)
    html = render_hits(hits, "apples", other_ranks(others))
    assert html.count('class="rdr-hit"') == 3
    where = other_ranks(others)
    for hit in hits:
        if hit.passage_id in where:
            assert f"#{where[hit.passage_id]} in the other ranking" in html
    if any(h.passage_id not in where for h in hits):
        assert "not in the other top-k" in html
    assert "in the other ranking" not in render_hits(hits, "apples")  # the Search tab's cards stay as they were


def hit(rank: int, passage_id: int) -> Hit:
    return Hit(
        rank=rank,
        score=1.0 / rank,
        text="Fire <b>and</b> ice",
        title="T",
        source="s.txt",
        span=Span(1, 1, 0, 10),
        document_pages=1,
        passage_id=passage_id,
    )


def test_other_rank_labels() -> None:
    hits = [hit(1, 10), hit(2, 20), hit(3, 30)]
    html = render_hits(hits, "fire", {10: 1, 20: 5})
    assert 'data-other-rank="1"' in html and "= #1 in the other ranking" in html
    assert 'data-other-rank="5"' in html and "#5 in the other ranking" in html
    assert "not in the other top-k" in html
    assert "&lt;b&gt;" in html and "<mark>Fire</mark>" in html  # same escaping and highlighting as Search


def test_existing_local_library_gets_the_compare_vectors(
    tiny_pair: tuple[Path, Path], other_tiny_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "library"
    with Library.open(folder, tiny_spec(tiny_pair)) as library:
        library.add_files(write_topics(tmp_path), progress=False)
    service = AppService(tiny_config(tiny_pair, folder, compare_spec=tiny_spec(other_tiny_pair)))
    service.start()
    try:
        assert service.wait_until_ready(120)
        assert service.status()[0] == "ready"
        assert service.compare_status() is not None and service.compare_status()[0] == "ready"
        left, right, empty = service.compare("desert camels", 50, None)
        assert not empty and {h.passage_id for h in left} == {h.passage_id for h in right}
        # A later add reaches both vector sets.
        extra = tmp_path / "comet.txt"
        extra.write_text("A comet grows a bright tail as it nears the sun.", encoding="utf-8")
        assert service.add([extra], ["comet.txt"], None).outcomes[0].status == "added"
        left, right, _ = service.compare("comet tail", 50, None)
        assert "comet.txt" in {h.source for h in left} and "comet.txt" in {h.source for h in right}
        with service.library(None, create=False) as library:
            assert library is not None
            sets = library.vector_sets()
            assert len(sets) == 2 and all(s.attached for s in sets)
    finally:
        service.close()


def test_session_and_sample_libraries_attach_the_compare_pair(
    tiny_pair: tuple[Path, Path], other_tiny_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    config = tiny_config(tiny_pair, tmp_path / "unused", session_scoped=True, compare_spec=tiny_spec(other_tiny_pair))
    service = AppService(config)
    service.start()
    try:
        assert service.wait_until_ready(120)
        assert service.compare("anything", 5, "alice") == ([], [], True)  # no library yet: nothing made
        doc = tmp_path / "kites.txt"
        doc.write_text("Kites fly best in a steady wind on an open beach.", encoding="utf-8")
        assert service.add([doc], ["kites.txt"], "alice").outcomes[0].status == "added"
        left, right, _ = service.compare("kites", 5, "alice")
        assert [h.source for h in left] == [h.source for h in right] == ["kites.txt"]
        samples = {p.name for p in service.sample_files()}
        left, right, _ = service.compare("green tea temperature", 50, SAMPLES_KEY)  # MCP-style call
        assert {h.source for h in left} == {h.source for h in right} == samples
    finally:
        service.close()


def test_compare_pair_failure_leaves_search_working(tiny_pair: tuple[Path, Path], tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-model")
    config = tiny_config(tiny_pair, tmp_path / "library", compare_spec=EncoderSpec.pair(missing, missing))
    service = AppService(config)
    service.start()
    try:
        assert service.wait_until_ready(120)
        assert service.status()[0] == "ready"
        state, message = service.compare_status() or ("", "")
        assert state == "failed" and message
        doc = tmp_path / "note.txt"
        doc.write_text("Lanterns were lit along the canal every evening.", encoding="utf-8")
        assert service.add([doc], ["note.txt"], None).outcomes[0].status == "added"
        assert [h.source for h in service.search("lanterns", 5, None)[0]] == ["note.txt"]
        with pytest.raises(ModelsNotReady, match="compare pair could not be loaded"):
            service.compare("lanterns", 5, None)
        banner = render_status(*service.status(), "scope", service.compare_status())
        assert 'data-state="ready"' in banner and "data-compare-state='failed'" in banner
        assert "The compare pair could not be loaded" in banner
    finally:
        service.close()


def test_without_a_compare_pair_there_is_no_compare_tab(tiny_pair: tuple[Path, Path], tmp_path: Path) -> None:
    demo = build_app(tiny_config(tiny_pair, tmp_path / "library"))
    service: AppService = demo.rdr_service  # type: ignore[attr-defined]
    try:
        assert service.wait_until_ready(120)
        assert service.compare_status() is None
        assert "Compare pair" not in render_status(*service.status(), "scope", service.compare_status())
        with pytest.raises(RdrSearchError, match="No compare pair"):
            service.compare("q", 5, None)
        assert NO_COMPARE_PAIR.startswith("No compare pair")
        elem_ids = {getattr(b, "elem_id", None) for b in demo.blocks.values()}
        assert "tab-compare" not in elem_ids and "tab-search" in elem_ids
        assert "compare" not in {fn.api_name for fn in demo.fns.values()}
        assert EMPTY_LIBRARY
    finally:
        service.close()


def test_compare_options_and_environment(
    monkeypatch: pytest.MonkeyPatch, tiny_pair: tuple[Path, Path], other_tiny_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    import app

    monkeypatch.delenv("SPACE_ID", raising=False)
    assert app.config_from_args(app.parse_args([])).compare_spec is None
    assert app.config_from_args(app.parse_args(["--model-dir", str(tmp_path)])).compare_spec is None

    ctx, question = map(str, other_tiny_pair)
    args = ["--compare-ctx-encoder", ctx, "--compare-question-encoder", question]
    assert app.config_from_args(app.parse_args(args)).compare_spec == EncoderSpec.pair(ctx, question)
    assert app.config_from_args(app.parse_args(["--compare-preset", "dpr-nq"])).compare_spec == EncoderSpec.preset(
        "dpr-nq"
    )
    # --model-dir resolves the compare pair's hub ids too.
    (tmp_path / "dpr-ctx_encoder-single-nq-base").mkdir()
    spec = app.config_from_args(app.parse_args(["--compare-preset", "dpr-nq", "--model-dir", str(tmp_path)]))
    assert spec.compare_spec is not None
    assert spec.compare_spec.ctx_encoder == str(tmp_path / "dpr-ctx_encoder-single-nq-base")

    with pytest.raises(ModelLoadError, match="--compare-ctx-encoder and --compare-question-encoder"):
        app.config_from_args(app.parse_args(["--compare-ctx-encoder", ctx]))

    monkeypatch.setenv("RDR_SEARCH_COMPARE_CTX_ENCODER", ctx)
    monkeypatch.setenv("RDR_SEARCH_COMPARE_QUESTION_ENCODER", question)
    config = app.config_from_args(
        app.parse_args(["--ctx-encoder", str(tiny_pair[0]), "--question-encoder", str(tiny_pair[1])])
    )
    assert config.encoder_spec == tiny_spec(tiny_pair)
    assert config.compare_spec == EncoderSpec.pair(ctx, question)
