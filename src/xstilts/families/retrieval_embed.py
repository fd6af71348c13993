"""What every retrieval protocol is given (:class:`RetrievalCall`), the one sentence-embedding
function they share, and where their k-NN runs.

Every protocol (Tatoeba, BUCC mining, ranking) embeds sentences the XTREME way: mean-pooled
``hidden_states[layer]`` over all non-pad tokens (``evaluate.predict.embed_sentences``), at the
run's layer; only the maximum length differs (BUCC and Tatoeba use the study's, ranking one per
side from the task's recipe).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from xstilts.config import RetrievalConfig
from xstilts.evaluate.predict import embed_sentences
from xstilts.families.base import Tokenizer
from xstilts.tasks.spec import TaskSpec

#: ``{(split, metric): value x100}``: what a protocol returns for one language.
RetrievalScores = dict[tuple[str, str], float]


@dataclass(frozen=True)
class RetrievalCall:
    """One language of one retrieval task to score: the encoder and tokenizer, the task, the
    run's retrieval settings (layer resolved), the language, and ``work_dir``, which receives the
    prediction files in the submission format."""

    encoder: nn.Module
    tokenizer: Tokenizer
    spec: TaskSpec
    settings: RetrievalConfig
    language: str
    work_dir: Path

    def prediction_file(self, split: str) -> Path:
        """``{split}-{language}.{suffix}``: the submission file of one split."""
        return self.work_dir / f"{split}-{self.language}.{self.spec.prediction_suffix}"


#: One set's items, ``[(item id, score x100)]``, from its one example and its prediction file.
Items = list[tuple[str, float]]


@dataclass(frozen=True)
class RetrievalProtocol:
    """A retrieval protocol, complete: ``evaluate`` scores every split of one language
    (``{split: examples}``) and writes the prediction files; ``items`` reads one of those files
    back into per-query item scores (:mod:`.retrieval_items`), so both sides of a protocol's
    submission format live in its own module."""

    evaluate: Callable[[RetrievalCall, dict[str, Sequence[Any]]], RetrievalScores]
    items: Callable[[Any, Path], Items]


def embed(
    encoder: nn.Module,
    tokenizer: Tokenizer,
    texts: Sequence[str],
    max_length: int,
    settings: RetrievalConfig,
) -> np.ndarray:
    """``texts`` embedded at ``settings.layer`` (resolved by the run's settings before any
    protocol runs: an unresolved layer here is a bug, not a user error)."""
    if settings.layer is None:
        raise ValueError("retrieval layer unresolved: the run's settings fix it before evaluation")
    return embed_sentences(
        encoder, tokenizer, texts, settings.layer, max_length, settings.batch_size
    )


def device_of(encoder: nn.Module | None) -> torch.device:
    """Where the k-NN runs when ``backend="auto"``: the encoder's device (CPU if unknown)."""
    parameter = next(encoder.parameters(), None) if encoder is not None else None
    return parameter.device if parameter is not None else torch.device("cpu")
