"""Shared fixtures: a tiny *real-architecture* XLM-R encoder and real-format data.

The pipeline tests run the same code as the demo, on the same XLM-R model class, but at a tiny
size (2 layers, hidden 32) with a word-level tokenizer trained on the demo data, so a whole
intermediate -> target -> zero-shot chain takes seconds on 2 cores.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import changed_files, fingerprint
from tiny_models import DEMO_DATA, build_tiny_encoder, corpus


@pytest.fixture(scope="session")
def demo_data() -> Iterator[Path]:
    """The packaged demo data, read in place (tests that change files take ``demo_copy``).

    Many tests and ``xstilts demo`` read these files, and the README's record is computed from
    them: a test that wrote into them would change what every later test and the next demo see.
    So the fixture fingerprints every file when the session first asks for it and, at the end,
    fails naming each file a test added, changed or removed.
    """
    before = fingerprint(DEMO_DATA)
    assert before, f"{DEMO_DATA}: no demo data"
    yield DEMO_DATA
    changed = changed_files(before, fingerprint(DEMO_DATA))
    assert not changed, f"a test changed the packaged demo data: {', '.join(changed)}"


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
