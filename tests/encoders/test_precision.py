"""Faster encoding paths (bf16, int8) against exact fp32 on real weights, and what "auto" chooses.

Real weights matter: random weights hide the activation outliers that break naive int8 (all-MiniLM-L6-v2,
the real-weights stand-in, gives min cosine 0.90 with per-tensor int8).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rdr_search.encoders import PRECISIONS, EncoderPair, EncoderSpec, precision, resolve_precision
from rdr_search.errors import ModelLoadError
from rdr_search.evaluation import read_collection, read_questions
from rdr_search.settings import Settings
from tests.data import require_squad

FASTER = [p for p in PRECISIONS if p not in ("auto", "fp32")]
CPU = torch.device("cpu")

Encoded = tuple[EncoderPair, np.ndarray, np.ndarray]


@pytest.fixture(scope="module")
def squad() -> tuple[list[str], list[str], list[str]]:
    """(titles, texts) of 50 real passages and 20 real questions."""
    squad = require_squad()
    passages = next(read_collection(squad / "passages.tsv", batch_size=50))
    questions = [qa.question for qa, _ in zip(read_questions(squad / "questions.csv"), range(20), strict=False)]
    return [p.title for p in passages], [p.text for p in passages], questions


def _encode(minilm_dir: Path, precision_name: str, squad: tuple[list[str], list[str], list[str]]) -> Encoded:
    titles, texts, questions = squad
    pair = EncoderPair(EncoderSpec.single(str(minilm_dir)), Settings(precision=precision_name, device="cpu"))
    return pair, pair.encode_passages(titles, texts), pair.encode_questions(questions)


@pytest.fixture(scope="module")
def exact(minilm_dir: Path, squad: tuple[list[str], list[str], list[str]]) -> Encoded:
    return _encode(minilm_dir, "fp32", squad)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def _top10(questions: np.ndarray, passages: np.ndarray) -> list[set[int]]:
    return [set(row[:10].tolist()) for row in np.argsort(-(questions @ passages.T), axis=1)]


@pytest.mark.parametrize("precision_name", FASTER)
def test_faster_path_matches_fp32_on_real_weights(
    minilm_dir: Path, squad: tuple[list[str], list[str], list[str]], exact: Encoded, precision_name: str
) -> None:
    if precision_name == "int8" and not precision.int8_available():
        pytest.skip("this torch build has no quantised kernels")
    ref_pair, ref_p, ref_q = exact
    pair, p_vec, q_vec = _encode(minilm_dir, precision_name, squad)
    assert pair.precision == precision_name
    assert p_vec.dtype == np.float32 and q_vec.dtype == np.float32
    assert _cosines(ref_p, p_vec).min() >= 0.99
    assert _cosines(ref_q, q_vec).min() >= 0.99
    overlap = [len(a & b) / 10 for a, b in zip(_top10(ref_q, ref_p), _top10(q_vec, p_vec), strict=True)]
    assert np.mean(overlap) >= 0.9
    # Same checkpoint, another recipe: the identity differs in precision only.
    assert pair.identity.differences(ref_pair.identity) == ["precision"]


def test_auto_picks_the_fastest_accurate_path(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = "bf16" if precision.cpu_has_native_bf16() else "fp32"
    assert resolve_precision("auto", CPU) == expected
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)
    assert resolve_precision("auto", CPU) == "bf16"
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision("auto", CPU) == "fp32"
    assert resolve_precision("auto", torch.device("cuda")) == "fp32"
    for explicit in ("fp32", "bf16"):
        assert resolve_precision(explicit, CPU) == explicit
    # OpenVINO: int8 where the CPU has 8-bit dot products (measured fastest and within every accuracy bound).
    monkeypatch.setattr(precision, "cpu_has_vnni", lambda: True)
    assert resolve_precision("auto", CPU, "openvino") == "int8"
    assert resolve_precision("auto", CPU, "torch") == "fp32"
    monkeypatch.setattr(precision, "cpu_has_vnni", lambda: False)
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)
    assert resolve_precision("auto", CPU, "openvino") == "bf16"
    assert resolve_precision("fp32", CPU, "openvino") == "fp32"


def test_int8_is_cpu_only_and_unknown_precisions_are_refused() -> None:
    with pytest.raises(ModelLoadError, match="CPU only"):
        resolve_precision("int8", torch.device("cuda"))
    with pytest.raises(ModelLoadError, match="Unknown precision"):
        resolve_precision("fp16", CPU)
