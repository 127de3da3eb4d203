"""The OpenVINO runtime against torch: DPR's raw [CLS] pooler_output kept, real weights kept, converted once
and cached, and part of the encoder identity (a library made with one runtime refuses the other)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import DPRContextEncoder, DPRContextEncoderTokenizerFast

from rdr_search.encoders import EncoderPair, EncoderSpec, openvino_available, resolve_runtime
from rdr_search.errors import LibraryError, ModelLoadError
from rdr_search.evaluation import read_collection
from rdr_search.library import Library
from rdr_search.settings import Settings
from tests.data import require_squad
from tests.files import sample_corpus

pytestmark = pytest.mark.skipif(not openvino_available(), reason="openvino is not installed")
CPU = torch.device("cpu")
TEXTS = [
    "The moon orbits the earth once a month.",
    "Whales are the largest animals that ever lived, and they sing.",
    "Short.",
    "A recipe: mix flour, water and salt, knead for ten minutes and let the dough rest overnight.",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runtime-cache")


@pytest.fixture(scope="module")
def openvino_pair(tiny_pair: tuple[Path, Path], cache: Path) -> EncoderPair:
    settings = Settings(precision="fp32", runtime="openvino", runtime_cache=str(cache), batch_size=3)
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), settings)


def test_openvino_keeps_dpr_raw_cls_pooler_output(openvino_pair: EncoderPair, tiny_pair: tuple[Path, Path]) -> None:
    tokenizer = DPRContextEncoderTokenizerFast.from_pretrained(str(tiny_pair[0]))
    model = DPRContextEncoder.from_pretrained(str(tiny_pair[0])).eval()
    assert model.config.projection_dim == 0  # pooler_output is the raw [CLS] state
    with torch.no_grad():
        expected = np.stack(
            [model(**tokenizer("Title", text, return_tensors="pt")).pooler_output[0].numpy() for text in TEXTS]
        )
    got = openvino_pair.encode_passages(["Title"] * len(TEXTS), TEXTS)  # batched and padded: 3 + 1
    assert openvino_pair.runtime == "openvino" and openvino_pair.ctx.compiled is not None
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-4)


def test_second_load_converts_nothing(openvino_pair: EncoderPair, tiny_pair: tuple[Path, Path], cache: Path) -> None:
    assert openvino_pair.ctx.compiled is not None and openvino_pair.ctx.compiled.converted.converted_now
    folders = sorted(p.name for p in cache.iterdir())
    assert len(folders) == 2  # one per tower, named by checkpoint content
    again = EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), openvino_pair.settings)
    assert again.ctx.compiled is not None and not again.ctx.compiled.converted.converted_now
    assert again.question.compiled is not None and not again.question.compiled.converted.converted_now
    assert sorted(p.name for p in cache.iterdir()) == folders
    np.testing.assert_array_equal(again.encode_questions(TEXTS), openvino_pair.encode_questions(TEXTS))


def test_runtime_is_part_of_the_identity(openvino_pair: EncoderPair, tiny_pair: tuple[Path, Path]) -> None:
    torch_pair = EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), Settings(precision="fp32"))
    assert torch_pair.runtime == "torch" and torch_pair.identity.runtime == "torch"
    assert openvino_pair.identity.key != torch_pair.identity.key
    assert openvino_pair.identity.differences(torch_pair.identity) == ["runtime"]
    assert "openvino" in openvino_pair.describe()


def test_a_library_built_with_openvino_refuses_torch_and_reopens_with_it(
    openvino_pair: EncoderPair, tmp_path: Path
) -> None:
    corpus = sample_corpus(tmp_path / "docs")
    with Library.open(tmp_path / "lib", openvino_pair, openvino_pair.settings) as lib:
        lib.add_files([corpus["md"]])
        before = [h.passage_id for h in lib.search("moon", k=5, mode="dense")]
    torch_settings = Settings(precision="fp32", runtime="torch")
    with pytest.raises(LibraryError) as refused:
        Library.open(tmp_path / "lib", openvino_pair.spec, torch_settings)
    message = str(refused.value)
    assert "openvino" in message and "runtime" in message  # what it holds and what differs
    assert "--runtime" in message and "rdr-search add-encoders" in message  # the two ways forward
    # "auto" keeps the runtime the library was built with, from the cached conversion.
    auto = Settings(precision="fp32", runtime_cache=openvino_pair.settings.runtime_cache)
    with Library.open(tmp_path / "lib", None, auto) as reopened:
        assert [h.passage_id for h in reopened.search("moon", k=5, mode="dense")] == before
        assert reopened.encoders.runtime == "openvino"


def test_unusable_runtimes_are_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelLoadError, match="Unknown runtime 'tensorrt'"):
        resolve_runtime("tensorrt", CPU, "fp32")
    with pytest.raises(ModelLoadError, match="--device cpu"):
        resolve_runtime("openvino", torch.device("cuda"), "fp32")
    with pytest.raises(ModelLoadError, match="int8. runs on the torch runtime"):
        resolve_runtime("openvino", CPU, "int8")
    assert resolve_runtime("auto", CPU, "bf16") == "torch"
    monkeypatch.setitem(sys.modules, "openvino", None)  # as if it were not installed
    with pytest.raises(ModelLoadError, match="pip install openvino"):
        resolve_runtime("openvino", CPU, "fp32")


@pytest.mark.slow
def test_openvino_matches_torch_fp32_on_real_weights(minilm_dir: Path, tmp_path: Path) -> None:
    passages = next(read_collection(require_squad() / "passages.tsv", batch_size=24))
    titles, texts = [p.title for p in passages], [p.text for p in passages]
    spec = EncoderSpec.single(str(minilm_dir))
    exact = EncoderPair(spec, Settings(precision="fp32", device="cpu")).encode_passages(titles, texts)
    settings = Settings(precision="fp32", device="cpu", runtime="openvino", runtime_cache=str(tmp_path))
    got = EncoderPair(spec, settings).encode_passages(titles, texts)
    cosines = (exact * got).sum(1) / (np.linalg.norm(exact, axis=1) * np.linalg.norm(got, axis=1))
    assert cosines.min() > 0.99999
    np.testing.assert_allclose(got, exact, atol=1e-4)
