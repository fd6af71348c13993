"""Examples -> token ids -> length-grouped, dynamically padded batches.

Padding every batch to the longest sequence *in that batch*, with batches built from examples of
similar length, is the cheapest speed-up on a CPU: attention and the feed-forward layers cost is
proportional to the padded length, and NLI sentence pairs vary from 15 to 100+ tokens.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedTokenizerBase

from xstilts.data.examples import ClassificationExample


@dataclass(frozen=True)
class Feature:
    """One tokenized example; ``label`` is an index into the task's label list (-1 = unknown)."""

    input_ids: tuple[int, ...]
    label: int


def featurize_classification(
    examples: Sequence[ClassificationExample],
    tokenizer: PreTrainedTokenizerBase,
    labels: Sequence[str],
    max_length: int,
) -> list[Feature]:
    """Tokenize (pairs are truncated longest-first, as the XTREME/transformers examples do)."""
    label_index = {label: i for i, label in enumerate(labels)}
    texts_a = [e.text_a for e in examples]
    texts_b = [e.text_b for e in examples] if examples and examples[0].text_b is not None else None
    encoded = tokenizer(
        texts_a, texts_b, truncation=True, max_length=max_length, add_special_tokens=True
    )
    return [
        Feature(tuple(ids), label_index.get(e.label, -1) if e.label is not None else -1)
        for ids, e in zip(encoded["input_ids"], examples, strict=True)
    ]


def collate(features: Sequence[Feature], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad to the longest sequence of the batch."""
    width = max(len(f.input_ids) for f in features)
    input_ids = torch.full((len(features), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(features), width), dtype=torch.long)
    for row, feature in enumerate(features):
        input_ids[row, : len(feature.input_ids)] = torch.tensor(feature.input_ids)
        attention_mask[row, : len(feature.input_ids)] = 1
    labels = torch.tensor([f.label for f in features], dtype=torch.long)
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def training_batches(
    lengths: Sequence[int], batch_size: int, generator: torch.Generator, group: int = 50
) -> list[list[int]]:
    """Shuffled batches of indices, length-grouped within random mega-batches of ``group`` batches.

    As transformers' ``get_length_grouped_indices`` (``group_by_length``, mega-batches of 50 x
    batch size): a random permutation is cut into mega-batches, each is sorted by length and cut
    into batches, and the batch order is shuffled again. Because every mega-batch is a random
    draw, the order of the training file (often sorted by label or source) never reaches the
    batches, and lengths only group examples that are alike in length, so batches stay as
    label-mixed as the data (tests/data/test_featurize.py checks both). Only where length itself
    predicts the label would any length grouping concentrate labels.
    """
    order = torch.randperm(len(lengths), generator=generator).tolist()
    window = batch_size * group
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    permutation = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in permutation]


def evaluation_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Batches of indices sorted by length (the caller restores input order)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]
