"""Multi-task samplers: probabilities as jiant defines them, deterministic epochs."""

from __future__ import annotations

import pytest
import torch

from xstilts.train.samplers import interleave, task_probabilities


def test_probabilities() -> None:
    sizes = [300, 100]
    assert task_probabilities(sizes, "proportional", 1).tolist() == pytest.approx([0.75, 0.25])
    assert task_probabilities(sizes, "uniform", 1).tolist() == pytest.approx([0.5, 0.5])
    # T=2: sqrt(300) : sqrt(100) = 17.3205 : 10 -> 0.633975 : 0.366025
    assert task_probabilities(sizes, "temperature", 2).tolist() == pytest.approx(
        [0.633975, 0.366025], abs=1e-6
    )
    assert task_probabilities(sizes, "temperature", 1).tolist() == pytest.approx([0.75, 0.25])
    with pytest.raises(ValueError, match="unknown sampler"):
        task_probabilities(sizes, "random", 1)


def test_interleave_is_deterministic_and_cycles() -> None:
    a = [f"a{i}" for i in range(30)]
    b = [f"b{i}" for i in range(3)]
    first = interleave([a, b], "uniform", 1, torch.Generator().manual_seed(0))
    again = interleave([a, b], "uniform", 1, torch.Generator().manual_seed(0))
    assert first == again and len(first) == 33
    taken_b = [x for x in first if str(x).startswith("b")]
    # uniform over 33 draws takes ~16 b-batches from a list of 3: it cycles b0 b1 b2 b0 ...
    assert len(taken_b) > 6
    assert taken_b[:6] == ["b0", "b1", "b2", "b0", "b1", "b2"]


def test_single_task_keeps_its_order() -> None:
    only = ["x", "y", "z"]
    assert interleave([only], "uniform", 1, torch.Generator().manual_seed(1)) == only


def test_proportional_sampling_weighs_tasks_by_examples_not_batches() -> None:
    """jiant's ProportionalMultiTaskSampler uses each task's number of examples: a task with 90
    examples in 3 batches of 32 and one with 30 examples in 3 batches of 10 are 3:1, not 1:1."""
    big = [f"big{i}" for i in range(3)]
    small = [f"small{i}" for i in range(3)]
    epoch = interleave(
        [big, small] * 1, "proportional", 1, torch.Generator().manual_seed(0), [9000, 3000]
    )
    assert len(epoch) == 6
    many = [
        interleave([big, small], "proportional", 1, torch.Generator().manual_seed(s), [9000, 3000])
        for s in range(200)
    ]
    share = sum(str(x).startswith("big") for e in many for x in e) / (200 * 6)
    assert abs(share - 0.75) < 0.03
