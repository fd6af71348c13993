"""Multiple choice: XCOPA (target); COPA, SIQA, HellaSwag, Cosmos QA, CommonsenseQA (English).

Each (first segment, choice) pair is encoded as one sequence and scored by a shared head; the
scores of one example's choices are compared with a softmax. This is transformers'
``AutoModelForMultipleChoice`` recipe as XTREME-R's ``third_party/run_xcopa.py`` uses it:

- first segment = ``context`` and ``question`` joined by a space, second segment = the choice
  (``f"{premise} What was the {cause|effect}?"`` / ``f"{context} {question}"`` in run_xcopa.py;
  :mod:`xstilts.data.multiple_choice_format` words the fields so that the join reproduces it);
- pairs truncated longest-first to ``max_length`` (run_xcopa.py ``truncation=True``);
- a batch of B examples with C choices is a (B, C, L) tensor, flattened to (B*C, L) for the
  encoder, the (B*C,) scores reshaped to (B, C) logits (run_xcopa.py's collator un-flattens the
  same way, ``view(batch_size, num_choices, -1)``);
- head = the pooled vector, ``dense + tanh`` (the pooler of ``XLMRobertaForMultipleChoice``, which
  our encoders load without: ``add_pooling_layer=False``), dropout, a linear layer to 1 score;
- loss = cross-entropy over the choices; prediction = the arg-max choice; score = accuracy, the
  official XCOPA metric (``xtreme:evaluate.py``).

Examples of one task normally have the same number of choices; a batch mixing counts still
works: missing choices are padded and masked out of the softmax (``choice_mask``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from xstilts.config import EncoderConfig
from xstilts.data.examples import MultipleChoiceExample
from xstilts.data.featurize import evaluation_batches
from xstilts.errors import XstiltsError
from xstilts.evaluate.metrics import accuracy
from xstilts.evaluate.predict import model_device
from xstilts.families.base import Family, Tokenizer
from xstilts.models.heads import pool
from xstilts.tasks.spec import TaskSpec


@dataclass(frozen=True)
class ChoiceFeature:
    """One tokenized example: one token sequence per choice; ``label`` is a choice index or -1."""

    choices: tuple[tuple[int, ...], ...]
    label: int


def first_segment(example: MultipleChoiceExample) -> str:
    """The text shared by every choice: context and question, joined by one space."""
    return " ".join(part for part in (example.context, example.question) if part)


def encode_choices(
    examples: Sequence[MultipleChoiceExample], tokenizer: Tokenizer, max_length: int
) -> list[ChoiceFeature]:
    """Tokenize every (first segment, choice) pair in one tokenizer call, then regroup.

    The pairs are flattened example-major (example 0's choices, then example 1's, ...) so that
    pair ``offsets[i] + c`` is choice ``c`` of example ``i``.
    """
    firsts: list[str] = []
    seconds: list[str] = []
    offsets: list[int] = []
    for example in examples:
        if not example.choices:
            raise XstiltsError(f"example {example.id!r} has no choices")
        offsets.append(len(firsts))
        shared = first_segment(example)
        firsts.extend([shared] * len(example.choices))
        seconds.extend(example.choices)
    if not firsts:
        return []
    encoded = tokenizer(
        firsts, seconds, truncation=True, max_length=max_length, add_special_tokens=True
    )["input_ids"]
    return [
        ChoiceFeature(
            tuple(tuple(ids) for ids in encoded[start : start + len(example.choices)]),
            -1 if example.label is None else example.label,
        )
        for start, example in zip(offsets, examples, strict=True)
    ]


def featurize(
    examples: Sequence[MultipleChoiceExample], tokenizer: Tokenizer, spec: TaskSpec, max_length: int
) -> list[ChoiceFeature]:
    """Training features; every example must carry its gold choice."""
    for example in examples:
        if example.label is None:
            raise XstiltsError(
                f"task {spec.name}: training example {example.id!r} has no label "
                "(a test split cannot be used for training)"
            )
    return encode_choices(examples, tokenizer, max_length)


def feature_length(feature: ChoiceFeature) -> int:
    """The longest choice sequence: every choice of a batch is padded to the batch's longest."""
    return max(len(ids) for ids in feature.choices)


