"""Length-grouped training batches: little padding, yet batches as label-mixed as the data."""

from __future__ import annotations

import math
import random

import torch

from xstilts.data.featurize import training_batches


def label_entropy(labels: list[int]) -> float:
    counts = [labels.count(value) for value in set(labels)]
    return -sum(c / len(labels) * math.log2(c / len(labels)) for c in counts)


def test_a_file_sorted_by_label_still_gives_label_mixed_batches() -> None:
    """The training file lists all label-0 examples first (as many releases do); lengths are
    independent of the label. Every batch must hold both labels in about the data's proportion,
    whatever the file order: random mega-batches, not file windows, are sorted by length."""
    rng = random.Random(0)
    labels = [0] * 800 + [1] * 800
    lengths = [rng.randint(10, 120) for _ in labels]
    batches = training_batches(lengths, 16, torch.Generator().manual_seed(0))
    assert sorted(i for batch in batches for i in batch) == list(range(len(labels)))
    entropies = [label_entropy([labels[i] for i in batch]) for batch in batches]
    assert sum(entropies) / len(entropies) > 0.85  # a fair coin per batch gives ~0.95 bits
    assert max(abs(sum(labels[i] for i in b) / len(b) - 0.5) for b in batches) < 0.45
    # and lengths are grouped: a batch spans far less than the whole range of lengths
    spans = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches]
    assert sum(spans) / len(spans) < 10


def test_batch_order_does_not_follow_length() -> None:
    """Within an epoch, long and short batches are interleaved (the batch order is reshuffled)."""
    lengths = list(range(1600))
    batches = training_batches(lengths, 16, torch.Generator().manual_seed(1))
    means = [sum(lengths[i] for i in b) / len(b) for b in batches]
    ranks = sorted(range(len(means)), key=means.__getitem__)
    n = len(ranks)
    rho = 1 - 6 * sum((r - i) ** 2 for i, r in enumerate(ranks)) / (n * (n * n - 1))
    assert abs(rho) < 0.3


def test_batches_are_a_pure_function_of_the_generator_seed() -> None:
    lengths = [random.Random(2).randint(1, 50) for _ in range(500)]
    first = training_batches(lengths, 8, torch.Generator().manual_seed(3))
    again = training_batches(lengths, 8, torch.Generator().manual_seed(3))
    other = training_batches(lengths, 8, torch.Generator().manual_seed(4))
    assert first == again and first != other
