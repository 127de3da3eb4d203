"""Fixtures of the command-line tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture()
def encoders(tiny_pair: tuple[Path, Path]) -> list[str]:
    """Command-line options naming the tiny DPR pair."""
    return ["--ctx-encoder", str(tiny_pair[0]), "--question-encoder", str(tiny_pair[1])]
