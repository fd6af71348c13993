"""Training-state checkpoints that make a killed run resume bit-for-bit.

A checkpoint holds everything the next step depends on: the trainable parameters (safetensors),
the optimizer and scheduler state, the global torch RNG (dropout), the step counter, and the
model-selection state (best dev score and its parameters). The data order needs no state: the
batches of epoch *e* are a pure function of (seed, e), so resuming at step *s* rebuilds the epoch
and skips the batches already seen.

Writes are atomic (a temporary folder renamed over the old one), so a SIGKILL during a save leaves
the previous checkpoint intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

STATE_FILE = "trainer.json"


@dataclass
class LoopState:
    """The counters and model-selection state of the loop."""

    step: int = 0
    best_dev: float = float("-inf")
    best_step: int = 0
    history: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0
    averaged: int = 0  # evaluation points summed into the checkpoint average


def copy_parameters(model: nn.Module, values: dict[str, torch.Tensor]) -> None:
    """Overwrite the named parameters present in ``values`` (others are left as they are)."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name in values:
                parameter.copy_(values[name])


@contextlib.contextmanager
def swapped_parameters(model: nn.Module, values: dict[str, torch.Tensor]) -> Iterator[None]:
    """Inside the block the named parameters hold ``values``; afterwards their own values again
    (scoring an averaged or another step's checkpoint without losing the selected one)."""
    kept = {n: p.detach().clone() for n, p in model.named_parameters() if n in values}
    copy_parameters(model, values)
    try:
        yield
    finally:
        copy_parameters(model, kept)


def trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The trainable parameters as contiguous CPU tensors, ready for ``save_file``."""
    return {
        name: p.detach().contiguous().cpu()
        for name, p in model.named_parameters()
        if p.requires_grad
    }


@contextlib.contextmanager
def atomic_folder(folder: Path, *, keep_existing: bool = False) -> Iterator[Path]:
    """Yield an empty temporary sibling of ``folder`` to fill; on normal exit it becomes ``folder``.

    Readers never see a half-written folder: a kill (or an exception) mid-write leaves only the
    temporary one, which the next write under the same name clears. A directory cannot be renamed
    over a non-empty one, so by default an existing ``folder`` is first renamed to ``.old``; a
    kill between the two renames leaves that complete copy for :func:`find_checkpoint`. With
    ``keep_existing`` the folder is content-addressed and several processes may write it at once:
    the temporary name carries the pid, the first rename wins and the others drop their copy.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    suffix = f".tmp-{os.getpid()}" if keep_existing else ".tmp"
    tmp = folder.with_name(folder.name + suffix)
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    yield tmp
    if keep_existing:
        try:
            os.replace(tmp, folder)
        except OSError:  # another process finished first; keep theirs (same content key)
            shutil.rmtree(tmp)
        return
    old = folder.with_name(folder.name + ".old")
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    if old.exists():
        shutil.rmtree(old)


def save_checkpoint(
    folder: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    state: LoopState,
    best_parameters: dict[str, torch.Tensor] | None,
    average_sum: dict[str, torch.Tensor] | None = None,
    rng_states: list[dict[str, Any]] | None = None,
) -> None:
    """Atomically replace ``folder`` with the current training state.

    ``rng_states`` holds every data-parallel process's :func:`rng_state` (rank order); by
    default this process's alone.
    """
    with atomic_folder(folder) as tmp:
        save_file(trainable_state(model), str(tmp / "model.safetensors"))
        if best_parameters is not None:
            best = {k: v.contiguous().cpu() for k, v in best_parameters.items()}
            save_file(best, str(tmp / "best.safetensors"))
        if average_sum is not None:
            summed = {k: v.contiguous().cpu() for k, v in average_sum.items()}
            save_file(summed, str(tmp / "average_sum.safetensors"))
        torch.save(
            {
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": rng_states if rng_states is not None else [rng_state()],
            },
            tmp / "optimizer.pt",
        )
        (tmp / STATE_FILE).write_text(
            json.dumps(
                {
                    "step": state.step,
                    "best_dev": state.best_dev,
                    "best_step": state.best_step,
                    "history": state.history,
                    "seconds": state.seconds,
                    "averaged": state.averaged,
                }
            ),
            encoding="utf-8",
        )


def find_checkpoint(folder: Path) -> Path | None:
    """The complete checkpoint to resume from, if any (a kill between renames leaves ``.old``)."""
    for candidate in (folder, folder.with_name(folder.name + ".old")):
        if (candidate / STATE_FILE).is_file():
            return candidate
    return None


def rng_state() -> dict[str, Any]:
    """This process's random state: the CPU generator and, once CUDA is in use, every GPU's
    (dropout on a GPU draws from the CUDA generator, so a resumed GPU run needs it too)."""
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def load_checkpoint(
    folder: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    rank: int = 0,
) -> tuple[LoopState, dict[str, torch.Tensor] | None, dict[str, torch.Tensor] | None]:
    """Restore a :func:`save_checkpoint` folder; returns loop state, best and average sum.

    Process ``rank`` gets its own saved random state (rank 0's if the run was saved with fewer
    processes: training goes on, though no longer bit-identical to an uninterrupted run).
    """
    copy_parameters(model, load_file(str(folder / "model.safetensors")))
    extra = torch.load(folder / "optimizer.pt", weights_only=False)
    optimizer.load_state_dict(extra["optimizer"])
    scheduler.load_state_dict(extra["scheduler"])
    states = extra.get("rng") or [{"torch": extra["torch_rng"]}]  # older checkpoints: CPU only
    set_rng_state(states[rank] if rank < len(states) else states[0])
    raw = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    state = LoopState(
        step=raw["step"],
        best_dev=raw["best_dev"],
        best_step=raw["best_step"],
        history=[tuple(item) for item in raw["history"]],  # type: ignore[misc]
        seconds=raw["seconds"],
        averaged=raw.get("averaged", 0),
    )
    best_path = folder / "best.safetensors"
    best = load_file(str(best_path)) if best_path.is_file() else None
    sum_path = folder / "average_sum.safetensors"
    average_sum = load_file(str(sum_path)) if sum_path.is_file() else None
    return state, best, average_sum
