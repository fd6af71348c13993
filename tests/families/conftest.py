"""Fixtures of the family tests shared by several modules (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from span_qa_data import build_qa_encoder


@pytest.fixture(scope="session")
def qa_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The span_qa tests' tiny XLM-R (vocabulary: the QA fixtures and the long example)."""
    return build_qa_encoder(tmp_path_factory.mktemp("tiny-qa"))


@pytest.fixture(scope="session")
def qa_tokenizer(qa_encoder_dir: Path) -> PreTrainedTokenizerFast:
    return AutoTokenizer.from_pretrained(str(qa_encoder_dir))