def collate(features: Sequence[ChoiceFeature], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad to (B, C, L): C = most choices in the batch, L = longest sequence in the batch.

    A missing choice (only when counts differ) is masked in ``choice_mask``; its row holds one
    attended pad token, because a row with no attended token at all can make attention NaN, and a
    NaN activation poisons the gradients even where its logit is masked.
    """
    num_choices = max(len(f.choices) for f in features)
    width = max(feature_length(f) for f in features)
    input_ids = torch.full((len(features), num_choices, width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(features), num_choices, width), dtype=torch.long)
    choice_mask = torch.zeros((len(features), num_choices), dtype=torch.bool)
    for row, feature in enumerate(features):
        for column, ids in enumerate(feature.choices):
            input_ids[row, column, : len(ids)] = torch.tensor(ids)
            attention_mask[row, column, : len(ids)] = 1
            choice_mask[row, column] = True
        attention_mask[row, len(feature.choices) :, 0] = 1
    labels = torch.tensor([f.label for f in features], dtype=torch.long)
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "choice_mask": choice_mask,
        "labels": labels,
    }


class MultipleChoiceHead(nn.Module):
    """One score per sequence: pooled vector, dense + tanh, dropout, linear to 1.

    ``dense + tanh`` is the pooler that ``XLMRobertaForMultipleChoice`` applies before its dropout
    and classifier; it lives here because the encoder is loaded without a pooling layer.
    """

    def __init__(self, hidden_size: int, dropout: float, pooling: str) -> None:
        super().__init__()
        self.pooling = pooling
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size, 1)

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = torch.tanh(self.dense(pool(hidden, attention_mask, self.pooling)))
        return self.out(self.dropout(x)).squeeze(-1)


def new_head(hidden_size: int, spec: TaskSpec, encoder: EncoderConfig) -> nn.Module:
    return MultipleChoiceHead(hidden_size, encoder.dropout, encoder.pooling)


def choice_logits(model: nn.Module, task: str, batch: dict[str, Any]) -> torch.Tensor:
    """(B, C) logits: run the (B*C, L) flattened pairs through encoder and head, un-flatten."""
    input_ids = batch["input_ids"]
    batch_size, num_choices, width = input_ids.shape
    scores = model(
        task,
        input_ids.reshape(batch_size * num_choices, width),
        batch["attention_mask"].reshape(batch_size * num_choices, width),
    )
    logits = scores.reshape(batch_size, num_choices)
    return logits.masked_fill(~batch["choice_mask"], torch.finfo(logits.dtype).min)


def loss(model: nn.Module, task: str, batch: dict[str, Any]) -> torch.Tensor:
    return nn.functional.cross_entropy(choice_logits(model, task, batch), batch["labels"])


@torch.inference_mode()
def predict(
    model: nn.Module,
    task: str,
    examples: Sequence[MultipleChoiceExample],
    tokenizer: Tokenizer,
    spec: TaskSpec,
    max_length: int,
    batch_size: int,
) -> list[int]:
    """The chosen (0-based) choice index per example, in input order.

    ``batch_size`` counts sequences, as for the other families, so a batch holds
    ``batch_size // choices`` examples and evaluation memory does not grow with the choice count.
    """
    model.eval()
    features = encode_choices(examples, tokenizer, max_length)
    if not features:
        return []
    most_choices = max(len(f.choices) for f in features)
    per_batch = max(1, batch_size // most_choices)
    predicted = np.empty(len(features), dtype=np.int64)
    device = model_device(model)
    lengths = [feature_length(f) for f in features]
    for indices in evaluation_batches(lengths, per_batch):
        batch = collate([features[i] for i in indices], tokenizer.pad_token_id)
        batch = {key: value.to(device) for key, value in batch.items()}
        predicted[indices] = choice_logits(model, task, batch).argmax(-1).cpu().numpy()
    return [int(i) for i in predicted]


def score(
    predictions: Sequence[int],
    examples: Sequence[MultipleChoiceExample],
    spec: TaskSpec,
    language: str,
) -> dict[str, float]:
    """Accuracy x100 (XCOPA's official metric), or ``{}`` for a split whose gold labels are all
    hidden (XTREME's download): it is predicted for submission, not scored; partly hidden
    labels are an error."""
    gold = [e.label for e in examples]
    if all(label is None for label in gold):
        return {}
    if any(label is None for label in gold):
        raise XstiltsError(
            f"task {spec.name} ({language}): some gold labels of this split are hidden; "
            "it cannot be scored locally"
        )
    return {"accuracy": accuracy([int(p) for p in predictions], gold)}


def format_predictions(
    examples: Sequence[MultipleChoiceExample], predictions: Sequence[int]
) -> str:
    """XCOPA submission jsonl: one ``{"idx": ..., "label": choice}`` object per example, in order.

    ``xtreme:third_party/run_xcopa.py`` writes ``{"label": int}`` lines to ``test-{lang}.jsonl``
    and ``evaluate.py`` reads only ``label``; we add the release's ``idx`` so a file can be
    checked against its examples. ``idx`` stays an integer where the release's is one.
    """
    if len(examples) != len(predictions):
        raise XstiltsError(f"{len(predictions)} predictions for {len(examples)} examples")
    lines = []
    for example, choice in zip(examples, predictions, strict=True):
        idx: int | str = int(example.id) if example.id.lstrip("-").isdigit() else example.id
        lines.append(json.dumps({"idx": idx, "label": int(choice)}) + "\n")
    return "".join(lines)


FAMILY = Family(
    "multiple_choice",
    featurize,
    collate,
    new_head,
    loss,
    predict,
    score,
    format_predictions,
    feature_length,
)
