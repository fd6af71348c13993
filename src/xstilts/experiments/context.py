"""What every phase function of a study receives besides its data, and what a scoring phase
returns: plain values, so that the phases (``intermediate``, ``target``, ``retrieval_phase``) are
functions and the runner only composes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def _alone() -> None:
    """The barrier of a single process: nothing to wait for."""


@dataclass(frozen=True)
class Processes:
    """The processes that run a study in lockstep: one, or those of `accelerate launch`/torchrun.

    Every process does the same work (the training loop shards batches and averages gradients);
    only the main one writes files and the store, and ``barrier`` waits for all of them.
    """

    index: int = 0
    count: int = 1
    progress: bool = True  # progress bars: shown by the main process only
    barrier: Callable[[], None] = _alone

    @property
    def is_main(self) -> bool:
        return self.index == 0

    @classmethod
    def current(cls, progress: bool) -> Processes:
        """This process and its peers, as accelerate sees them (CPU unless CUDA is available)."""
        import torch
        from accelerate import PartialState

        state = PartialState(cpu=not torch.cuda.is_available())
        index, count = state.process_index, state.num_processes
        barrier = state.wait_for_everyone if count > 1 else _alone
        return cls(index, count, progress and state.is_main_process, barrier)


ScoreKey = tuple[Any, ...]
"""``(split, language, metric, selection)``, or with a fifth element, the layer of a sweep row."""


@dataclass(frozen=True)
class PhaseScores:
    """What a target run's last phase hands to its rows: every score, the seconds spent
    evaluating each (split, language), what training recorded (empty for retrieval), the item
    scores (without run id) and the layer a retrieval run embedded at."""

    scores: dict[ScoreKey, float]
    eval_seconds: dict[tuple[str, str], float]
    train_info: dict[str, Any] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    layer: int | None = None
