"""The contract of a retrieval protocol: what it is given (:class:`RetrievalCall`), what it
returns, and the pair of functions a protocol is (:class:`RetrievalProtocol`).

Every protocol (``retrieval_tatoeba``, ``retrieval_bucc``, ``retrieval_ranking``) scores one
language at a time and writes its prediction files in the task's submission format; the family
(:mod:`.retrieval`) picks the protocol the task's spec names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from xstilts.config import RetrievalConfig
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
