"""scripts/get_squad.py: SQuAD's JSON to DPR's files (the download itself is not tested: no network here)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rdr_search.evaluation import CollectionPassage, QAPair, read_collection, read_questions
from tests.data import REPO, require_squad


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("get_squad", REPO / "scripts" / "get_squad.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


get_squad = _load_script()


def _qa(question: str, qid: str, *answers: str) -> dict[str, Any]:
    return {"question": question, "id": qid, "answers": [{"text": a, "answer_start": 0} for a in answers]}


TINY_SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Super_Bowl_50",
            "paragraphs": [
                {
                    "context": 'The game was "golden".\tIt was played in Santa Clara. ',
                    "qas": [
                        _qa("Where was it played? ", "q1", "Santa Clara", "Santa Clara", " Santa Clara, "),
                        _qa('"Golden" means what?', "q2", "golden"),
                    ],
                },
                {"context": "Denver won 24–10.", "qas": [_qa("Who won?", "q3", "Denver")]},
            ],
        },
        {
            "title": "Warsaw",
            "paragraphs": [{"context": "Warsaw is in Poland.", "qas": [_qa("Where?", "q4", "Poland")]}],
        },
        {"title": "Fresno,_California", "paragraphs": [{"context": "Fresno.", "qas": []}]},
    ],
}


def test_conversion_writes_dpr_files_as_squad_dev_a_has_them(tmp_path: Path) -> None:
    passages, questions = get_squad.convert(TINY_SQUAD)  # articles "a": positions 0 and 2
    get_squad.write_dpr(tmp_path, passages, questions)
    assert (tmp_path / "passages.tsv").read_text(encoding="utf-8") == (
        "id\ttext\ttitle\n"
        '1\t"The game was ""golden"".\tIt was played in Santa Clara. "\tSuper Bowl 50\n'
        "2\tDenver won 24–10.\tSuper Bowl 50\n"
        "3\tFresno.\tFresno, California\n"
    )
    assert (tmp_path / "questions.csv").read_text(encoding="utf-8") == (
        'Where was it played?\t["Santa Clara", "Santa Clara,"]\n'
        '"Golden" means what?\t["golden"]\n'
        'Who won?\t["Denver"]\n'
    )
    rows = [json.loads(line) for line in (tmp_path / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0] == {
        "question": "Where was it played? ",
        "answers": ["Santa Clara", "Santa Clara,"],
        "id": "q1",
        "passage_id": 1,
    }
    assert [(r["id"], r["passage_id"]) for r in rows] == [("q1", 1), ("q2", 1), ("q3", 2)]
    # And the evaluation readers take them as DPR would.
    [collection] = list(read_collection(tmp_path / "passages.tsv"))
    assert collection[0] == CollectionPassage(
        "1", 'The game was "golden".\tIt was played in Santa Clara. ', "Super Bowl 50"
    )
    assert list(read_questions(tmp_path / "questions.jsonl"))[2] == QAPair("Who won?", ("Denver",))


def test_article_sets() -> None:
    assert [p.title for p in get_squad.convert(TINY_SQUAD, "b")[0]] == ["Warsaw"]
    assert len(get_squad.convert(TINY_SQUAD, "all")[0]) == 4
    with pytest.raises(ValueError, match="articles"):
        get_squad.convert(TINY_SQUAD, "c")


def test_main_reads_a_local_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "dev-v1.1.json"
    source.write_text(json.dumps(TINY_SQUAD), encoding="utf-8")
    assert get_squad.main(["--source", str(source), "--out", str(tmp_path / "out"), "--articles", "all"]) == 0
    assert "4 passages and 4 questions" in capsys.readouterr().out
    assert get_squad.main(["--source", str(tmp_path / "missing.json"), "--out", str(tmp_path / "x")]) == 1


def _squad_json_from(folder: Path) -> dict[str, Any]:
    """A SQuAD-shaped file whose even articles are squad-dev-a's, with made-up articles in between."""
    passages = [p for batch in read_collection(folder / "passages.tsv", strip_quotes=False) for p in batch]
    rows = [json.loads(line) for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    qas: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        qas.setdefault(str(row["passage_id"]), []).append(_qa(row["question"], row["id"], *row["answers"]))
    articles: list[dict[str, Any]] = []
    for p in passages:
        title = p.title.replace(" ", "_")
        if not articles or articles[-1]["title"] != title:
            articles.append({"title": title, "paragraphs": []})
            articles.append({"title": f"Other_{len(articles)}", "paragraphs": [{"context": "x", "qas": []}]})
        articles[-2]["paragraphs"].append({"context": p.text, "qas": qas.get(p.id, [])})
    return {"version": "1.1", "data": articles}


def test_squad_dev_a_is_reproduced_byte_for_byte(tmp_path: Path) -> None:
    folder = require_squad()
    passages, questions = get_squad.convert(_squad_json_from(folder), "a")
    get_squad.write_dpr(tmp_path, passages, questions)
    for name in ("passages.tsv", "questions.csv", "questions.jsonl"):
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name
