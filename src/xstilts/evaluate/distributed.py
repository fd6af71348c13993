"""Splitting inference over data-parallel processes (torchrun / ``accelerate launch``).

Every process runs the same study units in lockstep with identical model replicas (the training
loop averages gradients), so evaluation work can be divided instead of repeated: process ``r`` of
``w`` takes items ``r, r + w, ...`` (interleaved, so every process gets the same mix of lengths
from a length-sorted or file-ordered list) and the results are gathered to every process.
Outside a process group this is a plain call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import torch

Item = TypeVar("Item")


def rank_and_world() -> tuple[int, int]:
    """This process's rank and the number of processes (``0, 1`` outside a process group)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def sharded(
    items: Sequence[Item], compute: Callable[[Sequence[Item]], Sequence[Any] | np.ndarray]
) -> list[Any]:
    """``list(compute(items))``, computed a ``1/w`` share per process and gathered to all.

    ``compute`` must return one picklable result per item, in order; every process must call
    this at the same point (it is a collective).
    """
    rank, world = rank_and_world()
    mine = items[rank::world]
    results = list(compute(mine)) if len(mine) else []
    if world == 1:
        return results
    parts: list[list[Any] | None] = [None] * world
    torch.distributed.all_gather_object(parts, results)
    gathered: list[Any] = [None] * len(items)
    for part_rank, part in enumerate(parts):
        gathered[part_rank::world] = part or []
    return gathered
