"""rdr_search.evaluation.formats: DPR's question files and passage collections.

Expectations marked "DPR:" were derived by reading facebookresearch/DPR (dpr/data/retriever_data.py::CsvQASrc,
JsonlQASrc, CsvCtxSrc).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rdr_search.evaluation.formats import (
    CollectionPassage,
    EvaluationDataError,
    QAPair,
    dpr_normalize_question,
    lookup_passages,
    read_collection,
    read_questions,
)

# ----------------------------------------------------------------------------------------------------
# Reading DPR question files
# ----------------------------------------------------------------------------------------------------


def test_read_questions_real_csv_and_jsonl(squad: Path):
    csv_qs = list(read_questions(squad / "questions.csv"))
    assert len(csv_qs) == 5397
    assert csv_qs[0] == QAPair("Which NFL team represented the AFC at Super Bowl 50?", ("Denver Broncos",))
    assert csv_qs[2].answers == (
        "Santa Clara, California",
        "Levi's Stadium",
        "Levi's Stadium in the San Francisco Bay Area at Santa Clara, California.",
    )
    jsonl_qs = list(read_questions(squad / "questions.jsonl"))
    assert len(jsonl_qs) == 5397
    assert jsonl_qs[0] == csv_qs[0]
    # Same answers in both files (the jsonl keeps some questions' trailing spaces; the csv does not).
    assert [q.answers for q in jsonl_qs] == [q.answers for q in csv_qs]
    differ = [i for i, (j, c) in enumerate(zip(jsonl_qs, csv_qs, strict=True)) if j.question.strip() != c.question]
    # DPR reads the csv with the csv module's default '"' quoting, so the two questions written unquoted but
    # starting with '"' lose those quotes, exactly as in DPR's CsvQASrc ...
    assert differ == [1955, 2948]
    assert csv_qs[2948].question == 'Bairn and "hyem" have origins from what culture?'
    assert jsonl_qs[2948].question == '"Bairn" and "hyem" have origins from what culture?'
    # ... and csv_quoting=False reads the lines literally.
    literal = list(read_questions(squad / "questions.csv", csv_quoting=False))
    assert [q.question for q in literal] == [q.question.strip() for q in jsonl_qs]
    assert [q.answers for q in literal] == [q.answers for q in csv_qs]


def test_read_questions_python_literals_header_and_blank_lines(tmp_path):
    p = tmp_path / "qas.csv"
    p.write_text(
        'question\tanswers\nWho?\t[\'a\', "b\'s"]\n\n"Quoted ""tab\tinside"" question"\t["x"]\nEmpty?\t[]\n',
        encoding="utf-8",
    )
    assert list(read_questions(p)) == [
        QAPair("Who?", ("a", "b's")),
        QAPair('Quoted "tab\tinside" question', ("x",)),
        QAPair("Empty?", ()),
    ]


def test_read_questions_tsv_without_header_and_json(tmp_path):
    tsv = tmp_path / "q.tsv"
    tsv.write_text('Where?\t["Paris"]\n', encoding="utf-8")
    assert list(read_questions(tsv)) == [QAPair("Where?", ("Paris",))]

    js = tmp_path / "q.json"
    js.write_text(json.dumps([{"question": "Q1", "answers": ["A"], "ctxs": []}, {"question": "Q2"}]))
    # DPR JsonlQASrc: missing answers is an empty list.
    assert list(read_questions(js)) == [QAPair("Q1", ("A",)), QAPair("Q2", ())]

    jl = tmp_path / "q.jsonl"
    jl.write_text('{"question": "Q1", "answers": ["A", "B"]}\n\n{"question": "Q2", "answers": []}\n')
    assert list(read_questions(jl)) == [QAPair("Q1", ("A", "B")), QAPair("Q2", ())]


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("bad.csv", "Who?\tDenver Broncos\n", r"bad\.csv:1"),
        ("bad2.csv", "ok\t['a']\nWho?\t__import__('os')\n", r"bad2\.csv:2"),
        ("bad3.csv", "Who?\t'just a string'\n", "list of strings"),
        ("bad4.csv", "only one column\n", "expected"),
        ("bad.jsonl", '{"question": "Q", "answers": "A"}\n', "list of strings"),
        ("bad2.jsonl", "not json\n", r"bad2\.jsonl:1"),
        ("bad.json", '{"question": "Q"}', "JSON list"),
        ("bad.txt", "x", "unknown question file type"),
    ],
)
def test_read_questions_errors(tmp_path, name, content, match):
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    with pytest.raises(EvaluationDataError, match=match):
        list(read_questions(p))


# ----------------------------------------------------------------------------------------------------
# Reading DPR passage collections
# ----------------------------------------------------------------------------------------------------


def test_read_collection_real_file_streams_in_batches(squad: Path):
    batches = read_collection(squad / "passages.tsv", batch_size=100)
    first_batch = next(batches)
    assert len(first_batch) == 100
    first = first_batch[0]
    assert first.id == "1"
    assert first.title == "Super Bowl 50"
    # Raw file: "...the league emphasized the ""golden anniversary"" with..." inside a quoted field.
    assert 'the league emphasized the "golden anniversary" with' in first.text
    assert first.text.startswith("Super Bowl 50 was an American football game")
    rest = list(batches)
    assert [len(b) for b in rest] == [100] * 9 + [23]
    passages = first_batch + [p for b in rest for p in b]
    assert len(passages) == 1023
    assert [p.id for p in passages] == [str(i) for i in range(1, 1024)]


def test_read_collection_strip_quotes_like_dpr(squad: Path):
    # Passage 159 ends with a closing quote after csv decoding; DPR CsvCtxSrc applies .strip('"').
    stripped = lookup_passages(squad / "passages.tsv", ["159"])["159"]
    raw = lookup_passages(squad / "passages.tsv", ["159"], strip_quotes=False)["159"]
    assert raw.text.endswith('own money?"')
    assert stripped.text == raw.text.strip('"')
    assert stripped.text.endswith("own money?")


def test_read_collection_small_file(tmp_path):
    p = tmp_path / "psgs.tsv"
    p.write_text(
        'id\ttext\ttitle\n1\t"He said ""hi""."\tGreeting\n\n2\tplain text\tT2\nid\tskipped\tx\n3\tno title\n',
        encoding="utf-8",
    )
    batches = list(read_collection(p, batch_size=2))
    assert batches == [
        [CollectionPassage("1", 'He said "hi".', "Greeting"), CollectionPassage("2", "plain text", "T2")],
        [CollectionPassage("3", "no title", "")],
    ]
    # Without a header too.
    q = tmp_path / "noheader.tsv"
    q.write_text("7\ttext\ttitle\n", encoding="utf-8")
    assert list(read_collection(q)) == [[CollectionPassage("7", "text", "title")]]
    with pytest.raises(ValueError):
        next(read_collection(p, batch_size=0))


def test_read_collection_gzip_and_long_fields(tmp_path):
    import gzip

    long_text = "word " * 40_000  # 200,000 characters, over csv's default field limit
    p = tmp_path / "psgs.tsv.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write(f"id\ttext\ttitle\n1\t{long_text}\tLong\n")
    [[passage]] = list(read_collection(p))
    assert passage.text == long_text and passage.title == "Long"


def test_read_collection_is_lazy(tmp_path):
    p = tmp_path / "psgs.tsv"
    p.write_text("".join(f"{i}\tt{i}\tT\n" for i in range(1, 1001)), encoding="utf-8")
    it = read_collection(p, batch_size=10)
    assert [x.id for x in next(it)] == [str(i) for i in range(1, 11)]
    # A generator: nothing beyond the first batch has been materialised as passages.
    assert it.gi_frame is not None
    it.close()


def test_read_collection_bad_rows(tmp_path):
    p = tmp_path / "psgs.tsv"
    p.write_text("1\tok\tT\n2\n", encoding="utf-8")
    with pytest.raises(EvaluationDataError, match=r"psgs\.tsv:2"):
        list(read_collection(p))
    with pytest.raises(EvaluationDataError, match="tab-separated"):
        list(read_collection(tmp_path / "psgs.jsonl"))


def test_dpr_normalize_question():
    assert dpr_normalize_question("who won?") == "who won"
    assert dpr_normalize_question("who won??") == "who won?"
    assert dpr_normalize_question("who won") == "who won"
    assert dpr_normalize_question("") == ""
