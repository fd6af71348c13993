"""Multi-task batch schedules: which task each step of a multi-task epoch trains on.

jiant's samplers (``jiant/proj/main/components/task_sampler.py``): *proportional* samples a task
with probability proportional to its number of training *examples* (jiant's
``task_to_num_examples_dict``; batch counts would favour a task whose last batch is short, and
any task with a different batch size), *uniform* gives every task the same
probability, *temperature* uses p_t ∝ n_t^(1/T) (T=1 is proportional, T→∞ uniform), which keeps
small tasks from being drowned by large ones. An epoch has as many steps as all tasks have batches;
a task whose batches run out starts over on its own list (sampling with replacement, as jiant).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import torch

SAMPLERS = ("proportional", "uniform", "temperature")
Batch = TypeVar("Batch")


def task_probabilities(sizes: Sequence[int], sampler: str, temperature: float) -> torch.Tensor:
    """Sampling probability of each task from its size (examples, or batches)."""
    counts = torch.tensor(sizes, dtype=torch.float64)
    if sampler == "proportional":
        weights = counts
    elif sampler == "uniform":
        weights = torch.ones_like(counts)
    elif sampler == "temperature":
        weights = counts ** (1.0 / temperature)
    else:
        raise ValueError(f"unknown sampler {sampler!r}; expected one of {', '.join(SAMPLERS)}")
    return weights / weights.sum()


def interleave(
    batches_per_task: Sequence[Sequence[Batch]],
    sampler: str,
    temperature: float,
    generator: torch.Generator,
    examples_per_task: Sequence[int] | None = None,
) -> list[Batch]:
    """One epoch of batches drawn from the tasks' lists by ``sampler`` (deterministic).

    Task probabilities come from ``examples_per_task`` (jiant), or from the batch counts when
    it is not given; the epoch has as many steps as all tasks have batches.
    """
    sizes = [len(batches) for batches in batches_per_task]
    total = sum(sizes)
    if len(batches_per_task) == 1:
        return list(batches_per_task[0])
    weights = sizes if examples_per_task is None else list(examples_per_task)
    probabilities = task_probabilities(weights, sampler, temperature)
    draws = torch.multinomial(probabilities, total, replacement=True, generator=generator).tolist()
    position = [0] * len(sizes)
    epoch: list[Batch] = []
    for task in draws:
        epoch.append(batches_per_task[task][position[task] % sizes[task]])
        position[task] += 1
    return epoch
