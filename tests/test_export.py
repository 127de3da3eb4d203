"""Exports of search results: every format parses back, carries the citation, and stays safe to open."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest

from rdr_search.export import (
    EXPORT_FORMATS,
    FIELDS,
    check_format,
    citation,
    export_bytes,
    export_filename,
    export_hits,
    hit_page,
    markdown_cell,
    safe_cell,
)
from rdr_search.records import Hit, Span

QUESTION = "Who sealed the Magna Carta?"


def make_hit(rank: int = 1, **fields: object) -> Hit:
    values: dict[str, object] = {
        "rank": rank,
        "score": 12.5 - rank,
        "text": "King John sealed the charter at Runnymede in 1215.",
        "title": "English history",
        "source": "history.pdf",
        "span": Span(6, 7, 100, 150),
        "document_pages": 12,
        "passage_id": 40 + rank,
        "mode": "dense",
        "kind": "pdf",
    }
    values.update(fields)
    return Hit(**values)  # type: ignore[arg-type]


def hits() -> list[Hit]:
    return [
        make_hit(1, sentence=Span(7, 7, 120, 150)),  # the best sentence is on page 7
        make_hit(2, span=Span(3, 4, 0, 80)),  # no sentence known: the passage's pages
        make_hit(3, title="Notes", source="notes.txt", span=Span(1, 1, 0, 40), document_pages=1, kind="text"),
    ]


def test_page_and_citation() -> None:
    first, second, plain = hits()
    assert (hit_page(first), citation(first)) == ("p. 7", "English history, p. 7 (history.pdf)")
    assert (hit_page(second), citation(second)) == ("pp. 3-4", "English history, pp. 3-4 (history.pdf)")
    assert (hit_page(plain), citation(plain)) == ("", "Notes (notes.txt)")
    assert citation(make_hit(title=" ", document_pages=1)) == "history.pdf (history.pdf)"


def test_csv_parses_back_with_every_field_and_the_citation() -> None:
    text = export_hits(hits(), QUESTION, "csv")
    assert text.startswith(",".join(FIELDS) + "\r\n") and text.endswith("\r\n")  # RFC 4180: header, CRLF
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [list(r) for r in rows] == [list(FIELDS)] * 3
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    assert [r["page"] for r in rows] == ["p. 7", "pp. 3-4", ""]
    assert rows[0]["citation"] == "English history, p. 7 (history.pdf)"
    assert rows[2]["citation"] == "Notes (notes.txt)"
    assert rows[0]["passage"] == hits()[0].text and rows[0]["document"] == "English history"
    assert float(rows[0]["score"]) == pytest.approx(11.5) and rows[0]["mode"] == "dense"


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    evil = make_hit(
        text='=HYPERLINK("http://evil.example","click")',
        title="+SUM(A1:A9)",
        source="@evil.txt",
        score=-3.25,  # a negative number stays a number
        sentence=Span(7, 7, 0, 5),
    )
    tabbed = make_hit(2, text="\t=1+1", title='-2+3 "quoted", with comma\nand a line break')
    rows = list(csv.DictReader(io.StringIO(export_hits([evil, tabbed], QUESTION, "csv"), newline="")))
    assert rows[0]["passage"] == "'" + evil.text
    assert rows[0]["document"] == "'+SUM(A1:A9)"
    assert rows[0]["source"] == "'@evil.txt"
    assert rows[0]["citation"] == "'+SUM(A1:A9), p. 7 (@evil.txt)"
    assert rows[0]["score"] == "-3.2500"
    assert rows[1]["passage"] == "'\t=1+1"
    assert rows[1]["document"] == "'" + tabbed.title  # quotes, commas and line breaks survive the round trip
    for row in rows:
        for name, value in row.items():
            assert name == "score" or not value.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert safe_cell(-1.5) == -1.5 and safe_cell("plain") == "plain"


def test_json_carries_the_question_mode_and_time() -> None:
    when = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    data = json.loads(export_hits(hits(), QUESTION, "json", exported_at=when))
    assert data["question"] == QUESTION and data["mode"] == "dense"
    assert data["exported_at"] == "2025-03-01T12:30:00+00:00"
    assert [h["citation"] for h in data["hits"]] == [
        "English history, p. 7 (history.pdf)",
        "English history, pp. 3-4 (history.pdf)",
        "Notes (notes.txt)",
    ]
    assert set(data["hits"][0]) == set(FIELDS) and data["hits"][0]["score"] == 11.5
    assert json.loads(export_hits(hits(), QUESTION, "json", mode="hybrid"))["mode"] == "hybrid"
    empty = json.loads(export_hits([], QUESTION, "json"))
    assert empty["hits"] == [] and empty["mode"] == ""
    assert datetime.fromisoformat(json.loads(export_hits([], "q", "json"))["exported_at"]).tzinfo is not None


def table_rows(markdown: str) -> list[list[str]]:
    """Cells of a Markdown table, split on the pipes a Markdown renderer splits on (unescaped ones)."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
            rows.append([c.strip() for c in cells])
    return rows


def test_markdown_table_cells_stay_one_cell() -> None:
    tricky = make_hit(
        text="Pipes | in the text,\nnew lines\r\nand *stars*, <b>tags</b> and a back\\slash |",
        title="A | B",
        sentence=Span(7, 7, 0, 5),
    )
    markdown = export_hits([tricky, *hits()[1:]], "what | why?\nand", "md")
    rows = table_rows(markdown)
    assert rows[0] == ["Rank", "Score", "Mode", "Document", "Source", "Page", "Passage", "Citation"]
    assert len(rows) == 4 and all(len(r) == 8 for r in rows)
    passage = rows[1][6]
    assert "\n" not in passage and passage.count("\\|") == 2 and "\\*stars\\*" in passage
    assert "\\<b\\>" in passage and "back\\\\slash" in passage
    assert rows[1][7] == "A \\| B, p. 7 (history.pdf)"
    assert rows[3][7] == "Notes (notes.txt)"
    assert "- Question: what \\| why? and" in markdown and "- Mode: dense" in markdown
    assert markdown_cell("a\\|b") == "a\\\\\\|b"  # an escaped pipe in the text cannot end the cell either


def test_formats_and_file_names() -> None:
    assert EXPORT_FORMATS == ("csv", "json", "md")
    assert check_format(" Markdown ") == "md" and check_format("CSV") == "csv"
    with pytest.raises(ValueError, match="csv, json, md"):
        check_format("xlsx")
    assert export_filename("Who sealed the Magna Carta?", "csv") == "rdr-search-who-sealed-the-magna-carta.csv"
    assert export_filename("../../etc/passwd", "md") == "rdr-search-etc-passwd.md"
    assert export_filename("???", "json") == "rdr-search-results.json"
    assert len(export_filename("word " * 100, "csv")) < 70
    csv_bytes = export_bytes(hits(), QUESTION, "csv")
    assert csv_bytes.startswith(b"\xef\xbb\xbf")  # spreadsheets then read UTF-8
    assert next(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig"), newline="")))["rank"] == "1"
    assert json.loads(export_bytes(hits(), QUESTION, "json"))["hits"][0]["rank"] == 1
    with pytest.raises(ValueError):
        export_hits(hits(), QUESTION, "pdf")
