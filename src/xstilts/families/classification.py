"""Sequence(-pair) classification: XNLI, PAWS-X, MNLI, ANLI+, QQP, SST-2.

Head: RoBERTa-style classifier on the pooled sentence vector; loss: cross-entropy; score:
accuracy (the official XNLI/PAWS-X metric).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from xstilts.config import EncoderConfig
from xstilts.data.examples import ClassificationExample
from xstilts.data.featurize import Feature, collate, featurize_classification
from xstilts.evaluate.metrics import accuracy
from xstilts.evaluate.predict import predict_classification
from xstilts.families.base import Family, Tokenizer, all_or_none
from xstilts.models.heads import ClassificationHead
from xstilts.models.packing import PackedInputs
from xstilts.tasks.spec import TaskSpec


def featurize(
    examples: Sequence[ClassificationExample], tokenizer: Tokenizer, spec: TaskSpec, max_length: int
) -> list[Feature]:
    return featurize_classification(examples, tokenizer, spec.labels, max_length)


def new_head(hidden_size: int, spec: TaskSpec, encoder: EncoderConfig) -> nn.Module:
    return ClassificationHead(hidden_size, len(spec.labels), encoder.dropout, encoder.pooling)


def loss(model: nn.Module, task: str, batch: dict[str, Any]) -> torch.Tensor:
    packed = PackedInputs.from_batch(batch)  # models.packing: same logits, fewer padded tokens
    logits = model(task, batch["input_ids"], batch["attention_mask"], packed=packed)
    return nn.functional.cross_entropy(logits, batch["labels"])


def predict(
    model: nn.Module,
    task: str,
    examples: Sequence[ClassificationExample],
    tokenizer: Tokenizer,
    spec: TaskSpec,
    max_length: int,
    batch_size: int,
) -> list[str]:
    return predict_classification(
        model, task, examples, tokenizer, spec.labels, max_length, batch_size
    )


def score(
    predictions: Sequence[str],
    examples: Sequence[ClassificationExample],
    spec: TaskSpec,
    language: str,
) -> dict[str, float]:
    """Accuracy, or ``{}`` for a set without labels (XTREME's download strips test labels:
    such a split is predicted for submission, not scored); partly labelled sets are errors."""
    labelled = [example.label is not None for example in examples]
    if not all_or_none(labelled, spec, language, "examples have no label"):
        return {}
    return {"accuracy": accuracy(list(predictions), [e.label for e in examples])}


def format_predictions(
    examples: Sequence[ClassificationExample], predictions: Sequence[str]
) -> str:
    """One label per line (the XTREME submission format), in example order."""
    return "".join(f"{label}\n" for label in predictions)


FAMILY = Family(
    "classification", featurize, collate, new_head, loss, predict, score, format_predictions
)
