"""Fixtures of the encoder tests: the tiny DPR pair loaded once, with the exact (fp32) recipe."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.settings import Settings

EXACT = Settings(precision="fp32", batch_size=4)


@pytest.fixture(scope="package")
def exact_pair(tiny_pair: tuple[Path, Path]) -> EncoderPair:
    """The tiny DPR pair, fp32 (the model card's arithmetic), batches of 4."""
    return EncoderPair(EncoderSpec.pair(str(tiny_pair[0]), str(tiny_pair[1])), EXACT)
