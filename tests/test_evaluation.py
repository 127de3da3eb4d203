"""Tests for rdr_search.evaluation: DPR's has_answer pinned case by case, DPR file formats, recall, reports.

Expectations marked "DPR:" were derived by reading facebookresearch/DPR
(dpr/data/qa_validation.py::has_answer, regex_match, _normalize; dpr/utils/tokenizers.py::SimpleTokenizer;
dpr/data/retriever_data.py::CsvQASrc, CsvCtxSrc; qa_validation.py::calculate_matches).
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

import pytest

from rdr_search.evaluation import (
    AnswerMatcher,
    CollectionPassage,
    EvaluationDataError,
    QAPair,
    RecallReport,
    SimpleTokenizer,
    answer_recall,
    dpr_normalize_question,
    format_markdown,
    has_answer,
    lookup_passages,
    read_collection,
    read_questions,
    recall_from_hits,
    reports_from_json,
    to_json,
)

SQUAD = Path(__file__).resolve().parents[2] / "shared" / "data" / "squad-dev-a"
if not SQUAD.is_dir():  # checkouts where shared/ sits inside the repository
    SQUAD = Path(__file__).resolve().parents[1] / "shared" / "data" / "squad-dev-a"
needs_squad = pytest.mark.skipif(not SQUAD.is_dir(), reason="shared/data/squad-dev-a not present")


# ----------------------------------------------------------------------------------------------------
# Tokenizer
# ----------------------------------------------------------------------------------------------------


def test_simple_tokenizer_words():
    tok = SimpleTokenizer()
    # Letter/digit runs are tokens; every other visible character is a token of its own; spaces, tabs and
    # newlines (categories Z and C) are dropped.
    assert tok.words("Levi's Stadium, 24–10\tU.S.\n") == [
        "Levi",
        "'",
        "s",
        "Stadium",
        ",",
        "24",
        "–",
        "10",
        "U",
        ".",
        "S",
        ".",
    ]
    assert tok.words("Denver BRONCOS", uncased=True) == ["denver", "broncos"]
    # Combining marks (\p{M}) stay inside the word: after NFD, "é" is "e" + U+0301 and remains one token.
    assert tok.words(unicodedata.normalize("NFD", "Café noir")) == ["Cafe\u0301", "noir"]


# ----------------------------------------------------------------------------------------------------
# has_answer, "string" matching
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "text", "expected"),
    [
        # Case-insensitive: tokens are lower-cased (Tokens.words(uncased=True)).
        (["Denver Broncos"], "The DENVER broncos won.", True),
        (["denver broncos"], "Denver Broncos", True),
        # Multi-token answers must appear as a contiguous run, in order.
        (["Denver Broncos"], "Broncos of Denver", False),
        (["Denver Broncos"], "Denver, Broncos", False),
        # Token boundaries: "art" is not a token of "party" (nor "Art" of "Arts").
        (["art"], "a party in the park", False),
        (["art"], "modern art.", True),
        (["Art"], "the Arts Council", False),
        # Punctuation inside answers is tokenized the same way in answer and text.
        (["U.S."], "the U.S. army", True),
        (["U.S."], "the US army", False),
        (["US"], "the U.S. army", False),
        (["U.S"], "the U.S. army", True),  # answer tokens u . s form a prefix run of u . s .
        (["Levi's Stadium"], "played at Levi's Stadium in Santa Clara", True),
        (["Levis Stadium"], "played at Levi's Stadium in Santa Clara", False),
        # A typographic apostrophe is a different one-character token: no match (DPR does no quote folding).
        (["Levi's Stadium"], "played at Levi\u2019s Stadium", False),
        (["24–10"], "won 24–10 over", True),
        (["24-10"], "won 24–10 over", False),  # hyphen-minus vs en dash
        (["24"], "won 24–10 over", True),
        # Any of several answers.
        (["Santa Clara, California", "Levi's Stadium"], "It was at Levi's Stadium.", True),
        ([], "anything", False),
    ],
)
def test_has_answer_string(answers, text, expected):
    assert has_answer(answers, text) is expected
    assert has_answer(answers, text, "string") is expected
    assert AnswerMatcher("string").has_answer(answers, text) is expected


def test_has_answer_accents_nfd():
    # DPR: _normalize is NFD (no accent stripping) and \p{M} keeps the combining accent in the token, so an
    # accented answer does NOT match the unaccented word, in either direction ...
    assert has_answer(["Café"], "a small cafe") is False
    assert has_answer(["cafe"], "a small Café") is False
    # ... but composed (NFC) and decomposed (NFD) spellings of the same accented word do match,
    # case-insensitively.
    nfc, nfd = "Café", "Cafe\u0301"
    assert nfc != nfd
    assert has_answer([nfc], f"the {nfd} opened") is True
    assert has_answer([nfd], "the CAFÉ opened") is True
    assert has_answer(["Ångström"], "unit: ångström") is True


def test_has_answer_empty_answer_matches_everything():
    # DPR: an answer with no tokens gives single_answer == [] and `[] == text[0:0]` is true at i = 0, so it
    # matches any text, even an empty one. Pinned because it is surprising, not because it is useful.
    assert has_answer([""], "whatever") is True
    assert has_answer(["   "], "") is True


def test_has_answer_rejects_bad_arguments():
    with pytest.raises(TypeError):
        has_answer("Denver", "Denver")  # a bare string would silently be matched character by character
    with pytest.raises(ValueError, match="match_type"):
        has_answer(["a"], "a", "kilt")


# ----------------------------------------------------------------------------------------------------
# has_answer, "regex" matching (CuratedTREC)
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "text", "expected"),
    [
        (["19[0-9]{2}"], "It was founded in 1987.", True),
        (["19[0-9]{2}"], "It was founded in 2001.", False),
        # IGNORECASE.
        (["(the )?beatles"], "THE BEATLES played", True),
        # No token boundaries: a plain search over the text.
        (["art"], "a party", True),
        # MULTILINE: ^ and $ match at line breaks.
        (["^1987$"], "born\n1987\nin Ohio", True),
        (["^1987$"], "born 1987 in Ohio", False),
        # An answer that does not compile matches nothing (DPR regex_match catches the error and returns
        # False) ...
        (["(unclosed"], "(unclosed", False),
        # ... and the other answers are still tried.
        (["(unclosed", "Pope Paul (VI)?"], "pope paul came", True),
    ],
)
def test_has_answer_regex(answers, text, expected):
    assert has_answer(answers, text, "regex") is expected
    assert AnswerMatcher("regex").has_answer(answers, text) is expected


def test_has_answer_regex_nfd():
    # Text and pattern are both NFD-normalised and the text is not tokenized, so "cafe" is a prefix of
    # "cafe" + U+0301 and matches (unlike string matching), while "café" matches both spellings.
    assert has_answer(["cafe"], "CAFÉ", "regex") is True
    assert has_answer(["café"], "Cafe\u0301", "regex") is True
    assert has_answer(["café"], "cafe", "regex") is False


def test_answer_matcher_cache_gives_same_results():
    m = AnswerMatcher("string", cache_size=2)
    texts = ["the Denver Broncos", "Carolina Panthers", "the Denver Broncos", None]
    assert m.hits(["denver broncos"], texts) == [True, False, True, False]
    assert m.first_hit(["panthers"], texts) == 1
    assert m.first_hit(["Seahawks"], texts) is None
    m.clear_cache()
    assert m.has_answer(["Broncos"], "Broncos") is True


# ----------------------------------------------------------------------------------------------------
# Recall
# ----------------------------------------------------------------------------------------------------

HAND_ANSWERS = [["Paris"], ["42"], ["Nile"], ["New York"]]
HAND_RETRIEVED = [
    ["Berlin is big.", "Paris is nice.", "Paris again."],  # first hit at rank 2
    ["The answer is 42.", "nothing", "x"],  # rank 1
    ["The Amazon.", "The Danube.", "Denial is a river."],  # never ("Denial" is not "Nile")
    ["york new", "a New Yorker", "in New York."],  # rank 3 ("Yorker" is not "York")
]


def test_answer_recall_hand_computed():
    # Hits by k: k=1 -> q2; k=2 -> q1, q2; k=3 -> q1, q2, q4. Out of 4 questions.
    assert answer_recall(HAND_ANSWERS, HAND_RETRIEVED, ks=(1, 2, 3)) == {1: 25.0, 2: 50.0, 3: 75.0}
    # ks above the number retrieved use all retrieved; ks come back sorted and deduplicated.
    assert answer_recall(HAND_ANSWERS, HAND_RETRIEVED, ks=(100, 3, 1, 1)) == {1: 25.0, 3: 75.0, 100: 75.0}
    # Default ks are DPR's / the model card's.
    assert list(answer_recall(HAND_ANSWERS, HAND_RETRIEVED)) == [1, 5, 20, 50, 100]


def test_answer_recall_regex_and_shared_matcher():
    answers = [["19[0-9]{2}"], ["^paris$"]]
    retrieved = [["in 2001", "in 1999"], ["Paris, France", "Lyon"]]
    matcher = AnswerMatcher("regex")
    assert answer_recall(answers, retrieved, ks=(1, 2), match_type="regex", matcher=matcher) == {
        1: 0.0,
        2: 50.0,
    }
    with pytest.raises(ValueError, match="matcher"):
        answer_recall(answers, retrieved, ks=(1,), match_type="string", matcher=matcher)


def test_recall_from_hits_matches_dpr_accumulation():
    # DPR calculate_matches: a question counts at every k past its first hit.
    hits = [[False, True, True], [True, False, False], [False, False, False], [False, False, True]]
    assert recall_from_hits(hits, ks=(1, 2, 3)) == {1: 25.0, 2: 50.0, 3: 75.0}
    matcher = AnswerMatcher()
    assert [matcher.hits(a, t) for a, t in zip(HAND_ANSWERS, HAND_RETRIEVED, strict=True)] == hits


@pytest.mark.parametrize("ks", [(), (0,), (1, -5), (1.5,), (True,)])
def test_answer_recall_rejects_bad_ks(ks):
    with pytest.raises(ValueError):
        answer_recall(HAND_ANSWERS, HAND_RETRIEVED, ks=ks)


def test_answer_recall_rejects_mismatched_or_empty():
    with pytest.raises(ValueError, match="pair up"):
        answer_recall(HAND_ANSWERS, HAND_RETRIEVED[:2])
    with pytest.raises(ValueError, match="at least one"):
        answer_recall([], [])


# ----------------------------------------------------------------------------------------------------
# Reading DPR question files
# ----------------------------------------------------------------------------------------------------


@needs_squad
def test_read_questions_real_csv_and_jsonl():
    csv_qs = list(read_questions(SQUAD / "questions.csv"))
    assert len(csv_qs) == 5397
    assert csv_qs[0] == QAPair("Which NFL team represented the AFC at Super Bowl 50?", ("Denver Broncos",))
    assert csv_qs[2].answers == (
        "Santa Clara, California",
        "Levi's Stadium",
        "Levi's Stadium in the San Francisco Bay Area at Santa Clara, California.",
    )
    jsonl_qs = list(read_questions(SQUAD / "questions.jsonl"))
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
    literal = list(read_questions(SQUAD / "questions.csv", csv_quoting=False))
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


@needs_squad
def test_read_collection_real_file_streams_in_batches():
    batches = read_collection(SQUAD / "passages.tsv", batch_size=100)
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


@needs_squad
def test_read_collection_strip_quotes_like_dpr():
    # Passage 159 ends with a closing quote after csv decoding; DPR CsvCtxSrc applies .strip('"').
    stripped = lookup_passages(SQUAD / "passages.tsv", ["159"])["159"]
    raw = lookup_passages(SQUAD / "passages.tsv", ["159"], strip_quotes=False)["159"]
    assert raw.text.endswith('own money?"')
    assert stripped.text == raw.text.strip('"')
    assert stripped.text.endswith("own money?")


@needs_squad
def test_gold_passage_recall_on_squad_is_complete():
    # SQuAD answers are spans of the paragraph the question was written from, so DPR matching must find every
    # one of them in its own paragraph: a broken tokenizer or normaliser would show up here.
    qs = [json.loads(line) for line in (SQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    passages = lookup_passages(SQUAD / "passages.tsv", {str(q["passage_id"]) for q in qs})
    assert len(passages) == 1023
    retrieved = [[passages[str(q["passage_id"])].text] for q in qs]
    assert answer_recall([q["answers"] for q in qs], retrieved, ks=(1, 5)) == {1: 100.0, 5: 100.0}
    # And the passage after it rarely holds the answer: recall with a wrong passage is far lower.
    wrong = [[passages[str(q["passage_id"] % 1023 + 1)].text] for q in qs]
    assert answer_recall([q["answers"] for q in qs], wrong, ks=(1,))[1] < 50.0


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


# ----------------------------------------------------------------------------------------------------
# Reports
# ----------------------------------------------------------------------------------------------------


def test_format_markdown_single_report():
    report = RecallReport("RDR", 4, {1: 25.0, 5: 50.0, 20: 75.0, 50: 75.0, 100: 100.0})
    assert format_markdown([report]) == (
        "| Top-K Passages | 1 | 5 | 20 | 50 | 100 |\n"
        "|---|---|---|---|---|---|\n"
        "| **RDR** | 25.00 | 50.00 | 75.00 | 75.00 | 100.00 |\n"
    )


def test_format_markdown_side_by_side_like_model_card():
    reports = [
        RecallReport("DPR", 8757, {1: 54.27, 5: 71.11, 20: 79.53, 50: 82.72, 100: 85.07}, dataset="TriviaQA Dev"),
        RecallReport("RDR", 8757, {1: 61.84, 5: 75.93, 20: 82.56, 50: 85.35, 100: 87.0}, dataset="TriviaQA Dev"),
        RecallReport("DPR|adv", 3610, {1: 52.474, 20: 81.33}, dataset="NQ Test"),
    ]
    assert format_markdown(reports) == (
        "|  | Top-K Passages | 1 | 5 | 20 | 50 | 100 |\n"
        "|---|---|---|---|---|---|---|\n"
        "| **TriviaQA Dev** | **DPR** | 54.27 | 71.11 | 79.53 | 82.72 | 85.07 |\n"
        "|  | **RDR** | **61.84** | **75.93** | **82.56** | **85.35** | **87.00** |\n"
        "| **NQ Test** | **DPR\\|adv** | 52.47 | - | 81.33 | - | - |\n"
    )
    with pytest.raises(ValueError):
        format_markdown([])


def test_json_round_trip():
    reports = [
        RecallReport("DPR", 4, {5: 50.0, 1: 25.0}),
        RecallReport("RDR", 4, {1: 100 / 3, 5: 75.0}, dataset="squad-dev-a"),
    ]
    text = to_json(reports)
    data = json.loads(text)
    assert data["reports"][0] == {
        "name": "DPR",
        "dataset": "",
        "questions": 4,
        "recall": {"1": 25.0, "5": 50.0},
    }
    assert data["reports"][1]["recall"]["1"] == pytest.approx(33.333333333)
    assert reports_from_json(text) == reports
    with pytest.raises(EvaluationDataError):
        reports_from_json('{"nope": 1}')


def test_module_stays_light():
    # The evaluation module must not pull in heavy ML libraries (checked in a fresh interpreter).
    import subprocess

    code = (
        "import sys, rdr_search.evaluation; "
        "bad = [m for m in ('torch', 'transformers', 'faiss') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])
