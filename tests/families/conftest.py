"""Fixtures of the family tests shared by several modules (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from retrieval_data import retrieval_corpus
from span_qa_data import build_qa_encoder
from tiny_models import build_tiny_encoder
from xstilts.models.encoder import load_encoder


@pytest.fixture(scope="session")
def qa_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The span_qa tests' tiny XLM-R (vocabulary: the QA fixtures and the long example)."""
    return build_qa_encoder(tmp_path_factory.mktemp("tiny-qa"))


@pytest.fixture(scope="session")
def qa_tokenizer(qa_encoder_dir: Path) -> PreTrainedTokenizerFast:
    return AutoTokenizer.from_pretrained(str(qa_encoder_dir))


@pytest.fixture(scope="session")
def retrieval_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The retrieval tests' tiny XLM-R (vocabulary: the BUCC, LAReQA and Mewsli-X fixtures)."""
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-retrieval"), retrieval_corpus())


@pytest.fixture(scope="session")
def retrieval_encoder(retrieval_encoder_dir: Path) -> tuple[object, object]:
    """``(encoder, tokenizer)``: the retrieval tests only embed, they never train it."""
    return load_encoder(str(retrieval_encoder_dir))
