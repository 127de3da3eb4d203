"""The page view and grouping without a browser: request bounds, the HTML the view returns (escaped), grouping by
document, and kept originals going with a session's library."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rdr_search.app.inputs import InputError
from rdr_search.app.page_view import show_passage, view_request
from rdr_search.app.render import group_hits, render_hits
from rdr_search.app.service import AppConfig, AppService
from rdr_search.records import Hit, Span
from tests.app.helpers import tiny_spec
from tests.files import write_pdf


@pytest.fixture(scope="module")
def service(tiny_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppService]:
    config = AppConfig(
        encoder_spec=tiny_spec(tiny_pair), session_scoped=True, sessions_root=tmp_path_factory.mktemp("sessions")
    )
    service = AppService(config)
    service.start()
    assert service.wait_until_ready(120) and service.status()[0] == "ready", service.status()
    yield service
    service.close()


def hit(rank: int, source: str, passage_id: int) -> Hit:
    return Hit(rank, 1.0 / rank, f"text {rank}", source.upper(), source, Span(1, 1, 0, 6), 1, passage_id)


def test_grouping_keeps_each_documents_best_first_in_rank_order() -> None:
    hits = [hit(1, "a.txt", 10), hit(2, "b.txt", 20), hit(3, "a.txt", 11), hit(4, "c.txt", 30), hit(5, "a.txt", 12)]
    groups = group_hits(list(reversed(hits)))
    assert [[h.rank for h in g] for g in groups] == [[1, 3, 5], [2], [4]]
    assert group_hits([]) == []
    html = render_hits(hits, "question", group=True)
    assert html.count('<details class="rdr-more"') == 1 and "2 more in this document" in html
    # a.txt's best, its two others folded under it, then each other document's best in rank order.
    order = [html.index(f'data-rank="{r}"') for r in (1, 3, 5, 2, 4)]
    assert order == sorted(order) and order[0] < html.index("<details") < order[1]
    flat = render_hits(hits, "question")
    assert "<details" not in flat and flat.count('class="rdr-hit"') == 5


@pytest.mark.parametrize(
    "data",
    [{}, {"passage": "x"}, {"passage": 0}, {"passage": "1", "page": "-2"}, {"passage": 1, "start": 1.5, "end": 3},
     {"passage": True}, {"passage": 2**70}, {"passage": 1, "page": "nan"}],
)  # fmt: skip
def test_view_requests_are_bounded(data: dict) -> None:
    with pytest.raises(InputError):
        view_request(data)


def test_view_request_reads_a_cards_button() -> None:
    assert view_request({"passage": "7", "page": "2", "start": "10", "end": "42"}) == (7, 2, (10, 42))
    assert view_request({"passage": 7}) == (7, None, None)


def test_text_view_and_pdf_view_through_the_service(service: AppService, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Before <b>bold</b> words.\n\nThe kettle whistles at boiling point.\n\nAfter it & more.")
    pdf = write_pdf(tmp_path / "lens.pdf", ["The tower is white.", "Its lens was invented by Fresnel."])
    assert [o.status for o in service.add([notes, pdf], ["notes.txt", "lens.pdf"], "visitor").outcomes] == [
        "added",
        "added",
    ]
    hits, _ = service.search("kettle whistles", 5, "visitor")
    tea = next(h for h in hits if h.source == "notes.txt")
    assert tea.sentence is not None
    html = show_passage(
        service, "visitor", {"passage": tea.passage_id, "start": tea.sentence.char_start, "end": tea.sentence.char_end}
    )
    assert 'data-kind="context"' in html and "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html
    assert '<mark class="rdr-sentence">The kettle whistles at boiling point.</mark>' in html

    lens = next(h for h in hits if h.source == "lens.pdf")
    html = show_passage(service, "visitor", {"passage": lens.passage_id, "page": 2})
    assert 'data-kind="page"' in html and 'src="data:image/png;base64,' in html
    boxes = json.loads(html.split('data-boxes="', 1)[1].split('"', 1)[0].replace("&quot;", '"'))
    assert boxes and all(box[4] == "passage" for box in boxes)
    # Another visitor's request names a passage of nothing it owns: there is no library to read.
    assert "empty" in show_passage(service, "stranger", {"passage": lens.passage_id})


def test_kept_originals_go_with_the_session(service: AppService, tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "kept.pdf", ["A page worth keeping for its picture."])
    service.add([pdf], ["kept.pdf"], "leaving")
    with service.library("leaving", create=False) as library:
        assert library is not None
        folder = library.path
    assert [p.suffix for p in (folder / "originals").iterdir()] == [".pdf"]
    service.release("leaving")
    assert not folder.exists()
