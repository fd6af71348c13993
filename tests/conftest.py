"""Shared fixtures: a tiny *real-architecture* XLM-R encoder and real-format data.

The pipeline tests run the same code as the demo, on the same XLM-R model class, but at a tiny
size (2 layers, hidden 32) with a word-level tokenizer trained on the demo data, so a whole
intermediate -> target -> zero-shot chain takes seconds on 2 cores.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tiny_models import DEMO_DATA, build_tiny_encoder, corpus


@pytest.fixture(scope="session")
def demo_data() -> Path:
    return DEMO_DATA


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-xlmr")
    return build_tiny_encoder(folder, corpus(DEMO_DATA))


@pytest.fixture()
def demo_copy(tmp_path: Path) -> Path:
    """A writable copy of the demo data (tests corrupt files in it)."""
    target = tmp_path / "data"
    shutil.copytree(DEMO_DATA, target)
    return target
