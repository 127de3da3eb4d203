"""Fixtures of the evaluation tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.data import require_squad


@pytest.fixture(scope="session")
def squad() -> Path:
    """The squad-dev-a folder (DPR formats); the test skips when it is not there."""
    return require_squad()
