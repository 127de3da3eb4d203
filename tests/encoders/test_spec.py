"""Encoder specs: options, presets, --model-dir, and a spec module that loads no model code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.errors import ModelLoadError
from rdr_search.settings import Settings

REPO = Path(__file__).resolve().parents[2]
EXACT = Settings(precision="fp32", batch_size=4)


def test_model_dir_resolves_hub_ids_to_local_folders(tmp_path: Path, tiny_pair: tuple[Path, Path]) -> None:
    shutil.copytree(tiny_pair[0], tmp_path / "rdr-ctx_encoder-single-nq-base")
    shutil.copytree(tiny_pair[1], tmp_path / "rdr-question_encoder-single-nq-base")
    spec = EncoderSpec.from_options(model_dir=tmp_path)
    assert spec is not None and spec.ctx_encoder == str(tmp_path / "rdr-ctx_encoder-single-nq-base")
    assert EncoderPair(spec, EXACT).dim == 32
    with pytest.raises(ModelLoadError, match="go together"):
        EncoderSpec.from_options(ctx_encoder="x")
    with pytest.raises(ModelLoadError, match="Unknown encoder preset"):
        EncoderSpec.preset("rdr-imaginary")


def test_specs_and_presets_load_without_torch_or_transformers() -> None:
    """The command line checks options before it loads a model: the spec must stay light."""
    code = (
        "import sys\n"
        "import rdr_search.encoders.spec\n"
        "from rdr_search.encoders import DEFAULT_PRESET, PRESETS, EncoderSpec\n"
        "EncoderSpec.preset(DEFAULT_PRESET)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers'))\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
