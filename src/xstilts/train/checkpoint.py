"""Training-state checkpoints that make a killed run resume bit-for-bit.

A checkpoint holds everything the next step depends on: the trainable parameters (safetensors),
the optimizer and scheduler state, the global torch RNG (dropout), the step counter, and the
model-selection state (best dev score and its parameters). The data order needs no state: the
batches of epoch *e* are a pure function of (seed, e), so resuming at step *s* rebuilds the epoch
and skips the batches already seen.

Writes are atomic (:func:`xstilts.files.atomic_folder`), so a SIGKILL during a save leaves the
previous checkpoint intact. Nothing is pickled: tensors are safetensors, the optimizer, scheduler
and RNG state a JSON skeleton plus safetensors (:mod:`.state_tree`), so a run folder received from
someone else cannot run code when resumed. A manifest of sha256 sums, checked before anything is
applied, turns truncation and bit flips into :class:`CheckpointError` (one line naming the file);
the loop then warns and trains the phase from the start.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from xstilts.files import MANIFEST, CorruptFileError, atomic_folder, verify_manifest
from xstilts.train.state_tree import load_tree, save_tree

STATE_FILE = "trainer.json"
OPTIMIZER_JSON, OPTIMIZER_TENSORS = "optimizer.json", "optimizer.safetensors"
REQUIRED = ("model.safetensors", OPTIMIZER_JSON, OPTIMIZER_TENSORS, STATE_FILE)


log = logging.getLogger("xstilts")


class CheckpointError(CorruptFileError):
    """A resume checkpoint that must not or cannot be loaded (corrupt, foreign, old format)."""


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
        extra = {
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": rng_states if rng_states is not None else [rng_state()],
        }
        save_tree(extra, tmp / OPTIMIZER_JSON, tmp / OPTIMIZER_TENSORS)
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
    """The checkpoint to resume from, if any (a kill between renames leaves ``.old``).

    Read-only (every data-parallel process calls it); the next save repairs the layout.
    """
    for candidate in (folder, folder.with_name(folder.name + ".old")):
        if (candidate / MANIFEST).is_file() or (candidate / STATE_FILE).is_file():
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


@dataclass
class Checkpoint:
    """Everything a checkpoint folder holds, read and verified before any of it is applied."""

    model: dict[str, torch.Tensor]
    extra: dict[str, Any]
    state: LoopState
    best: dict[str, torch.Tensor] | None
    average_sum: dict[str, torch.Tensor] | None


def read_checkpoint(folder: Path) -> Checkpoint:
    """Verify and read a :func:`save_checkpoint` folder; :class:`CheckpointError` if unusable."""
    if (folder / "optimizer.pt").exists() or not (folder / MANIFEST).is_file():
        raise CheckpointError(
            f"{folder / 'optimizer.pt'}: a checkpoint in the old pickle format (or not written "
            "by xstilts) is never loaded, since unpickling can run code; delete "
            f"{folder} to train this phase from the start"
        )
    try:
        verify_manifest(folder, REQUIRED)
    except CorruptFileError as error:
        raise CheckpointError(f"{error}; delete {folder} to train this phase again") from None
    current = folder / "model.safetensors"
    try:
        model = load_file(str(current))
        current = folder / OPTIMIZER_JSON
        extra = load_tree(current, folder / OPTIMIZER_TENSORS)
        current = folder / STATE_FILE
        raw = json.loads(current.read_text(encoding="utf-8"))
        state = LoopState(
            step=int(raw["step"]),
            best_dev=float(raw["best_dev"]),
            best_step=int(raw["best_step"]),
            history=[(int(step), float(score)) for step, score in raw["history"]],
            seconds=float(raw["seconds"]),
            averaged=int(raw.get("averaged", 0)),
        )
        current = folder / "best.safetensors"
        best = load_file(str(current)) if current.is_file() else None
        current = folder / "average_sum.safetensors"
        average_sum = load_file(str(current)) if current.is_file() else None
        if not isinstance(extra, dict) or not {"optimizer", "scheduler", "rng"} <= set(extra):
            current = folder / OPTIMIZER_JSON
            raise ValueError("optimizer, scheduler or RNG state missing")
    except Exception as error:  # any parse failure of a checksummed file: a foreign writer
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckpointError(
            f"{current}: unreadable checkpoint file ({message}); delete {folder} to train "
            "this phase again"
        ) from None
    return Checkpoint(model, extra, state, best, average_sum)


def resume(
    folder: Path | None,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    rank: int = 0,
) -> tuple[LoopState, dict[str, torch.Tensor] | None, dict[str, torch.Tensor] | None]:
    """Load the checkpoint under ``folder`` if there is a usable one, else a fresh state.

    A checkpoint that fails verification is only a lost head start: a warning names the file
    and the phase trains from the beginning (its next save replaces the bad folder).
    """
    found = find_checkpoint(folder) if folder is not None else None
    if found is None:
        return LoopState(), None, None
    try:
        return load_checkpoint(found, model, optimizer, scheduler, rank=rank)
    except CheckpointError as error:
        log.warning("%s; training this phase from the start instead", error)
        return LoopState(), None, None


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
    Nothing is changed when the folder fails verification (:class:`CheckpointError`).
    """
    saved = read_checkpoint(folder)
    parameters = dict(model.named_parameters())
    for name, tensor in saved.model.items():
        if name not in parameters or parameters[name].shape != tensor.shape:
            raise CheckpointError(
                f"{folder / 'model.safetensors'}: parameter {name} does not match this model; "
                f"delete {folder} to train this phase again"
            )
    before = (copy.deepcopy(optimizer.state_dict()), scheduler.state_dict(), rng_state())
    try:
        optimizer.load_state_dict(saved.extra["optimizer"])
        scheduler.load_state_dict(saved.extra["scheduler"])
        states = saved.extra["rng"]
        set_rng_state(states[rank] if rank < len(states) else states[0])
    except (ValueError, KeyError, TypeError, IndexError, RuntimeError) as error:
        optimizer.load_state_dict(before[0])  # leave everything as it was: a clean fresh start
        scheduler.load_state_dict(before[1])
        set_rng_state(before[2])
        raise CheckpointError(
            f"{folder / OPTIMIZER_JSON}: does not match this model's optimizer ({error}); "
            f"delete {folder} to train this phase again"
        ) from None
    copy_parameters(model, saved.model)
    return saved.state, saved.best, saved.average_sum


__all__ = [
    "CheckpointError",
    "LoopState",
    "atomic_folder",
    "copy_parameters",
    "find_checkpoint",
    "load_checkpoint",
    "read_checkpoint",
    "resume",
    "rng_state",
    "save_checkpoint",
    "swapped_parameters",
    "trainable_state",
]
