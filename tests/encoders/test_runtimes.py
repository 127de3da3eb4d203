"""The OpenVINO runtime against torch: DPR's raw [CLS] pooler_output kept, real weights kept, converted once
and cached, and part of the encoder identity (a library made with one runtime refuses the other)."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import DPRContextEncoder, DPRContextEncoderTokenizerFast

from rdr_search.encoders import EncoderPair, EncoderSpec, openvino_available, resolve_runtime
from rdr_search.errors import LibraryError, ModelLoadError
from rdr_search.evaluation import read_collection, read_questions
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
        resolve_runtime("tensorrt", CPU)
    with pytest.raises(ModelLoadError, match="--device cpu"):
        resolve_runtime("openvino", torch.device("cuda"))
    assert resolve_runtime("auto", CPU) == "torch"
    monkeypatch.setitem(sys.modules, "openvino", None)  # as if it were not installed
    with pytest.raises(ModelLoadError, match="pip install openvino"):
        resolve_runtime("openvino", CPU)


def _int8_constants(xml: Path) -> int:
    import openvino

    model = openvino.Core().read_model(str(xml))
    return sum(
        1
        for node in model.get_ordered_ops()
        if node.get_type_name() == "Constant" and node.get_output_element_type(0) == openvino.Type.i8
    )


def test_openvino_int8_has_its_own_int8_model_and_identity(
    openvino_pair: EncoderPair, tiny_pair: tuple[Path, Path], cache: Path, tmp_path: Path
) -> None:
    spec = EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1]))
    int8 = EncoderPair(spec, Settings(precision="int8", runtime="openvino", runtime_cache=str(cache), batch_size=3))
    assert int8.ctx.compiled is not None and openvino_pair.ctx.compiled is not None
    int8_xml, fp32_xml = int8.ctx.compiled.converted.xml, openvino_pair.ctx.compiled.converted.xml
    assert int8_xml != fp32_xml  # the fp32 conversion is not overwritten, nor reused as if it were int8
    # Every matrix weight of the tiny BERT (4 per attention block, 2 feed-forward, per layer) is stored in int8.
    layers = int8.ctx.model.config.num_hidden_layers
    assert _int8_constants(int8_xml) == 6 * layers and _int8_constants(fp32_xml) == 0
    assert int8.identity.differences(openvino_pair.identity) == ["precision"]
    torch_int8 = EncoderPair(spec, Settings(precision="int8", runtime="torch"))
    assert int8.identity.differences(torch_int8.identity) == ["runtime"]
    assert "int8, openvino" in int8.describe()
    got, exact = int8.encode_passages(["Title"] * 4, TEXTS), openvino_pair.encode_passages(["Title"] * 4, TEXTS)
    cosines = (exact * got).sum(1) / (np.linalg.norm(exact, axis=1) * np.linalg.norm(got, axis=1))
    assert got.dtype == np.float32 and cosines.min() > 0.98
    # A library built with it reopens with it under "auto", from the cached int8 conversion.
    corpus = sample_corpus(tmp_path / "docs")
    with Library.open(tmp_path / "lib", int8, int8.settings) as lib:
        lib.add_files([corpus["md"]])
        before = [h.passage_id for h in lib.search("moon", k=5, mode="dense")]
    with Library.open(tmp_path / "lib", None, Settings(runtime_cache=str(cache))) as reopened:
        assert (reopened.encoders.precision, reopened.encoders.runtime) == ("int8", "openvino")
        assert reopened.encoders.ctx.compiled is not None
        assert not reopened.encoders.ctx.compiled.converted.converted_now
        assert [h.passage_id for h in reopened.search("moon", k=5, mode="dense")] == before


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


@pytest.mark.slow
def test_openvino_int8_keeps_the_accuracy_bounds_on_real_weights(minilm_dir: Path, tmp_path: Path) -> None:
    """int8 weights and on-the-fly int8 activations, against torch fp32 on real weights: min cosine >= 0.99 and
    mean top-10 overlap >= 0.9 over squad-dev-a (the bounds every faster path must keep)."""
    folder = require_squad()
    passages = [p for batch in read_collection(folder / "passages.tsv", batch_size=256) for p in batch][:300]
    titles, texts = [p.title for p in passages], [p.text for p in passages]
    questions = [qa.question for qa in itertools.islice(read_questions(folder / "questions.csv"), 0, 3000, 10)]
    spec = EncoderSpec.single(str(minilm_dir))
    exact = EncoderPair(spec, Settings(precision="fp32", device="cpu"))
    settings = Settings(precision="int8", device="cpu", runtime="openvino", runtime_cache=str(tmp_path))
    int8 = EncoderPair(spec, settings)
    ref_p, ref_q = exact.encode_passages(titles, texts), exact.encode_questions(questions)
    got_p, got_q = int8.encode_passages(titles, texts), int8.encode_questions(questions)

    def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))

    assert cosines(ref_p, got_p).min() >= 0.99 and cosines(ref_q, got_q).min() >= 0.99
    ref_top = np.argsort(-(ref_q @ ref_p.T), axis=1)[:, :10]
    got_top = np.argsort(-(got_q @ got_p.T), axis=1)[:, :10]
    overlap = [len(set(a) & set(b)) / 10 for a, b in zip(ref_top, got_top, strict=True)]
    assert np.mean(overlap) >= 0.9
